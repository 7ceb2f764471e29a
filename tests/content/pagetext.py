"""Reading the chapter's pages for the content tests: sections, prose, calculations, numbers.

A page is Markdown: `# title`, a bilingual header (a block quote), `##` sections, then
`## References`, `## Summary` (English) and `## Resumen` (Spanish), in that order.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from harness.chapter import load_chapter

CHAPTER = load_chapter()
PAGES: dict[str, Path] = {item.id: item.path for item in CHAPTER.items}


def text(page_id: str) -> str:
    return PAGES[page_id].read_text(encoding="utf-8")


def prose(page_id: str) -> str:
    """The page with every run of whitespace made one space (line breaks fall anywhere)."""
    return " ".join(text(page_id).split())


def sections(page_text: str) -> dict[str, str]:
    """`##` heading -> its body, outside fenced code blocks; '' holds what precedes them."""
    out, current, fenced = {"": []}, "", False
    for line in page_text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            current = line[3:].strip()
            out[current] = []
            continue
        out[current].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


# --- `a × b = c` calculations ----------------------------------------------------------------

NUMBER = r"\d{1,3}(?:,\d{3})+(?![\d,])|\d+(?:\.\d+)?"
ARITHMETIC = re.compile(rf"^(?:\s|{NUMBER}|[×·/+\-−²()]|ln|e)+$")


def calculations(page_text: str) -> list[str]:
    """Inline-code spans made only of numbers, operators and `=` or `≈`."""
    spans = re.findall(r"`([^`\n]+)`", page_text)
    return [
        s
        for s in spans
        if re.search("[=≈]", s)
        and all(ARITHMETIC.match(part.strip()) for part in re.split("[=≈]", s))
    ]


def evaluate(side: str) -> float:
    expr = re.sub(NUMBER, lambda m: m.group().replace(",", ""), side)
    for mark, op in (("×", "*"), ("·", "*"), ("−", "-"), ("²", "**2")):
        expr = expr.replace(mark, op)
    expr = re.sub(r"\be\b", "E_", expr)
    expr = re.sub(r"ln\s*(\d+(?:\.\d+)?)", r"ln(\1)", expr).replace("ln(", "math.log(")
    expr = re.sub(r"\)\s*\(", ")*(", expr)
    return eval(expr, {"math": math, "E_": math.e})  # noqa: S307 (ARITHMETIC only)


def check_calculation(calc: str) -> None:
    """`=` must hold exactly; `≈` to the last digit the page states."""
    sides = [s.strip() for s in re.split("([=≈])", calc)]
    values = [evaluate(s) for s in sides[::2]]
    for left, right, sign, stated in zip(
        values[:-1], values[1:], sides[1::2], sides[2::2], strict=True
    ):
        if sign == "=":
            assert math.isclose(left, right, rel_tol=1e-12, abs_tol=1e-12), (
                f"`{calc}`: the left side is {left!r}, the page says {stated}"
            )
        else:
            digits = len(stated.split(".")[1]) if "." in stated else 0
            assert abs(left - right) <= 0.5 * 10**-digits + 1e-12, (
                f"`{calc}`: the left side is {left:.6g}, the page says {stated}"
            )


# --- numbers in English and in Spanish -----------------------------------------------------

_EN = re.compile(r"\d{1,3}(?:,\d{3})+(?!\d|,\d)(?:\.\d+)?|\d+(?:\.\d+)?")
# Spanish: '480.000' and '480 000' group thousands, '0,02' is a decimal; a point followed by
# one or two digits ('2.0' in "wav2vec 2.0") is left as written, as in English.
_ES = re.compile(r"\d{1,3}(?:[._]\d{3})+(?!\d)(?:,\d+)?|\d+(?:,\d+)?(?:\.\d{1,2}(?!\d))?")


def _words_without_names(body: str) -> list[str]:
    """Tokens that carry numbers: names with letters and digits (ViT-L/14, 7B, A100) go."""
    return [w for w in body.split() if not re.search(r"[^\W\d_]", w)]


def numbers_en(body: str) -> set[float]:
    found = set()
    for word in _words_without_names(body):
        for m in _EN.findall(word):
            found.add(round(float(m.replace(",", "")), 9))
    return found


def numbers_es(body: str) -> set[float]:
    """Numbers of a Spanish text; inline code keeps English notation (`224 / 16 = 14`)."""
    found = set()
    code = re.findall(r"`([^`]*)`", body)
    for span in code:
        found |= numbers_en(span)
    body = re.sub(r"`[^`]*`", " ", body)
    # thousands grouped by a (narrow, non-breaking) space would be split into words: join them
    body = re.sub(r"(?<=\d)[ \u00a0\u202f](?=\d{3}(?!\d))", "_", body)
    for word in _words_without_names(body):
        for m in _ES.findall(word):
            plain = re.sub(r"[._](?=\d{3})", "", m) if re.search(r"[._]\d{3}", m) else m
            found.add(round(float(plain.replace(",", ".")), 9))
    return found
