"""Spaced review: what a learner missed comes back, scheduled by FSRS.

Every missed quiz question (including one left unanswered in a finished attempt) and every lab
task whose checks did not all pass becomes a card in the learner's queue, scheduled by the
`fsrs` package with its default parameters (FSRS-6): a miss is rated Again, so it is due again
within minutes; a right answer when the card is due is rated Good and pushes it out by days.
Practice quizzes feed the queue too: a miss is a miss.

`harness review` and the TUI's review screen present the due cards, at most `DAILY_CAP` a day:
a question card is asked as a fresh variant where the item has a generator; a task card comes
back as a question on the task's learning outcome (preferring the lab page's own questions),
with the command that re-runs the task's checks. Reviews are stored in `review_log` and as
`review.answered` events; they count toward mastery and never toward the quiz's DoD item.

API
---
`sync(store, chapter, learner, now=None) -> int`   read new quiz answers and check results
    into the queue (idempotent; returns how many cards changed).
`queue(store, chapter, bank, learner, now=None, cap=DAILY_CAP) -> Queue`   syncs, then the due
    cards for today with the question to ask for each.
`answer(store, learner, item, raw, now=None) -> Reviewed`   grade (AnswerError for input that
    cannot be graded), reschedule, record.
`due_line(queue) -> str`   one gentle sentence for home screens and the CLI.
`cohort_due(store, now=None, cap=DAILY_CAP) -> {learner: (due, ready today)}`   for mentors.
"""

from __future__ import annotations

import random
import secrets
import zlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

import fsrs

from harness.chapter import Chapter
from harness.learning.quiz import Bank, Presented, Question, Section, load_bank, shown_answer
from harness.learning.variants import make_variant
from harness.store import Store

DAILY_CAP = 20
SCHEDULER = fsrs.Scheduler()  # default FSRS-6 parameters, desired retention 0.9


def _utc(at: str | datetime | None) -> datetime:
    if at is None:
        return datetime.now(timezone.utc)
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def start_of_day(now: datetime) -> datetime:
    """Local midnight of `now`'s day: the daily cap resets when the learner's day does."""
    local = now.astimezone()
    return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)


# --- the queue: cards from misses ----------------------------------------------------------


def _new_card(key: str, kind: str, ref: str, outcome: str | None, at: datetime) -> dict:
    # An explicit id: fsrs would otherwise derive one from the clock and sleep 1 ms per card.
    card = fsrs.Card(card_id=zlib.crc32(key.encode()), due=at)
    return {"card": key, "kind": kind, "ref": ref, "outcome": outcome, "obj": card}


def _rate(entry: dict, rating: fsrs.Rating, at: datetime) -> None:
    card, _ = SCHEDULER.review_card(entry["obj"], rating, at)
    entry["obj"] = card


def _row(entry: dict) -> dict:
    card = entry["obj"]
    return {
        "card": entry["card"],
        "kind": entry["kind"],
        "ref": entry["ref"],
        "outcome": entry["outcome"],
        "fsrs": card.to_json(),
        "due": _iso(card.due),
        "created_at": entry.get("created_at"),
    }


def _load(row: dict) -> dict:
    return {**row, "obj": fsrs.Card.from_json(row["fsrs"])}


def task_outcomes(chapter: Chapter) -> dict[str, str | None]:
    return {f"{lab.id}/{t.id}": t.outcome for lab in chapter.labs for t in lab.tasks}


