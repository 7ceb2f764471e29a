"""The code each check run graded, kept content-addressed: a file that did not change between
runs is stored once, and a bundle carries each file once."""

from __future__ import annotations

import pytest

from harness.cohort import snapshots
from harness.cohort.records import export_bundle


def test_the_same_code_is_stored_once_and_named_by_its_content(store, chapter, tmp_path,
                                                                learner_maker):  # fmt: skip
    first = learner_maker(store, chapter, "ana", tmp_path / "learners")
    second = store.record_check_run(
        learner="ana", lab_id="lab-00", impl="learner", task=None, status="fail", results=[]
    )
    code = snapshots.files(store, first)
    assert snapshots.record(store, second, code) == snapshots.snapshot_id(
        snapshots.listing(store, first)
    )
    assert store.conn.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 1
    assert snapshots.files(store, second) == code
    bundle = export_bundle(store, chapter, "ana", learners_root=tmp_path / "learners")
    assert len(bundle["files"]["blobs"]) == 1 and len(bundle["records"]["snapshot_files"]) == 2


def test_capture_keeps_python_files_not_symlinks(tmp_path):
    (tmp_path / "tiny_vit.py").write_text("x = 1\n")
    (tmp_path / "results.json").write_text("{}")
    (tmp_path / "elsewhere.py").symlink_to(tmp_path / "tiny_vit.py")
    assert snapshots.capture(tmp_path) == {"tiny_vit.py": b"x = 1\n"}


@pytest.mark.parametrize("name", ["../x.py", ".hidden.py", "a/b.py", "x\x00.py"])
def test_extract_refuses_names_outside_its_folder(tmp_path, name):
    with pytest.raises(ValueError, match="plain file name"):
        snapshots.extract({name: b""}, tmp_path / "lab")
