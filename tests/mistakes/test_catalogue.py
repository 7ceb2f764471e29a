"""The grader's self-test on fixtures (exercism keeps example submissions with the results each
must produce): every catalogued mistake fails the check named in its header, every correct
alternative passes every check. docs/CHECKS.md, "The mistake catalogue"."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from harness.chapter import load_chapter
from harness.grading.catalogue import load_catalogue
from mistakes.gate import base_name, run_all

CHAPTER = load_chapter()
LABS = [lab.id for lab in CHAPTER.labs]
MIN_MISTAKES = 15
MIN_DIAGNOSED = 10  # mistakes per lab whose diagnosis names them (issue 14)
# Alternatives are graded on every task in one run, except the tasks listed here (none today:
# lab 01's train check stops training at its bar, so an alternative with `stop_at_recall`
# grades in seconds).
SLOW_TASKS: dict[str, set[str]] = {}


def check_names(lab) -> set[str]:
    text = (lab.checks_dir / f"test_{lab.id.replace('-', '')}_dod.py").read_text()
    return set(re.findall(r"^def (test_\w+)\(", text, flags=re.M))


@pytest.mark.parametrize("lab_id", LABS)
def test_catalogue_has_its_mistakes_and_alternatives(lab_id):
    lab = CHAPTER.lab(lab_id)
    entries = load_catalogue(lab)
    mistakes = [e for e in entries if e.kind == "mistake"]
    alternatives = [e for e in entries if e.kind == "alternative"]
    assert len(mistakes) >= MIN_MISTAKES, f"{lab_id}: {len(mistakes)} mistakes"
    assert alternatives, f"{lab_id}: no correct alternative"
    names = check_names(lab)
    for entry in mistakes:
        unknown = [c for c in entry.caught_by if base_name(c) not in names]
        assert not unknown, f"{entry.path.name}: caught_by names unknown checks {unknown}"
    for entry in entries:
        # the file as written and the whole file graded (its base composed in, `Entry.source`)
        for what, text in (("file", entry.path.read_text()), ("composed file", entry.source)):
            where = f"{entry.path.name} ({what})"
            assert f"{lab.package}.{lab.entry}" not in text, f"{where} imports the entry"
            for module in lab.solution:
                assert not re.search(rf"{lab.package}\.{module}\b|import {module}\b", text), (
                    f"{where} imports the reference solution module {module}"
                )
        # graded code cannot see the catalogue: what is graded must not import it
        imports = re.findall(r"^\s*(?:from|import) +\S*\bmistakes\b.*$", entry.source, re.M)
        assert not imports, f"{entry.path.name}: its composed file imports the catalogue {imports}"


@pytest.mark.slow
def test_every_mistake_fails_its_named_check_and_every_alternative_passes(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_LEARNERS", str(tmp_path))
    jobs = []
    for lab_id in LABS:
        lab = CHAPTER.lab(lab_id)
        for entry in load_catalogue(lab):
            if entry.kind == "mistake" and entry.gate == "fast":
                jobs.append((lab_id, entry, entry.task))
            elif entry.kind == "alternative" and not SLOW_TASKS.get(lab_id):
                jobs.append((lab_id, entry, None))  # the whole suite in one run
            elif entry.kind == "alternative":
                jobs += [(lab_id, entry, t) for t in entry.tasks if t not in SLOW_TASKS[lab_id]]
    problems = []
    diagnosed: Counter = Counter()
    undiagnosed: dict[str, list[str]] = {lab_id: [] for lab_id in LABS}
    for lab_id, entry, task, outcome in run_all(CHAPTER, jobs, tmp_path):
        by_name = {r.name: r for r in outcome.results}
        if entry.kind == "alternative":
            failing = [(r.name, r.message[:300]) for r in outcome.results if r.status != "pass"]
            if outcome.status != "pass" or failing:
                problems.append(
                    f"{lab_id} {entry.name} [{task}] should pass: {outcome.status} "
                    f"({outcome.message[:300]}) {failing}"
                )
            continue
        tests = json.loads(outcome.results_json.read_text())["tests"]
        texts = [t.get("diagnosis", "") for t in tests if t["status"] != "pass"]
        if any("catalogued mistake" in t and f"'{entry.title}'" in t for t in texts):
            diagnosed[lab_id] += 1
        else:
            undiagnosed[lab_id].append(entry.name)
        for wanted in entry.caught_by:
            got = [r for n, r in by_name.items() if n == wanted or base_name(n) == wanted]
            # a failure of its own: "not run yet" (a cheaper check failed first) catches nothing
            if not got or all(r.status == "pass" or r.message.startswith("not run") for r in got):
                status = [(r.name, r.status) for r in outcome.results]
                problems.append(
                    f"{lab_id} {entry.name}: {wanted} did not fail; {outcome.status} "
                    f"({outcome.message[:300]}) {status}"
                )
    for lab_id in LABS:
        if diagnosed[lab_id] < MIN_DIAGNOSED:
            problems.append(
                f"{lab_id}: the diagnosis names only {diagnosed[lab_id]} mistakes "
                f"(needs {MIN_DIAGNOSED}); not named: {undiagnosed[lab_id]}"
            )
    print({lab: (diagnosed[lab], undiagnosed[lab]) for lab in LABS})
    assert not problems, "\n".join(problems)
