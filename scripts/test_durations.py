"""Seconds of pytest time per area of the suite, from a junit XML report.

    .venv/bin/python -m pytest --junitxml=report.xml
    .venv/bin/python scripts/test_durations.py report.xml

An area is a top-level folder of tests/ (tests/lab02, tests/tui, ...); test files directly in
tests/ form the area "tests/*.py". A test's time is pytest's junit `time`: setup, call and
teardown together, so a session fixture (loading Whisper, say) counts once, in the first
test that asks for it. `make test-durations` runs both steps.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
TOP_LEVEL = "tests/*.py"


def area_of(classname: str, tests_dir: Path = TESTS) -> str:
    """'tests.lab02.test_x' -> 'tests/lab02'; 'tests.test_grammar[.Class]' -> 'tests/*.py'."""
    parts = classname.split(".")
    if len(parts) >= 3 and parts[0] == "tests" and (tests_dir / parts[1]).is_dir():
        return f"tests/{parts[1]}"
    if parts and parts[0] == "tests":
        return TOP_LEVEL
    return "(outside tests/)"


def breakdown(report: Path, tests_dir: Path = TESTS) -> tuple[dict[str, dict], float | None]:
    """{area: {"tests", "seconds", "failed", "skipped"}} and the suite's own total time."""
    root = ET.parse(report).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    areas: dict[str, dict] = defaultdict(lambda: dict(tests=0, seconds=0.0, failed=0, skipped=0))
    total = None
    for suite in suites:
        if suite.get("time") is not None:
            total = (total or 0.0) + float(suite.get("time"))
        for case in suite.iter("testcase"):
            row = areas[area_of(case.get("classname", ""), tests_dir)]
            row["tests"] += 1
            row["seconds"] += float(case.get("time") or 0.0)
            if case.find("failure") is not None or case.find("error") is not None:
                row["failed"] += 1
            if case.find("skipped") is not None:
                row["skipped"] += 1
    return dict(areas), total


def render(areas: dict[str, dict], total: float | None) -> str:
    summed = sum(r["seconds"] for r in areas.values())
    lines = [
        f"{'area':<22} {'tests':>6} {'seconds':>9} {'share':>6} {'failed':>7} {'skipped':>8}",
    ]
    for name, r in sorted(areas.items(), key=lambda kv: -kv[1]["seconds"]):
        share = r["seconds"] / summed if summed else 0.0
        lines.append(
            f"{name:<22} {r['tests']:>6} {r['seconds']:>9.1f} {share:>6.0%} "
            f"{r['failed']:>7} {r['skipped']:>8}"
        )
    count = sum(r["tests"] for r in areas.values())
    lines.append(f"{'all':<22} {count:>6} {summed:>9.1f}")
    if total is not None:
        lines.append(
            f"pytest's own total (collection included): {total:.1f} s = {total / 60:.1f} min"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("report", type=Path, help="junit XML written by pytest --junitxml")
    args = parser.parse_args(argv)
    if not args.report.is_file():
        print(f"no junit report at {args.report}; run pytest --junitxml={args.report} first")
        return 2
    print(render(*breakdown(args.report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
