"""The task surface: starter mirrors the reference; nothing heavy is imported at start-up."""

import ast
import inspect
import subprocess
import sys
from pathlib import Path

from labs.x2_multimodal.lab02 import whisper_lab

LAB = Path(whisper_lab.__file__).resolve().parent
STARTER = LAB / "starter" / "whisper_lab.py"
TASK_FUNCTIONS = {
    "frames": ["frame_arithmetic"],
    "log_mel": ["mel_filters", "log_mel_spectrogram"],
    "cross_attention": ["alignment_matrix", "dtw_path"],
    "timestamps": ["timestamp_mass", "segments_from_tokens"],
}


def _starter_functions() -> dict[str, ast.FunctionDef]:
    tree = ast.parse(STARTER.read_text(encoding="utf-8"))
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_starter_has_the_reference_signatures():
    starter = _starter_functions()
    for name in whisper_lab.__all__:
        assert name in starter, f"starter lacks {name}"
        ref_params = list(inspect.signature(getattr(whisper_lab, name)).parameters)
        assert [a.arg for a in starter[name].args.args] == ref_params, name


def test_every_task_stub_raises_and_names_its_task():
    starter = _starter_functions()
    source = STARTER.read_text(encoding="utf-8")
    for task, names in TASK_FUNCTIONS.items():
        for name in names:
            body = ast.get_source_segment(source, starter[name])
            assert f"TODO(lab-02, task {task})" in body, name
            assert body.rstrip().endswith("raise NotImplementedError"), name
            assert ast.get_docstring(starter[name]), name


def test_chapter_lists_these_tasks():
    from harness.chapter import load_chapter

    lab = load_chapter().lab("lab-02")
    assert {t.id for t in lab.tasks} == set(TASK_FUNCTIONS)
    assert lab.entry == "whisper_lab"


def test_importing_the_lab_pulls_in_neither_torch_nor_transformers():
    code = (
        "import sys; import labs.x2_multimodal.lab02.whisper_lab, "
        "labs.x2_multimodal.lab02.experiment, labs.x2_multimodal.lab02.decoding, "
        "labs.x2_multimodal.lab02.alignment; "
        "print(sorted(m for m in ('torch', 'transformers', 'textual') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=LAB.parents[2], check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
