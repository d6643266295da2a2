"""Worksheet benchmark: pages of 2-8 problems, one per line, composed from real handwritten
symbols by writers no model trained on, photographed as phones send them (issue 18).

    python -m benchmarks.pages --data ../shared/data [--n 20] [--seed 0] [--save /tmp/dir]

Every line is one of benchmarks.composed's random expressions, of a structure drawn at random
(plain, brackets, equations, exponents, fractions), composed from the same symbol banks (MNIST
t10k digits, the test splits and unseen-writer sets' operators) and traced and rendered as
composed renders them, so lines have its lengths, its spacing and its writer's slope. Some lines
are indented. A page numbers its lines, or does not: `1)` and `3.` are a digit crop and a `)`
crop or a dot, composed as an expression is; `a)` has no handwritten letter to take (the banks
have none), so its letter is OpenCV's FONT_HERSHEY_SCRIPT_SIMPLEX, traced and drawn with the
writer's pen like every crop. A label is not part of the expression: the truth is the line's
canonical expression (composed's `expected_label`), its label apart.

Between lines is 0.5-1.5 digit heights of blank; on lined paper each line's writing sits on a
rule (the rule nearest to that, at least MIN_GAP clear of the line above). Each page is drawn
once and photographed on every paper of PAPERS, 1280 px on its long side: `clean` (plain paper),
`lined`, `squared`, `faint_pencil` (plain paper) and `rotated` (plain paper, the page turned
1-3°, a hand held a little askew; composed turns one expression 3-8°).

Measured through recognizer.pipeline.recognize, whose `problems` are the page's lines in
reading order. A true line is found when exactly one problem's box covers it (overlaps it
vertically by more than half its height) and that problem covers no other line; otherwise it is
merged (its problem covers another line too), split (several problems cover it) or missed.
Problems covering no line are spurious. Boxes are compared in the photo's frame or, when they
fit better there, in the photo deskewed as recognizer.clean levels a tilted page (it reports
boxes in that frame). A line is read exactly when it is found and its problem's expression is
the truth; a page is all right when every line is, nothing is spurious and the problems come
in the page's order. Prints these per paper and per structure, how many labels were read as
written, the recognizer's milliseconds per page (target: at most 200 at 1280 px) and every
failure; --save writes the JPEGs of pages not all right (outside the repo).

`--kind` chooses what a page's problems are. `lines` (the default): the lines above.
`systems`: 1-4 systems of two linear equations in x and y a page (`2x+y=7` over `x-y=2`), one
of them at least with both unknowns (as recognizer.solve.is_system needs unbraced), a unique
integer solution or, SINGULAR of the time, none or infinitely many; the second row starts under
the first's equation, and half the systems have a brace left of both rows, one `{` stroke of
this module's own in the writer's pen. A system is one problem: its truth box spans both rows
(brace and label included), its truth is the two canonical equations joined by `;`. `y` is a
BHMSDS test-id crop or a UNIPEN test writer's (benchmarks.composed's bank), `x` BHMSDS's.
`roots`: lines with square roots, of ROOT_FORMS: `√16`, `√49+2`, `2√3`, `√(9+16)` (under the
bar with or without brackets), `3√2×√2`; the truth is the canonical reading, `√(16)`. No data
set has a handwritten `√`: it is benchmarks.composed's own stroke (not the symbol model's
training generator). Per structure, the report also counts the problems whose result is the
truth's (a system solved right).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import itertools
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import DEFAULT_DATA, machine
from benchmarks.composed import (
    STRUCTURES,
    Composed,
    Crop,
    Part,
    Symbol,
    compose,
    expected_label,
    glyph_count,
    layout,
    load_symbols,
    pen_and_ink,
    pencil_grain,
    photograph_mask,
    random_expression,
    render,
    signed_term,
    solvable,
    stroke_field,
    trace,
)
from recognizer.grammar import tokenize
from recognizer.pipeline import load_models, recognize
from recognizer.solve import solve_tokens
from recognizer.types import Problem, Recognition

Box = tuple[int, int, int, int]  # x, y, w, h, px
Placed = tuple[Part, float, float]  # a part and its top-left, digit heights

PAPERS = ("clean", "lined", "squared", "faint_pencil", "rotated")
LINES = (2, 8)  # problems on a page, both included
GAP = (0.5, 1.5)  # blank between lines, digit heights
MIN_GAP = 0.4  # lined paper: a line's writing at least this clear of the one above
RULE_STEP = (1.4, 2.0)  # lined paper, digit heights: a notebook's 7-8 mm under 4-5 mm digits
INDENTED = 0.3  # share of lines indented, by INDENT digit heights
INDENT = (0.5, 2.5)
LABEL_SPACE = (0.6, 1.5)  # from a label to its expression, digit heights
HEIGHT = (30, 70)  # digit height (px) the writer aims at; smaller when the page is full
TILT = (1, 3)  # degrees a `rotated` page is turned
SLOW_MS = 200  # the target for one page
COVER = 0.5  # a problem covers a line when it overlaps more than this share of its height
# Frames the problems' boxes may be in: the photo deskewed by these degrees, the least first.
DESKEWS = sorted((float(d) for d in np.arange(-6, 6.01, 0.25)), key=abs)
# How a page numbers its lines: not at all, 1) 2), 1. 2., a) b); and how often.
NUMBERINGS = ("", "1)", "1.", "a)")
NUMBERING_WEIGHTS = (0.35, 0.25, 0.15, 0.25)
_LETTER_FONT = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX
# Systems: the share with no solution or infinitely many, of those braced; a brace's size and
# place in digit heights (its reach past the rows' ink above and below).
SINGULAR = 0.1
BRACED = 0.5
BRACE_WIDTH = (0.3, 0.5)
BRACE_SPACE = (0.2, 0.45)  # from the brace to its equations
BRACE_REACH = (0.0, 0.15)
BRACE_POINT = (0.4, 0.6)  # its point, a share of its height from the top
ALIGN = (-0.15, 0.3)  # a system's second equation from under its first's start
# Roots: the forms of a line, as the report counts them.
ROOT_FORMS = ("alone", "term", "coefficient", "sum", "product")


# ----------------------------------------------------------------- drawing a page


@dataclass(frozen=True)
class Row:
    """One written line: its label's and expression's parts, from the line's start and
    baseline, digit heights (the writer's slope included), and where it goes on the page."""

    parts: tuple[Placed, ...]
    width: float
    top: float  # ink top and bottom, digit heights below the baseline
    bottom: float
    indent: float  # digit heights from the page's margin
    gap: float  # blank wanted above it, digit heights
    sit: float  # lined paper: how far its rule runs below its baseline, digit heights


@dataclass(frozen=True)
class Brace:
    """A system's `{`, one stroke left of its rows, as tall as their ink and its reach."""

    left: float  # digit heights from the page's margin
    width: float
    reach: float  # beyond the rows' ink, above and below, digit heights
    point: float  # where its point is, a share of its height from the top


@dataclass(frozen=True)
class Written:
    """One problem as written and the reading expected of it: a line, or a system's two."""

    text: str  # benchmarks.composed's notation; a system's equations joined by `;`
    structure: str
    expected: str  # canonical, the label left out
    label: str | None  # "1)", "a)", "3."
    rows: tuple[Row, ...]
    brace: Brace | None = None

    @functools.cached_property
    def answer(self) -> str | None:
        """The result of the expected reading, as the recognizer's solver gives it."""
        return solve_tokens(tokenize(self.expected)).result


@dataclass(frozen=True)
class Page:
    """A page's problems and the writer's draws every paper shares."""

    index: int
    problems: tuple[Written, ...]
    writer: Composed  # whose pen and ink the page is written with
    height: float  # digit height the writer aims at, px
    size: tuple[int, int]  # width, height
    place: tuple[float, float]  # where the writing sits in the free space, 0..1
    step: float  # lined paper: rule spacing, digit heights


def label_text(numbering: str, number: int) -> str | None:
    """The `number`th (from 1) label of a page numbered like `numbering` ("" for none)."""
    if not numbering:
        return None
    if numbering[0] == "a":
        return "abcdefgh"[number - 1] + numbering[1:]
    return f"{number}{numbering[1:]}"


def letter(char: str, rng: np.random.Generator) -> Symbol:
    """A letter for a label, in OpenCV's script font: the symbol banks have no letters."""
    scale, thickness = 3.0, 4
    # The font's 0 gives the digit height its letters are measured in.
    zero, _ = _font_ink("0", scale, thickness)
    ink, top = _font_ink(char, scale, thickness)
    size = rng.uniform(0.9, 1.1) / zero.shape[0]  # digit heights per font px
    h, w = ink.shape[0] * size, ink.shape[1] * size
    field = trace(ink, w, h, apart=False)
    if field is None:  # only a blank crop leaves no centre line
        raise ValueError(f"nothing traced of {char!r}")
    return Symbol(char, (Part(field, 0.0, top * size, 0.0, char),), w, rng.random(),
                  rng.uniform(-0.06, 0.06))


def _font_ink(char: str, scale: float, thickness: int) -> tuple[np.ndarray, int]:
    """The character's ink, cropped, and its top (px) from the font's baseline."""
    base = 120
    canvas = np.zeros((200, 200), np.uint8)
    cv2.putText(canvas, char, (20, base), _LETTER_FONT, scale, 255, thickness, cv2.LINE_AA)
    x, y, w, h = cv2.boundingRect(cv2.findNonZero(canvas))
    return canvas[y : y + h, x : x + w], y - base


def _label_parts(label: str, bank: dict[str, list[Crop]],
                 rng: np.random.Generator) -> tuple[list[Placed], float]:
    """A label's parts on a level baseline and its width, digit heights."""
    if label[0].isdigit():
        drawn = compose(label, bank, rng)
    else:
        drawn = compose(label[1:], bank, rng)
        drawn = dataclasses.replace(drawn, symbols=(letter(label[0], rng), *drawn.symbols))
    placed, width, _ = layout(dataclasses.replace(drawn, slope=0.0), wide=False)
    return placed, width


def written_row(text: str, bank: dict[str, list[Crop]], rng: np.random.Generator,
                label: str | None, room: float = 0.0,
                indent: float | None = None) -> tuple[Row, float]:
    """A row of `text` after its label and `room` digit heights of blank (a brace's), and
    where its expression starts, digit heights from the page's margin; `indent` at random
    (INDENTED of the time) unless given."""
    expression, width, _ = layout(compose(text, bank, rng), wide=False)
    parts: list[Placed] = []
    shift = room
    if label:
        parts, label_width = _label_parts(label, bank, rng)
        shift += label_width + rng.uniform(*LABEL_SPACE)
    if shift:
        expression = [(part, x + shift, y) for part, x, y in expression]
        width += shift
    parts += expression
    if indent is None:
        indent = rng.uniform(*INDENT) if rng.random() < INDENTED else 0.0
    row = Row(tuple(parts), width, min(y for _, _, y in parts),
              max(y + part.size[1] for part, _, y in parts), indent, rng.uniform(*GAP),
              rng.uniform(-0.05, 0.2))
    return row, indent + shift


def one_line(bank: dict[str, list[Crop]], rng: np.random.Generator,
             label: str | None) -> Written:
    """A problem of the `lines` kind: one random expression on its line, after its label."""
    structure = STRUCTURES[rng.integers(len(STRUCTURES))]
    text = random_expression(rng, structure)
    row, _ = written_row(text, bank, rng, label)
    return Written(text, structure, expected_label(text), label, (row,))


def one_system(bank: dict[str, list[Crop]], rng: np.random.Generator,
               label: str | None) -> Written:
    """A problem of the `systems` kind: two equations in x and y on consecutive rows, the
    second under the first, BRACED of the time with a brace left of both."""
    first, second = random_system(rng)
    brace = None
    room = 0.0
    if rng.random() < BRACED:
        width = rng.uniform(*BRACE_WIDTH)
        room = width + rng.uniform(*BRACE_SPACE)
        brace = Brace(0.0, width, rng.uniform(*BRACE_REACH), rng.uniform(*BRACE_POINT))
    top, start = written_row(first, bank, rng, label, room)
    bottom, _ = written_row(second, bank, rng, None, indent=start + rng.uniform(*ALIGN))
    if brace is not None:
        brace = dataclasses.replace(brace, left=start - room)
    text = f"{first};{second}"
    return Written(text, "braced" if brace else "unbraced", expected_label(text), label,
                   (top, bottom), brace)


def random_system(rng: np.random.Generator) -> tuple[str, str]:
    """Two linear equations in x and y, one at least with both (so the recognizer joins them
    even unbraced): a unique integer solution or, SINGULAR of the time, none or infinitely
    many."""
    while True:
        x, y = (int(v) for v in rng.integers(-3, 10, 2))
        a, b = _coefficient(rng), _coefficient(rng)
        if rng.random() < SINGULAR:
            # The second a multiple of the first: its right side too (infinitely many), or not.
            k = int(rng.choice([-2, -1, 2, 3]))
            off = 0 if rng.random() < 0.5 else int(rng.integers(1, 6))
            rows = [(a, b, a * x + b * y), (k * a, k * b, k * (a * x + b * y) + off)]
        else:
            # One unknown of the second may be left out (`x=3`); the two are never parallel.
            c, d = (0 if rng.random() < 0.15 else _coefficient(rng) for _ in range(2))
            if c * b == d * a:
                continue
            rows = [(a, b, a * x + b * y), (c, d, c * x + d * y)]
        first, second = (_equation(*row, rng) for row in rows[:: int(rng.choice([1, -1]))])
        if max(glyph_count(first), glyph_count(second)) <= 12 and \
                solvable(f"{first};{second}"):
            return first, second


def _coefficient(rng: np.random.Generator) -> int:
    """Small, as in homework: 1 and 2 the likeliest, a quarter negative."""
    return int(rng.choice([1, 1, 2, 2, 3, 4, 5])) * (1 if rng.random() < 0.75 else -1)


def _equation(a: int, b: int, c: int, rng: np.random.Generator) -> str:
    """`ax+by=c`, its terms sometimes the other way round."""
    terms = [signed_term(a, "x"), signed_term(b, "y")]
    if rng.random() < 0.2:
        terms.reverse()
    return "".join(terms).removeprefix("+") + f"={c}"


def one_root(bank: dict[str, list[Crop]], rng: np.random.Generator,
             label: str | None) -> Written:
    """A problem of the `roots` kind: a line with square roots, of a form of ROOT_FORMS."""
    form = ROOT_FORMS[rng.integers(len(ROOT_FORMS))]
    text = random_root(rng, form)
    row, _ = written_row(text, bank, rng, label)
    return Written(text, form, expected_label(text), label, (row,))


def random_root(rng: np.random.Generator, form: str) -> str:
    """A solvable line of square roots in composed's notation: `r{16}` (alone), `r{49}+2`
    (term), `2r{3}` (coefficient), `r{9+16}` or `r{(9+16)}` (sum), `3r{2}×r{2}` (product)."""
    while True:
        root = f"r{{{_radicand(rng)}}}"
        if form == "alone":
            text = root
        elif form == "term":
            number, operator = rng.integers(1, 20), rng.choice(["+", "-", "×"])
            text = f"{root}{operator}{number}" if rng.random() < 0.6 else \
                f"{number}{operator}{root}"
        elif form == "coefficient":
            text = f"{rng.integers(2, 10)}{root}"
        elif form == "sum":
            a, b = (int(v) for v in rng.integers(1, 50, 2))
            if rng.random() < 0.5:  # squares that sum to a square: √(9+16)
                a, b = ((3, 4), (6, 8), (5, 12), (8, 15), (9, 12))[rng.integers(5)]
                a, b = a * a, b * b
            inner = f"{a}{rng.choice(['+', '+', '-'])}{b}"
            text = f"r{{({inner})}}" if rng.random() < 0.4 else f"r{{{inner}}}"
        else:
            factor = "" if rng.random() < 0.4 else str(rng.integers(2, 10))
            text = f"{factor}{root}×r{{{_radicand(rng)}}}"
        if glyph_count(text) <= 12 and solvable(text):
            return text


def _radicand(rng: np.random.Generator) -> str:
    """A number under a root: a perfect square 60% of the time, so the result is whole."""
    if rng.random() < 0.6:
        return str(int(rng.integers(2, 13)) ** 2)
    return str(rng.integers(2, 30))


@dataclass(frozen=True)
class Kind:
    """What a page's problems are: their maker and the structures it names, in report order."""

    make: Callable[[dict[str, list[Crop]], np.random.Generator, str | None], Written]
    structures: tuple[str, ...]
    count: tuple[int, int] = LINES  # problems on a page, both included


KINDS = {"lines": Kind(one_line, STRUCTURES),
         "systems": Kind(one_system, ("braced", "unbraced"), (1, 4)),  # 2-8 rows
         "roots": Kind(one_root, ROOT_FORMS)}


def draw_page(index: int, bank: dict[str, list[Crop]], rng: np.random.Generator,
              kind: str = "lines") -> Page:
    low, high = KINDS[kind].count
    count = int(rng.integers(low, high + 1))
    numbering = str(rng.choice(NUMBERINGS, p=NUMBERING_WEIGHTS))
    problems = tuple(KINDS[kind].make(bank, rng, label_text(numbering, k + 1))
                     for k in range(count))
    portrait = rng.random() < 0.7  # a worksheet is most often taken upright
    # One writer for the page: the pen and ink compose draws, taken from a composed `1`.
    return Page(index, problems, compose("1", bank, rng), rng.uniform(*HEIGHT),
                (960, 1280) if portrait else (1280, 960),
                (rng.uniform(0.1, 0.9), rng.uniform(0.2, 0.8)), rng.uniform(*RULE_STEP))


def baselines(rows: Sequence[Row], step: float | None) -> list[float]:
    """Each row's baseline, digit heights below the first's: its `gap` of blank above it, or on
    lined paper (`step` between rules, the first row's rule `sit` below it) on the rule nearest
    to that, at least MIN_GAP clear of the row above."""
    out = [0.0]
    first_rule = rows[0].sit
    for previous, row in itertools.pairwise(rows):
        floor = out[-1] + previous.bottom  # the ink's bottom above
        wanted = floor + row.gap - row.top
        if step is None:
            out.append(wanted)
            continue
        rule = round((wanted + row.sit - first_rule) / step)
        while first_rule + rule * step - row.sit + row.top < floor + MIN_GAP:
            rule += 1
        out.append(first_rule + rule * step - row.sit)
    return out


@dataclass(frozen=True)
class Photo:
    page: Page
    paper: str
    jpeg: bytes
    # Each problem's writing, label included: the corners (4 × 2) of its box on the page, as
    # the page came out in the photo (turned with it on `rotated` paper).
    corners: tuple[np.ndarray, ...]

    def boxes(self, deskew: float = 0.0) -> list[Box]:
        """The problems' boxes in the photo deskewed by `deskew` degrees."""
        return [framed(c, deskew, self.page.size) for c in self.corners]


def photograph_page(page: Page, paper: str, rng: np.random.Generator) -> Photo:
    """The page written on `paper` and photographed, and where each problem came out."""
    effects = (paper,)
    rows = [row for problem in page.problems for row in problem.rows]
    page_w, page_h = page.size
    step = page.step if paper == "lined" else None
    lines = baselines(rows, step)
    block = lines[-1] + rows[-1].bottom - rows[0].top
    widest = max(row.indent + row.width for row in rows)
    height = min(page.height, 0.86 * page_w / widest, 0.9 * page_h / block)
    rule_px = 0
    if step is not None:  # whole pixels between rules: the rows follow the rounded step
        rule_px = round(step * height)
        lines = baselines(rows, rule_px / height)
        block = lines[-1] + rows[-1].bottom - rows[0].top
    left = 0.07 * page_w + page.place[0] * max(0.0, 0.86 * page_w - widest * height)
    # The first baseline: the writing's top in the free space within 5% margins.
    first = 0.05 * page_h + page.place[1] * max(0.0, 0.9 * page_h - block * height) \
        - rows[0].top * height
    rules: tuple[int | None, int | None] = (None, None)
    if rule_px:
        rules = (rule_px, round(first + rows[0].sit * height) % rule_px)
    elif paper == "squared":  # as benchmarks.composed squares it, the writing anywhere
        rules = (round(height * rng.uniform(0.55, 0.9)), None)
    pen, ink = pen_and_ink(page.writer, height, effects, rng)
    mask = np.zeros((page_h, page_w), np.uint8)
    row_boxes = []
    for row, baseline in zip(rows, lines, strict=True):
        drawn = render(list(row.parts), (page_h, page_w),
                       (left + row.indent * height, first + baseline * height), height, pen)
        row_boxes.append(cv2.boundingRect(cv2.findNonZero(drawn)))
        np.maximum(mask, drawn, out=mask)
    problem_boxes, start = [], 0
    for problem in page.problems:
        boxes = row_boxes[start : start + len(problem.rows)]
        start += len(problem.rows)
        if problem.brace is not None:
            boxes.append(draw_brace(problem.brace, _union(boxes), mask, left, height, pen))
        problem_boxes.append(_union(boxes))
    mask = pencil_grain(mask, effects, rng)
    text = (left, first + rows[0].top * height, widest * height, block * height)
    jpeg, matrix = photograph_mask(mask, effects, ink, rng, rules, text, TILT)
    corners = []
    for x, y, w, h in problem_boxes:
        box = np.float32([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])
        corners.append(box if matrix is None else cv2.transform(box[None], matrix)[0])
    return Photo(page, paper, jpeg, tuple(corners))


def draw_brace(brace: Brace, rows: Box, mask: np.ndarray, left: float, height: float,
               pen: float) -> Box:
    """Draw the brace into `mask` beside its rows' ink (`rows`, px), the page's margin `left`
    px and its digits `height` px; its box, px."""
    tall = rows[3] / height + 2 * brace.reach
    # A `{` from its top end round to its point at the left and back down, one stroke.
    w, point = brace.width, brace.point * tall
    corners = np.array([(w, 0.0), (0.4 * w, 0.1 * tall), (0.4 * w, point - 0.06 * tall),
                        (0.0, point), (0.4 * w, point + 0.06 * tall),
                        (0.4 * w, 0.9 * tall), (w, tall)])
    part = Part(stroke_field(_rounded(corners)), 0.0, 0.0, 0.0, "{")
    drawn = render([(part, 0.0, 0.0)], mask.shape,
                   (left + brace.left * height, rows[1] - brace.reach * height), height, pen)
    np.maximum(mask, drawn, out=mask)
    return cv2.boundingRect(cv2.findNonZero(drawn))


def _rounded(points: np.ndarray, times: int = 2) -> np.ndarray:
    """Chaikin's corner cutting: the polyline's corners rounded, its ends kept."""
    for _ in range(times):
        cut = np.concatenate([[0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b]
                              for a, b in itertools.pairwise(points)])
        points = np.concatenate([points[:1], cut, points[-1:]])
    return points - points.min(axis=0)


def _union(boxes: Sequence[Box]) -> Box:
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def framed(corners: np.ndarray, deskew: float, size: tuple[int, int]) -> Box:
    """The box around `corners` (photo px) once the photo (width, height) is deskewed by
    `deskew` degrees as recognizer.clean deskews a picture: about its centre, counter-clockwise,
    on a canvas grown to keep every corner. 0 leaves the photo's frame."""
    width, height = size
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), deskew, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    matrix[0, 2] += (np.ceil(width * cos + height * sin) - width) / 2
    matrix[1, 2] += (np.ceil(width * sin + height * cos) - height) / 2
    moved = cv2.transform(corners[None].astype(np.float32), matrix)[0]
    (x0, y0), (x1, y1) = moved.min(axis=0), moved.max(axis=0)
    return round(x0), round(y0), round(x1 - x0), round(y1 - y0)


# ----------------------------------------------------------------- matching lines


@dataclass(frozen=True)
class Match:
    """How the problems read fall on the true lines."""

    found: tuple[int | None, ...]  # per true line, the problem that alone covers it
    # Per true line: "found"; "merged" (its problem covers another line too); "split" (several
    # problems cover it); "missed" (none does).
    status: tuple[str, ...]
    spurious: tuple[int, ...]  # the problems covering no true line

    def count(self, status: str) -> int:
        return self.status.count(status)


def covers(problem: Box, line: Box) -> bool:
    """Whether the problem's box overlaps the line's vertically by most of its height."""
    overlap = min(problem[1] + problem[3], line[1] + line[3]) - max(problem[1], line[1])
    return overlap > COVER * line[3]


def match_lines(truth: Sequence[Box], read: Sequence[Box]) -> Match:
    covering = [[p for p, box in enumerate(read) if covers(box, line)] for line in truth]
    lines_of = [sum(p in c for c in covering) for p in range(len(read))]
    status = ["merged" if any(lines_of[p] > 1 for p in problems) else
              "split" if len(problems) > 1 else "missed" if not problems else "found"
              for problems in covering]
    return Match(tuple(problems[0] if s == "found" else None
                       for problems, s in zip(covering, status, strict=True)),
                 tuple(status), tuple(p for p, n in enumerate(lines_of) if n == 0))


def match_page(photo: Photo, read: Sequence[Box]) -> tuple[Match, float]:
    """The match in the frame the problems' boxes fit best, and its deskew in degrees: the
    photo's own frame, or the photo deskewed as recognizer.clean levels a tilted page (it
    reports boxes in that frame); the smallest turn among equals."""
    best: tuple[tuple[int, int], Match, float] | None = None
    for deskew in DESKEWS:
        match = match_lines(photo.boxes(deskew), read)
        score = (match.count("found"), -len(match.spurious))
        if best is None or score > best[0]:
            best = (score, match, deskew)
        if score == (len(photo.corners), 0):
            break
    assert best is not None
    return best[1], best[2]


# ----------------------------------------------------------------- running


@dataclass(frozen=True)
class Outcome:
    photo: Photo
    recognition: Recognition
    match: Match
    deskew: float  # the frame the problems' boxes were matched in

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.recognition.problems

    def read(self, line: int) -> Problem | None:
        """The problem that alone reads true line `line` (from 0)."""
        found = self.match.found[line]
        return None if found is None else self.problems[found]

    def exact(self, line: int) -> bool:
        problem = self.read(line)
        return problem is not None and \
            problem.expression == self.photo.page.problems[line].expected

    def result_right(self, line: int) -> bool:
        """Whether the line's problem has the result of the line's expected reading."""
        problem, truth = self.read(line), self.photo.page.problems[line]
        return problem is not None and truth.answer is not None and \
            problem.result == truth.answer

    def label_right(self, line: int) -> bool:
        """Whether the line's problem has the page's label for it, or none where it has none."""
        problem = self.read(line)
        return problem is not None and problem.label == self.photo.page.problems[line].label

    @property
    def in_order(self) -> bool:
        """Whether the problems found come in the page's order."""
        found = [f for f in self.match.found if f is not None]
        return found == sorted(found)

    @property
    def all_right(self) -> bool:
        return not self.match.spurious and self.in_order and \
            all(self.exact(k) for k in range(len(self.photo.page.problems)))

    @property
    def name(self) -> str:
        return f"{self.photo.paper}-{self.photo.page.index:03d}.jpg"


def run(data: Path, n: int, seed: int, save: Path | None, kind: str) -> list[Outcome]:
    """N pages, each photographed on every paper."""
    bank = load_symbols(data)
    outcomes = []
    for index in range(n):
        key = [seed, index, 300]  # composed's keys end below 300: pages draw texts of their own
        page = draw_page(index, bank, np.random.default_rng(key), kind)
        for number, paper in enumerate(PAPERS):
            photo = photograph_page(page, paper, np.random.default_rng([*key, number]))
            recognition = recognize(photo.jpeg)
            outcome = Outcome(photo, recognition,
                              *match_page(photo, [p.box for p in recognition.problems]))
            outcomes.append(outcome)
            if save and not outcome.all_right:
                save.mkdir(parents=True, exist_ok=True)
                (save / outcome.name).write_bytes(photo.jpeg)
    return outcomes


def _share(part: int, whole: int) -> str:
    return f"{part:4d}/{whole:<4d} {100 * part / whole:5.1f}%" if whole else f"{'-':>16s}"


def _ms(outcomes: Sequence[Outcome]) -> str:
    ms = sorted(o.recognition.ms for o in outcomes)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    slow = sum(m > SLOW_MS for m in ms)
    return (f"median {statistics.median(ms):6.1f}  p95 {p95:6.1f}  max {ms[-1]:6.1f} ms  "
            f"over {SLOW_MS}: {slow}")


def summary_line(name: str, outcomes: Sequence[Outcome]) -> str:
    lines = sum(len(o.photo.page.problems) for o in outcomes)
    found = sum(f is not None for o in outcomes for f in o.match.found)
    exact = sum(o.exact(k) for o in outcomes for k in range(len(o.photo.page.problems)))
    counts = {what: sum(o.match.count(what) for o in outcomes)
              for what in ("merged", "split", "missed")}
    counts["spurious"] = sum(len(o.match.spurious) for o in outcomes)
    return (f"{name:13s} pages {len(outcomes):3d}  found {_share(found, lines)}  "
            + "  ".join(f"{what} {count:3d}" for what, count in counts.items())
            + f"  exact {_share(exact, lines)}  pages right "
            f"{_share(sum(o.all_right for o in outcomes), len(outcomes))}")


def report(outcomes: list[Outcome], n: int, seed: int, kind: str, seconds: float) -> None:
    print(f"machine: {machine()}")
    pages = list({o.photo.page.index: o.photo.page for o in outcomes}.values())
    lines = [p for page in pages for p in page.problems]
    labelled = sum(p.label is not None for p in lines)
    print(f"{n} pages of {kind} ({len(lines)} lines, {labelled} labelled; "
          f"{min(len(p.problems) for p in pages)}-{max(len(p.problems) for p in pages)} a page) "
          f"× {len(PAPERS)} papers, seed {seed}; ms = the recognizer's own time per page, "
          "models preloaded")
    print("-- lines found (one problem alone covers the line), lines read exactly, pages with "
          "every line exact and nothing spurious")
    for paper in PAPERS:
        print(summary_line(paper, [o for o in outcomes if o.photo.paper == paper]))
    print(summary_line("all", outcomes))
    print("-- lines read exactly, and results right, by structure (each line once on every "
          "paper)")
    structures = KINDS[kind].structures
    for structure, group in [*((s, (s,)) for s in structures), ("all", structures)]:
        mine = [(o, k) for o in outcomes for k, p in enumerate(o.photo.page.problems)
                if p.structure in group]
        found = sum(o.match.found[k] is not None for o, k in mine)
        exact = sum(o.exact(k) for o, k in mine)
        right = sum(o.result_right(k) for o, k in mine)
        print(f"{structure:13s} lines {len(mine):4d}  found {_share(found, len(mine))}  "
              f"exact {_share(exact, len(mine))}  result {_share(right, len(mine))}")
    for labelled, which in ((True, "labelled"), (False, "unlabelled")):
        mine = [(o, k) for o in outcomes for k, p in enumerate(o.photo.page.problems)
                if (p.label is not None) == labelled and o.match.found[k] is not None]
        print(f"labels as written, {which} lines found: "
              f"{_share(sum(o.label_right(k) for o, k in mine), len(mine))}")
    print("-- ms per page")
    for paper in PAPERS:
        print(f"{paper:13s} {_ms([o for o in outcomes if o.photo.paper == paper])}")
    print(f"{'all':13s} {_ms(outcomes)}")
    print("-- failures (line label → label read: as written → read | result or error)")
    for o in outcomes:
        lines = range(len(o.photo.page.problems))
        wrong = [k for k in lines if not o.exact(k) or not o.label_right(k)]
        if o.all_right and not wrong:
            continue
        print(f"{o.name}  {len(o.photo.page.problems)} lines, {len(o.problems)} problems"
              f"{'' if o.in_order else ' out of order'}, boxes deskewed {o.deskew:+.2f}°")
        for k in wrong:
            problem, read = o.photo.page.problems[k], o.read(k)
            status = o.match.status[k] if read is None else "right" if o.exact(k) else "misread"
            shown = f"{read.expression!s:22s} | {read.result or read.error}" if read else ""
            labels = f"{problem.label or '-':>3s} → {read.label or '-':3s}" if read else \
                f"{problem.label or '-':>3s}      "
            print(f"  {k + 1} {labels} {status:8s} {problem.structure:10s} "
                  f"{problem.expected:22s} → {shown}")
        for p in o.match.spurious:
            print(f"  spurious problem {p + 1} at {o.problems[p].box}: "
                  f"{o.problems[p].expression}")
    print(f"{len(outcomes)} pages in {seconds:.0f} s ({seconds / 60:.1f} min) including the "
          "symbol bank's loading")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=20, help="pages per paper (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kind", choices=tuple(KINDS), default="lines",
                        help="what the problems are: lines of expressions (default), "
                        "systems of two equations, lines with square roots")
    parser.add_argument("--save", type=Path, help="write the JPEGs of pages not all right here "
                        "(not the repo)")
    args = parser.parse_args()
    if not (args.data / "mnist" / "t10k-images-idx3-ubyte.gz").is_file():
        raise SystemExit(f"No symbol sets at {args.data}: the data set is absent. "
                         "Pass --data or set MATHSNAP_DATA.")
    started = time.perf_counter()
    load_models()
    outcomes = run(args.data, args.n, args.seed, args.save, args.kind)
    report(outcomes, args.n, args.seed, args.kind, time.perf_counter() - started)


if __name__ == "__main__":
    main()