def sync(
    store: Store,
    chapter: Chapter,
    learner: str,
    *,
    bank: Bank | None = None,
    now: str | datetime | None = None,
) -> int:
    """Bring the learner's queue up to date with their quiz answers and check results, and
    count what they add to mastery (harness.learning.mastery reads those counts)."""
    answers, tasks, marks = store.review_pending(learner)
    if not answers and not tasks:
        return 0
    bank = bank or load_bank(chapter.quiz_bank)
    outcomes = {q.id: q.outcome for q in bank.questions}
    by_task = task_outcomes(chapter)
    evidence = _evidence(answers, tasks, outcomes, by_task)
    cards = {r["card"]: _load(r) for r in store.review_cards(learner)}
    events = [
        (a["at"], "question", a["question_id"], bool(a["correct"]), _source(a)) for a in answers
    ] + [
        (t["at"], "task", f"{t['lab_id']}/{t['task']}", bool(t["passed"]), f"check:{t['run_id']}")
        for t in tasks
    ]
    events.sort(key=lambda e: e[0])
    changed: dict[str, dict] = {}
    log = []
    for at_text, kind, ref, correct, source in events:
        at = _utc(at_text)
        key = f"{kind}:{ref}"
        entry = cards.get(key)
        if correct and (entry is None or entry["obj"].due > at):
            continue  # nothing to learn again, or not due yet: leave the schedule alone
        if entry is None:
            outcome = outcomes.get(ref) if kind == "question" else by_task.get(ref)
            entry = cards[key] = _new_card(key, kind, ref, outcome, at)
            entry["created_at"] = _iso(at)
        rating = fsrs.Rating.Good if correct else fsrs.Rating.Again
        _rate(entry, rating, at)
        changed[key] = entry
        log.append(
            {
                "card": key,
                "source": source,
                "outcome": entry["outcome"],
                "question_id": ref if kind == "question" else None,
                "correct": correct,
                "rating": int(rating),
                "at": _iso(at),
            }
        )
    store.apply_review_sync(learner, [_row(e) for e in changed.values()], log, marks, evidence)
    return len(changed)


def _source(answer: dict) -> str:
    if answer.get("unanswered"):
        return f"unanswered:{answer['attempt_id']}:{answer['position']}"
    return f"quiz:{answer['id']}"


def _evidence(answers, tasks, outcomes, by_task) -> list[dict]:
    """Mastery counts from newly read records: answers in the first attempt at each seed
    (added), and each task's latest result (replacing the one before)."""
    quiz: dict[str, list[int]] = {}
    for a in answers:
        outcome = outcomes.get(a["question_id"])
        if a.get("unanswered") or not a.get("first") or outcome is None:
            continue
        cell = quiz.setdefault(outcome, [0, 0])
        cell[0] += int(a["correct"])
        cell[1] += 1
    rows = [
        {"source": "quiz", "key": o, "outcome": o, "successes": s, "trials": n}
        for o, (s, n) in quiz.items()
    ]
    latest = {}
    for t in tasks:  # oldest run first: the last one wins
        ref = f"{t['lab_id']}/{t['task']}"
        if by_task.get(ref):
            latest[ref] = int(t["passed"])
    rows += [
        {
            "source": "task",
            "key": ref,
            "outcome": by_task[ref],
            "successes": passed,
            "trials": 1,
            "replace": True,
        }
        for ref, passed in latest.items()
    ]
    return rows


# --- presenting and answering ---------------------------------------------------------------


@dataclass(frozen=True)
class ReviewItem:
    card: dict  # the stored card row
    presented: Presented  # the question to ask now (a fresh variant where there is one)
    context: str  # why it is back: the missed question, or the failed task and how to re-check


@dataclass(frozen=True)
class Queue:
    learner: str
    due: int  # cards due now
    reviewed_today: int
    cap: int
    items: tuple[ReviewItem, ...]  # what to do now: at most cap - reviewed_today
    next_due: str | None  # the earliest later due time, when nothing is due


def _question_for_task(bank: Bank, chapter: Chapter, ref: str, turn: int) -> Question | None:
    lab_id, task_id = ref.split("/", 1)
    outcome = task_outcomes(chapter).get(ref)
    pool = [q for q in bank.questions if q.outcome == outcome]
    if not pool:
        return None
    # The lab page's own questions first, then those with fresh numbers, then the rest.
    pool.sort(key=lambda q: (q.section.item != lab_id, make_variant(q, 0)[1] is None, q.id))
    return pool[turn % len(pool)]


def _present(question: Question, rng: random.Random) -> Presented:
    asked, params = make_variant(question, rng.getrandbits(31))
    choices = list(question.choices)
    rng.shuffle(choices)
    return Presented(0, asked, tuple(choices), params)


def _item(
    card: dict, bank: Bank, chapter: Chapter, rng: random.Random, turn: int
) -> ReviewItem | None:
    if card["kind"] == "question":
        try:
            question = bank.question(card["ref"])
        except KeyError:
            return None  # the bank dropped the question
        context = f"missed in a quiz · {question.section}"
        return ReviewItem(card, _present(question, rng), context)
    question = _question_for_task(bank, chapter, card["ref"], turn)
    if question is None:
        return None
    lab_id, task_id = card["ref"].split("/", 1)
    try:
        title = chapter.lab(lab_id).task(task_id).title
    except ValueError:
        return None  # the chapter dropped the task
    context = (
        f"{lab_id} task '{title}' did not pass its checks: a question on the same idea "
        f"(then: harness check {lab_id} --task {task_id})"
    )
    return ReviewItem(card, _present(question, rng), context)


