"""The chapter manifest: the real one loads; each kind of error names file, item and problem."""

from pathlib import Path

import pytest
import yaml

from harness.chapter import ManifestError, load_chapter
from harness.paths import CHAPTER_FILE

READ_ORDER = [
    "theory-00",
    "theory-01",
    "theory-02",
    "theory-03",
    "theory-04",
    "lab-00",
    "lab-01",
    "lab-02",
]


def test_real_chapter_loads_with_the_read_order_and_unlocks():
    chapter = load_chapter()
    assert [i.id for i in chapter.items] == READ_ORDER
    assert chapter.item("lab-00").after == ("theory-01",)
    assert chapter.item("lab-01").after == ("theory-01",)
    assert chapter.item("lab-02").after == ("theory-02",)
    assert chapter.pass_mark == 0.80
    assert chapter.prerequisites == ("15", "17", "28")
    assert [p.id for p in chapter.reflections] == ["fusion", "whisper-attention", "grammar-tutor"]


def test_every_page_exists_and_has_a_title_and_a_spanish_summary():
    for item in load_chapter().items:
        text = item.path.read_text(encoding="utf-8")
        assert text.startswith("# "), f"{item.path} must start with a '# ' title"
        assert "## Resumen" in text, f"{item.path} must end with a '## Resumen' in Spanish"


def test_every_lab_has_reference_starter_and_checks():
    for lab in load_chapter().labs:
        assert lab.reference_path.is_file(), lab.reference_path
        assert (lab.starter_dir / f"{lab.entry}.py").is_file()
        assert list(lab.checks_dir.glob("test_*.py")), f"{lab.checks_dir} has no checks"
        assert (lab.package_dir / "experiment.py").is_file()


def _write(tmp_path: Path, mutate) -> Path:
    """A copy of the real chapter (pages linked), with `mutate` applied to its data."""
    data = yaml.safe_load(CHAPTER_FILE.read_text(encoding="utf-8"))
    mutate(data)
    pages = tmp_path / "pages"
    if not pages.exists():
        pages.symlink_to(CHAPTER_FILE.parent / "pages", target_is_directory=True)
    path = tmp_path / "chapter.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _error(tmp_path, mutate) -> str:
    with pytest.raises(ManifestError) as info:
        load_chapter(_write(tmp_path, mutate))
    return str(info.value)


def test_a_copy_of_the_real_chapter_loads(tmp_path):
    assert load_chapter(_write(tmp_path, lambda d: None)).id == "X2"


def test_unknown_key_is_named(tmp_path):
    msg = _error(tmp_path, lambda d: d["read_order"][2].update(colour="red"))
    assert "chapter.yaml" in msg and "read_order[2]" in msg and "unknown field 'colour'" in msg


def test_missing_page_is_named(tmp_path):
    msg = _error(tmp_path, lambda d: d["read_order"][3].update(path="pages/theory/99-nope.md"))
    assert "'theory-03'" in msg and "99-nope.md does not exist" in msg


def test_unlock_cycle_is_named(tmp_path):
    def cycle(d):
        d["read_order"][0]["after"] = ["theory-04"]

    msg = _error(tmp_path, cycle)
    assert "unlock cycle" in msg and "theory-00" in msg and "theory-04" in msg


def test_unknown_dependency_is_named(tmp_path):
    msg = _error(tmp_path, lambda d: d["read_order"][5].update(after=["theory-9"]))
    assert "'lab-00'" in msg and "unknown item 'theory-9'" in msg


def test_bad_pass_mark_and_missing_key(tmp_path):
    assert "pass_mark" in _error(tmp_path, lambda d: d["quiz"].update(pass_mark=80))
    assert "missing field 'entry'" in _error(tmp_path, lambda d: d["labs"][0].pop("entry"))


def test_malformed_yaml_names_the_line(tmp_path):
    path = tmp_path / "chapter.yaml"
    path.write_text("id: X2\nread_order: [\n  - broken", encoding="utf-8")
    with pytest.raises(ManifestError, match=r"chapter.yaml: not valid YAML at line"):
        load_chapter(path)


def test_unknown_lab_and_page_list_the_known_ones():
    chapter = load_chapter()
    with pytest.raises(ManifestError, match="unknown lab 'lab-9'; known: lab-00, lab-01, lab-02"):
        chapter.lab("lab-9")
    with pytest.raises(ManifestError, match="unknown page 'theory-9'"):
        chapter.item("theory-9")
