"""The quiz engine: question banks, validation, seeded stratified sampling, scoring, statistics.

No screen code lives here; `harness quiz` (harness/cli/quiz.py) and the TUI are both thin
clients over this module.

API
---
`load_bank(path) -> Bank`
    Read a YAML bank (`quizzes/X2.yaml`) into frozen dataclasses. Any problem raises
    `harness.chapter.ManifestError` naming the file, the question and the field.
`check_sections(bank, chapter) -> list[str]`
    Every question names the page section that teaches it (`theory-03` + a `##` heading);
    returns one line per reference that does not resolve (empty when all do).
`Attempt.start(store, learner, bank, *, seed, n=DEFAULT_N, pass_mark=None, practice=False)`
    Draws `n` questions, every learning outcome represented, questions and choices
    shuffled deterministically by `seed`, numeric items with a generator asked with numbers
    drawn from `seed` (harness.learning.variants), and records the attempt and what it drew
    (with the variants' parameters) in the store. `pass_mark` defaults to the chapter's.
    `practice=True` (the learner chose the seed, or asked for a short quiz) records an attempt
    that never counts toward the Definition of Done.
`attempt.questions`  -> tuple[Presented]: `.position` (0-based), `.question` (a `Question`:
    id, outcome, kind, prompt, explanation, section, expected), `.choices` (the shuffled
    order to show, numbered from 1 on screen) and `.hint` (how to type an answer).
`attempt.answer(i, raw_text) -> Feedback`
    Grades and stores the answer to question `i` (0-based). Invalid input (empty, not a
    number, a choice out of range, a question already answered, a closed attempt) raises
    `AnswerError` with a message meant for the learner; nothing is stored or scored, so the
    caller simply asks again. `Feedback`: correct, given, expected, explanation, section.
`attempt.finish() -> Result`   score = correct / n (unanswered count as wrong); passed when
    score >= pass_mark. `attempt.abandon()` closes it as abandoned (no score) and keeps its
    answers; call it on Ctrl-C or when the screen is closed mid-quiz.
`attempt.review() -> list[Missed]`   each missed (and, once finished, unanswered) question,
    what was given, the expected answer, the explanation and the `Section` to reread
    (`chapter.item(section.item).path` is the page; `section.heading` its `##` heading).
`draw(bank, seed, n)` and `check_size(bank, n)` are the sampling underneath `start`;
`parse_number` and `normalise_text` the input rules, should a screen want to pre-validate.
`question_stats(store, bank) -> list[QuestionStats]`
    Per question, over finished attempts: difficulty (proportion correct) and discrimination
    (point-biserial correlation with the rest of the attempt's score), or None with the count
    when fewer than `MIN_ANSWERS` finished attempts answered it.
"""

from __future__ import annotations

import json
import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.chapter import Chapter, load_chapter
from harness.learning.variants import make_variant
from harness.store import Store
from harness.yamlfile import Reader, read_yaml

KINDS = ("single", "multiple", "numeric", "text")
DEFAULT_N = 20
MIN_ANSWERS = 5  # finished attempts answering a question before its statistics mean anything
PASS_EPSILON = 1e-9  # 16/20 must pass an 0.80 bar whatever the float rounding

_TOP_KEYS = {"id", "title", "outcomes", "questions"}
_COMMON = {"id", "outcome", "kind", "prompt", "explanation", "section"}
_KIND_KEYS = {
    "single": {"choices", "answer"},
    "multiple": {"choices", "answer"},
    "numeric": {"answer", "tolerance", "unit", "generator"},
    "text": {"accept"},
}
_OPTIONAL = {"tolerance", "unit", "generator"}


class AnswerError(ValueError):
    """The learner's input cannot be graded; the message says what to type instead."""


# --- the bank -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """Where a question is taught: a read-order item and a `##` heading of its page."""

    item: str
    heading: str

    def __str__(self) -> str:
        return f"{self.item} § {self.heading}"


