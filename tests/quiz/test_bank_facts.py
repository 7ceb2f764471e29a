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
    "eval-mmmu-size": 150 + 900 + 10_500,  # dev + validation + test, the paper's "11.5K"
    "vit-registers-positions": (224 // 14) ** 2 + 1 + 4,
    "whisper-mel-steps": round(27 * math.log(2000 / 1000) / math.log(6.4), 1),
    "whisper-learned-params": 37_760_256 - 1_500 * 384,
    "whisper-prompt-cap": 448 // 2 - 1,
    "whisper-wav2vec-codes": 320 * 320,
    "xattn-perceiver-cost": 224 * 224 * 512,
    "fusion-codec-bitrate": 75 * 8 * int(math.log2(1024)),
    "llava-anyres-tokens": (2 * 2 + 1) * (336 // 14) ** 2,
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


# --- a bank without tells (issue 16, part 4) ------------------------------------------------


def _singles(bank):
    return [q for q in bank.questions if q.kind == "single"]


def test_the_key_is_not_predicted_by_its_length(bank):
    singles = _singles(bank)
    assert len(singles) >= 60
    longest = [q.id for q in singles if len(q.correct[0]) == max(map(len, q.choices))]
    shortest = [q.id for q in singles if len(q.correct[0]) == min(map(len, q.choices))]
    # "pick the longest" must not pass, and neither must its mirror image
    assert len(longest) <= 0.35 * len(singles), longest
    assert len(longest) >= 0.10 * len(singles), "the key is almost never the longest: a tell"
    assert len(shortest) <= 0.35 * len(singles), shortest


def test_keys_spread_evenly_over_positions_after_the_engines_shuffle(bank):
    from harness.learning.quiz import draw

    seeds = range(200)
    per_position: Counter[int] = Counter()
    per_item: dict[str, Counter[int]] = {}
    for seed in seeds:
        for presented in draw(bank, seed, len(bank.questions)):
            q = presented.question
            if q.kind != "single" or len(presented.choices) != 4:
                continue
            where = presented.choices.index(q.correct[0])
            per_position[where] += 1
            per_item.setdefault(q.id, Counter())[where] += 1
    total = sum(per_position.values())
    for position in range(4):
        assert abs(per_position[position] / total - 0.25) < 0.0125, per_position
    for qid, counts in per_item.items():
        assert max(counts.values()) <= 0.40 * len(seeds), (qid, counts)


def test_authored_keys_are_not_all_in_one_place(bank):
    # should the shuffle ever be lost, the authored order must not give the key away either
    positions = Counter(q.choices.index(q.correct[0]) for q in _singles(bank))
    assert max(positions.values()) <= 0.40 * len(_singles(bank)), positions


# distractors taken from the mistakes learners actually make (the labs' mistake catalogue)
MISCONCEPTIONS = {
    "xattn-mask-after-softmax": "padded keys get zero weight, so the outputs are identical",
    "xattn-softmax-shift": "To sharpen the distribution",
    "clip-one-direction": "both halves have the same gradient",
    "whisper-hann": "At both ends",
    "whisper-mel-shape": "100 → 200 Hz and 1 → 2 kHz are equal steps",
    "whisper-wav2vec-finetune": "Only the new output layer",
    "whisper-en-prompt": "<|startoftranscript|> <|en|> <|transcribe|> <|notimestamps|>",
    "llava-clip-features": "CLIP's joint image embedding",
    "whisper-longform-seek": "Exactly 30 s after the previous start",
}


@pytest.mark.parametrize("qid,wrong", sorted(MISCONCEPTIONS.items()))
def test_misconceptions_are_offered_as_distractors(bank, qid, wrong):
    q = bank.question(qid)
    offered = [c for c in q.choices if wrong in c]
    assert offered and not set(offered) & set(q.correct), (qid, q.choices)


# --- every gap of issue 17 is taught and asked ------------------------------------------------

GAPS = {
    "long-form guards": [
        "whisper-longform-seek",
        "whisper-longform-fallback",
        "whisper-prompt-cap",
    ],
    "DeiT": ["vit-deit"],
    "CLIP features in LLaVA": ["llava-clip-features"],
    "Perceiver bottleneck": ["fusion-perceiver-idea", "xattn-perceiver-cost"],
    "Q-Former stages": ["fusion-qformer-stages"],
    "wav2vec 2.0 quantiser and masking": ["whisper-wav2vec-codes", "whisper-wav2vec-masking"],
    "evaluation caveats": ["eval-llm-judge", "eval-pope", "eval-blind-answer", "eval-mmmu-pro"],
    "AnyRes": ["llava-anyres-tokens"],
    "register tokens": ["vit-registers", "vit-registers-positions"],
    "audio LLMs and codecs": ["llava-audio-llm", "fusion-audio-tokens", "fusion-codec-bitrate"],
    "fusion terminology": ["fusion-chameleon-terms"],
}


@pytest.mark.parametrize("gap", sorted(GAPS))
def test_each_gap_has_a_quiz_item_pointing_at_its_paragraph(bank, gap):
    for qid in GAPS[gap]:
        q = bank.question(qid)
        assert q.explanation and q.section.heading in page_headings(
            load_chapter().item(q.section.item).path
        )


def test_the_resampler_is_not_the_perceiver():
    from harness.learning.quiz import load_bank
    from harness.paths import QUIZZES_DIR

    q = load_bank(QUIZZES_DIR / "X2.yaml").question("fusion-resampler-name")
    assert "Perceiver" not in q.accept and "Perceiver Resampler" in q.accept
