"""Time from a fresh interpreter to the TUI's first frame (headless), median of N runs.

Each run is a new process, so imports are cold as they are for `make run`:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            code = f"import json\nDB = {os.path.join(tmp, 'p.db')!r}\n" + CHILD
            env = dict(os.environ, HARNESS_LEARNERS=tmp)
            out = subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                env=env,
                check=True,
                timeout=120,
            )
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    imp = statistics.median(r["import_s"] for r in rows)
    frame = statistics.median(r["first_frame_s"] for r in rows)
    print(f"load average {os.getloadavg()[0]:.1f}; {args.runs} cold starts")
    print(f"import harness.tui.app: median {imp * 1000:.0f} ms")
    print(
        f"first frame (headless, 120x40): median {frame * 1000:.0f} ms "
        f"(min {min(r['first_frame_s'] for r in rows) * 1000:.0f}, "
        f"max {max(r['first_frame_s'] for r in rows) * 1000:.0f})"
    )


if __name__ == "__main__":
    main()
