"""The dashboard in a real headless Chromium: what a person sees once the page's script ran.

Skips, saying why, when no Chromium is installed (.ci/run installs Debian's as root). The
screenshots of each section are compared loosely with the ones kept in docs/img/ (size and
where the ink is, not pixels: fonts differ between machines); `HARNESS_UPDATE_SCREENSHOTS=1`
writes them anew, to be looked at before they are committed.
"""

from __future__ import annotations

import io
import json
import os
import sys

import pytest
from fixture_cohort import FORGED, NEEDS_WORK
from PIL import Image

from harness.chapter import load_chapter
from harness.cohort import dashboard
from harness.paths import REPO_ROOT
from harness.store import Store

IMG = REPO_ROOT / "docs" / "img"
SECTIONS = ("glance", "stuck", "quiz", "mastery", "evidence", "learners")
UPDATE = os.environ.get("HARNESS_UPDATE_SCREENSHOTS") == "1"


@pytest.fixture(scope="module")
def page(browser, page_file):
    browser.open(page_file.as_uri())
    return browser


def rows(page) -> list[str]:
    return page.evaluate(
        "[...document.querySelectorAll('#matrix tbody tr')].map(r => r.dataset.learner)"
    )


def click_header(page, label: str) -> None:
    page.evaluate(
        "[...document.querySelectorAll('#matrix thead button.sort')]"
        f".find(b => b.textContent === {json.dumps(label)}).click()"
    )


def test_the_matrix_sorts_by_a_column(page):
    assert rows(page) == ["ada", "ben", "cleo", "dev", "eli"]
    click_header(page, "best")  # the quiz: best first
    assert rows(page)[0] == "ada" and rows(page)[-1] == "eli"
    assert page.evaluate("document.querySelector('th[aria-sort]').textContent") == "best"
    click_header(page, "best")
    assert rows(page)[0] == "eli"
    click_header(page, "learner")
    assert rows(page) == ["ada", "ben", "cleo", "dev", "eli"]


def test_the_matrix_filters_by_name_and_by_kind(page):
    def set_filter(name: str, kind: str) -> list[str]:
        page.evaluate(
            f"(() => {{ const i = document.getElementById('filter-name'); i.value = "
            f"{json.dumps(name)}; i.dispatchEvent(new Event('input')); "
            f"const s = document.getElementById('filter-kind'); s.value = {json.dumps(kind)}; "
            "s.dispatchEvent(new Event('change')); })()"
        )
        return rows(page)

    assert set_filter("e", "all") == ["ben", "cleo", "dev", "eli"]
    assert set_filter("", "flagged") == [FORGED]
    assert set_filter("", "stuck") == ["ben", "dev"]
    assert set_filter("", "idle") == ["eli"]
    assert set_filter("zz", "all") == []
    status = page.evaluate("document.getElementById('matrix-status').textContent")
    assert status == "No learner matches (filtered from 5)"
    assert set_filter("", "all") == ["ada", "ben", "cleo", "dev", "eli"]


def test_cells_say_what_they_mean_to_a_screen_reader(page):
    cleo = page.evaluate(
        f"document.querySelector('#matrix tr[data-learner=\"{FORGED}\"]').innerText"
    )
    assert "self-reported only" in cleo
    headers = page.evaluate("document.querySelectorAll('#matrix thead th[scope=col]').length")
    assert headers == len(page.evaluate("JSON.parse(document.getElementById("
                                        "'dashboard-data').textContent).columns"))  # fmt: skip


def test_a_learner_shows_reflections_with_prompts_feedback_and_flags(page, chapter):
    page.evaluate("document.querySelector('#matrix tr[data-learner=\"dev\"] th button').click()")
    detail = page.evaluate("document.getElementById('learner-detail').innerText")
    assert detail.startswith("dev")
    fusion = page.evaluate(
        "document.querySelector('#learner-detail [data-prompt=fusion]').innerText"
    )
    assert "fusion — 5 words" in fusion
    assert chapter.reflections[0].text in fusion
    assert "It depends on the task." in fusion and NEEDS_WORK in fusion
    assert "needs work" in fusion.lower()
    assert "Timeline" in detail and "reflection.saved" in detail
    assert "5/5 tasks, all pass" in detail and "2/5 tasks, next: info_nce" in detail

    page.evaluate(
        f"(() => {{ document.getElementById('learner-pick').value = '{FORGED}'; "
        "document.getElementById('learner-show').click(); })()"
    )
    flags = page.evaluate("document.querySelector('#learner-detail ul.flags').innerText")
    assert "self-reported only: lab-00 pass has no event in the log" in flags


def test_sortable_tables_sort(page):
    page.evaluate(
        "[...document.querySelectorAll('#tasks-table thead button')]"
        ".find(b => b.textContent === 'stuck').click()"
    )
    stuck = page.evaluate(
        "[...document.querySelectorAll('#tasks-table tbody tr')].map(r => r.children[4]"
        ".textContent)"
    )
    assert stuck == sorted(stuck, key=int)
    page.evaluate(
        "[...document.querySelectorAll('#tasks-table thead button')]"
        ".find(b => b.textContent === 'stuck').click()"
    )
    again = page.evaluate(
        "[...document.querySelectorAll('#tasks-table tbody tr')].map(r => r.children[4]"
        ".textContent)"
    )
    assert again == sorted(stuck, key=int, reverse=True)


