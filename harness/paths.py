"""Where things live on disk. Every path the harness writes is derived here."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LABS_DIR = REPO_ROOT / "labs"
QUIZZES_DIR = REPO_ROOT / "quizzes"
EXPERIMENTS_DIR = REPO_ROOT / "experiments"
CHAPTER_FILE = LABS_DIR / "x2_multimodal" / "chapter.yaml"


def chapter_file() -> Path:
    """The chapter manifest (`HARNESS_CHAPTER` overrides, for tests and other chapters)."""
    return Path(os.environ.get("HARNESS_CHAPTER", CHAPTER_FILE))


def learners_dir() -> Path:
    """The folder holding every learner's records and code (`HARNESS_LEARNERS` overrides)."""
    return Path(os.environ.get("HARNESS_LEARNERS", REPO_ROOT / "learners"))


def experiments_dir() -> Path:
    """Where `harness run` writes runs (`HARNESS_EXPERIMENTS` overrides; default experiments/)."""
    return Path(os.environ.get("HARNESS_EXPERIMENTS", EXPERIMENTS_DIR))


def default_db_path() -> Path:
    """`HARNESS_DB` if set, else `learners/progress.db`."""
    env = os.environ.get("HARNESS_DB")
    return Path(env) if env else learners_dir() / "progress.db"
