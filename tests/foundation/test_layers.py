"""The layers of docs/ARCHITECTURE.md, proved in a fresh interpreter each."""

import json
import subprocess
import sys

import pytest

CORE = [
    "harness.chapter",
    "harness.learners",
    "harness.store",
    "harness.progress",
    "harness.grading.sandbox",
    "harness.grading.remote",
    "harness.grading.checks",
    "harness.grading.runs",
    "harness.grading.checking",
    "labs.x2_multimodal.grammar",
    "labs.x2_multimodal.icons",
    "labs.x2_multimodal.lab00.tiny_vit",
    "labs.x2_multimodal.lab01.clip_lab",
    "labs.x2_multimodal.lab02.whisper_lab",
]


def imported_after(statement: str) -> set[str]:
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("module", CORE)
def test_core_and_labs_never_import_textual(module):
    assert "textual" not in imported_after(f"import {module}")


def test_the_cli_starts_without_torch_transformers_or_textual():
    loaded = imported_after("import harness.cli")
    assert not {"torch", "transformers", "textual"} & loaded
