"""Each lab separates what it gives the learner from its reference solution.

The sandbox hides the solution modules from graded learner code, so the starter and every
given module must import without them, and each task's functions must exist on both sides.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys

import pytest

from harness.chapter import load_chapter

CHAPTER = load_chapter()
LABS = CHAPTER.labs


def _defined(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_every_task_names_functions_the_reference_and_the_starter_define(lab):
    module = importlib.import_module(f"{lab.package}.{lab.entry}")
    reference = {name for name in dir(module) if callable(getattr(module, name))}
    starter = _defined(lab.starter_dir / f"{lab.entry}.py")
    for task in lab.tasks:
        assert task.functions, f"{lab.id} task {task.id} lists no functions"
        assert set(task.functions) <= reference, (task.id, set(task.functions) - reference)
        assert set(task.functions) <= starter, (task.id, set(task.functions) - starter)


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_the_starter_and_given_modules_import_with_the_solution_blocked(lab):
    """Blocks the solution modules with an import hook, then imports the starter and every
    module the lab gives."""
    blocked = [f"{lab.package}.{m}" for m in lab.solution]
    given = list(lab.given)
    assert given and all((lab.package_dir / f"{m}.py").is_file() for m in given)
    starter = lab.starter_dir / f"{lab.entry}.py"
    code = f"""
import importlib, importlib.util, sys
BLOCKED = {blocked!r}
class Block:
    def find_spec(self, name, path=None, target=None):
        if name in BLOCKED:
            raise ImportError(f"{{name}} is the reference solution")
sys.meta_path.insert(0, Block())
for module in {given!r}:
    importlib.import_module("{lab.package}." + module)
spec = importlib.util.spec_from_file_location("starter_entry", {str(starter)!r})
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


@pytest.mark.parametrize(
    "old, new, error",
    [
        ("solution: [tiny_vit, nn, vit]", "solution: [nn, vit]", "must list the entry module"),
        ("given: [given, data, optim, blas_threads]", "given: [given, nn]", "lists solution"),
        ("functions: [patchify]", "functions: patchify", "expected a list"),
    ],
)
def test_the_manifest_refuses_a_bad_split(tmp_path, old, new, error):
    from harness.chapter import ManifestError

    assert old in CHAPTER_FILE_TEXT
    manifest = tmp_path / "chapter.yaml"
    manifest.write_text(CHAPTER_FILE_TEXT.replace(old, new), encoding="utf-8")
    (tmp_path / "pages").symlink_to(CHAPTER_DIR / "pages")
    with pytest.raises(ManifestError, match=error):
        load_chapter(manifest)


CHAPTER_DIR = LABS[0].package_dir.parent
CHAPTER_FILE_TEXT = (CHAPTER_DIR / "chapter.yaml").read_text(encoding="utf-8")
