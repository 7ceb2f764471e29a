"""The lab screen at the two sizes issue 15 names: 80x24 (status column, detail pane and the
learner's file must all fit) and 160x48. Regenerate only after looking at the report:
pytest tests/tui/test_lab_snapshots.py --snapshot-update"""

from __future__ import annotations

import pytest

from harness.store import CheckResult

from .conftest import LEARNER
from .test_tui_snapshots import command


@pytest.fixture
def checked(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the learner's file is shown relative to the working folder
    store.record_check_run(
        learner=LEARNER,
        lab_id="lab-00",
        impl="learner",
        task="patchify",
        status="pass",
        results=[CheckResult("test_patch_shapes", "patchify", "pass", "", 0.01)],
    )
    store.record_check_run(
        learner=LEARNER,
        lab_id="lab-00",
        impl="learner",
        task=None,
        status="fail",
        results=[
            CheckResult(
                "test_attention_grad",
                "attention",
                "fail",
                "dx differs from finite "
                "differences by 3.1e-02 at [0, 2, 5] (atol 1e-06)\nyour dx[0, 2, 5] = "
                "0.412, numeric 0.381",
                0.61,
            ),
            CheckResult("test_patch_shapes", "patchify", "pass", "", 0.01),
            CheckResult("test_patch_values", "patchify", "pass", "", 0.02),
            CheckResult("test_attention_mask", "attention", "pass", "", 0.2),
        ],
        message="1 of 4 checks failed",
        output_tail="...F\n1 failed, 3 passed in 0.9s",
        duration_s=1.5,
    )


def test_lab_80x24(snap_compare, make, checked):
    assert snap_compare(make(), terminal_size=(80, 24), run_before=command("/lab lab-00"))


def test_lab_160x48(snap_compare, make, checked):
    assert snap_compare(make(), terminal_size=(160, 48), run_before=command("/lab lab-00"))
