"""A mistake written over a base (catalogue.compose): the learner's file it stands for is the
base's text under the mistake's header, then the mistake's own functions, which win."""

from __future__ import annotations

import ast
import re

import pytest

from harness.chapter import load_chapter
from harness.grading.catalogue import CatalogueError, compose, load_catalogue, load_entry
from harness.grading.diagnosis import _load

CHAPTER = load_chapter()
LAB = CHAPTER.lab("lab-01")
PACKAGE = f"{LAB.package}.mistakes"

BASE = '''\
"""CORRECT alternative: a tiny base for these tests.

tasks: info_nce
why: scale doubles, shifted adds one to the scale.
"""

from __future__ import annotations

OFFSET = 1


def scale(x):
    return 2 * x


def shifted(x):
    return scale(x) + OFFSET
'''

HEADER = '''\
"""MISTAKE: scale triples

task: info_nce
caught_by: test_info_nce_matches_the_reference
why: three is not two.
hint: double it.
"""

from __future__ import annotations
'''


def marker(module: str = f"{PACKAGE}.alt_tiny") -> str:
    return f"from {module} import *  # noqa: F403 (base)\n"


def write(folder, name: str, text: str):
    path = folder / f"{name}.py"
    path.write_text(text)
    return path


@pytest.fixture
def folder(tmp_path):
    write(tmp_path, "alt_tiny", BASE)
    return tmp_path


def mistake(folder, body: str, name: str = "info_nce__triples"):
    return load_entry(write(folder, name, HEADER + "\n" + body), LAB)


def test_the_mistakes_function_wins_also_where_the_base_calls_it(folder):
    entry = mistake(folder, marker() + "\n\ndef scale(x):\n    return 3 * x\n")
    module = _load(entry, "_test_compose_triples")
    assert module.scale(1) == 3
    assert module.shifted(1) == 4  # the base's shifted calls the mistake's scale
    assert module.OFFSET == 1  # what the mistake leaves alone is the base's


def test_the_composed_file_has_the_mistakes_header_and_no_marker(folder):
    entry = mistake(folder, marker() + "\n\ndef scale(x):\n    return 3 * x\n")
    source = compose(entry)
    assert source == entry.source
    assert ast.get_docstring(ast.parse(source)).startswith("MISTAKE: scale triples")
    assert "CORRECT alternative" not in source and "alt_tiny" not in source
    assert "import *" not in source
    assert source.count("from __future__ import annotations") == 1
    assert source.index("return 2 * x") < source.index("return 3 * x")


def test_a_mistake_without_a_base_composes_to_its_own_text(folder):
    entry = mistake(folder, "\ndef scale(x):\n    return 3 * x\n")
    assert entry.base is None
    assert compose(entry) == entry.path.read_text()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (marker(f"{PACKAGE}.alt_missing"), "does not exist"),
        (marker(f"{PACKAGE}.info_nce__other"), "not an alternative"),
        (marker("labs.x2_multimodal.lab00.mistakes.alt_explicit_heads"), "not an alternative"),
        (marker().replace("  # noqa: F403 (base)", ""), "write the base marker as"),
        ("X = 1\n" + marker(), "imported only by the base marker"),
        (marker() + f"from {PACKAGE}.alt_tiny import scale\n", "imported only by the base"),
        (f"import {PACKAGE}.alt_tiny\n", "imported only by the base marker"),
    ],
)  # fmt: skip
def test_a_wrong_base_is_an_error_naming_the_file(folder, body, says):
    write(folder, "info_nce__other", HEADER + "\nX = 1\n")
    with pytest.raises(CatalogueError, match=says) as caught:
        mistake(folder, body, name="info_nce__bad")
    assert "info_nce__bad.py" in str(caught.value)


def test_a_base_that_is_a_mistake_or_has_a_base_is_an_error(folder):
    write(folder, "alt_mistaken", HEADER + "\nX = 1\n")
    with pytest.raises(CatalogueError, match="not a correct alternative"):
        mistake(folder, marker(f"{PACKAGE}.alt_mistaken"))
    based = BASE.replace("OFFSET = 1\n", marker() + "\nOFFSET = 1\n", 1)
    write(folder, "alt_based", based)
    with pytest.raises(CatalogueError, match="alternative is written whole"):
        load_entry(folder / "alt_based.py", LAB)
    with pytest.raises(CatalogueError, match="has a base itself"):
        mistake(folder, marker(f"{PACKAGE}.alt_based"))


@pytest.mark.parametrize("lab_id", [lab.id for lab in CHAPTER.labs])
def test_every_based_mistake_composes_to_one_file_where_its_own_functions_win(lab_id):
    for entry in load_catalogue(CHAPTER.lab(lab_id)):
        if entry.base is None:
            continue
        own = {n.name for n in ast.parse(entry.path.read_text()).body
               if isinstance(n, ast.FunctionDef)}  # fmt: skip
        assert own, f"{entry.path.name} has a base but changes no function"
        source = entry.source
        tail = source[: source.index(f"# === {entry.path.name}:")].count("\n") + 1
        last = {n.name: n.lineno for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
        late = [name for name in own if last[name] < tail]
        assert not late, f"{entry.path.name}: {late} are the base's in the composed file"


def test_the_files_bench_regrade_submits_as_they_are_have_no_base():
    """bench/regrade.py submits some catalogue files' raw bytes as learner files; a base
    would make them import the catalogue the sandbox hides, and fail for that instead."""
    root = LAB.package_dir.parents[2]
    named = re.findall(r'"(lab\d\d/mistakes/\w+\.py)"', (root / "bench/regrade.py").read_text())
    assert named, "bench/regrade.py names no catalogue files: update this test"
    for name in named:
        lab = CHAPTER.lab(f"lab-{name[3:5]}")
        entry = load_entry(root / "labs/x2_multimodal" / name, lab)
        assert entry.base is None, f"{name} has a base; bench/regrade.py submits its raw bytes"
