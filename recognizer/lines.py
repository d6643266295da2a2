"""Symbol boxes → the lines of a page, top to bottom: one problem per line on a worksheet.

Pure geometry on (x, y, w, h) boxes. Symbols whose middle bands overlap share a line; then a
band that is only the numerator or denominator of another band's fraction bars, or only small
marks (a raised exponent, a dot), joins its neighbour. A brace or bracket taller than two lines
is set aside first: if it spans two finished lines it is a system's brace, else it stays with
the one line it stands in (a bracket around a fraction). Within a line, writing far to the
side of the rest is a stray mark, unless it is a label at the line's start (`1)`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Box = tuple[int, int, int, int]

MAX_LINES = 20
_CORE = 0.15  # share of a box's height cut off at top and bottom before bands overlap
_FULL = 0.6  # a symbol at least this share of the digit height is writing, not a mark
_FRACTION_GAP = 0.8  # digit heights at most between a fraction bar and its numerator's band
_MARK_GAP = 1.0  # digit heights: small marks further from any line are specks, not exponents
_SIDE_GAP = 4.0  # digit heights of blank beside a line beyond which writing is apart
_TALL = 1.8  # digit heights: a thin part this tall may be a brace over two lines
_LABEL_PARTS = 3  # a label in front of a line has at most this many symbols


@dataclass(frozen=True)
class Line:
    members: tuple[int, ...]  # indices into the boxes, left to right
    # Of those, a short group far to the left of the rest: the line's label (`1)`) if it reads
    # as one (`label_length`), else a stray mark.
    aside: tuple[int, ...] = ()
    braced: bool = False  # a brace joins this line to the next: a system of equations


def digit_height(boxes: Sequence[Box]) -> float:
    """Typical height of the boxes that are not flat (minus, fraction bars, `=`): their median,
    each weighted by its size, so that specks (what is left of a ruled margin) count little."""
    sized = sorted((h, w + h) for _, _, w, h in boxes if w < 2.2 * h)
    if not sized:
        return 0.0
    half, total = sum(weight for _, weight in sized) / 2, 0
    for h, weight in sized:
        total += weight
        if total >= half:
            return float(h)
    return float(sized[-1][0])


def find_lines(boxes: Sequence[Box]) -> list[Line]:
    """The lines of writing, top to bottom; stray marks left out."""
    height = digit_height(boxes) or 1.0
    tall = [i for i, (_, _, w, h) in enumerate(boxes) if h > _TALL * height and w < 0.6 * h]
    bands = _bands([i for i in range(len(boxes)) if i not in tall], boxes)
    bands = _substantial(_joined(bands, boxes, height), boxes, height)
    braces: list[tuple[int, int]] = []  # (first band, last band) each brace spans
    for i in tall:
        spanned = [k for k, band in enumerate(bands) if _overlaps(boxes[i], band, boxes)]
        if len(spanned) > 1:
            braces.append((spanned[0], spanned[-1]))
        elif spanned:
            bands[spanned[0]].append(i)
        elif not bands:
            bands.append([i])
    braced = {first for first, last in braces if last == first + 1}
    return [Line(line.members, line.aside, k in braced)
            for k, line in enumerate(_line(band, boxes, height) for band in bands)]


def _bands(items: list[int], boxes: Sequence[Box]) -> list[list[int]]:
    """Groups whose boxes' middle parts overlap vertically, top to bottom."""
    bands: list[list[int]] = []
    bottom = -1.0
    for i in sorted(items, key=lambda i: _core(boxes[i])[0]):
        top, foot = _core(boxes[i])
        if bands and top < bottom:
            bands[-1].append(i)
            bottom = max(bottom, foot)
        else:
            bands.append([i])
            bottom = foot
    return bands


def _core(box: Box) -> tuple[float, float]:
    _, y, _, h = box
    return y + _CORE * h, y + h - _CORE * h


def _joined(bands: list[list[int]], boxes: Sequence[Box], height: float) -> list[list[int]]:
    """Join neighbouring bands that are one line: a fraction's numerator or denominator, and
    bands of small marks only (when close), until none is left to join."""
    bands = [list(band) for band in bands]
    changed = True
    while changed and len(bands) > 1:
        changed = False
        for k, band in enumerate(bands):
            if not any(_is_full(boxes[i], height) for i in band):
                near = [j for j in (k - 1, k + 1) if 0 <= j < len(bands)
                        and _gap(bands[j], band, boxes) <= _MARK_GAP * height]
                target = min(near, key=lambda j: _gap(bands[j], band, boxes), default=None)
            else:
                target = next((j for j in (k - 1, k + 1) if 0 <= j < len(bands)
                               and _stacked_on(band, bands[j], boxes, height)), None)
            if target is not None:
                bands[target] += band
                del bands[k]
                changed = True
                break
    return bands


def _substantial(bands: list[list[int]], boxes: Sequence[Box],
                 height: float) -> list[list[int]]:
    """Only lines of two full-size symbols or more are problems: a lesser band (a raised
    exponent of a tilted line, a stroke left out of its line) joins its nearest neighbour
    when close, and is a stray mark when not. One band is always left."""
    bands = [list(band) for band in bands]
    while len(bands) > 1:
        weak = [k for k, band in enumerate(bands)
                if sum(_is_full(boxes[i], height) for i in band) < 2]
        if not weak:
            break
        k = min(weak, key=lambda k: _weight(bands[k], boxes, height))
        near = [j for j in (k - 1, k + 1) if 0 <= j < len(bands)
                and _gap(bands[j], bands[k], boxes) <= _MARK_GAP * height]
        if near:
            bands[min(near, key=lambda j: _gap(bands[j], bands[k], boxes))] += bands[k]
        del bands[k]
    return bands


