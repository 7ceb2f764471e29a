"""The real X2 bank: it loads, it is big and broad enough, every section it cites exists,
and every answer that arithmetic can produce is produced here by arithmetic."""

from __future__ import annotations

import math
import subprocess
import sys
from collections import Counter

import pytest

from harness.chapter import load_chapter
from harness.learning.quiz import check_sections, page_headings

# Answers recomputed from the quantities in the question. Adding a numeric question to the
# bank means adding its computation here, or listing it in PAPER_FACTS with its source.
COMPUTED = {
    "patchify-tokens-224-16": (224 // 16) ** 2,
    "patchify-width-16": 16 * 16 * 3,
    "patchify-per-side": 224 // 16,
    "patchify-l14-224": (224 // 14) ** 2,
    "patchify-l14-336": (336 // 14) ** 2,
    "patchify-b32": (224 // 32) ** 2,
    "patchify-seq-with-cls": (224 // 16) ** 2 + 1,
    "patchify-lossless": (224 // 16) ** 2 * (16 * 16 * 3),
    "clip-negatives-per-image": 32_768 - 1,
    "clip-negative-entries": 8 * 8 - 8,
    "clip-initial-scale": round(1 / 0.07, 1),
    "clip-min-temperature": 1 / 100,
    "clip-chance-loss": round(math.log(256), 2),
    "whisper-window-samples": round(0.025 * 16_000),
    "whisper-hop-samples": round(0.010 * 16_000),
    "whisper-frames": 30 * 16_000 // 160,
    "whisper-positions": 30 * 16_000 // 160 // 2,
    "whisper-position-ms": 30_000 / (30 * 16_000 // 160 // 2),
    "whisper-positions-per-second": (30 * 16_000 // 160 // 2) / 30,
    "whisper-fft-bins": 400 // 2 + 1,
    "xattn-output-rows": 12,
    "xattn-score-entries": 12 * 64,
    "xattn-concat-cost": (576 + 100) ** 2,
    "fusion-late-encodes": 1_000 + 50,
    "fusion-flamingo-gate-value": math.tanh(0.0),
    "llava-linear-weights": 1024 * 4096,
    "llava-mlp-params": round(((1024 * 4096 + 4096) + (4096 * 4096 + 4096)) / 1e6, 1),
    "llava-instruct-reasoning": 158 - 58 - 23,
    "llava15-total-data": 558 + 665,
    "eval-mme-subtasks": 10 + 4,
    "eval-mme-max-perception": 10 * (100 + 100),
}

# Numbers that are facts from the papers, not arithmetic (see the page sections cited).
PAPER_FACTS = {
    "vit-b-width": "ViT paper, table 1",
    "vit-l-width": "ViT paper, table 1",
    "vit-l-layers": "ViT paper, table 1",
    "clip-pairs": "CLIP paper, section 2.2 (WIT)",
    "whisper-sample-rate": "Whisper paper, section 2.3",
    "whisper-mels": "Whisper paper, section 2.3",
    "whisper-hours": "Whisper paper, abstract",
    "fusion-flamingo-tokens": "Flamingo paper, Perceiver Resampler",
    "fusion-chameleon-tokens": "Chameleon paper, image tokenizer",
    "fusion-chameleon-codebook": "Chameleon paper, image tokenizer",
    "fusion-laion": "LAION-5B paper",
    "fusion-align": "ALIGN paper",
    "llava-llm-width": "LLaMA-7B hidden size",
    "llava-pretrain-pairs": "LLaVA paper, CC-595K",
    "llava15-pretrain-pairs": "LLaVA-1.5 paper, 558K",
    "llava-instruct-size": "LLaVA paper, LLaVA-Instruct-158K",
    "llava15-instruct-size": "LLaVA-1.5 paper, 665K mix",
    "eval-mmmu-size": "MMMU paper, 11.5K questions",
    "eval-mmmu-disciplines": "MMMU paper, 6 disciplines",
}


def test_the_bank_is_large_and_covers_every_outcome(bank):
    assert bank.id == load_chapter().quiz_id
    assert len(bank.questions) >= 60
    per_outcome = Counter(q.outcome for q in bank.questions)
    assert set(per_outcome) == set(bank.outcomes) and min(per_outcome.values()) >= 5
    assert set(Counter(q.kind for q in bank.questions)) == {"single", "multiple", "numeric", "text"}


def test_every_question_has_an_explanation_and_a_resolvable_section(bank):
    assert check_sections(bank, load_chapter()) == []


def test_check_sections_reports_a_missing_heading(tiny):
    from dataclasses import replace

    from harness.learning.quiz import Bank, Section

    q = replace(tiny.questions[0], section=Section("theory-00", "No such heading"))
    q2 = replace(tiny.questions[1], section=Section("theory-99", "x"))
    broken = Bank(tiny.id, tiny.title, tiny.outcomes, (q, q2), tiny.source)
    problems = check_sections(broken, load_chapter())
    assert (
        "has no '## No such heading'" in problems[0] and "unknown page 'theory-99'" in problems[1]
    )


@pytest.mark.parametrize("item_id", ["theory-00", "theory-03", "theory-04"])
def test_my_pages_are_written_and_end_with_a_spanish_summary(item_id):
    page = load_chapter().item(item_id).path
    headings = page_headings(page)
    assert len(headings) >= 5 and headings[-1] == "Resumen"
    assert "being written" not in page.read_text(encoding="utf-8")


def test_numeric_answers_are_computed_or_sourced(bank):
    numeric = {q.id: q for q in bank.questions if q.kind == "numeric"}
    assert set(numeric) == set(COMPUTED) | set(PAPER_FACTS), (
        "a numeric question needs a computation in COMPUTED or a source in PAPER_FACTS"
    )
    for qid, value in COMPUTED.items():
        q = numeric[qid]
        assert abs(q.value - value) <= q.tolerance + 1e-9, (
            f"{qid}: bank {q.value}, computed {value}"
        )


def test_choice_answers_restate_computed_facts(bank):
    halve = bank.question("patchify-halve-patch").correct[0]
    tokens_ratio = (224 // 8) ** 2 // (224 // 16) ** 2
    assert halve == f"Tokens ×{tokens_ratio}, score matrix ×{tokens_ratio**2}"
    visual = bank.question("llava-visual-tokens-context").correct[0]
    assert visual.startswith(f"{(336 // 14) ** 2} instead of {(224 // 14) ** 2}")


def test_the_quiz_engine_does_not_import_textual():
    code = "import sys, harness.learning.quiz; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
