"""Time from a fresh interpreter to the TUI's first frame (headless), median of N runs.

Each run is a new process, so imports are cold as they are for `make run`, and it starts the
way `harness tui` does (the CLI, its `tui` command, then the app). Runs alternate
with a minimal Textual app (one Static), so the harness's own cost is read as the difference
in the same run, whatever the machine's load; the target is a first frame <= 400 ms:
    .venv/bin/python bench/tui_startup.py [--runs 5] [--instructions]

Two moments are timed in each run:
- first paint: the first frame the app hands to its driver for a screen that has content
  (Textual drops frames drawn inside a batch and the blank default screen has none); this is
  what the learner first sees, and what the target is about.
- settled: `run_test` is ready and `pilot.pause()` found the process idle, i.e. every
  follow-up (footer keys, work queued after the first refresh) is done too.
Both are wall clock from the interpreter's first line; the CPU time of the process up to
"settled" is printed too, since on a shared machine it moves less with the load.

Bytecode is cached as it is from a learner's second start on: the children write and read
it under a private PYTHONPYCACHEPREFIX (one unmeasured start first), whatever
PYTHONDONTWRITEBYTECODE says here; compiling the harness's modules from source would add
~25 ms (harness.store alone ~13 ms) that a learner pays once.

--instructions also counts the instructions each app executes up to its first paint, once,
under valgrind's callgrind (about a minute each): a figure the machine's load does not move,
for comparing the harness with the minimal app when wall clocks are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

# Wraps App._display (private; textual is pinned exactly in pyproject.toml) to note the first
# frame with content. Headless, the frame is composed and rendered but not written out.
PROBE = """
import time
t0 = time.perf_counter()
import asyncio
import os
EXIT_AT_FIRST_PAINT = bool(os.environ.get("EXIT_AT_FIRST_PAINT"))
from textual.app import App
first_paint = []
_display = App._display
def _probe(self, screen, renderable):
    if renderable is not None and not self._batch_count and screen.children and not first_paint:
        first_paint.append(time.perf_counter() - t0)
        if EXIT_AT_FIRST_PAINT:
            os._exit(0)
    return _display(self, screen, renderable)
App._display = _probe
"""

CHILD = """
from harness.cli import main  # the path `harness tui` (make run) takes: the CLI first
main.get_command(None, "tui")
from harness.store import Store
from harness.tui.app import make_app
t_import = time.perf_counter() - t0

async def first_frame():
    store = Store(DB)
    store.add_learner("learner")
    app = make_app(store=store, learner="learner")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        return time.perf_counter() - t0
"""

MINIMAL = """
from textual.widgets import Static
t_import = time.perf_counter() - t0

class Minimal(App):
    def compose(self):
        yield Static("hello")

async def first_frame():
    async with Minimal().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        return time.perf_counter() - t0
"""

REPORT = """
settled = asyncio.run(first_frame())
print(json.dumps({"import_s": t_import, "first_paint_s": first_paint[0], "settled_s": settled,
                  "cpu_s": time.process_time()}))
"""
TARGET_MS = 400


def cold(code: str, tmp: str, pycache: str) -> dict:
    env = dict(os.environ, HARNESS_LEARNERS=tmp, PYTHONPYCACHEPREFIX=pycache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
        timeout=120,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def instructions(code: str, tmp: str, pycache: str) -> int:
    """Instructions executed from the interpreter's start to the first paint (callgrind)."""
    env = dict(os.environ, HARNESS_LEARNERS=tmp, PYTHONPYCACHEPREFIX=pycache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["EXIT_AT_FIRST_PAINT"] = "1"
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         "-c", code],
        capture_output=True, text=True, env=env, check=True, timeout=1200,
    )  # fmt: skip
    return int(re.search(r"Collected : (\d+)", out.stderr).group(1))


def ms(rows: list[dict], key: str) -> str:
    values = [r[key] * 1000 for r in rows]
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"median {mid:.0f} ms (min {low:.0f}, max {high:.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--instructions", action="store_true", help="also count instructions (valgrind)"
    )
    args = parser.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind on PATH")
    rows, minimal = [], []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as pycache:
        for run in range(args.runs + 1):
            with tempfile.TemporaryDirectory() as tmp:
                db = f"import json\nDB = {os.path.join(tmp, 'p.db')!r}\n"
                harness = cold(db + PROBE + CHILD + REPORT, tmp, pycache)
                plain = cold("import json\n" + PROBE + MINIMAL + REPORT, tmp, pycache)
            if run:  # the first start of each only writes the bytecode cache
                rows.append(harness)
                minimal.append(plain)
        if args.instructions:
            with tempfile.TemporaryDirectory() as tmp:
                db = f"import json\nDB = {os.path.join(tmp, 'p.db')!r}\n"
                counted = instructions(db + PROBE + CHILD + REPORT, tmp, pycache)
                counted_plain = instructions(
                    "import json\n" + PROBE + MINIMAL + REPORT, tmp, pycache
                )
    print(
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after; "
        f"{args.runs} cold starts of each, alternating"
    )
    print(f"import harness.tui.app: {ms(rows, 'import_s')}")
    for label, key in (("first paint", "first_paint_s"), ("settled", "settled_s")):
        print(f"{label} (headless, 120x40): {ms(rows, key)}")
        print(f"  minimal Textual app, same run: {ms(minimal, key)}")
    print(f"CPU time to settled: {ms(rows, 'cpu_s')}; minimal app {ms(minimal, 'cpu_s')}")
    if args.instructions:
        print(
            f"instructions to the first paint: {counted / 1e6:.0f} M; minimal app "
            f"{counted_plain / 1e6:.0f} M ({counted / counted_plain:.2f}x)"
        )
    paint = statistics.median(r["first_paint_s"] for r in rows)
    base = statistics.median(r["first_paint_s"] for r in minimal)
    print(
        f"the harness's own cost to the first paint: {(paint - base) * 1000:.0f} ms "
        f"({paint / base:.2f}x the minimal app); target: first paint <= {TARGET_MS} ms: "
        f"{'met' if paint * 1000 <= TARGET_MS else 'missed'}"
    )


if __name__ == "__main__":
    main()