def _stacked_on(band: list[int], other: list[int], boxes: Sequence[Box], height: float) -> bool:
    """Do at least half of the full-size symbols of `band` stand over (or under) a fraction bar
    of `other` that the band itself stands right next to? (Half: on a tilted line the terms
    beside a fraction reach down to its denominator's height. Right next to: the next line
    under a fraction's denominator stands under its bar too, but further; a fraction that is
    a numerator stands on the bar with its own denominator.)"""
    full = [boxes[i] for i in band if _is_full(boxes[i], height)]
    top, bottom = _top(band, boxes), max(boxes[i][1] + boxes[i][3] for i in band)
    bars = [(bx, bw) for bx, by, bw, bh in (boxes[i] for i in other if _is_bar(boxes[i], height))
            if max(by - bottom, top - (by + bh)) <= _FRACTION_GAP * height]
    if not bars or not full:
        return False
    stacked = [any(bx - 0.1 * bw <= x + w / 2 <= bx + 1.1 * bw for bx, bw in bars)
               for x, _, w, _ in full]
    return 2 * sum(stacked) >= len(stacked)


def _is_full(box: Box, height: float) -> bool:
    _, _, w, h = box
    return h >= _FULL * height and w < 2.2 * h


def _is_bar(box: Box, height: float) -> bool:
    """Flat and wide: a fraction bar, even a long one drawn a little aslant."""
    _, _, w, h = box
    return w >= 2.5 * h and h < 0.8 * height


def _gap(a: list[int], b: list[int], boxes: Sequence[Box]) -> float:
    """Blank height between two bands (0 if they overlap)."""
    a_top, a_bottom = _top(a, boxes), max(boxes[i][1] + boxes[i][3] for i in a)
    b_top, b_bottom = _top(b, boxes), max(boxes[i][1] + boxes[i][3] for i in b)
    return max(0, a_top - b_bottom, b_top - a_bottom)


def _top(members: Sequence[int], boxes: Sequence[Box]) -> int:
    return min(boxes[i][1] for i in members)


def _overlaps(box: Box, band: list[int], boxes: Sequence[Box]) -> bool:
    """Does the box reach over the middle of the band's writing?"""
    _, y, _, h = box
    middle = (_top(band, boxes) + max(boxes[i][1] + boxes[i][3] for i in band)) / 2
    return y <= middle <= y + h


def _line(band: list[int], boxes: Sequence[Box], height: float) -> Line:
    """The band's main group of writing, and a short group far to its left (a label)."""
    groups: list[list[int]] = []
    right = -float("inf")
    for i in sorted(band, key=lambda i: boxes[i][0]):
        x, _, w, _ = boxes[i]
        if groups and x <= right + _SIDE_GAP * height:
            groups[-1].append(i)
        else:
            groups.append([i])
        right = max(right, x + w) if len(groups[-1]) > 1 else x + w
    main = max(range(len(groups)), key=lambda k: _weight(groups[k], boxes, height))
    aside = groups[main - 1] if main and len(groups[main - 1]) <= _LABEL_PARTS else []
    members = sorted(aside + groups[main], key=lambda i: boxes[i][0] + boxes[i][2] / 2)
    return Line(tuple(members), tuple(sorted(aside, key=lambda i: boxes[i][0])))


def _weight(members: Sequence[int], boxes: Sequence[Box], height: float) -> float:
    """How much writing: full-size symbols count most, specks and bars little."""
    return sum(min(h, 1.5 * height) + 0.3 * min(w, height)
               for _, _, w, h in (boxes[i] for i in members))


def label_length(boxes: Sequence[Box], names: Sequence[str], closes: Sequence[bool],
                 digits: Sequence[bool]) -> tuple[int, bool]:
    """How many of a line's first symbols (left to right, with their most probable classes,
    whether each is likely enough a `)`, and whether it may be a digit) number the problem
    rather than belong to it: one or two symbols closed by a `)` that nothing opened (`1)`,
    `a)`, `12)`), or digits and a dot on their baseline set apart from what follows or before
    no digit (`3.`). 0 when the line has no label; and whether its place alone makes it one (a
    dot set apart), or the grammar should judge it against reading it as math."""
    height = digit_height(boxes) or 1.0
    for k in (1, 2):
        if len(names) <= k + 1:
            break
        x, y, w, h = boxes[k]
        after = boxes[k + 1][0] - (x + w)
        # Read as `)`, or as something else that may be one and stands apart from the math
        # after it (a `/` in `55/15` stands close to the 1).
        closing = names[k] == "rparen" or (closes[k] and after >= 0.5 * height)
        if closing and "lparen" not in names[:k]:
            return k + 1, False
        feet = [boxes[j][1] + boxes[j][3] for j in range(k)]
        dot = max(w, h) <= 0.35 * height and abs(y + h - max(feet)) <= 0.3 * height
        # A decimal point can stand half a digit from the next digit, and needs a digit after
        # it; a label's stands further, or before `x`, `(`...
        before = x - (boxes[k - 1][0] + boxes[k - 1][2])
        apart = after >= 0.8 * height and after >= 2 * before
        if all(n.isdigit() for n in names[:k]) and dot and (apart or not digits[k + 1]):
            return k + 1, apart
    return 0, False