def queue(
    store: Store,
    chapter: Chapter,
    bank: Bank,
    learner: str,
    *,
    now: str | datetime | None = None,
    cap: int = DAILY_CAP,
    seed: int | None = None,
) -> Queue:
    """Sync, then today's due cards (oldest due first), each with the question to ask."""
    at = _utc(now)
    sync(store, chapter, learner, bank=bank, now=at)
    due_cards = store.review_cards(learner, due_by=_iso(at))
    reviewed = store.reviews_since(learner, _iso(start_of_day(at)))
    room = max(cap - reviewed, 0)
    rng = random.Random(secrets.randbits(63) if seed is None else seed)
    turns = _turns(store, learner)
    items = []
    for card in due_cards:
        if len(items) >= room:
            break
        item = _item(card, bank, chapter, rng, turns.get(card["card"], 0))
        if item is not None:
            items.append(item)
    later = None
    if not due_cards:
        upcoming = store.review_cards(learner)
        later = upcoming[0]["due"] if upcoming else None
    return Queue(learner, len(due_cards), reviewed, cap, tuple(items), later)


def cohort_due(
    store: Store, *, now: str | datetime | None = None, cap: int = DAILY_CAP
) -> dict[str, tuple[int, int]]:
    """Per learner (for mentors): (cards due now, how many of them today's cap still allows).
    Reads the queues as last synced; `queue` syncs one learner on the way."""
    at = _utc(now)
    counts = store.due_counts(_iso(at), _iso(start_of_day(at)))
    return {name: (due, min(due, max(cap - done, 0))) for name, (due, done) in counts.items()}


def _turns(store: Store, learner: str) -> dict[str, int]:
    turns: dict[str, int] = {}
    for row in store.review_log(learner):
        if row["source"] == "review":
            turns[row["card"]] = turns.get(row["card"], 0) + 1
    return turns


@dataclass(frozen=True)
class Reviewed:
    correct: bool
    given: str
    expected: str
    explanation: str
    section: Section
    next_due: str


def answer(
    store: Store,
    learner: str,
    item: ReviewItem,
    raw: str,
    *,
    now: str | datetime | None = None,
) -> Reviewed:
    """Grade one review answer, reschedule its card and record both."""
    stored, correct = item.presented.grade(raw)  # AnswerError: ask again, nothing stored
    at = _utc(now)
    entry = _load(item.card)
    rating = fsrs.Rating.Good if correct else fsrs.Rating.Again
    _rate(entry, rating, at)
    row = _row(entry)
    q = item.presented.question
    store.record_review(
        learner,
        row,
        {
            "card": row["card"],
            "source": "review",
            "outcome": q.outcome,
            "question_id": q.id,
            "params": item.presented.params,
            "answer": stored,
            "correct": correct,
            "rating": int(rating),
            "at": _iso(at),
        },
    )
    return Reviewed(
        correct, shown_answer(q, stored), q.expected, q.explanation, q.section, row["due"]
    )


def _when(due: str, now: datetime) -> str:
    delta = _utc(due) - now
    if delta <= timedelta(0):
        return "now"
    if delta < timedelta(hours=1):
        return f"in {max(int(delta.total_seconds() // 60), 1)} min"
    if delta < timedelta(days=1):
        return f"in {int(delta.total_seconds() // 3600)} h"
    days = delta.days
    return f"in {days} day" + ("s" if days != 1 else "")


def due_line(q: Queue, *, now: str | datetime | None = None) -> str:
    """One gentle sentence: how much is waiting, never a scolding count."""
    at = _utc(now)
    if q.items:
        n = len(q.items)
        more = q.due - n
        line = f"{n} review{'s' if n != 1 else ''} ready (a few minutes)"
        if more > 0:
            line += f"; {more} more can wait for another day"
        return line
    if q.due and q.reviewed_today >= q.cap:
        return f"today's {q.cap} reviews are done; the rest can wait until tomorrow"
    if q.next_due:
        return f"nothing to review now; next review {_when(q.next_due, at)}"
    return "nothing to review: misses in quizzes and checks will come back here"


def next_due_text(due: str, *, now: str | datetime | None = None) -> str:
    return _when(due, _utc(now))