@dataclass(frozen=True)
class Question:
    id: str
    outcome: str
    kind: str  # one of KINDS
    prompt: str
    explanation: str
    section: Section
    choices: tuple[str, ...] = ()  # single / multiple, in authored order
    correct: tuple[str, ...] = ()  # single / multiple: the correct choice texts
    value: float | None = None  # numeric
    tolerance: float = 0.0  # numeric, absolute
    unit: str = ""  # numeric, shown in the prompt
    accept: tuple[str, ...] = ()  # text: accepted forms, as authored
    generator: str | None = None  # numeric: draws variants (harness.learning.variants)

    @property
    def expected(self) -> str:
        """The correct answer as a learner should read it."""
        if self.kind in ("single", "multiple"):
            return "; ".join(self.correct)
        if self.kind == "numeric":
            shown = _format_number(self.value)
            return f"{shown} {self.unit}".strip()
        return self.accept[0]


@dataclass(frozen=True)
class Bank:
    id: str
    title: str
    outcomes: dict[str, str]  # outcome id -> what the learner can do
    questions: tuple[Question, ...]
    source: Path

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(f"no question '{question_id}' in {self.source.name}")


def load_bank(path: Path | str) -> Bank:
    """Load and validate a question bank; raise ManifestError naming what is wrong."""
    path = Path(path)
    r = Reader(path)
    raw = read_yaml(path, "question bank")
    top = r.mapping(raw, "top level", _TOP_KEYS, _TOP_KEYS)
    if not isinstance(top["outcomes"], dict) or not top["outcomes"]:
        raise r.fail("outcomes", "expected a mapping of outcome id -> description")
    outcomes = {str(k): r.text(v, f"outcomes.{k}") for k, v in top["outcomes"].items()}
    if not isinstance(top["questions"], list) or not top["questions"]:
        raise r.fail("questions", "expected a non-empty list")

    questions: list[Question] = []
    seen: set[str] = set()
    for i, raw_q in enumerate(top["questions"]):
        q = _load_question(r, i, raw_q, outcomes)
        if q.id in seen:
            raise r.fail(f"question '{q.id}'", "duplicate id")
        seen.add(q.id)
        questions.append(q)
    unused = [o for o in outcomes if not any(q.outcome == o for q in questions)]
    if unused:
        raise r.fail("outcomes", f"no question tests {', '.join(unused)}")
    return Bank(
        r.text(top["id"], "id"), r.text(top["title"], "title"), outcomes, tuple(questions), path
    )


