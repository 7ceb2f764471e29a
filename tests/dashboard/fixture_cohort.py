"""The fixture cohort of the dashboard's tests and of the screenshots in docs/img/:
five learners at different stages.

- ada: everything done; every task passes, quiz 90%, three reflections.
- ben: halfway; lab-00's attention task keeps failing, quiz below the pass mark.
- cleo: a forged result: a passing lab-00 check row written straight into the database, with
  no `check.run` event in her log; the dashboard must call it "self-reported only".
- dev: labs 00 and 01 under way, quiz passed, and a reflection a mentor says needs work.
- eli: has just opened the first page.

Check runs carry explicit times a few days apart, so "hours to pass" has something to say.
Quiz answers are arranged so that one question is answered right by everyone, one wrong by
everyone, and one discriminates negatively (the weaker attempts get it right).
"""

from __future__ import annotations

from harness.chapter import Chapter
from harness.store import CheckResult, Store

NEEDS_WORK = "Needs work: say which use case each fusion strategy suits, and why."
FORGED = "cleo"

# Ten questions over several outcomes; (question, outcome) as in quizzes/X2.yaml.
QUESTIONS = [
    "patchify-tokens-224-16",  # everyone right
    "vit-class-token",  # everyone wrong
    "clip-pairs",  # negative discrimination: only the weaker attempts get it right
    "whisper-sample-rate",
    "gap-what",
    "xattn-qkv",
    "fusion-late-example",
    "llava-projector-original",
    "eval-mme-format",
    "patchify-width-16",
]

# Per attempt, which of QUESTIONS were answered right (1) or wrong (0).
ATTEMPTS = {
    "ada": [[1, 0, 0, 1, 1, 1, 1, 1, 1, 1], [1, 0, 0, 1, 1, 1, 1, 1, 1, 1]],
    "ben": [[1, 0, 1, 0, 0, 1, 0, 1, 0, 0], [1, 0, 1, 1, 0, 1, 0, 1, 1, 0]],
    "dev": [[1, 0, 0, 1, 1, 1, 1, 0, 1, 1]],
    "cleo": [[1, 0, 1, 0, 1, 0, 0, 1, 0, 1]],
}

DAY = "2026-11-{:02d}T{:02d}:00:00+00:00"


def _check(store: Store, learner: str, chapter: Chapter, lab_id: str, passing, when: str):
    """A full learner check of a lab: the tasks in `passing` pass, the others fail."""
    lab = chapter.lab(lab_id)
    results = [
        CheckResult(
            f"test_{t.id}",
            t.id,
            "pass" if t.id in passing else "fail",
            "" if t.id in passing else f"{t.id}: max abs error 0.31 > 1e-6",
        )
        for t in lab.tasks
    ]
    status = "pass" if all(r.status == "pass" for r in results) else "fail"
    store.record_check_run(
        learner=learner,
        lab_id=lab_id,
        impl="learner",
        task=None,
        status=status,
        results=results,
        started_at=when,
        duration_s=40.0,
    )


def _read(store: Store, learner: str, items: list[str]) -> None:
    for item in items:
        store.record_page(learner, item, "opened")
        store.record_page(learner, item, "completed")


def _quiz(store: Store, learner: str) -> None:
    for marks in ATTEMPTS.get(learner, []):
        attempt = store.start_quiz_attempt(learner, "X2", seed=len(marks), n_questions=10)
        for pos, (qid, right) in enumerate(zip(QUESTIONS, marks, strict=True)):
            store.record_quiz_answer(attempt, qid, pos, "a", bool(right))
        score = sum(marks) / len(marks)
        store.finish_quiz_attempt(attempt, score, score >= 0.8)


def build_fixture_cohort(store: Store, chapter: Chapter) -> None:
    theory = [i.id for i in chapter.items if i.kind == "theory"]
    all_tasks = {lab.id: [t.id for t in lab.tasks] for lab in chapter.labs}

    store.add_learner("ada")
    _read(store, "ada", theory)
    _check(store, "ada", chapter, "lab-00", all_tasks["lab-00"][:3], DAY.format(20, 9))
    for lab_id, day in (("lab-00", 21), ("lab-01", 23), ("lab-02", 25)):
        _check(store, "ada", chapter, lab_id, all_tasks[lab_id], DAY.format(day, 15))
    _quiz(store, "ada")
    store.save_reflection(
        "ada",
        "fusion",
        "Late fusion for retrieval, where each encoder must run alone; early fusion for VQA, "
        "where words must steer which patches matter.",
    )
    store.save_reflection(
        "ada",
        "whisper-attention",
        "A few heads in the upper layers align tokens to time almost monotonically.",
    )
    store.save_reflection(
        "ada", "grammar-tutor", "Add a projector from ViT patches into the tutor's embeddings."
    )
    store.add_feedback("ada", "mia", "lab-02", "Clear alignment plots.")

    store.add_learner("ben")
    _read(store, "ben", theory[:3])
    _check(store, "ben", chapter, "lab-00", ["patchify"], DAY.format(22, 10))
    _check(store, "ben", chapter, "lab-00", ["patchify", "layernorm"], DAY.format(24, 10))
    _check(store, "ben", chapter, "lab-00", ["patchify", "layernorm"], DAY.format(27, 18))
    _quiz(store, "ben")
    store.save_reflection("ben", "fusion", "Early fusion, mostly.")

    store.add_learner(FORGED)
    _read(store, FORGED, theory[:2])
    _check(store, FORGED, chapter, "lab-00", ["patchify"], DAY.format(26, 11))
    _quiz(store, FORGED)
    # The forgery: a passing full check written past the harness, so no event records it.
    cur = store.conn.execute(
        "INSERT INTO check_runs (learner, lab_id, impl, task, status, passed, failed, message, "
        "output_tail, started_at, duration_s) VALUES (?, 'lab-00', 'learner', NULL, 'pass', "
        "5, 0, '', '', ?, 1.0)",
        (FORGED, DAY.format(27, 9)),
    )
    store.conn.executemany(
        "INSERT INTO check_results (run_id, name, task, status) VALUES (?, ?, ?, 'pass')",
        [(cur.lastrowid, f"test_{t}", t) for t in all_tasks["lab-00"]],
    )

    store.add_learner("dev")
    _read(store, "dev", theory)
    _check(store, "dev", chapter, "lab-00", all_tasks["lab-00"], DAY.format(21, 12))
    _check(store, "dev", chapter, "lab-01", ["tokenize", "temperature"], DAY.format(26, 16))
    _quiz(store, "dev")
    store.save_reflection("dev", "fusion", "It depends on the task.")
    store.add_feedback("dev", "mia", "reflection:fusion", NEEDS_WORK)
    store.mark_reflection("dev", "fusion", "mia", "needs_work", NEEDS_WORK)

    store.add_learner("eli")
    store.record_page("eli", theory[0], "opened")
