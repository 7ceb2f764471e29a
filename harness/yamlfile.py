"""YAML that people edit: one loader and one validator for the chapter manifest and the quiz
banks, whose errors name the file, the place and what was expected."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

# libyaml's loader when PyYAML was built with it (about 10x faster on the question bank);
# the same safe subset of YAML either way.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ManifestError(ValueError):
    """A chapter or quiz file is malformed; the message says where and what."""


def read_yaml(path: Path, what: str) -> Any:
    """`yaml.safe_load` of `path`, every failure turned into a ManifestError naming it."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except FileNotFoundError:
        raise ManifestError(f"{path}: {what} not found") from None
    except UnicodeDecodeError as exc:
        raise ManifestError(
            f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    except RecursionError:
        raise ManifestError(f"{path.name}: nested too deeply to be a {what}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise ManifestError(f"{path.name}: not valid YAML{at}: {exc}") from None


class Reader:
    """Pulls typed values out of parsed YAML, raising errors that name file and place."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, problem: str) -> ManifestError:
        return ManifestError(f"{self.path.name}: {where}: {problem}")

    def mapping(self, value: Any, where: str, allowed: set[str], required: set[str]) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, got {type(value).__name__}")
        unknown = sorted(str(k) for k in value.keys() - allowed)
        if unknown:
            raise self.fail(
                where, f"unknown field '{unknown[0]}'; expected one of {', '.join(sorted(allowed))}"
            )
        missing = sorted(required - value.keys())
        if missing:
            raise self.fail(where, f"missing field '{missing[0]}'")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"expected non-empty text, got {value!r}")
        return value.strip()

    def texts(self, value: Any, where: str, *, required: bool = True) -> tuple[str, ...]:
        """A list of texts; with required=False a missing list is empty. No duplicates."""
        if value is None and not required:
            return ()
        if not isinstance(value, list) or (required and not value):
            raise self.fail(where, "expected a non-empty list" if required else "expected a list")
        out = tuple(self.text(v, f"{where}[{i}]") for i, v in enumerate(value))
        if len(set(out)) != len(out):
            raise self.fail(where, "holds the same entry twice")
        return out

    def items(self, value: Any, where: str) -> list:
        if not isinstance(value, list) or not value:
            raise self.fail(where, "expected a non-empty list")
        return value

    def number(self, value: Any, where: str) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise self.fail(where, f"expected a finite number, got {value!r}")
        return float(value)
