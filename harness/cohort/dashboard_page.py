"""The HTML of the mentor's dashboard (harness/cohort/dashboard.py gathers what it shows).

Sections are written here on the server side where they are small and fixed (tables of
tasks, questions, outcomes, records); the progress matrix and the per-learner view are drawn
by dashboard.js from a compact JSON document in the page, so a 1,000-learner cohort stays a
few megabytes. Everything a learner or mentor wrote is escaped here or set with textContent
there; the JSON is embedded with no "<" in it at all.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any

from harness import __version__
from harness.cohort import evidence
from harness.cohort.dashboard import TIMELINE_EVENTS, Dashboard
from harness.cohort.views import DONE, LOCKED
from harness.learning.mastery import BAR, LEVEL

PAGE_SIZE = 50  # matrix rows per page before the reader picks another size


def page(d: Dashboard) -> str:
    """The whole HTML document."""
    ch = d.chapter
    title = f"{ch.id} — {ch.title}: mentor's dashboard"
    sections = [_glance(d), _stuck(d), _quiz(d)]
    mastery = _mastery(d)
    if mastery:
        sections.append(mastery)
    proof = _evidence(d)
    if proof:
        sections.append(proof)
    sections.append(_learners(d))
    nav = "".join(
        f'<li><a href="#{sid}">{esc(name)}</a></li>'
        for sid, name in [
            ("glance", "At a glance"),
            ("stuck", "Where learners get stuck"),
            ("quiz", "The quiz"),
            *([("mastery", "Mastery")] if mastery else []),
            *([("evidence", "What the records prove")] if proof else []),
            ("learners", "Per learner"),
        ]
    )
    meta = [
        ("chapter", f"{ch.id} — {ch.title}"),
        ("generated", d.generated_at),
        ("harness", __version__),
        ("learners", str(len(d.rows))),
        ("quiz pass mark", f"{ch.pass_mark:.0%}"),
    ]
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{_asset('dashboard.css')}</style>\n</head>\n"
        f'<body>\n<header><h1>{esc(title)}</h1>\n<dl class="meta">'
        + "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in meta)
        + f'</dl>\n<nav aria-label="Sections"><ul>{nav}</ul></nav></header>\n<main>\n'
        + "\n".join(sections)
        + "\n</main>\n"
        f'<script type="application/json" id="dashboard-data">{_data_json(d)}</script>\n'
        f"<script>{_asset('dashboard.js')}</script>\n</body></html>\n"
    )


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _asset(name: str) -> str:
    return resources.files("harness.cohort").joinpath(name).read_text(encoding="utf-8")


def _figure(d: Dashboard, key: str, caption: str) -> str:
    svg = d.charts.get(key)
    if not svg:
        return ""
    return f'<figure class="chart">{svg}<figcaption>{esc(caption)}</figcaption></figure>'


def _table(caption: str, head: list[str], rows: list[list[str]], *, tid: str, sortable=True):
    """An accessible table; cells are HTML already escaped by the caller."""
    cls = ' class="sortable"' if sortable else ""
    ths = "".join(f'<th scope="col">{esc(h)}</th>' for h in head)
    body = "".join(
        "<tr>" + f'<th scope="row">{r[0]}</th>' + "".join(f"<td>{c}</td>" for c in r[1:]) + "</tr>"
        for r in rows
    )
    return (
        f'<div class="scroll"><table id="{tid}"{cls}><caption>{esc(caption)}</caption>'
        f"<thead><tr>{ths}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _glance(d: Dashboard) -> str:
    ch = d.chapter
    return (
        '<section id="glance" aria-labelledby="glance-h"><h2 id="glance-h">The cohort at a '
        "glance</h2>\n"
        + _figure(
            d,
            "progress",
            "Read order: learners done (green), able to open (orange), waiting for an "
            "earlier item (grey).",
        )
        + '<p class="legend">Matrix legend: <span class="c d">✓</span> done · '
        '<span class="c u">○</span> unlocked · <span class="c l">·</span> locked; lab tasks '
        '<span class="c p">✓</span> latest check passes · <span class="c f">✗</span> latest '
        'check fails · <span class="c s">?</span> self-reported only · blank: not tried; '
        f"quiz: best score (pass mark {ch.pass_mark:.0%}); "
        "reflections: words, as learners count them; ⚑ a flag (see the learner).</p>\n"
        '<div class="controls" role="search">'
        '<label>Learner <input id="filter-name" type="search" placeholder="name contains">'
        "</label> "
        '<label>Show <select id="filter-kind">'
        '<option value="all">everyone</option><option value="flagged">flagged</option>'
        '<option value="stuck">failing a task now</option>'
        '<option value="quiz-below">quiz below the pass mark</option>'
        '<option value="dod">Definition of Done complete</option>'
        '<option value="idle">not started</option></select></label> '
        '<label>Rows per page <select id="page-size"><option>25</option>'
        f"<option selected>{PAGE_SIZE}</option><option>100</option>"
        '<option value="0">all</option></select></label></div>\n'
        '<div class="scroll"><table id="matrix" aria-describedby="matrix-status">'
        f"<caption>Progress of {len(d.rows)} learner(s); select a column heading to sort."
        "</caption><thead></thead><tbody></tbody></table></div>\n"
        '<div class="pager"><button type="button" id="page-prev">Previous</button> '
        '<span id="matrix-status" role="status" aria-live="polite"></span> '
        '<button type="button" id="page-next">Next</button></div>\n'
        "<noscript><p>The matrix and the per-learner view are drawn by the page's script; "
        "`harness mentor report --format csv` has the same rows as text.</p></noscript>\n"
        "</section>"
    )


def _stuck(d: Dashboard) -> str:
    kinds = any(t.failure_kinds for t in d.tasks)
    hints = any(t.hinted for t in d.tasks)
    head = ["task", "title", "tried", "passing now", "stuck", "median tries to pass",
            "median hours to pass"] + (["how failing checks ended"] if kinds else []) + (
            ["learners who took hints", "mean hints taken"] if hints else [])  # fmt: skip
    rows = []
    for t in d.tasks:
        row = [
            esc(f"{t.lab_id} {t.task_id}"),
            esc(t.title),
            str(t.tried),
            str(t.passing),
            f'<span class="{"warn" if t.stuck else ""}">{t.stuck}</span>',
            _num(t.median_tries_to_pass, "{:.1f}"),
            _num(t.median_hours_to_pass, "{:.1f}"),
        ]
        if kinds:
            row.append(esc(", ".join(f"{k} ×{n}" for k, n in t.failure_kinds[:3]) or "—"))
        if hints:
            row += [str(t.hinted), _num(t.mean_hints, "{:.1f}")]
        rows.append(row)
    worst = sorted((t for t in d.tasks if t.stuck), key=lambda t: -t.stuck)[:3]
    summary = (
        "Most learners stuck: "
        + ", ".join(f"{t.lab_id} {t.task_id} ({t.stuck})" for t in worst)
        + "."
        if worst
        else "Nobody is failing a task right now."
    )
    return (
        '<section id="stuck" aria-labelledby="stuck-h"><h2 id="stuck-h">Where learners get '
        f"stuck</h2>\n<p>{esc(summary)} A try is a check run that reported on the task; hours "
        "run from the first try to the first pass.</p>\n"
        + _figure(d, "tasks", "Per task: learners who tried (whole bar) and pass now (green).")
        + _table("Lab tasks across the cohort", head, rows, tid="tasks-table")
        + "</section>"
    )


def _quiz(d: Dashboard) -> str:
    ch = d.chapter
    scores = [r.status.quiz_best for r in d.rows if r.status.quiz_best is not None]
    passed = sum(s >= ch.pass_mark for s in scores)
    parts = [
        '<section id="quiz" aria-labelledby="quiz-h"><h2 id="quiz-h">The quiz</h2>',
        f"<p>{len(scores)} of {len(d.rows)} learner(s) finished quiz {esc(ch.quiz_id)}; "
        f"{passed} reached the pass mark of {ch.pass_mark:.0%}.</p>",
        _figure(d, "scores", "Best score per learner; the dashed line is the pass mark."),
    ]
    if d.items is None:
        parts.append(f"<p>{esc(d.bank_note)}</p></section>")
        return "".join(parts)
    from harness.learning.quiz import MIN_ANSWERS

    rated = [i for i in d.items if i.difficulty is not None]
    flagged = [i for i in rated if i.flag]
    parts.append(
        f"<p>{len(rated)} of {len(d.items)} questions have statistics (at least {MIN_ANSWERS} "
        "answers in finished attempts). Difficulty is the proportion correct; discrimination "
        "is the point-biserial correlation with the rest of the attempt.</p>"
    )
    parts.append(
        _figure(
            d,
            "items",
            "Each question: difficulty against discrimination (on the zero line where it is "
            "undefined: everyone answered alike). Crosses are flagged.",
        )
    )
    if flagged:
        parts.append(
            _table(
                f"Flagged questions ({len(flagged)})",
                ["question", "outcome", "why", "answered", "difficulty", "discrimination"],
                [
                    [
                        esc(i.question_id),
                        esc(i.outcome),
                        f'<span class="warn">{esc(i.flag)}</span>',
                        str(i.answered),
                        _pct(i.difficulty),
                        _num(i.discrimination, "{:+.2f}"),
                    ]
                    for i in flagged
                ],  # fmt: skip
                tid="flagged-table",
            )
        )
    else:
        parts.append("<p>No question is flagged.</p>")
    if rated:
        parts.append(
            "<details><summary>Every question with statistics</summary>"
            + _table(
                "Per-question statistics",
                ["question", "outcome", "answered", "difficulty", "discrimination"],
                [
                    [
                        esc(i.question_id),
                        esc(i.outcome),
                        str(i.answered),
                        _pct(i.difficulty),
                        _num(i.discrimination, "{:+.2f}"),
                    ]
                    for i in rated
                ],  # fmt: skip
                tid="items-table",
            )
            + "</details>"
        )
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def _mastery(d: Dashboard) -> str:
    if "mastery" not in d.charts:
        return ""
    rows = []
    for c in d.mastery_cohort:
        spread = "—" if c.quartiles is None else f"{c.quartiles[0]:.0%}–{c.quartiles[1]:.0%}"
        rows.append(
            [
                f'<abbr title="{esc(c.description)}">{esc(c.outcome)}</abbr>',
                str(c.learners),
                _pct(c.median),
                spread,
                str(c.secure),
                str(c.not_yet),
                esc(c.note),
            ]
        )
    return (
        '<section id="mastery" aria-labelledby="mastery-h"><h2 id="mastery-h">Mastery per '
        f"learning outcome</h2>\n<p>Each learner's mastery of an outcome is a Beta posterior "
        "over their evidence: first attempts at quiz questions, spaced-review answers and the "
        f"latest result of each lab task tied to the outcome. <em>Secure</em>: the {LEVEL:.0%} "
        f"interval lies above {BAR:.0%}; <em>not yet</em>: it lies below; <em>uncertain</em>: "
        "it straddles the bar.</p>\n"
        + _figure(d, "mastery", "Learners per verdict, by learning outcome.")
        + _table(
            "Mastery across the cohort, by learning outcome",
            [
                "outcome",
                "learners with evidence",
                "median",
                "middle half",
                "secure",
                "not yet",
                "note",
            ],
            rows,
            tid="mastery-table",
        )  # fmt: skip
        + "</section>"
    )


def _evidence(d: Dashboard) -> str:
    parts = []
    if d.unbacked:
        parts.append(
            "<h3>Self-reported only</h3><p>These check rows have no matching event in the "
            "learner's hash-chained log: the harness writes both together, so the row alone "
            "proves nothing. Regrade before trusting them.</p>"
            + _table(
                "Check rows without an event",
                ["learner", "lab", "task", "status", "recorded at"],
                [
                    [
                        esc(u.learner),
                        esc(u.lab_id),
                        esc(u.task or "all"),
                        f'<span class="warn">{esc(u.status)}</span>',
                        esc(u.started_at[:16].replace("T", " ")),
                    ]
                    for u in d.unbacked
                ],  # fmt: skip
                tid="unbacked-table",
            )
        )
    if d.confined:
        parts.append(
            "<h3>Confined check runs</h3><p>The latest full check per learner and lab that "
            "records how learner code was isolated.</p>"
            + _table(
                "Isolation of the latest checks",
                ["learner", "lab", "status", "isolation", "held-out seed", "at"],
                [
                    [
                        esc(c.learner),
                        esc(c.lab_id),
                        esc(c.status),
                        esc(c.isolation),
                        "yes" if c.heldout_seed else "no",
                        esc(c.started_at[:16].replace("T", " ")),
                    ]
                    for c in d.confined
                ],  # fmt: skip
                tid="confined-table",
            )
        )
    if d.similar:
        parts.append(
            f"<h3>Copy similarity</h3><p>Tasks whose code is at least "
            f"{evidence.SIMILARITY_FLAG:.0%} similar to another submission.</p>"
            + _table(
                "Similarity flags",
                ["learner", "lab", "task", "similarity"],
                [
                    [
                        esc(s.learner),
                        esc(s.lab_id),
                        esc(s.task),
                        f'<span class="warn">{s.similarity:.0%}</span>',
                    ]
                    for s in d.similar
                ],  # fmt: skip
                tid="similarity-table",
            )
        )
    if d.verdicts:
        shown = [(key, v) for key, v in sorted(d.verdicts.items()) if v["verified"] or v["flag"]]
        parts.append(
            "<h3>Regraded results</h3><p>A mentor's regrade checks the learner's kept code "
            "again on the mentor's machine, sandboxed, with a fresh held-out seed: only that "
            "shows the code is right. Passes nobody regraded are listed as self-reported.</p>"
            + _table(
                "Self-reported and verified results",
                ["learner", "lab", "self-reported", "what backs it"],
                [
                    [
                        esc(learner),
                        esc(lab),
                        esc(v["self_reported"]),
                        f'<span class="{"warn" if v["flag"] else "pass"}">{esc(v["shown"])}'
                        + (" — mismatch" if v["mismatch"] else "")
                        + "</span>",
                    ]
                    for (learner, lab), v in shown
                ],  # fmt: skip
                tid="verified-table",
            )
        )
    if d.pairs:
        parts.append(
            "<h3>Similar code between learners</h3>"
            + _table(
                "Pairs of learners whose code for a task is similar",
                ["learner", "learner", "lab", "task", "similarity"],
                [
                    [esc(a), esc(b), esc(lab), esc(task), f'<span class="warn">{sim:.0%}</span>']
                    for lab, task, a, b, sim in d.pairs
                ],
                tid="pairs-table",
            )
        )
    if not parts:
        return ""
    return (
        '<section id="evidence" aria-labelledby="evidence-h"><h2 id="evidence-h">What the '
        "records prove</h2>\n" + "\n".join(parts) + "</section>"
    )


def _learners(d: Dashboard) -> str:
    return (
        '<section id="learners" aria-labelledby="learners-h"><h2 id="learners-h">Per learner'
        "</h2>\n<p>Choose a learner (or select a name in the matrix): their timeline (latest "
        f"{TIMELINE_EVENTS} events), reflections with their prompts, feedback and flags.</p>\n"
        '<div class="controls"><label>Learner <input id="learner-pick" list="learner-names" '
        'autocomplete="off"></label> <button type="button" id="learner-show">Show</button>'
        '<datalist id="learner-names"></datalist></div>\n'
        '<div id="learner-detail" aria-live="polite"></div></section>'
    )


def _num(value: float | None, fmt: str) -> str:
    return "—" if value is None else fmt.format(value)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


# --- the data the page's script draws from --------------------------------------------------


def _data_json(d: Dashboard) -> str:
    ch = d.chapter
    columns: list[dict] = [{"key": "name", "label": "learner", "group": "", "kind": "name"}]
    columns += [
        {"key": f"i:{it.id}", "label": it.id, "group": "read order", "kind": "state",
         "title": it.title}
        for it in ch.items
    ]  # fmt: skip
    for lab in ch.labs:
        columns += [
            {"key": f"t:{lab.id}:{t.id}", "label": t.id, "group": f"{lab.id} tasks",
             "kind": "task", "title": t.title}
            for t in lab.tasks
        ]  # fmt: skip
    columns.append({"key": "quiz", "label": "best", "group": "quiz", "kind": "pct"})
    columns += [
        {"key": f"r:{p.id}", "label": p.id, "group": "reflections (words)", "kind": "num",
         "title": p.text}
        for p in ch.reflections
    ]  # fmt: skip
    columns += [
        {"key": "dod", "label": "DoD", "group": "", "kind": "frac"},
        {"key": "feedback", "label": "feedback", "group": "", "kind": "num"},
        {"key": "active", "label": "last active", "group": "", "kind": "text"},
        {"key": "flags", "label": "flags", "group": "", "kind": "flags"},
    ]
    marks = {
        (m["learner"], m["prompt_id"]): [m["verdict"], m["mentor"], m["feedback"], m["version"]]
        for m in d.marks
    }
    flags = evidence.flags_by_learner(d.unbacked, d.similar)
    for learner, line in d.regrade_flags:
        flags.setdefault(learner, []).append(line)
    summaries = {  # "3/5 tasks, next: block", as the learner's status says it
        (name, lab.lab_id): lab.summary().split(": ", 1)[1]
        for name, labs in d.progress.items()
        for lab in labs
    }
    confined = {
        (c.learner, c.lab_id): f"{c.status}, {c.isolation}"
        + (", held-out seed" if c.heldout_seed else "")
        for c in d.confined
    }
    unbacked = {u.run_id for u in d.unbacked}
    code = {DONE: "d", LOCKED: "l"}
    learners = []
    for row in d.rows:
        st = row.status
        name = row.name
        cells: list[Any] = [name]
        cells += [code.get(s.state, "u") for s in st.items]
        for lab in d.progress.get(name, ()):
            for t in lab.tasks:  # the latest result, as the learner's own status shows it
                if t.status is None:
                    cells.append("")
                elif t.run_id in unbacked:
                    cells.append("s")  # from a row the event log does not back
                else:
                    cells.append("p" if t.status == "pass" else "f")
        cells.append(st.quiz_best)
        cells += [row.reflection_words[p.id] for p in ch.reflections]
        cells += [
            [row.dod_done, len(st.dod)],
            len(st.feedback),
            (row.last_activity or "")[:16].replace("T", " "),
            flags.get(name, []),
        ]
        learners.append(
            {
                "cells": cells,
                "quizAttempts": st.quiz_attempts,
                "next": row.next_item,
                "dod": [[e.done, e.detail] for e in st.dod],
                "labs": [
                    [
                        c.lab_id,
                        c.status,
                        c.passed,
                        c.failed,
                        c.metric_name,
                        c.metric_value,
                        confined.get((name, c.lab_id)),
                        summaries.get((name, c.lab_id), ""),
                        c.verification,
                    ]
                    for c in row.labs
                ],  # fmt: skip
                "reflections": {p.id: st.reflections.get(p.id, "") for p in ch.reflections},
                "marks": {p.id: marks[name, p.id] for p in ch.reflections if (name, p.id) in marks},
                "feedback": [
                    [f["at"][:16], f["mentor"], f["target"], f["text"]] for f in st.feedback
                ],
                "events": [
                    [e["at"][:16].replace("T", " "), e["kind"], e["text"]]
                    for e in d.timelines.get(name, [])
                ],  # fmt: skip
                "eventCount": d.event_counts.get(name, 0),
                "mastery": [
                    [round(m.mean, 3), round(m.low, 3), round(m.high, 3), m.trials, m.verdict]
                    for m in d.mastery.get(name, [])
                ],
            }
        )
    doc = {
        "passMark": ch.pass_mark,
        "pageSize": PAGE_SIZE,
        "timelineEvents": TIMELINE_EVENTS,
        "prompts": {p.id: p.text for p in ch.reflections},
        "outcomes": [c.outcome for c in d.mastery_cohort],
        "anyConfined": bool(d.confined),
        "dodLabels": [e.label for e in d.rows[0].status.dod] if d.rows else [],
        "columns": columns,
        "learners": learners,
    }
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    # Inside <script>, "</" or "<!--" could end the element early: no "<" at all, then.
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
