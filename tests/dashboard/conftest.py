"""The fixture cohort's dashboard, written once per session, and a Chromium to open it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from harness.chapter import load_chapter
from harness.cohort import dashboard
from harness.store import Store

sys.path.insert(0, str(Path(__file__).parent))

from fixture_cohort import build_fixture_cohort  # noqa: E402
from headless_chromium import Chromium, find_chromium  # noqa: E402

GENERATED_AT = "2026-11-30 10:00 UTC"


@pytest.fixture(scope="session")
def chapter():
    return load_chapter()


@pytest.fixture(scope="session")
def fixture_store(chapter):
    store = Store.memory()
    build_fixture_cohort(store, chapter)
    yield store
    store.close()


@pytest.fixture(scope="session")
def board(fixture_store, chapter):
    return dashboard.build(fixture_store, chapter, generated_at=GENERATED_AT)


@pytest.fixture(scope="session")
def page_file(board, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dashboard") / "dashboard.html"
    path.write_text(dashboard.render(board), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def chromium_binary() -> str:
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI"):  # .ci/run installs it: missing there is a broken set-up
            pytest.fail("no Chromium on CI: .ci/run should have installed Debian's chromium")
        pytest.skip(
            "no Chromium found (chromium, chromium-browser, google-chrome, or HARNESS_CHROMIUM); "
            ".ci/run installs Debian's chromium when it runs as root"
        )
    return binary


@pytest.fixture(scope="module")
def browser(chromium_binary):
    chrome = Chromium(chromium_binary, width=1280, height=900)
    yield chrome
    chrome.close()