def _load_question(r: Reader, i: int, raw: Any, outcomes: dict[str, str]) -> Question:
    where = f"questions[{i}]"
    if not isinstance(raw, dict):
        raise r.fail(where, f"expected a mapping, got {type(raw).__name__}")
    if isinstance(raw.get("id"), str) and raw["id"].strip():
        where = f"question '{raw['id'].strip()}'"
    kind = raw.get("kind")
    if kind not in KINDS:
        raise r.fail(f"{where} field 'kind'", f"expected one of {', '.join(KINDS)}, got {kind!r}")
    allowed = _COMMON | _KIND_KEYS[kind]
    raw = r.mapping(raw, where, allowed, allowed - _OPTIONAL)
    qid = r.text(raw["id"], f"{where} field 'id'")
    outcome = r.text(raw["outcome"], f"{where} field 'outcome'")
    if outcome not in outcomes:
        raise r.fail(
            f"{where} field 'outcome'", f"unknown outcome '{outcome}'; known: {', '.join(outcomes)}"
        )
    sec = r.mapping(
        raw["section"], f"{where} field 'section'", {"item", "heading"}, {"item", "heading"}
    )
    common = dict(
        id=qid,
        outcome=outcome,
        kind=kind,
        prompt=r.text(raw["prompt"], f"{where} field 'prompt'"),
        explanation=r.text(raw["explanation"], f"{where} field 'explanation'"),
        section=Section(
            r.text(sec["item"], f"{where} field 'section.item'"),
            r.text(sec["heading"], f"{where} field 'section.heading'"),
        ),
    )
    if kind in ("single", "multiple"):
        choices = r.texts(raw["choices"], f"{where} field 'choices'")
        if len(choices) < 2:
            raise r.fail(f"{where} field 'choices'", "expected at least 2 choices")
        answer = raw["answer"]
        if kind == "single":
            correct = (r.text(answer, f"{where} field 'answer'"),)
        else:
            correct = r.texts(answer, f"{where} field 'answer'")
        for c in correct:
            if c not in choices:
                raise r.fail(
                    f"{where} field 'answer'", f"{c!r} is not one of the choices; copy it exactly"
                )
        return Question(**common, choices=choices, correct=correct)
    if kind == "numeric":
        tolerance = r.number(raw.get("tolerance", 0), f"{where} field 'tolerance'")
        if tolerance < 0:
            raise r.fail(f"{where} field 'tolerance'", f"expected >= 0, got {tolerance!r}")
        unit = raw.get("unit", "")
        if not isinstance(unit, str):
            raise r.fail(f"{where} field 'unit'", f"expected text, got {unit!r}")
        generator = raw.get("generator")
        if generator is not None:
            generator = r.text(generator, f"{where} field 'generator'")
        return Question(
            **common,
            value=r.number(raw["answer"], f"{where} field 'answer'"),
            tolerance=tolerance,
            unit=unit.strip(),
            generator=generator,
        )
    accept = r.texts(raw["accept"], f"{where} field 'accept'")
    for form in accept:
        if not normalise_text(form):
            raise r.fail(f"{where} field 'accept'", f"{form!r} is only punctuation")
    return Question(**common, accept=accept)


def page_headings(page: Path) -> list[str]:
    """The `##` headings of a Markdown page, in order (fenced code blocks skipped)."""
    headings, fenced = [], False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("## "):
            headings.append(line[3:].strip())
    return headings


def check_sections(bank: Bank, chapter: Chapter) -> list[str]:
    """One line per question whose page section does not exist; empty when all resolve."""
    problems, cache = [], {}
    known = {item.id: item for item in chapter.items}
    for q in bank.questions:
        item = known.get(q.section.item)
        if item is None:
            problems.append(f"question '{q.id}': unknown page '{q.section.item}'")
            continue
        if item.id not in cache:
            cache[item.id] = page_headings(item.path)
        if q.section.heading not in cache[item.id]:
            problems.append(f"question '{q.id}': {item.path.name} has no '## {q.section.heading}'")
    return problems


# --- parsing what the learner typed --------------------------------------------------------

_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?", re.ASCII)
_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def parse_number(raw: str) -> float:
    """'1500', '1,500', '1.5e3', ' -0.25 ' -> float; anything else raises AnswerError.

    A comma is read only as a thousands separator ('1,500'); '1,5' is refused rather than
    guessed, because it means 1.5 in half the world and 15 nowhere.
    """
    text = raw.strip()
    if not text:
        raise AnswerError("type a number, e.g. 1500, 1,500 or 1.5e3")
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    elif "," in text:
        raise AnswerError(
            f"{raw.strip()!r}: use a point for decimals (1.5) and commas only "
            "between groups of three digits (1,500)"
        )
    if not _PLAIN.fullmatch(text):
        raise AnswerError(f"{raw.strip()!r} is not a number; type e.g. 1500, 1,500 or 1.5e3")
    value = float(text)
    if not math.isfinite(value):
        raise AnswerError(f"{raw.strip()!r} is too large; type a finite number")
    return value


