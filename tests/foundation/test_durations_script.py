"""scripts/test_durations.py: seconds per tests/ area from pytest's junit XML."""

import importlib.util
import subprocess
import sys

from harness.paths import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "test_durations.py"
spec = importlib.util.spec_from_file_location("test_durations", SCRIPT)
durations = importlib.util.module_from_spec(spec)
spec.loader.exec_module(durations)

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="5" time="12.5">
<testcase classname="tests.lab02.test_lab02_inference" name="test_a" time="6.0"/>
<testcase classname="tests.lab02.test_lab02_loader" name="test_b" time="2.0">
  <failure message="boom">x</failure></testcase>
<testcase classname="tests.tui.test_tui_home_reader.TestHome" name="test_c" time="1.5"/>
<testcase classname="tests.test_grammar" name="test_d" time="0.5"/>
<testcase classname="tests.test_grammar.TestForms" name="test_e" time="0.25">
  <skipped message="no"/></testcase>
</testsuite></testsuites>
"""


def test_areas_are_top_level_folders_and_top_level_files_group_together(tmp_path):
    report = tmp_path / "report.xml"
    report.write_text(REPORT, encoding="utf-8")
    areas, total = durations.breakdown(report)
    assert total == 12.5
    assert areas["tests/lab02"] == {"tests": 2, "seconds": 8.0, "failed": 1, "skipped": 0}
    assert areas["tests/tui"]["seconds"] == 1.5
    assert areas["tests/*.py"] == {"tests": 2, "seconds": 0.75, "failed": 0, "skipped": 1}
    out = subprocess.run(
        [sys.executable, str(SCRIPT), str(report)], capture_output=True, text=True, check=True
    ).stdout
    lines = out.splitlines()
    assert lines[1].startswith("tests/lab02") and "78%" in lines[1]  # largest first: 8 of 10.25 s
    assert "12.5 s" in out


def test_a_missing_report_says_how_to_make_one(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "none.xml")], capture_output=True, text=True
    )
    assert result.returncode == 2 and "pytest --junitxml=" in result.stdout
