"""Every page says the course is bilingual, ends with an English Summary and a Spanish Resumen,
and the two summaries state the same numbers, all of them taken from the English page."""

from __future__ import annotations

import pytest
from pagetext import PAGES, numbers_en, numbers_es, sections, text

PAGE_IDS = sorted(PAGES)


def test_the_chapter_has_eight_pages():
    assert len(PAGE_IDS) == 8


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_the_header_says_the_course_is_bilingual_in_both_languages(page_id):
    page = text(page_id)
    lines = page.splitlines()
    assert lines[0].startswith("# ")
    header = "\n".join(line for line in lines[1:12] if line.startswith(">"))
    assert "course is bilingual" in header and "curso bilingüe" in header.lower(), header
    assert "English" in header and "Español" in header
    assert "Summary" in header and "Resumen" in header


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_the_page_ends_with_references_summary_and_resumen(page_id):
    headings = [h for h in sections(text(page_id)) if h]
    assert headings[-3:] == ["References", "Summary", "Resumen"], headings
    body = sections(text(page_id))
    assert len(body["Summary"].split()) >= 60 and len(body["Resumen"].split()) >= 60


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_summary_and_resumen_state_the_same_numbers(page_id):
    body = sections(text(page_id))
    english, spanish = numbers_en(body["Summary"]), numbers_es(body["Resumen"])
    assert english, "the summary states no number"
    assert spanish == english, (
        f"only in the Spanish Resumen: {sorted(spanish - english)}; "
        f"only in the English Summary: {sorted(english - spanish)}"
    )


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_every_number_of_the_summary_is_on_the_english_page(page_id):
    body = sections(text(page_id))
    page = "\n".join(v for k, v in body.items() if k not in ("Summary", "Resumen"))
    missing = numbers_en(body["Summary"]) - numbers_en(page)
    assert not missing, f"the summary states {sorted(missing)}, which the page never does"


def test_spanish_numbers_are_read_the_spanish_way():
    assert numbers_es("480.000 muestras, 0,02 s, 1,05 veces, 11 550 preguntas") == {
        480000,
        0.02,
        1.05,
        11550,
    }
    assert numbers_es("wav2vec 2.0 y `32,768 - 1 = 32,767`") == {2.0, 32768, 1, 32767}
    assert numbers_en("LLaVA-1.5 uses 576 tokens, 1,500 positions, 76.2%") == {576, 1500, 76.2}