def normalise_text(raw: str) -> str:
    """Case, spacing and punctuation do not matter: ' Cross-Attention. ' -> 'cross attention'."""
    text = unicodedata.normalize("NFKC", raw).casefold()
    kept = "".join(" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in text)
    return " ".join(kept.split())


def _format_number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


def _parse_choices(raw: str, n_choices: int, many: bool) -> list[int]:
    """'2' or '1, 3' -> zero-based indices; AnswerError for anything out of 1..n_choices."""
    parts = [p for p in re.split(r"[\s,;]+", raw.strip()) if p]
    if not parts:
        raise AnswerError(
            f"type the number of a choice (1-{n_choices})"
            + (", or several separated by commas" if many else "")
        )
    if not many and len(parts) > 1:
        raise AnswerError(f"pick one choice (1-{n_choices}), not {len(parts)}")
    picked = []
    for part in parts:
        if not part.isascii() or not part.isdigit() or len(part) > 6:
            raise AnswerError(f"{part!r} is not a choice; type a number from 1 to {n_choices}")
        number = int(part)
        if not 1 <= number <= n_choices:
            raise AnswerError(f"there is no choice {number}; type a number from 1 to {n_choices}")
        if number - 1 not in picked:
            picked.append(number - 1)
    return sorted(picked)


# --- an attempt ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Presented:
    """A question as this attempt shows it: its position and its shuffled choices."""

    position: int
    question: Question  # a numeric question with a generator is asked as a drawn variant
    choices: tuple[str, ...] = ()
    params: dict | None = None  # the variant's parameters, None for an authored question

    @property
    def hint(self) -> str:
        q = self.question
        if q.kind == "single":
            return f"one choice, 1-{len(self.choices)}"
        if q.kind == "multiple":
            return f"all that apply, e.g. 1,3; choices 1-{len(self.choices)}"
        if q.kind == "numeric":
            return "a number" + (f" in {q.unit}" if q.unit else "")
        return "a word or short phrase"

    def grade(self, raw: str) -> tuple[str, bool]:
        """(the answer as stored, whether it is correct); AnswerError if it cannot be graded.

        Stored forms do not depend on the shuffle: the chosen choice text (single), a JSON
        list of choice texts (multiple), repr of the float (numeric), the stripped text.
        """
        if not isinstance(raw, str):
            raise AnswerError(f"expected text, got {type(raw).__name__}")
        q = self.question
        if q.kind in ("single", "multiple"):
            picked = _parse_choices(raw, len(self.choices), q.kind == "multiple")
            chosen = [self.choices[i] for i in picked]
            stored = chosen[0] if q.kind == "single" else json.dumps(chosen, ensure_ascii=False)
            return stored, set(chosen) == set(q.correct)
        if q.kind == "numeric":
            value = parse_number(raw)
            # A relative slack of 1e-9 absorbs float noise ('1.5e3' vs 1500) without widening
            # a tolerance of 0 into anything a learner could exploit.
            slack = q.tolerance + 1e-9 * max(1.0, abs(q.value))
            return repr(value), abs(value - q.value) <= slack
        typed = normalise_text(raw)
        if not typed:
            raise AnswerError("type a word or short phrase")
        return raw.strip(), typed in {normalise_text(a) for a in q.accept}


def shown_answer(question: Question, stored: str) -> str:
    """A stored answer as a learner should read it ('4,194,304', 'Whisper; LLaVA')."""
    if question.kind == "multiple":
        return "; ".join(json.loads(stored))
    if question.kind == "numeric":
        return _format_number(float(stored))
    return stored


@dataclass(frozen=True)
class Feedback:
    position: int
    correct: bool
    given: str  # as the learner should read it (see shown_answer)
    expected: str
    explanation: str
    section: Section


@dataclass(frozen=True)
class Result:
    attempt_id: int
    correct: int
    total: int
    score: float
    passed: bool
    pass_mark: float


@dataclass(frozen=True)
class Missed:
    position: int
    question: Question
    given: str | None  # None when the question was left unanswered
    expected: str
    explanation: str
    section: Section


def check_size(bank: Bank, n: int) -> None:
    """Raise ValueError unless n questions can cover every outcome without repeats."""
    if not len(bank.outcomes) <= n <= len(bank.questions):
        raise ValueError(
            f"a quiz from {bank.id} needs between {len(bank.outcomes)} questions (one per "
            f"outcome) and {len(bank.questions)} (the whole bank), got {n}; pass e.g. -n 20"
        )


def draw(bank: Bank, seed: int, n: int) -> tuple[Presented, ...]:
    """A deterministic, stratified sample: round-robin over outcomes, then shuffled.

    Each outcome gets n // k or n // k + 1 questions (k outcomes), unless its pool runs out,
    in which case the others fill in. Numeric questions with a generator get numbers drawn
    from the seed too. The same (bank, seed, n) always gives the same quiz.
    """
    check_size(bank, n)
    outcomes = list(bank.outcomes)
    rng = random.Random(seed)
    pools = {o: [q for q in bank.questions if q.outcome == o] for o in outcomes}
    for pool in pools.values():
        rng.shuffle(pool)
    rng.shuffle(outcomes)
    picked: list[Question] = []
    while len(picked) < n:
        for o in outcomes:
            if pools[o] and len(picked) < n:
                picked.append(pools[o].pop())
    rng.shuffle(picked)
    presented = []
    for position, q in enumerate(picked):
        choices = list(q.choices)
        rng.shuffle(choices)
        asked, params = make_variant(q, seed)
        presented.append(Presented(position, asked, tuple(choices), params))
    return tuple(presented)


@dataclass
class Attempt:
    """One learner's run through a drawn quiz; every answer is stored as it is given."""

    store: Store
    attempt_id: int
    learner: str
    bank: Bank
    seed: int
    questions: tuple[Presented, ...]
    pass_mark: float
    status: str = "in_progress"
    feedback: dict[int, Feedback] = field(default_factory=dict)
    practice: bool = False

    @classmethod
    def start(
        cls,
        store: Store,
        learner: str,
        bank: Bank,
        *,
        seed: int,
        n: int = DEFAULT_N,
        pass_mark: float | None = None,
        practice: bool = False,
    ) -> Attempt:
        """`practice=True` when the learner chose the seed: such an attempt can be replayed
        after reading its answers, so it never counts toward the Definition of Done."""
        if pass_mark is None:
            pass_mark = load_chapter().pass_mark
        questions = draw(bank, seed, n)
        attempt_id = store.start_quiz_attempt(
            learner, bank.id, seed, len(questions), practice=practice
        )
        store.record_quiz_drawn(
            attempt_id,
            [(p.position, p.question.id, _generator_name(p), p.params) for p in questions],
        )
        return cls(
            store,
            attempt_id,
            learner,
            bank,
            seed,
            questions,
            float(pass_mark),
            practice=practice,
        )

    @property
    def unanswered(self) -> list[int]:
        return [p.position for p in self.questions if p.position not in self.feedback]

    def answer(self, position: int, raw: str) -> Feedback:
        if self.status != "in_progress":
            raise AnswerError(f"this attempt is {self.status}; start a new one")
        if not isinstance(position, int) or not 0 <= position < len(self.questions):
            raise AnswerError(
                f"there is no question {position}; this attempt has 0-{len(self.questions) - 1}"
            )
        if position in self.feedback:
            raise AnswerError(f"question {position + 1} is already answered")
        presented = self.questions[position]
        stored, correct = presented.grade(raw)
        q = presented.question
        self.store.record_quiz_answer(self.attempt_id, q.id, position, stored, correct)
        fb = Feedback(
            position, correct, shown_answer(q, stored), q.expected, q.explanation, q.section
        )
        self.feedback[position] = fb
        return fb

    @property
    def correct_count(self) -> int:
        return sum(fb.correct for fb in self.feedback.values())

    def finish(self) -> Result:
        if self.status != "in_progress":
            raise ValueError(f"quiz attempt {self.attempt_id} is already {self.status}")
        total = len(self.questions)
        score = self.correct_count / total
        passed = score >= self.pass_mark - PASS_EPSILON
        self.store.finish_quiz_attempt(self.attempt_id, score, passed)
        self.status = "finished"
        return Result(self.attempt_id, self.correct_count, total, score, passed, self.pass_mark)

    def abandon(self) -> None:
        """Close the attempt without a score; the answers given so far stay stored."""
        if self.status != "in_progress":
            return
        self.store.finish_quiz_attempt(self.attempt_id, None, None, status="abandoned")
        self.status = "abandoned"

    def review(self) -> list[Missed]:
        """Each missed question (and, once finished, each unanswered one), in quiz order."""
        missed = []
        for p in self.questions:
            fb = self.feedback.get(p.position)
            if fb is None and self.status != "finished":
                continue
            if fb is not None and fb.correct:
                continue
            q = p.question
            missed.append(
                Missed(
                    p.position, q, fb.given if fb else None, q.expected, q.explanation, q.section
                )
            )
        return missed


def _generator_name(p: Presented) -> str | None:
    return None if p.params is None else (p.question.generator or p.question.id)


# --- statistics for mentors -----------------------------------------------------------------


@dataclass(frozen=True)
class QuestionStats:
    question_id: str
    outcome: str
    answered: int  # finished attempts that answered this question
    difficulty: float | None  # proportion correct; None below MIN_ANSWERS
    discrimination: float | None  # point-biserial with the rest score; None if undefined
    note: str = ""


def question_stats(store: Store, bank: Bank) -> list[QuestionStats]:
    """Classical item statistics over every finished attempt at this bank.

    Discrimination is the corrected point-biserial: the correlation between getting this
    question right and the proportion right on the *other* questions of the same attempt
    (leaving the item out keeps it from correlating with itself). It is None when everyone
    got the question right, or wrong, or every attempt scored the same on the rest.
    """
    per_question: dict[str, list[tuple[int, float]]] = {q.id: [] for q in bank.questions}
    for attempt in store.quiz_attempts(quiz_id=bank.id):
        if attempt["status"] != "finished":
            continue
        answers = store.quiz_answers(attempt["id"])
        total_right = sum(a["correct"] for a in answers)
        others = max(attempt["n_questions"] - 1, 1)
        for a in answers:
            if a["question_id"] in per_question:
                rest = (total_right - a["correct"]) / others
                per_question[a["question_id"]].append((a["correct"], rest))
    stats = []
    for q in bank.questions:
        rows = per_question[q.id]
        if len(rows) < MIN_ANSWERS:
            stats.append(
                QuestionStats(
                    q.id,
                    q.outcome,
                    len(rows),
                    None,
                    None,
                    f"{len(rows)} of {MIN_ANSWERS} answers needed",
                )
            )
            continue
        p = sum(c for c, _ in rows) / len(rows)
        r, note = _point_biserial(rows)
        stats.append(QuestionStats(q.id, q.outcome, len(rows), p, r, note))
    return stats


def _point_biserial(rows: list[tuple[int, float]]) -> tuple[float | None, str]:
    n = len(rows)
    p = sum(c for c, _ in rows) / n
    if p in (0.0, 1.0):
        return None, "everyone answered alike"
    mean = sum(s for _, s in rows) / n
    sd = math.sqrt(sum((s - mean) ** 2 for _, s in rows) / n)
    if sd == 0:
        return None, "every attempt scored the same on the rest"
    right = [s for c, s in rows if c]
    wrong = [s for c, s in rows if not c]
    m1, m0 = sum(right) / len(right), sum(wrong) / len(wrong)
    return (m1 - m0) / sd * math.sqrt(p * (1 - p)), ""
