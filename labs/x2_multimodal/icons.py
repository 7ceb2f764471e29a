"""Grammar icons: one small grey image per verb form, drawn with Pillow.

Each icon shows the three parts of a form in three places, so a model can learn each part
from its own region:

- the **verb** as one of 20 glyphs in the upper-left area (circle, square, star, wave, ...);
- the **tense** as a marker on a timeline along the bottom: past simple far left, present
  perfect left of centre, present simple at the centre, present progressive right of centre,
  future simple far right (the order runs from "done" to "not yet");
- the **person** as 1, 2 or 3 dots down the right edge (I, you, she).

Every icon gets seeded jitter (shift, glyph scale and rotation, stroke width, brightness,
pixel noise), kept small enough that the glyphs stay apart at 32x32. Drawing happens at twice
the size and is box-filtered down, which anti-aliases the strokes at little cost.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from labs.x2_multimodal import grammar

SPLITS: dict[str, int] = {"train": 0, "heldout": 1}
# Timeline x position of each tense, indexed like grammar.TENSES.
TENSE_X: tuple[float, ...] = (0.50, 0.14, 0.86, 0.68, 0.32)
_SUPERSAMPLE = 2


@dataclass(frozen=True)
class IconJitter:
    """How far each icon may wander from the canonical drawing (fractions of the icon side)."""

    shift: float = 0.05  # whole icon, each axis
    glyph_shift: float = 0.03  # glyph only, on top of the whole-icon shift
    scale: tuple[float, float] = (0.85, 1.12)
    rotation_deg: float = 15.0
    stroke: tuple[float, float] = (0.045, 0.075)  # line width
    foreground: tuple[float, float] = (0.70, 1.00)
    background: tuple[float, float] = (0.00, 0.15)
    noise_std: float = 0.03


@dataclass
class IconSet:
    """Icons and their labels. ``images`` is float32 (N, size, size) in [0, 1]."""

    images: np.ndarray  # (N, H, W) float32
    form: np.ndarray  # (N,) int64, 0..299
    verb: np.ndarray  # (N,) int64, 0..19
    tense: np.ndarray  # (N,) int64, 0..4
    person: np.ndarray  # (N,) int64, 0..2
    split: str
    seed: int

    def __len__(self) -> int:
        return len(self.form)

    @property
    def size(self) -> int:
        return int(self.images.shape[-1])

    def texts(self) -> list[str]:
        return grammar.texts(self.form)


# --- glyphs ---------------------------------------------------------------------------------
# Each glyph is a list of parts in local coordinates [-1, 1]^2 (y down):
#   ("line", points)   an open polyline      ("loop", points)  a closed outline
#   ("fill", points)   a filled polygon      ("ring", r)       a circle outline
#   ("disc", r, x, y)  a filled circle


def _regular(n: int, r: float = 1.0, phase: float = -math.pi / 2) -> list[tuple[float, float]]:
    return [
        (r * math.cos(phase + 2 * math.pi * k / n), r * math.sin(phase + 2 * math.pi * k / n))
        for k in range(n)
    ]


def _star() -> list[tuple[float, float]]:
    outer, inner = _regular(5, 1.0), _regular(5, 0.42, -math.pi / 2 + math.pi / 5)
    return [p for pair in zip(outer, inner, strict=True) for p in pair]


_WAVE = [(x / 10, -0.5 * math.sin(x / 10 * math.pi)) for x in range(-10, 11, 2)]  # one "~"
_HALF_DISC = [(math.cos(a), -math.sin(a) + 0.35) for a in np.linspace(0, math.pi, 13).tolist()]

GLYPHS: dict[str, list[tuple]] = {
    "walk": [("ring", 0.9)],
    "talk": [("loop", [(-0.8, -0.8), (0.8, -0.8), (0.8, 0.8), (-0.8, 0.8)])],
    "play": [("loop", [(0.0, -0.95), (0.9, 0.75), (-0.9, 0.75)])],
    "cook": [("disc", 0.85, 0.0, 0.0)],
    "open": [("fill", [(-0.75, -0.75), (0.75, -0.75), (0.75, 0.75), (-0.75, 0.75)])],
    "jump": [("fill", [(0.0, 0.95), (0.9, -0.75), (-0.9, -0.75)])],  # points down
    "watch": [("line", [(-0.95, 0.0), (0.95, 0.0)]), ("line", [(0.0, -0.95), (0.0, 0.95)])],
    "clean": [("line", [(-0.8, -0.8), (0.8, 0.8)]), ("line", [(-0.8, 0.8), (0.8, -0.8)])],
    "eat": [("line", [(-0.9, y), (0.9, y)]) for y in (-0.7, 0.0, 0.7)],
    "drink": [("line", [(x, -0.9), (x, 0.9)]) for x in (-0.7, 0.0, 0.7)],
    "run": [
        ("line", [(-0.9, 0.0), (0.85, 0.0)]),
        ("line", [(0.3, -0.55), (0.9, 0.0), (0.3, 0.55)]),
    ],
    "see": [("loop", [(0.0, -0.95), (0.95, 0.0), (0.0, 0.95), (-0.95, 0.0)])],
    "go": [
        ("line", [(0.0, 0.9), (0.0, -0.85)]),
        ("line", [(-0.55, -0.3), (0.0, -0.9), (0.55, -0.3)]),
    ],
    "write": [("line", [(-0.9, 0.6), (-0.45, -0.6), (0.0, 0.6), (0.45, -0.6), (0.9, 0.6)])],
    "read": [("ring", 0.9), ("disc", 0.3, 0.0, 0.0)],
    "sing": [("fill", _star())],
    "sleep": [("fill", _HALF_DISC)],
    "swim": [("line", _WAVE)],
    "give": [("line", [(-0.9, -0.8), (0.9, -0.8)]), ("line", [(0.0, -0.8), (0.0, 0.9)])],
    "take": [
        ("fill", [(-0.85, -0.9), (0.85, -0.9), (0.0, 0.0)]),
        ("fill", [(-0.85, 0.9), (0.85, 0.9), (0.0, 0.0)]),
    ],
}
assert tuple(GLYPHS) == grammar.VERBS

# Canonical layout, fractions of the icon side.
_GLYPH_CENTRE = (0.40, 0.40)
_GLYPH_RADIUS = 0.28
_DOTS_X, _DOTS_Y, _DOT_R = 0.88, (0.14, 0.35, 0.56), 0.06
_LINE_Y, _LINE_X = 0.87, (0.06, 0.94)


def _draw_icon(
    draw: ImageDraw.ImageDraw,
    side: int,
    verb: int,
    tense: int,
    person: int,
    rng: np.random.Generator,
    jit: IconJitter,
) -> None:
    """Draw one icon in white (255) on the black canvas behind ``draw`` (side x side pixels)."""
    dx, dy = rng.uniform(-jit.shift, jit.shift, size=2)
    gx, gy = rng.uniform(-jit.glyph_shift, jit.glyph_shift, size=2)
    scale = rng.uniform(*jit.scale)
    angle = math.radians(rng.uniform(-jit.rotation_deg, jit.rotation_deg))
    width = max(1, round(rng.uniform(*jit.stroke) * side))

    def px(x: float, y: float) -> tuple[float, float]:
        return ((x + dx) * side, (y + dy) * side)

    # Glyph: rotate and scale local coordinates, then place them.
    cx, cy = _GLYPH_CENTRE[0] + gx, _GLYPH_CENTRE[1] + gy
    r = _GLYPH_RADIUS * scale
    cos, sin = math.cos(angle), math.sin(angle)

    def place(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [px(cx + r * (x * cos - y * sin), cy + r * (x * sin + y * cos)) for x, y in points]

    for part in GLYPHS[grammar.VERBS[verb]]:
        kind = part[0]
        if kind == "line":
            draw.line(place(part[1]), fill=255, width=width, joint="curve")
        elif kind == "loop":
            pts = place(part[1])
            draw.line(pts + pts[:2], fill=255, width=width, joint="curve")
        elif kind == "fill":
            draw.polygon(place(part[1]), fill=255)
        elif kind == "ring":
            (x0, y0), (x1, y1) = (
                px(cx - r * part[1], cy - r * part[1]),
                px(cx + r * part[1], cy + r * part[1]),
            )
            draw.ellipse((x0, y0, x1, y1), outline=255, width=width)
        else:  # disc
            ((ox, oy),) = place([(part[2], part[3])])
            rr = r * part[1] * side
            draw.ellipse((ox - rr, oy - rr, ox + rr, oy + rr), fill=255)

    # Person: 1-3 dots down the right edge.
    for y in _DOTS_Y[: person + 1]:
        x0, y0 = px(_DOTS_X - _DOT_R, y - _DOT_R)
        x1, y1 = px(_DOTS_X + _DOT_R, y + _DOT_R)
        draw.ellipse((x0, y0, x1, y1), fill=255)

    # Tense: a timeline with end ticks (the reference frame) and a triangle marker above it.
    thin = max(1, side // 32)
    draw.line([px(_LINE_X[0], _LINE_Y), px(_LINE_X[1], _LINE_Y)], fill=255, width=thin)
    for x in _LINE_X:
        draw.line([px(x, _LINE_Y - 0.04), px(x, _LINE_Y + 0.04)], fill=255, width=thin)
    mx = TENSE_X[tense]
    draw.polygon(
        [px(mx - 0.07, _LINE_Y - 0.14), px(mx + 0.07, _LINE_Y - 0.14), px(mx, _LINE_Y - 0.01)],
        fill=255,
    )


def split_rng(seed: int, split: str) -> np.random.Generator:
    """The generator for one split: train and held-out streams never overlap for any seed."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; known: {', '.join(SPLITS)}")
    return np.random.default_rng(np.random.SeedSequence([int(seed), SPLITS[split]]))


