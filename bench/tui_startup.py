"""Time from a fresh interpreter to the TUI's first frame (headless), median of N runs.

Each run is a new process, so imports are cold as they are for `make run`. Runs alternate
with a minimal Textual app (one Static), so the harness's own cost is read as the difference
in the same run, whatever the machine's load; the target is a first frame <= 400 ms:
    .venv/bin/python bench/tui_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

CHILD = """
import time
t0 = time.perf_counter()
import asyncio
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

total = asyncio.run(first_frame())
print(json.dumps({"import_s": t_import, "first_frame_s": total}))
"""


MINIMAL = """
import time
t0 = time.perf_counter()
import asyncio
from textual.app import App
from textual.widgets import Static
t_import = time.perf_counter() - t0

class Minimal(App):
    def compose(self):
        yield Static("hello")

async def first_frame():
    async with Minimal().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        return time.perf_counter() - t0

total = asyncio.run(first_frame())
print(json.dumps({"import_s": t_import, "first_frame_s": total}))
"""
TARGET_MS = 400


def cold(code: str, tmp: str) -> dict:
    env = dict(os.environ, HARNESS_LEARNERS=tmp)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
        timeout=120,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows, minimal = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            code = f"import json\nDB = {os.path.join(tmp, 'p.db')!r}\n" + CHILD
            rows.append(cold(code, tmp))
            minimal.append(cold("import json\n" + MINIMAL, tmp))
    imp = statistics.median(r["import_s"] for r in rows)
    frame = statistics.median(r["first_frame_s"] for r in rows)
    base = statistics.median(r["first_frame_s"] for r in minimal)
    print(f"load average {os.getloadavg()[0]:.1f}; {args.runs} cold starts of each, alternating")
    print(f"import harness.tui.app: median {imp * 1000:.0f} ms")
    print(
        f"first frame (headless, 120x40): median {frame * 1000:.0f} ms "
        f"(min {min(r['first_frame_s'] for r in rows) * 1000:.0f}, "
        f"max {max(r['first_frame_s'] for r in rows) * 1000:.0f})"
    )
    print(f"minimal Textual app, same run: median {base * 1000:.0f} ms")
    print(
        f"the harness's own cost: {(frame - base) * 1000:.0f} ms ({frame / base:.2f}x the "
        f"minimal app); target: first frame <= {TARGET_MS} ms"
    )


if __name__ == "__main__":
    main()
