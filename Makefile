# The two commands a newcomer needs: `make run` and `make test`.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: run test test-fast lint format bench clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# One line per step, so the first `make run` is never minutes of silence.
$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || { echo "need $(PY) on PATH"; exit 1; }
	@echo "[1/4] virtual environment in $(VENV)"
	@test -d $(VENV) || $(PY) -m venv $(VENV)
	@echo "[2/4] upgrading pip"
	@$(BIN)/pip install --quiet --upgrade pip
	@# CPU build of torch first: a plain `torch` requirement would pull a multi-GB CUDA build.
	@echo "[3/4] PyTorch 2.13.0, CPU build (the largest download: a minute or two)"
	@$(BIN)/pip install --quiet torch==2.13.0
	@echo "[4/4] the harness and its test tools (pip install -e '.[dev]')"
	@$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)
	@echo "ready: $(BIN)/harness"

run: $(STAMP)  ## set up and open the TUI for the default learner
	$(BIN)/harness tui

# One pytest worker per core, at most 4 (pytest-xdist); `PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= auto
XDIST := -n $(PYTEST_WORKERS) --maxprocesses 4 --dist loadgroup

test: $(STAMP)  ## set up and run the whole test suite (slow tests included)
	$(BIN)/python -m pytest $(XDIST)

test-fast: $(STAMP)  ## the suite without slow tests
	$(BIN)/python -m pytest $(XDIST) -m "not slow"

# The suite with timings: pytest's slowest tests, then seconds per tests/ area (issue 18).
.PHONY: test-durations
DURATIONS_XML := .pytest_cache/durations.xml
test-durations: $(STAMP)  ## the whole suite, then its slowest tests and seconds per tests/ area
	@mkdir -p .pytest_cache
	$(BIN)/python -m pytest $(XDIST) --durations=20 --junitxml=$(DURATIONS_XML); status=$$?; \
	$(BIN)/python scripts/test_durations.py $(DURATIONS_XML); exit $$status

lint: $(STAMP)  ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## ruff format
	$(BIN)/ruff format .

bench: $(STAMP)  ## run the benchmarks behind docs/PERFORMANCE.md
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@failed=""; for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || failed="$$failed $$f"; done; \
	if [ -n "$$failed" ]; then echo "missed a target or failed:$$failed"; exit 1; fi

clean:  ## remove the venv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache
