"""Robustness benchmark: random expressions composed from real handwritten symbols, photographed
under named conditions (faint pencil, shadows, creases, ruled paper, rotation, EXIF, ...).

    python -m benchmarks.composed --data ../shared/data [--n 20] [--seed 0] [--save /tmp/dir]
    python -m benchmarks.composed --data ../shared/data --mixed --n 40   # the draw of before

The handwriting is none the models trained on: digits from MNIST t10k, operators from the
BHMSDS test ids 1200-1499, the MDAS test split and the evaluation-only unseen-writer sets
(simepavlic, sagyamthapa), `y` from the BHMSDS test ids and the UNIPEN test writers' strokes.
Only simepavlic has `( )`; `=` is two minus crops, a fraction bar one minus crop stretched. No
set has a handwritten `√`: a square root (`r{16}`, drawn by benchmarks.pages) is a stroke of
this module's own, not the symbol model's training generator (recognizer.training.glyphs): an
always flat tick, a V whose foot reaches below the radicand, a bar over it with a margin. N
expressions are drawn per structure: `plain` chains, `brackets`, `equations`, `exponents`
(`5³×4`, `(2+1)²`, `x²-5x+6=0`: smaller, raised symbols) and stacked `fractions` (`1+¾`, a
fraction inside a fraction). `--mixed` draws N expressions as versions before the structures
did (same texts and photos at the same seed, no exponents or fractions).
Every condition renders the same expressions with the same crops and layout, so the rows can be
compared. Strokes are re-drawn along each crop's centre line, so pen width is a condition, not
an accident of how a set was scaled. Prints exact-expression accuracy per condition and per
structure × condition, the recognizer's own milliseconds per image, how many drawings the
layout reads right from their true boxes and classes, and every failure; --save writes the
failing JPEGs (outside the repo).
"""

from __future__ import annotations

import argparse
import itertools
import struct
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import DEFAULT_DATA, machine
from recognizer.bench import Case, Outcome, canonical_label, summary_line, trust_line
from recognizer.grammar import canonical, decode, tokenize
from recognizer.labels import SYMBOLS
from recognizer.layout import arrange
from recognizer.pipeline import load_models, recognize
from recognizer.segment import Segment
from recognizer.solve import solve_tokens
from recognizer.training import datasets
from recognizer.training.glyphs import draw_paper
from recognizer.types import ExpressionError

CONDITIONS = ("clean", "faint_pencil", "shadow", "crease", "lined", "squared", "rotated", "exif",
              "small_on_page", "wide", "thin", "jpeg", "pencil_photo", "pencil_notebook")
# Conditions that are several at once, as the hard cases among real photos are: a pencil note
# photographed in a hurry and held upright; pencil homework in a lined notebook, the page
# turned a little. Single conditions hide how their remedies interact.
COMBINED = {"pencil_photo": ("faint_pencil", "shadow", "rotated", "exif"),
            "pencil_notebook": ("faint_pencil", "lined", "rotated")}

REF = 80  # digit height (px) at which centre lines are traced; rendering rescales from here
PAD = 6  # ref px of margin around a traced glyph, room for wide pens

# Label character → (class in the symbol sets, size as a share of a digit's height (the width
# for minus), width/height restored for sets that stretch crops to fill the frame, anchor:
# "base" sits on the baseline, "mid" is centred half a digit above it, "tail" hangs DESCENT of
# its height below the baseline).
_SYMBOLS = {
    "+": ("plus", (0.5, 0.75), (0.85, 1.15), "mid"),
    "-": ("minus", (0.45, 0.8), None, "mid"),
    "×": ("cross", (0.45, 0.7), (0.85, 1.15), "mid"),
    "*": ("asterisk", (0.45, 0.65), (0.85, 1.15), "mid"),
    "·": ("dot", (0.1, 0.16), (0.85, 1.15), "mid"),
    "÷": ("obelus", (0.55, 0.8), None, "mid"),
    "/": ("slash", (0.9, 1.2), (0.4, 0.65), "mid"),
    "(": ("lparen", (1.1, 1.35), (0.3, 0.45), "mid"),
    ")": ("rparen", (1.1, 1.35), (0.3, 0.45), "mid"),
    ".": ("dot", (0.1, 0.15), (0.85, 1.15), "base"),
    "x": ("letter_x", (0.5, 0.7), (0.85, 1.15), "base"),
    "y": ("y", (0.75, 0.95), (0.6, 0.85), "tail"),
}
DESCENT = (0.3, 0.42)  # share of a `y` below the baseline: its tail
_DOTS = (".", "·")  # drawn as filled discs at least their own size, whatever the pen
_OPERATORS = ("+", "-", "×", "÷", "/", "*", "·")
_OPERATOR_WEIGHTS = (0.25, 0.25, 0.17, 0.1, 0.13, 0.05, 0.05)
_TIGHT = "0123456789.xy√"  # written close together: the digits of a number, 2x, 2y, 2√3
_STRETCHED = ("bhmsds", "simepavlic")  # these sets stretch crops to the frame: aspect is lost


# ----------------------------------------------------------------- expressions

STRUCTURES = ("plain", "brackets", "equations", "exponents", "fractions")  # least to most 2-D


# The generator's notation: the written characters, `^d` for a one-symbol exponent, `^[..]` for a
# longer one, `{num/den}` for a stacked fraction (num and den in this notation, without `/`),
# `r{..}` for a square root over its radicand.
@dataclass(frozen=True)
class Power:
    items: tuple[str, ...]  # the exponent's symbols


@dataclass(frozen=True)
class Over:
    numerator: tuple[Item, ...]
    denominator: tuple[Item, ...]


@dataclass(frozen=True)
class Root:
    radicand: tuple[Item, ...]


Item = str | Power | Over | Root


def random_expression(rng: np.random.Generator, structure: str | None = None) -> str:
    """A valid, solvable expression of the given structure, in the generator's notation; each
    structure's maker is retried until its dominant structure is the one asked for.

    Without a structure, the mixed draw of earlier versions (the same texts at the same seed):
    3-12 symbols, `23+4×(5-1)`, `(7-2)÷5`, `12/4-1`, `2x+3=11`, `3+4=`, `2(3+1)`; parentheses
    are sometimes nested."""
    if structure is None:
        return _mixed(rng)
    make = _MAKERS[structure]
    while True:
        text = make(rng)
        if structure_of(text) == structure and 3 <= glyph_count(text) <= 12 and solvable(text):
            return text


def structure_of(text: str) -> str:
    """The most difficult structure in `text`: roots > fractions > exponents > equations >
    brackets."""
    for mark, structure in (("r{", "roots"), ("{", "fractions"), ("^", "exponents"),
                            ("=", "equations"), ("(", "brackets")):
        if mark in text:
            return structure
    return "plain"


def parse_notation(text: str) -> tuple[Item, ...]:
    items, end = _items(text, 0, "")
    if end != len(text):
        raise ValueError(f"unbalanced notation: {text!r}")
    return items


def _items(text: str, i: int, stop: str) -> tuple[tuple[Item, ...], int]:
    """The items from text[i] to the first character of `stop` outside any group."""
    out: list[Item] = []
    while i < len(text) and text[i] not in stop:
        char = text[i]
        if char == "^":
            if text[i + 1] == "[":
                end = text.index("]", i)
                out.append(Power(tuple(text[i + 2 : end])))
                i = end + 1
            else:
                out.append(Power((text[i + 1],)))
                i += 2
        elif text.startswith("r{", i):
            radicand, i = _items(text, i + 2, "}")
            if i >= len(text) or not radicand:
                raise ValueError(f"unfinished root: {text!r}")
            out.append(Root(radicand))
            i += 1
        elif char == "{":
            numerator, i = _items(text, i + 1, "/")
            denominator, i = _items(text, i + 1, "}")
            if i >= len(text) or not numerator or not denominator:
                raise ValueError(f"unfinished fraction: {text!r}")
            out.append(Over(numerator, denominator))
            i += 1
        elif char in "[]}":
            raise ValueError(f"unbalanced notation: {text!r}")
        else:
            out.append(char)
            i += 1
    return tuple(out), i


def expected_label(text: str) -> str:
    """The canonical expression the recognizer gives for `text` read right: an exponent is
    `^d` or `^(dd)`, a stacked fraction `(num)/(den)` (brackets even around one digit, as
    recognizer.layout emits them), a square root `√(radicand)`, or `√(..)` as written when the
    radicand is one bracket group."""
    return _canonical(parse_notation(text))


def _canonical(items: tuple[Item, ...]) -> str:
    out = []
    for item in items:
        if isinstance(item, Power):
            inner = canonical_label("".join(item.items))
            out.append("^" + (inner if len(item.items) == 1 else f"({inner})"))
        elif isinstance(item, Over):
            out.append(f"({_canonical(item.numerator)})/({_canonical(item.denominator)})")
        elif isinstance(item, Root):
            inner = _canonical(item.radicand)
            out.append("√" + (inner if _one_group(item.radicand) else f"({inner})"))
        else:
            out.append(canonical_label(item))
    return "".join(out)


def _one_group(items: tuple[Item, ...]) -> bool:
    """Whether the items are one bracket group, `(` first and its own `)` last."""
    depth = 0
    for k, item in enumerate(items):
        depth += {"(": 1, ")": -1}.get(item, 0) if isinstance(item, str) else 0
        if depth == 0:
            return k == len(items) - 1 and k > 0
    return False


def glyph_count(text: str) -> int:
    """Symbols drawn: every written character, a fraction's bar for its `/`, `√` for `r`."""
    return sum(char not in "^[]{}" for char in text)


def solvable(text: str) -> bool:
    label = expected_label(text)
    tokens = tokenize(label)
    return canonical(tokens) == label and solve_tokens(tokens).error is None


def _mixed(rng: np.random.Generator) -> str:
    while True:
        kind = rng.random()
        if kind < 0.12:
            text = _linear(rng)
        elif kind < 0.2:
            text = _chain(rng, 0) + "="  # the answer left for the reader
        elif kind < 0.25:
            text = _number(rng) + "(" + _chain(rng, 1) + ")"  # implicit multiplication
        else:
            text = _chain(rng, 0)
        if 3 <= len(text) <= 12:
            return text


def _plain(rng: np.random.Generator) -> str:
    return _chain(rng, 0, brackets=False)


def _brackets(rng: np.random.Generator) -> str:
    if rng.random() < 0.2:
        return _number(rng) + "(" + _chain(rng, 1) + ")"  # implicit multiplication
    return _chain(rng, 0)


def _equation(rng: np.random.Generator) -> str:
    return _linear(rng) if rng.random() < 0.6 else _chain(rng, 0) + "="


def _linear(rng: np.random.Generator) -> str:
    coefficient = "" if rng.random() < 0.3 else str(rng.integers(2, 10))
    return f"{coefficient}x{rng.choice(['+', '-'])}{_number(rng)}={_number(rng)}"


def _exponents(rng: np.random.Generator) -> str:
    """`5^3×4`, `11^2`, `3^2+4^2`, `(2+1)^2`, `2^[10]-1`, `x^2-5x+6=0`, `x^2=49`, `2x^2=18`."""
    if rng.random() < 0.3:
        return _quadratic(rng)
    count = int(rng.integers(1, 4))
    powered = int(rng.integers(count))
    operands = [_power(rng) if k == powered or rng.random() < 0.35 else _number(rng)
                for k in range(count)]
    text = operands[0]
    for operand in operands[1:]:
        text += str(rng.choice(["+", "-", "×"], p=[0.4, 0.3, 0.3])) + operand
    return text + "=" if rng.random() < 0.15 else text


def _power(rng: np.random.Generator) -> str:
    if rng.random() < 0.12:  # a two-digit exponent: 2^10, 3^12
        return f"{rng.integers(2, 4)}^[1{rng.integers(0, 3)}]"
    kind = rng.random()
    if kind < 0.55:
        base = str(rng.integers(2, 10))
    elif kind < 0.75:
        base = str(rng.integers(10, 16))
    else:
        base = f"({rng.integers(1, 10)}{rng.choice(['+', '-'])}{rng.integers(1, 10)})"
    return f"{base}^{rng.choice([2, 3, 4, 5], p=[0.5, 0.3, 0.12, 0.08])}"


def _quadratic(rng: np.random.Generator) -> str:
    kind = rng.random()
    if kind < 0.55:  # integer roots r, s: x^2 - (r+s)x + rs = 0
        r, s = (int(v) for v in rng.integers(-9, 10, 2))
        return "x^2" + signed_term(-(r + s), "x") + signed_term(r * s, "") + "=0"
    root = int(rng.integers(1, 13))
    if kind < 0.8:
        shift = int(rng.integers(1, 20)) if rng.random() < 0.4 else 0
        return "x^2" + signed_term(shift, "") + f"={root * root + shift}"
    coefficient = int(rng.integers(2, 6))
    root = min(root, 5)
    return f"{coefficient}x^2={coefficient * root * root}"


def signed_term(value: int, variable: str) -> str:
    if value == 0:
        return ""
    digits = "" if variable and abs(value) == 1 else str(abs(value))
    return ("+" if value > 0 else "-") + digits + variable


def _fractions(rng: np.random.Generator) -> str:
    """A stacked fraction alone (`{3/4}`, `{3+4/7}`), beside other terms (`1+{3/4}`,
    `2×{5/6}`, `{1/2}-{1/3}=`), in an equation (`{x/3}+1=5`), sometimes inside another fraction
    (`{{1/2}/3}`). Never after `/` or `÷`, where `(num)/(den)` would change the value."""
    kind = rng.random()
    if kind < 0.25:
        return _fraction(rng, nested=False)
    if kind < 0.9:
        count = int(rng.integers(2, 4))
        stacked = int(rng.integers(count))
        nested = rng.random() < 0.25
        operands = [_fraction(rng, nested) if k == stacked else
                    _fraction(rng, False) if rng.random() < 0.25 else _number(rng)
                    for k in range(count)]
        text = operands[0]
        for operand in operands[1:]:
            text += str(rng.choice(["+", "-", "×"], p=[0.45, 0.3, 0.25])) + operand
        return text + "=" if rng.random() < 0.15 else text
    if rng.random() < 0.5:
        return f"{{x/{rng.integers(2, 10)}}}+{rng.integers(1, 10)}={rng.integers(1, 20)}"
    return f"x+{_fraction(rng, False)}={rng.integers(1, 10)}"


def _fraction(rng: np.random.Generator, nested: bool) -> str:
    numerator, denominator = _fraction_part(rng), _fraction_part(rng)
    if nested:
        where = rng.random()
        if where < 0.45 or where >= 0.9:
            numerator = _fraction(rng, False)
        if where >= 0.45:
            denominator = _fraction(rng, False)
    return "{" + numerator + "/" + denominator + "}"


def _fraction_part(rng: np.random.Generator) -> str:
    if rng.random() < 0.7:
        return str(rng.integers(1, 10 if rng.random() < 0.75 else 100))
    return f"{rng.integers(1, 10)}{rng.choice(['+', '-', '×'])}{rng.integers(1, 10)}"


_MAKERS = {"plain": _plain, "brackets": _brackets, "equations": _equation,
           "exponents": _exponents, "fractions": _fractions}


def _number(rng: np.random.Generator) -> str:
    if rng.random() < 0.08:
        return f"{rng.integers(0, 10)}.{rng.integers(1, 100 if rng.random() < 0.3 else 10)}"
    digits = int(rng.choice([1, 2, 3], p=[0.55, 0.35, 0.1]))
    return str(rng.integers(10 ** (digits - 1) if digits > 1 else 0, 10**digits))


def _chain(rng: np.random.Generator, depth: int, brackets: bool = True) -> str:
    count = int(rng.integers(2, 5 if depth == 0 else 4))
    text = _operand(rng, depth, brackets)
    for _ in range(count - 1):
        text += str(rng.choice(_OPERATORS, p=_OPERATOR_WEIGHTS)) + _operand(rng, depth, brackets)
    return text


def _operand(rng: np.random.Generator, depth: int, brackets: bool) -> str:
    if brackets and depth < 2 and rng.random() < 0.25:
        return "(" + _chain(rng, depth + 1) + ")"
    return _number(rng)


# ----------------------------------------------------------------- symbols


@dataclass(frozen=True)
class Crop:
    ink: np.ndarray  # bright ink on black, cropped to the ink
    stretched: bool  # the set stretched it to fill its frame


def load_symbols(data: Path) -> dict[str, list[Crop]]:
    """Digit, operator and `y` crops of the test splits and unseen-writer sets, by class."""
    bank: dict[str, list[Crop]] = defaultdict(list)
    images, labels = datasets.mnist(data, "t10k")
    for image, label in zip(images, labels, strict=True):
        bank[str(label)].append(Crop(_crop(image), False))
    sources: list[tuple[str, Iterator[datasets.Sample]]] = [
        ("bhmsds", datasets.bhmsds(data, test=True)),
        ("mdas", datasets.mdas(data, ("test",))),
        ("simepavlic", datasets.simepavlic(data)),
        ("sagyamthapa", datasets.sagyamthapa(data)),
    ]
    for source, samples in sources:
        for ink, name in samples:
            if name.isdigit():
                continue  # digits come from MNIST only
            if source == "bhmsds" and name == "cross":
                name = "letter_x"  # BHMSDS's only cross is the letter x
            if _usable(ink, name):
                bank[name].append(Crop(_crop(ink), source in _STRETCHED))
    # UNIPEN's test writers' y, drawn from their strokes (aspect kept), beside BHMSDS's.
    for strokes, name, _ in datasets.unipen(data, "test", ("y",)):
        bank[name].append(Crop(_crop(datasets.render_strokes(strokes, 56, 3)), False))
    return bank


def _usable(ink: np.ndarray, name: str) -> bool:
    """A ÷ whose dots stand apart from its bar (many 28-px MDAS crops have merged them), any
    dot, else most ink in one piece: drops crops carrying a neighbour's stroke or a scan line."""
    count, _, stats, _ = cv2.connectedComponentsWithStats((ink > 127).view(np.uint8))
    areas = stats[1:, cv2.CC_STAT_AREA]
    if name == "obelus":
        return count == 4
    return name == "dot" or (count > 1 and areas.max() >= 0.85 * areas.sum())


def _crop(ink: np.ndarray) -> np.ndarray:
    x, y, w, h = cv2.boundingRect(cv2.findNonZero((ink > 63).view(np.uint8)))
    return ink[y : y + h, x : x + w]


def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a boolean mask to its one-pixel centre line (topology kept)."""
    image = np.pad(mask, 1).astype(np.uint8)
    while True:
        removed = 0
        for step in (0, 1):
            p = image
            p2, p3, p4 = p[:-2, 1:-1], p[:-2, 2:], p[1:-1, 2:]
            p5, p6, p7 = p[2:, 2:], p[2:, 1:-1], p[2:, :-2]
            p8, p9 = p[1:-1, :-2], p[:-2, :-2]
            ring = (p2, p3, p4, p5, p6, p7, p8, p9, p2)
            neighbours = sum(n.astype(np.int32) for n in ring[:-1])
            transitions = sum(((a == 0) & (b == 1)).astype(np.int32)
                              for a, b in itertools.pairwise(ring))
            if step == 0:
                side = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                side = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            drop = (p[1:-1, 1:-1] == 1) & (neighbours >= 2) & (neighbours <= 6) & \
                (transitions == 1) & side
            image[1:-1, 1:-1][drop] = 0
            removed += int(drop.sum())
        if not removed:
            return image[1:-1, 1:-1].astype(bool)


def trace(ink: np.ndarray, width: float, height: float, apart: bool) -> np.ndarray | None:
    """Distance (ref px) to the centre line of `ink` resized to width×height digit heights,
    with PAD px of margin; None when nothing of the crop survives.

    With `apart`, each piece is traced on its own, so the dots of ÷ never melt into its bar;
    otherwise the blur rejoins strokes that a crop's faint ink has broken."""
    size = (max(2, round(width * REF)), max(2, round(height * REF)))
    grown = size[0] * size[1] > ink.size
    # Round off the staircase of upscaled pixels: the more they grew, the wider the steps.
    sigma = max(1.0, 0.5 * max(size[0] / ink.shape[1], size[1] / ink.shape[0]))
    count, pieces, stats, _ = cv2.connectedComponentsWithStats((ink > 63).view(np.uint8))
    areas = stats[:, cv2.CC_STAT_AREA]
    kept = [p for p in range(1, count) if areas[p] >= 0.05 * areas[1:].max()]  # not specks
    skeleton = np.zeros((size[1] + 2 * PAD, size[0] + 2 * PAD), bool)
    for group in ([[p] for p in kept] if apart else [kept]):
        alone = np.isin(pieces, group).astype(np.float32)  # faint ink counts in full
        big = cv2.resize(alone, size, interpolation=cv2.INTER_CUBIC if grown else cv2.INTER_AREA)
        big = cv2.GaussianBlur(big, (0, 0), sigma)
        # Half way keeps the holes of loops open; shrinking greys thin strokes, so then less.
        binary = np.pad(big > (0.5 if grown else 0.3), PAD)
        line = thin(binary)
        if not line.any() and binary.any():  # thinning erases 2×2 blobs: keep a dot's centre
            ys, xs = np.nonzero(binary)
            line[round(ys.mean()), round(xs.mean())] = True
        skeleton |= line
    if not skeleton.any():
        return None
    return cv2.distanceTransform((~skeleton).view(np.uint8), cv2.DIST_L2, 5)


# ----------------------------------------------------------------- composing

# Sizes and places of the 2-D structures, in digit heights of the line they stand in.
EXPONENT_SIZE = (0.5, 0.65)  # an exponent's digits
EXPONENT_RISE = (0.4, 0.6)  # the exponent's baseline above its base's
EXPONENT_GAP = (0.0, 0.12)  # from the base, written close
FRACTION_PART = (0.8, 1.0)  # numerator and denominator
NESTED_PART = (0.7, 0.9)  # those of a fraction inside a fraction, of that fraction's size
FRACTION_SPACE = (0.15, 0.35)  # from the bar to the numerator's bottom, the denominator's top
BAR_OVERHANG = (0.05, 0.2)  # the bar beyond the wider of the two, on each side
BAR_SHIFT = 0.06  # numerator and denominator off the bar's centre, at most
BAR_HEIGHT = 0.15  # the bar's wobble, at most (a stretched minus keeps it, not its height)
# A square root, drawn in one stroke: a flat tick up into a V, its foot below the radicand, a
# rise to the bar over the radicand. Sizes in digit heights of the root's line.
RADICAND = (0.85, 1.0)  # the radicand's digits
TICK = (0.1, 0.2)  # the tick's length
TICK_RISE = (0.15, 0.6)  # its slope, up per across
TICK_AT = (0.3, 0.5)  # where it meets the V, a share of the way from the foot up to the bar
DOWN = (0.08, 0.2)  # across from the tick's end to the foot
FOOT = (0.0, 0.12)  # the foot below the radicand's ink
UP = (0.2, 0.4)  # across from the foot to the bar's start
BAR_MARGIN = (0.2, 0.35)  # from the radicand's ink up to the bar (centre lines: pen aside)
LEAD = (0.08, 0.18)  # from the bar's start to the radicand
BAR_RUN = (0.05, 0.2)  # the bar past the radicand
BAR_RISE = (-0.02, 0.05)  # the bar's rise over its length, a share of it


@dataclass(frozen=True)
class Part:
    field: np.ndarray  # distance to the centre line at REF scale, PAD margin included
    left: float  # ink box relative to the symbol's left edge and the baseline, in digit heights
    top: float
    min_width: float  # pen width at least this share of a digit height (dots are discs)
    char: str = ""  # the symbol it belongs to; "bar" for a fraction's bar

    @property
    def size(self) -> tuple[float, float]:
        """Width and height of the ink box, digit heights."""
        return (self.field.shape[1] - 2 * PAD) / REF, (self.field.shape[0] - 2 * PAD) / REF


@dataclass(frozen=True)
class Symbol:
    char: str
    parts: tuple[Part, ...]
    width: float  # digit heights
    gap: float  # 0..1: where in the condition's gap range the space before it falls
    lift: float  # baseline jitter, digit heights
    size: float = 1.0  # its line's digit height, as a share of the expression's


@dataclass(frozen=True)
class Raised:
    """An exponent: its symbols (composed at their smaller size) on a line raised above the
    base's line."""

    symbols: tuple[Symbol, ...]
    rise: float  # digit heights from the base line's baseline to the exponent's
    gap: float  # 0..1 within the exponent gap range
    size: float  # the base line's digit height


@dataclass(frozen=True)
class Stacked:
    """A stacked fraction: numerator and denominator centred on a bar at the line's middle."""

    numerator: tuple[Node, ...]
    denominator: tuple[Node, ...]
    bar: np.ndarray  # the minus crop stretched to the bar, once the parts' widths are known
    overhang: tuple[float, float]  # left, right; digit heights
    space: tuple[float, float]  # above, below the bar
    shift: tuple[float, float]  # numerator's and denominator's, from centred
    gap: float
    lift: float
    size: float


@dataclass(frozen=True)
class Rooted:
    """A square root: its sign drawn around the radicand once the radicand's size is known."""

    radicand: tuple[Node, ...]
    shape: dict[str, float]  # the sign's draws, named as the constants TICK ... BAR_RISE
    gap: float
    lift: float
    size: float


Node = Symbol | Raised | Stacked | Rooted


@dataclass(frozen=True)
class Composed:
    """One expression's symbols and the random choices every condition shares."""

    text: str
    symbols: tuple[Node, ...]
    slope: float  # radians
    pen: float  # pen width as a share of a digit height
    ink: tuple[int, int, int]
    height: float  # digit height, px, on a ~1280 px photo
    small_height: float  # digit height, px, on the 2000 px page
    page: tuple[int, int]  # width, height
    place: tuple[float, float]  # where the expression sits in the free space, 0..1
    small_left: float


def compose(text: str, bank: dict[str, list[Crop]], rng: np.random.Generator) -> Composed:
    """Crops, sizes and jitter for `text` (the generator's notation). A text without exponents
    or fractions takes the random draws of earlier versions, so it is drawn as they drew it."""
    symbols = _compose_line(parse_notation(text), bank, rng, 1.0, 0)
    landscape = rng.random() < 0.6
    page = (1280, int(rng.choice([720, 960]))) if landscape else (960, 1280)
    return Composed(text, symbols, np.radians(rng.uniform(-2, 2)),
                    rng.uniform(0.05, 0.1),
                    tuple(int(c) for c in rng.choice([(40, 40, 40), (120, 50, 30), (90, 30, 20)])),
                    rng.uniform(45, 90), rng.uniform(25, 40), page,
                    (rng.uniform(0.2, 0.8), rng.uniform(0.3, 0.7)), rng.uniform(0.05, 0.6))


def _compose_line(items: tuple[Item, ...], bank: dict[str, list[Crop]], rng: np.random.Generator,
                  size: float, depth: int) -> tuple[Node, ...]:
    """The nodes of one line whose digits are `size` tall; `depth` fractions deep."""
    nodes: list[Node] = []
    for item in items:
        if isinstance(item, Power):
            small = size * rng.uniform(*EXPONENT_SIZE)
            rise = size * rng.uniform(*EXPONENT_RISE)
            base = nodes[-1] if nodes else None
            if isinstance(base, Symbol) and base.char == ")":  # a bracket reaches above digits
                rise += max(0.0, -base.parts[0].top - size)
            inner = _compose_line(item.items, bank, rng, small, depth)
            nodes.append(Raised(inner, rise, rng.random(), size))
        elif isinstance(item, Over):
            share = NESTED_PART if depth else FRACTION_PART
            numerator = _compose_line(item.numerator, bank, rng, size * rng.uniform(*share),
                                      depth + 1)
            denominator = _compose_line(item.denominator, bank, rng,
                                        size * rng.uniform(*share), depth + 1)
            bar = bank["minus"][rng.integers(len(bank["minus"]))].ink
            nodes.append(Stacked(
                numerator, denominator, bar,
                (size * rng.uniform(*BAR_OVERHANG), size * rng.uniform(*BAR_OVERHANG)),
                (size * rng.uniform(*FRACTION_SPACE), size * rng.uniform(*FRACTION_SPACE)),
                (size * rng.uniform(-BAR_SHIFT, BAR_SHIFT),
                 size * rng.uniform(-BAR_SHIFT, BAR_SHIFT)),
                rng.random(), size * rng.uniform(-0.06, 0.06), size))
        elif isinstance(item, Root):
            radicand = _compose_line(item.radicand, bank, rng, size * rng.uniform(*RADICAND),
                                     depth)
            shape = {name: float(rng.uniform(*span)) for name, span in _ROOT_SHAPE.items()}
            nodes.append(Rooted(radicand, shape, rng.random(), size * rng.uniform(-0.06, 0.06),
                                size))
        else:
            nodes.append(_compose_symbol(item, bank, rng, size))
    return tuple(nodes)


_ROOT_SHAPE = {"tick": TICK, "tick_rise": TICK_RISE, "tick_at": TICK_AT, "down": DOWN,
               "foot": FOOT, "up": UP, "margin": BAR_MARGIN, "lead": LEAD, "run": BAR_RUN,
               "bar_rise": BAR_RISE}


def _compose_symbol(char: str, bank: dict[str, list[Crop]], rng: np.random.Generator,
                    size: float) -> Symbol:
    scale = rng.uniform(0.88, 1.12) * size
    if char == "=":
        bars = [_part("-", bank, rng, scale, BAR_HEIGHT * size) for _ in range(2)]
        gap = rng.uniform(0.2, 0.35) * scale
        top = -0.5 * size - gap / 2 - bars[0][1]
        shift = rng.uniform(-0.05, 0.05) * size
        parts = (Part(bars[0][0], 0.0, top, 0.0, char),
                 Part(bars[1][0], max(0.0, shift), -0.5 * size + gap / 2, 0.0, char))
        width = max(bars[0][2], bars[1][2] + max(0.0, shift))
    else:
        field, h, w, min_width = _part(char, bank, rng, scale, BAR_HEIGHT * size)
        anchor = "base" if char.isdigit() else _SYMBOLS[char][3]
        top = -h if anchor == "base" else -0.5 * size - h / 2 if anchor == "mid" else \
            -h * (1 - rng.uniform(*DESCENT))
        parts, width = (Part(field, 0.0, top, min_width, char),), w
    return Symbol(char, parts, width, rng.random(), rng.uniform(-0.06, 0.06) * size, size)


def _part(char: str, bank: dict[str, list[Crop]], rng: np.random.Generator, scale: float,
          flat: float) -> tuple[np.ndarray, float, float, float]:
    """A traced crop for `char`: (field, height, width in digit heights, min pen width); a
    minus is at most `flat` high."""
    while True:
        if char.isdigit():
            crops, size, aspect = bank[char], (1.0, 1.0), None
        else:
            name, size, aspect, _ = _SYMBOLS[char]
            crops = bank[name]
        crop = crops[rng.integers(len(crops))]
        extent = rng.uniform(*size) * scale
        ratio = rng.uniform(*aspect) if crop.stretched and aspect else \
            crop.ink.shape[1] / crop.ink.shape[0]
        h, w = (extent / ratio, extent) if char == "-" else (extent, extent * ratio)
        if char == "-":
            h = min(h, flat)  # a stretched minus keeps its wobble, not its bar's height
        field = trace(crop.ink, w, h, apart=char == "÷")
        if field is not None:
            return field, h, w, extent if char in _DOTS else 0.0


# A part placed: its top-left in digit heights from the start of the baseline, before the
# writing's slope, and the x its slope is taken at (its symbol's left edge).
_Placed = tuple[Part, float, float, float]


def layout(composed: Composed, wide: bool) -> tuple[list[tuple[Part, float, float]], float,
                                                    tuple[float, float]]:
    """Each part with its top-left in digit heights from the start of the baseline, the
    expression's width, and its ink's top and bottom (digit heights below the baseline, slope
    aside). Digits of a number sit close, operators further, an exponent closest; `wide` spaces
    all."""
    placed, span = _line(composed.symbols, wide)
    tilt = np.tan(composed.slope)
    return [(part, x, y + tilt * anchor) for part, x, y, anchor in placed], span, \
        _extent(placed)


def _line(nodes: tuple[Node, ...], wide: bool) -> tuple[list[_Placed], float]:
    placed: list[_Placed] = []
    x, previous = 0.0, ""
    for node in nodes:
        if isinstance(node, Raised):
            low, high = (0.15, 0.4) if wide else EXPONENT_GAP
            x += (low + node.gap * (high - low)) * node.size
            inner, width = _line(node.symbols, wide)
            placed += [(part, x + px, py - node.rise, x + anchor)
                       for part, px, py, anchor in inner]
            x += width
            previous = "^"
            continue
        char = node.char if isinstance(node, Symbol) else \
            "√" if isinstance(node, Rooted) else "{"
        if previous:
            tight = previous in _TIGHT and char in _TIGHT
            low, high = (0.7, 1.3) if wide else (0.04, 0.2) if tight else (0.15, 0.45)
            x += (low + node.gap * (high - low)) * node.size
        if isinstance(node, Symbol):
            for part in node.parts:
                placed.append((part, x + part.left, part.top + node.lift, x))
            x += node.width
        else:
            inner, width = _stack(node, wide) if isinstance(node, Stacked) else \
                _radical(node, wide)
            placed += [(part, x + px, py + node.lift, x + anchor)
                       for part, px, py, anchor in inner]
            x += width
        previous = char
    return placed, x


def _stack(node: Stacked, wide: bool) -> tuple[list[_Placed], float]:
    """A fraction's parts from its left edge and its line's baseline, and its width."""
    numerator, top_width = _line(node.numerator, wide)
    denominator, bottom_width = _line(node.denominator, wide)
    inner = max(top_width, bottom_width)
    width = inner + node.overhang[0] + node.overhang[1]
    ratio = node.bar.shape[1] / node.bar.shape[0]
    height = min(width / ratio, BAR_HEIGHT * node.size)
    field = trace(node.bar, width, height, apart=False)
    if field is None:  # nothing survived tracing: a straight bar
        field = _straight_bar(width, height)
    bar_top = -0.5 * node.size - height / 2
    placed: list[_Placed] = [(Part(field, 0.0, 0.0, 0.0, "bar"), 0.0, bar_top, 0.0)]
    for line, line_width, shift, above in ((numerator, top_width, node.shift[0], True),
                                           (denominator, bottom_width, node.shift[1], False)):
        left = min(max(0.0, node.overhang[0] + (inner - line_width) / 2 + shift),
                   width - line_width)
        top, bottom = _extent(line)
        down = bar_top - node.space[0] - bottom if above else \
            bar_top + height + node.space[1] - top
        placed += [(part, left + px, py + down, left + anchor) for part, px, py, anchor in line]
    return placed, width


def _radical(node: Rooted, wide: bool) -> tuple[list[_Placed], float]:
    """A square root's sign and radicand from its left edge and its line's baseline, and its
    width: the V's foot below the radicand's ink, the bar above it, covering it."""
    inner, inner_width = _line(node.radicand, wide)
    top, bottom = _extent(inner)
    shape, size = node.shape, node.size
    bar, foot = top - shape["margin"] * size, max(0.0, bottom) + shape["foot"] * size
    tick_y = foot - shape["tick_at"] * (foot - bar)
    tick_end = (shape["tick"] * size, tick_y - shape["tick_rise"] * shape["tick"] * size)
    bottom_x = tick_end[0] + shape["down"] * size
    corner = bottom_x + shape["up"] * size
    start = corner + shape["lead"] * size  # the radicand's left edge
    end = start + inner_width + shape["run"] * size
    points = np.array([(0.0, tick_y), tick_end, (bottom_x, foot), (corner, bar),
                       (end, bar - shape["bar_rise"] * (end - corner))])
    low = points.min(axis=0)
    sign = Part(stroke_field(points - low), float(low[0]), float(low[1]), 0.0, "√")
    return [(sign, sign.left, sign.top, 0.0),
            *[(part, start + px, py, start + anchor) for part, px, py, anchor in inner]], end


def stroke_field(points: np.ndarray) -> np.ndarray:
    """Distance (ref px) to a polyline through `points` (digit heights, from 0), PAD around."""
    extent = points.max(axis=0)
    line = np.zeros((round(extent[1] * REF) + 2 * PAD, round(extent[0] * REF) + 2 * PAD),
                    np.uint8)
    cv2.polylines(line, [np.round(points * REF + PAD).astype(np.int32)], False, 1)
    return cv2.distanceTransform(1 - line, cv2.DIST_L2, 5)


def _straight_bar(width: float, height: float) -> np.ndarray:
    size = (max(2, round(width * REF)), max(2, round(height * REF)))
    line = np.zeros((size[1] + 2 * PAD, size[0] + 2 * PAD), np.uint8)
    line[PAD + size[1] // 2, PAD : PAD + size[0]] = 1
    return cv2.distanceTransform(1 - line, cv2.DIST_L2, 5)


def _extent(placed: list[_Placed]) -> tuple[float, float]:
    """Top and bottom of the parts' ink, digit heights below the baseline."""
    return (min(y for _, _, y, _ in placed),
            max(y + part.size[1] for part, _, y, _ in placed))


def render(placed: list[tuple[Part, float, float]], shape: tuple[int, int],
           origin: tuple[float, float], height: float, pen: float) -> np.ndarray:
    """Ink coverage 0..255 of the page (height, width): strokes `pen` px wide along each part's
    centre line, anti-aliased; `origin` is the start of the baseline in px."""
    mask = np.zeros(shape, np.float32)
    scale = height / REF
    for part, x, y in placed:
        fh, fw = part.field.shape
        size = (max(1, round(fw * scale)), max(1, round(fh * scale)))
        distance = cv2.resize(part.field, size, interpolation=cv2.INTER_LINEAR) * scale
        width = max(pen, part.min_width * height)
        alpha = np.clip(width / 2 + 0.5 - distance, 0, 1)
        # The layout keeps ink inside the page; clamping only guards the slicing below.
        left = max(0, round(origin[0] + x * height - PAD * scale))
        top = max(0, round(origin[1] + y * height - PAD * scale))
        region = mask[top : top + size[1], left : left + size[0]]
        np.maximum(region, alpha[: region.shape[0], : region.shape[1]], out=region)
    return (mask * 255).astype(np.uint8)


# ----------------------------------------------------------------- reading the layout alone

_TRUE_CLASS = {"+": "plus", "-": "minus", "bar": "minus", "×": "cross", "x": "cross",
               "*": "asterisk", "·": "dot", ".": "dot", "÷": "obelus", "/": "slash",
               "(": "lparen", ")": "rparen", "y": "y", "√": "sqrt"}


def read_layout(placed: list[tuple[Part, float, float]]) -> str | None:
    """What recognizer.layout and the grammar make of the drawn symbols' boxes, each symbol
    classified right (the two bars of `=` joined, as segmentation does): whether the geometry
    alone can be read. None when no reading parses."""
    boxes: list[tuple[str, float, float, float, float]] = []  # char, left, top, right, bottom
    for part, x, y in placed:
        w, h = part.size
        if part.char == "=" and boxes and boxes[-1][0] == "=" and boxes[-1][4] < y:
            _, left, top, right, _ = boxes.pop()  # the lower bar of the `=` just placed
            boxes.append(("=", min(left, x), top, max(right, x + w), y + h))
        else:
            boxes.append((part.char, x, y, x + w, y + h))
    scale = 100.0  # px per digit height
    top = min(b[2] for b in boxes)
    segments, probs = [], np.zeros((len(boxes), len(SYMBOLS)), np.float32)
    for k, (char, left, y0, right, y1) in enumerate(boxes):
        box = (round(left * scale), round((y0 - top) * scale),
               max(1, round((right - left) * scale)), max(1, round((y1 - y0) * scale)))
        segments.append(Segment(box, np.zeros(box[:1:-1], np.uint8), "=" if char == "=" else None))
        probs[k, SYMBOLS.index(char if char.isdigit() else _TRUE_CLASS.get(char, "equals"))] = 1
    try:
        return canonical(decode([slot.candidates for slot in arrange(segments, probs)]))
    except ExpressionError:
        return None


# ----------------------------------------------------------------- photographing


def photograph(composed: Composed, condition: str, rng: np.random.Generator) -> bytes:
    """JPEG bytes of the expression under `condition`, as a phone would send them."""
    effects = COMBINED.get(condition, (condition,))
    placed, span, (top, bottom) = layout(composed, wide="wide" in effects)
    # Room above and below the baseline, digit heights: 1.5 as ever, more for tall fractions.
    above = 1.5 if top >= -1.4 else 0.3 - top
    below = 1.5 if bottom <= 0.4 else 0.3 + bottom
    if "small_on_page" in effects:
        page_w, page_h = 1500, 2000
        height = composed.small_height
        left = 80 + composed.small_left * max(0.0, page_w - 160 - span * height)
        # The top strip of the page.
        baseline = rng.uniform(1.6, 4.0) * height + 40 + (above - 1.5) * height
    else:
        page_w, page_h = composed.page
        height = min(composed.height, 0.85 * page_w / span, 0.9 * page_h / (above + below))
        left = 0.07 * page_w + composed.place[0] * max(0.0, 0.86 * page_w - span * height)
        baseline = height * above + composed.place[1] * (page_h - height * (above + below))
    pen, ink = pen_and_ink(composed, height, effects, rng)
    mask = pencil_grain(render(placed, (page_h, page_w), (left, baseline), height, pen),
                        effects, rng)
    step = offset = None
    if "lined" in effects:  # writing on the line, as most people do
        step = round(height * rng.uniform(1.3, 1.7))
        offset = round(baseline + height * rng.uniform(-0.05, 0.2)) % step
    if "squared" in effects:
        step = round(height * rng.uniform(0.55, 0.9))
    up, down = (1.0 if top >= -1.4 else -top), (0.0 if bottom <= 0.4 else bottom)
    text = (left, baseline - height * up, span * height, height * (up + down))
    return photograph_mask(mask, effects, ink, rng, (step, offset), text)[0]


def pen_and_ink(composed: Composed, height: float, effects: tuple[str, ...],
                rng: np.random.Generator) -> tuple[float, tuple[int, int, int]]:
    """The pen's width (px) for digits `height` px tall and the ink's colour (BGR)."""
    pen = max(1.5, composed.pen * height)
    ink = composed.ink
    if "thin" in effects:
        pen = rng.uniform(1.0, 2.0)
    if "faint_pencil" in effects:
        pen = rng.uniform(1.5, 2.5)
        grey = int(rng.uniform(140, 175))
        ink = (grey, grey, grey)
    return pen, ink


def pencil_grain(mask: np.ndarray, effects: tuple[str, ...],
                 rng: np.random.Generator) -> np.ndarray:
    """The ink mask, patchy as graphite leaves it under faint pencil, else as it is."""
    if "faint_pencil" not in effects:
        return mask
    grain = cv2.GaussianBlur(rng.uniform(0.45, 1.0, mask.shape).astype(np.float32), (0, 0), 1)
    return (mask * grain).astype(np.uint8)


def photograph_mask(mask: np.ndarray, effects: tuple[str, ...], ink: tuple[int, int, int],
                    rng: np.random.Generator, rules: tuple[int | None, int | None],
                    text: tuple[float, float, float, float],
                    tilt: tuple[float, float] = (3, 8)) -> tuple[bytes, np.ndarray | None]:
    """JPEG bytes of an ink mask (the page, 0-255) on paper under `effects`, as a phone would
    send them, and the rotation applied to the page (a 2×3 matrix; None when level), so a
    caller can move its own boxes with it. `rules` are draw_paper's rule step and offset;
    `text` (x, y, w, h, px) is where the shadow and the crease cross the writing; `tilt` the
    range of a rotation's degrees."""
    page_h, page_w = mask.shape
    background = next((e for e in effects if e in ("lined", "squared")), "plain")
    image = draw_paper(mask, rng, background, "shadow" if "shadow" in effects else "even", ink,
                       rule_step=rules[0], rule_offset=rules[1])
    if "shadow" in effects:
        image = _shade(image, text, rng)
    if "crease" in effects:
        image = _crease(image, (text[0], text[2]), rng)
    matrix = None
    if "rotated" in effects:
        angle = rng.uniform(*tilt) * rng.choice([-1, 1])
        matrix = cv2.getRotationMatrix2D((page_w / 2, page_h / 2), angle, 1.0)
        image = cv2.warpAffine(image, matrix, (page_w, page_h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
    quality = 88  # about what Telegram re-encodes photos at
    if "jpeg" in effects:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.8, 1.3))
        quality = 35
    if "exif" in effects:
        orientation = int(rng.choice([6, 8]))
        stored = cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE if orientation == 6
                            else cv2.ROTATE_90_CLOCKWISE)
        return with_orientation(_jpeg(stored, quality), orientation), matrix
    return _jpeg(image, quality), matrix


def _shade(image: np.ndarray, text: tuple[float, float, float, float],
           rng: np.random.Generator) -> np.ndarray:
    """A hard shadow edge (a phone or hand) crossing the text, and vignetting."""
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    x0, y0, tw, th = text
    cx, cy = x0 + rng.uniform(0.2, 0.8) * tw, y0 + rng.uniform(0, 1) * th
    angle = rng.uniform(0, np.pi)
    side = (xs - cx) * np.sin(angle) - (ys - cy) * np.cos(angle)
    edge = cv2.GaussianBlur((side > 0).astype(np.float32), (0, 0), rng.uniform(2, 6))
    light = 1 - rng.uniform(0.2, 0.35) * edge
    radius = ((xs - w / 2) ** 2 + (ys - h / 2) ** 2) / ((w / 2) ** 2 + (h / 2) ** 2)
    light *= 1 - rng.uniform(0.15, 0.3) * radius
    return np.clip(image * light[..., None], 0, 255).astype(np.uint8)


def _crease(image: np.ndarray, text: tuple[float, float],
            rng: np.random.Generator) -> np.ndarray:
    """A fold across the page through the text: a thin dark line, a lit edge beside it and
    a brightness step between the two halves."""
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    x0, tw = text
    cx, cy = x0 + rng.uniform(0.15, 0.85) * tw, h / 2
    tilt = rng.uniform(-0.5, 0.5)  # radians from vertical
    side = (xs - cx) * np.cos(tilt) - (ys - cy) * np.sin(tilt)
    light = np.where(side > 0, rng.uniform(0.86, 0.94), 1.0).astype(np.float32)
    width = rng.uniform(0.8, 1.8)
    light *= 1 - rng.uniform(0.25, 0.45) * np.exp(-(side / width) ** 2)
    light *= 1 + 0.06 * np.exp(-((side + 2.5 * width) / width) ** 2)
    return np.clip(image * light[..., None], 0, 255).astype(np.uint8)


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def with_orientation(jpeg: bytes, orientation: int) -> bytes:
    """The JPEG with an EXIF APP1 segment after SOI holding only the Orientation tag (0x0112),
    as phones store portrait photos: the viewer must rotate them."""
    entry = struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)  # tag, SHORT, count 1, value
    tiff = b"MM\x00\x2a" + struct.pack(">IH", 8, 1) + entry + b"\0\0\0\0"  # one IFD, no next
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


# ----------------------------------------------------------------- running

SINGLE = tuple(c for c in CONDITIONS if c not in COMBINED)
_SHORT = {"faint_pencil": "faint", "small_on_page": "small", "pencil_photo": "p_photo",
          "pencil_notebook": "p_note"}  # column heads


@dataclass(frozen=True)
class Drawn:
    """One expression as drawn: its canonical label and what the layout reads from its boxes."""

    index: int
    structure: str
    text: str
    label: str
    layout_read: str | None


def run(data: Path, n: int, seed: int, save: Path | None, structures: tuple[str, ...],
        mixed: bool = False) -> tuple[dict[str, list[Outcome]], list[Drawn]]:
    """Each expression photographed under every condition; Case.kind is its structure."""
    bank = load_symbols(data)
    outcomes: dict[str, list[Outcome]] = defaultdict(list)
    drawn = []
    plan = [(None, index) for index in range(n)] if mixed else \
        [(structure, index) for structure in structures for index in range(n)]
    for structure, index in plan:
        # Mixed: the seeds of earlier versions; a structure has seeds of its own.
        key = [seed, index] if structure is None else \
            [seed, index, 100 + STRUCTURES.index(structure)]
        rng = np.random.default_rng(key)
        text = random_expression(rng, structure)
        kind = structure_of(text)
        label = expected_label(text)
        composed = compose(text, bank, rng)
        drawn.append(Drawn(index, kind, text, label, read_layout(layout(composed, False)[0])))
        for number, condition in enumerate(CONDITIONS):
            photo = photograph(composed, condition, np.random.default_rng([*key, number]))
            recognition = recognize(photo)
            name = f"{condition}-{index:03d}.jpg" if structure is None else \
                f"{condition}-{structure}-{index:03d}.jpg"
            case = Case(Path(name), label, "", condition, kind)
            outcome = Outcome(case, recognition, recognition.ms)
            outcomes[condition].append(outcome)
            if save and not outcome.exact:
                save.mkdir(parents=True, exist_ok=True)
                (save / case.path.name).write_bytes(photo)
    return outcomes, drawn


def _exact(outcomes: list[Outcome]) -> str:
    return f"{100 * sum(o.exact for o in outcomes) / len(outcomes):5.1f}" if outcomes else "    -"


def report(outcomes: dict[str, list[Outcome]], drawn: list[Drawn], seed: int,
           seconds: float) -> None:
    structures = [s for s in STRUCTURES if any(d.structure == s for d in drawn)]
    counts = {s: sum(d.structure == s for d in drawn) for s in structures}
    print(f"machine: {machine()}")
    print(f"{len(drawn)} composed expressions ("
          + ", ".join(f"{counts[s]} {s}" for s in structures)
          + f") × {len(CONDITIONS)} conditions, seed {seed}; "
          "ms = the recognizer's own time per image, models preloaded")
    for condition in CONDITIONS:
        print(summary_line(condition, outcomes[condition]))
    print(summary_line("all", [o for c in CONDITIONS for o in outcomes[c]]))
    print(summary_line("single conditions", [o for c in SINGLE for o in outcomes[c]]))
    print(summary_line("combined", [o for c in COMBINED for o in outcomes[c]]))
    print("-- trust (recognizer.trust): shares of the answers given")
    print(trust_line("single conditions", [o for c in SINGLE for o in outcomes[c]]))
    print(trust_line("combined", [o for c in COMBINED for o in outcomes[c]]))

    def of(structure: str, conditions: tuple[str, ...] | list[str]) -> list[Outcome]:
        return [o for c in conditions for o in outcomes[c] if o.case.kind == structure]

    print("-- exact % by structure (rows) and condition; single = the 12 single conditions, "
          "combined = pencil_photo and pencil_notebook")
    columns = [(_SHORT.get(c, c), (c,)) for c in CONDITIONS] + [("single", SINGLE),
                                                                ("combined", tuple(COMBINED))]
    print(f"{'':10s} {'n':>3s} " + " ".join(f"{name:>7s}" for name, _ in columns))
    for structure in [*structures, "all"]:
        rows = structures if structure == "all" else [structure]
        n = sum(counts[s] for s in rows)
        cells = [_exact([o for s in rows for o in of(s, conditions)]) for _, conditions in columns]
        print(f"{structure:10s} {n:3d} " + " ".join(f"{cell:>7s}" for cell in cells))
    print("-- per structure")
    for structure in structures:
        print(summary_line(f"{structure} single", of(structure, SINGLE)))
        print(summary_line(f"{structure} combined", of(structure, tuple(COMBINED))))
    print("-- the drawn boxes with true classes through the layout and grammar (geometry alone)")
    for structure in structures:
        mine = [d for d in drawn if d.structure == structure]
        right = sum(d.layout_read == d.label for d in mine)
        print(f"{structure:10s} {right:3d} of {len(mine):3d} read right")
    for d in drawn:
        if d.layout_read != d.label:
            print(f"  {d.structure:10s} #{d.index:03d} {d.text:16s} {d.label:20s} → "
                  f"{d.layout_read}")
    print("-- failures (as written → read | result or error)")
    for condition in CONDITIONS:
        for o in outcomes[condition]:
            if not o.exact:
                r = o.recognition
                print(f"{o.case.path.name:34s} {o.case.kind:10s} {o.case.expected:20s} → "
                      f"{r.expression!s:20s} | {r.result or r.error}")
    print(f"{sum(len(v) for v in outcomes.values())} photos in {seconds:.0f} s "
          f"({seconds / 60:.1f} min) including the symbol bank's loading")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, help="expressions per structure (default 20), or in "
                        "all with --mixed (default 40)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--structures", nargs="+", choices=STRUCTURES, default=list(STRUCTURES),
                        help="draw only these structures")
    parser.add_argument("--mixed", action="store_true",
                        help="the mixed draw of earlier versions (no exponents or fractions): "
                             "the same photos as they took at the same --n and --seed")
    parser.add_argument("--save", type=Path, help="write the failing JPEGs here (not the repo)")
    args = parser.parse_args()
    if not (args.data / "mnist" / "t10k-images-idx3-ubyte.gz").is_file():
        raise SystemExit(f"No symbol sets at {args.data}: the data set is absent. "
                         "Pass --data or set MATHSNAP_DATA.")
    n = args.n or (40 if args.mixed else 20)
    started = time.perf_counter()
    load_models()
    outcomes, drawn = run(args.data, n, args.seed, args.save, tuple(args.structures), args.mixed)
    report(outcomes, drawn, args.seed, time.perf_counter() - started)


if __name__ == "__main__":
    main()
