"""harness/watch.py: saves noticed (watchfiles and polling), the next task, the solution
source of a task from the real chapter, and the two-column pairing."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from harness.chapter import load_chapter
from harness.watch import file_changes, next_task_after, side_by_side, task_source, unified


@pytest.mark.parametrize("use_watchfiles", [True, False], ids=["watchfiles", "polling"])
def test_each_change_of_bytes_is_seen_once(tmp_path, use_watchfiles):
    path = tmp_path / "tiny_vit.py"
    path.write_text("v0")
    stop = threading.Event()
    seen: list[str] = []
    got = threading.Event()

    changes = file_changes(path, stop, poll_s=0.05, use_watchfiles=use_watchfiles)

    def watch():
        for changed in changes:
            seen.append(changed.read_text())
            got.set()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        for version in ("v1", "v2"):
            got.clear()
            path.write_text(version)
            assert got.wait(20), f"{version} was never seen"
            assert seen[-1] == version
        got.clear()
        path.write_text("v2")  # same bytes: not a change
        got.wait(0.5)
        assert seen == ["v1", "v2"]
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def test_next_task_skips_what_passes_and_wraps_around():
    lab = load_chapter().lab("lab-00")
    assert next_task_after(lab, "patchify", {"patchify"}) == "layernorm"
    assert next_task_after(lab, "layernorm", {"patchify", "layernorm", "attention"}) == "block"
    assert next_task_after(lab, "train", {"train", "block", "attention", "layernorm"}) == (
        "patchify"
    )
    assert next_task_after(lab, "train", {t.id for t in lab.tasks}) is None


def test_task_source_shows_the_reference_work_not_just_a_wrapper(tmp_path):
    chapter = load_chapter()
    reference = task_source(chapter, "lab-00", "layernorm", reference=True)
    assert "def layernorm(" in reference and "def layernorm_backward(" in reference
    assert "np.sqrt" in reference  # the delegated implementation, not only `return nn....`
    assert '"""' not in reference  # docstrings left out: the code is what is compared
    mine = tmp_path / "tiny_vit.py"
    mine.write_text("import numpy as np\n\n\ndef layernorm(x, g, b, eps=1e-5):\n    return x\n")
    source = task_source(chapter, "lab-00", "layernorm", reference=False, path=mine)
    assert "def layernorm(x, g, b, eps=1e-5):" in source
    assert "layernorm_backward() is not in tiny_vit.py" in source


def test_side_by_side_pairs_equal_and_changed_lines():
    rows = side_by_side("a\nb\nc", "a\nB\nc\nd")
    assert [(r.mine, r.theirs, r.tag) for r in rows] == [
        ("a", "a", "equal"),
        ("b", "B", "replace"),
        ("c", "c", "equal"),
        (None, "d", "insert"),
    ]
    assert "+B" in unified("a\nb", "a\nB", mine_name="yours", reference_name="reference")


def test_the_watch_engine_does_not_import_textual():
    code = "import sys, harness.watch; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
