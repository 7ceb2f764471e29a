import pytest

from harness.chapter import load_chapter
from harness.learners import LearnerNameError, chapter_dir, create_folders, validate_name


@pytest.mark.parametrize("name", ["ana", "b", "team-2", "x_y", "a" * 32])
def test_good_names(name):
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "name, why",
    [
        ("../x", "outside the learner's folder"),
        ("a/b", "outside the learner's folder"),
        ("", "must not be empty"),
        ("a" * 500, "500 characters long"),
        ("Ana", "must start with a-z"),
        ("9lives", "must start with a-z"),
        ("ana bob", "must start with a-z"),
        (".hidden", "outside the learner's folder"),
    ],
)
def test_bad_names_get_a_clear_error(name, why):
    with pytest.raises(LearnerNameError, match=why):
        validate_name(name)


def test_folders_get_starters_and_keep_the_learners_work(tmp_path):
    chapter = load_chapter()
    copied = create_folders("ana", chapter, tmp_path)
    base = chapter_dir("ana", chapter, tmp_path)
    assert base == tmp_path / "ana" / "extension-X2"
    assert {p.parent.name for p in copied} == {"lab-00", "lab-01", "lab-02"}
    mine = base / "lab-00" / f"{chapter.lab('lab-00').entry}.py"
    mine.write_text("# my work\n")
    assert create_folders("ana", chapter, tmp_path) == []
    assert mine.read_text() == "# my work\n"