def balanced_forms(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` form indices: shuffled passes over all 300 forms, so every form appears
    ``n // 300`` or ``n // 300 + 1`` times."""
    passes = [rng.permutation(grammar.N_FORMS) for _ in range(-(-n // grammar.N_FORMS))]
    return np.concatenate(passes)[:n].astype(np.int64) if passes else np.zeros(0, np.int64)


def render(
    forms: np.ndarray, rng: np.random.Generator, size: int = 32, jitter: IconJitter | None = None
) -> np.ndarray:
    """Icons (N, size, size) float32 in [0, 1] for the given form indices, jittered by ``rng``."""
    jit = jitter or IconJitter()
    forms = np.asarray(forms, dtype=np.int64)
    side = size * _SUPERSAMPLE
    out = np.empty((len(forms), size, size), dtype=np.float32)
    for i, f in enumerate(forms):
        canvas = Image.new("L", (side, side), 0)
        verb, tense, person = (
            int(grammar.verb_of(f)),
            int(grammar.tense_of(f)),
            int(grammar.person_of(f)),
        )
        _draw_icon(ImageDraw.Draw(canvas), side, verb, tense, person, rng, jit)
        mask = np.asarray(canvas.reduce(_SUPERSAMPLE), dtype=np.float32) / 255.0  # (H, W)
        fg, bg = rng.uniform(*jit.foreground), rng.uniform(*jit.background)
        out[i] = bg + (fg - bg) * mask
    out += rng.normal(0.0, jit.noise_std, size=out.shape).astype(np.float32)
    np.clip(out, 0.0, 1.0, out=out)
    return out


def make_icons(
    n: int, seed: int, size: int = 32, split: str = "train", jitter: IconJitter | None = None
) -> IconSet:
    """``n`` labelled icons of ``size`` x ``size``; the same (n, seed, size, split) gives the
    same bytes. Forms are balanced: each of the 300 appears ``n // 300`` or one more times."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if size < 16:
        raise ValueError(f"size {size} is too small for the glyphs to stay apart; use >= 16")
    rng = split_rng(seed, split)
    forms = balanced_forms(n, rng)
    images = render(forms, rng, size=size, jitter=jitter)
    return IconSet(
        images=images,
        form=forms,
        verb=grammar.verb_of(forms),
        tense=grammar.tense_of(forms),
        person=grammar.person_of(forms),
        split=split,
        seed=int(seed),
    )


def dataset_hash(icons: IconSet) -> str:
    """sha256 hex digest of the images and the form labels (shape and dtype included)."""
    h = hashlib.sha256()
    for arr in (icons.images, icons.form):
        arr = np.ascontiguousarray(arr)
        h.update(f"{arr.dtype.str}{arr.shape}".encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:  # Pillow's bundled scalable font needs FreeType; fall back to the bitmap font
        return ImageFont.load_default(size=size)
    except (TypeError, ImportError, OSError):
        return ImageFont.load_default()


def contact_sheet(icons: IconSet, path: str | Path, per_row: int = 10, zoom: int = 3) -> Path:
    """Write a PNG grid: one row per verb (labelled on the left), up to ``per_row`` icons of
    that verb from ``icons``, each captioned with its tense and person."""
    path = Path(path)
    font = _font(13)
    small = _font(10)
    cell = icons.size * zoom
    caption_h, label_w, pad = 14, 64, 4
    row_h = cell + caption_h + pad
    sheet = Image.new("L", (label_w + per_row * (cell + pad) + pad, pad + 20 * row_h), 255)
    draw = ImageDraw.Draw(sheet)
    short_tense = {
        "present simple": "pres",
        "past simple": "past",
        "future simple": "fut",
        "present progressive": "prog",
        "present perfect": "perf",
    }
    for v, verb in enumerate(grammar.VERBS):
        top = pad + v * row_h
        draw.text((pad, top + cell // 2 - 6), verb, fill=0, font=font)
        for c, i in enumerate(np.flatnonzero(icons.verb == v)[:per_row]):
            tile = Image.fromarray((icons.images[i] * 255).round().astype(np.uint8), "L")
            left = label_w + c * (cell + pad)
            sheet.paste(tile.resize((cell, cell), Image.NEAREST), (left, top))
            form = grammar.form_from_index(int(icons.form[i]))
            draw.text(
                (left, top + cell), f"{short_tense[form.tense]}/{form.person}", fill=0, font=small
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    return path


def save_icons(icons: IconSet, path: str | Path) -> Path:
    """Write an IconSet to a compressed npz (images, labels, split, seed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        images=icons.images,
        form=icons.form,
        verb=icons.verb,
        tense=icons.tense,
        person=icons.person,
        split=np.array(icons.split),
        seed=np.array(icons.seed),
    )
    return path


def load_icons(path: str | Path) -> IconSet:
    """Read an npz written by ``save_icons``."""
    with np.load(path) as z:
        return IconSet(
            images=z["images"],
            form=z["form"],
            verb=z["verb"],
            tense=z["tense"],
            person=z["person"],
            split=str(z["split"]),
            seed=int(z["seed"]),
        )


def write_dataset(
    out_dir: str | Path, n_train: int = 1000, n_heldout: int = 300, seed: int = 0
) -> list[Path]:
    """Write ``icons-train.npz``, ``icons-heldout.npz`` and ``contact-sheet.png`` (of the
    training split) into ``out_dir``; return their paths in that order."""
    out = Path(out_dir)
    train = make_icons(n_train, seed, split="train")
    heldout = make_icons(n_heldout, seed, split="heldout")
    return [
        save_icons(train, out / "icons-train.npz"),
        save_icons(heldout, out / "icons-heldout.npz"),
        contact_sheet(train, out / "contact-sheet.png"),
    ]