def test_print_hides_the_controls(page):
    page.call("Emulation.setEmulatedMedia", media="print")
    try:
        shown = page.evaluate(
            "['nav', '.controls', '.pager'].map(s => getComputedStyle("
            "document.querySelector(s)).display)"
        )
        overflow = page.evaluate("getComputedStyle(document.querySelector('.scroll')).overflowX")
    finally:
        page.call("Emulation.setEmulatedMedia", media="")
    assert shown == ["none", "none", "none"]
    assert overflow == "visible"  # paper cannot scroll: the whole matrix is printed


def test_no_console_errors_and_no_request_leaves_the_file(page, page_file):
    assert page.problems() == []
    leaving = [u for u in page.requests() if u != page_file.as_uri() and not u.startswith("data:")]
    assert leaving == []


@pytest.mark.parametrize("section", SECTIONS)
def test_each_section_looks_like_its_screenshot(page, section):
    if section == "learners":
        page.evaluate(
            "(() => { document.getElementById('learner-pick').value = 'dev'; "
            "document.getElementById('learner-show').click(); })()"
        )
    png = page.screenshot(f"#{section}")
    shot = Image.open(io.BytesIO(png)).convert("L")
    width, height = shot.size
    assert width >= 1000 and height >= 150, shot.size
    bands = _ink_by_band(shot, 4)
    assert all(b > 0.002 for b in bands), f"a blank quarter in #{section}: {bands}"
    reference = IMG / f"dashboard-{section}.png"
    if UPDATE:
        IMG.mkdir(parents=True, exist_ok=True)
        reference.write_bytes(png)
        return
    if not reference.exists():
        pytest.fail(f"no {reference}; run with HARNESS_UPDATE_SCREENSHOTS=1 and look at it")
    ref = Image.open(reference).convert("L")
    assert abs(height - ref.size[1]) <= 0.35 * ref.size[1], (shot.size, ref.size)
    ink, ref_ink = _ink(shot), _ink(ref)
    assert 0.5 * ref_ink <= ink <= 2 * ref_ink, (ink, ref_ink)


def _ink(image: Image.Image) -> float:
    """The share of pixels that are not (nearly) white."""
    hist = image.histogram()
    return sum(hist[:240]) / (image.size[0] * image.size[1])


def _ink_by_band(image: Image.Image, n: int) -> list[float]:
    w, h = image.size
    return [_ink(image.crop((0, h * i // n, w, h * (i + 1) // n))) for i in range(n)]


def test_confined_checks_show_beside_the_learners_own(browser, tmp_path):
    """Runs after the fixture page's tests: it opens another page in the same browser."""
    store = Store.memory()
    store.add_learner("ana")
    store.conn.execute(
        "INSERT INTO check_runs (learner, lab_id, impl, task, status, passed, failed, "
        "started_at, duration_s, isolation, heldout_seed) VALUES ('ana', 'lab-01', 'learner', "
        "NULL, 'fail', 3, 2, '2026-11-30T10:00:00+00:00', 1, 'bubblewrap', 99)"
    )
    path = tmp_path / "confined.html"
    path.write_text(dashboard.render(dashboard.build(store, load_chapter())), encoding="utf-8")
    browser.open(path.as_uri())
    table = browser.evaluate("[...document.querySelectorAll('#learner-detail table')][0].innerText")
    assert "last confined check" in table
    assert "fail, bubblewrap, held-out seed" in table and "none recorded" in table
    assert browser.problems() == []


HOSTILE = '</script><img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'


def test_what_learners_write_stays_text(browser, tmp_path):
    store = Store.memory()
    store.add_learner("eve")
    store.save_reflection("eve", "fusion", HOSTILE)
    store.add_feedback("eve", "mia", "reflection:fusion", "<b>bold?</b> " + HOSTILE)
    store.record_run(
        learner="eve",
        lab_id="lab-00",
        impl="learner",
        run_dir="/tmp/r",
        seed=0,
        status="ok",
        metrics={"<i>acc</i>": 1.0},
        started_at="2026-11-30T10:00:00+00:00",
        duration_s=1.0,
    )
    path = tmp_path / "hostile.html"
    path.write_text(dashboard.render(dashboard.build(store, load_chapter())), encoding="utf-8")
    browser.open(path.as_uri())
    fusion = browser.evaluate(
        "document.querySelector('#learner-detail [data-prompt=fusion]').innerText"
    )
    assert HOSTILE in fusion and "<b>bold?</b>" in fusion
    assert "<i>acc</i> = 1.000" in browser.evaluate(
        "document.getElementById('learner-detail').innerText"
    )
    assert browser.evaluate("window.__pwned") is None
    assert browser.evaluate("document.querySelectorAll('img, script').length") == 2  # ours
    assert browser.problems() == []


def test_a_large_cohort_pages_through_the_matrix(browser, tmp_path):
    sys.path.insert(0, str(REPO_ROOT / "bench"))
    from dashboard import build as synthetic  # bench/dashboard.py

    chapter = load_chapter()
    store = Store.memory()
    synthetic(store, 120)
    path = tmp_path / "large.html"
    path.write_text(dashboard.render(dashboard.build(store, chapter)), encoding="utf-8")
    browser.open(path.as_uri())
    assert len(rows(browser)) == 50
    status = browser.evaluate("document.getElementById('matrix-status').textContent")
    assert status == "Learners 1–50 of 120, page 1 of 3"
    browser.evaluate("document.getElementById('page-next').click()")
    browser.evaluate("document.getElementById('page-next').click()")
    assert rows(browser)[0] == "learner-0100" and len(rows(browser)) == 20
    assert browser.evaluate("document.getElementById('page-next').disabled") is True
    browser.evaluate(
        "(() => { const s = document.getElementById('page-size'); s.value = '0'; "
        "s.dispatchEvent(new Event('change')); })()"
    )
    assert len(rows(browser)) == 120
    assert browser.problems() == []
