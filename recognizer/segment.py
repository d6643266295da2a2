"""Ink mask → symbols: connected components, dust removal, the expression's line, merged parts;
and, once the classifier has read them, touching digits cut apart (`split_touching`).

Sizes are judged relative to the text height, so the same rules hold for a 15 px digit in a
wide photo and a 300 px digit in a close-up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from recognizer.labels import ADDED, DIGITS, SYMBOLS
from recognizer.normalize import normalize_symbol
from recognizer.types import ExpressionError

MAX_COMPONENTS = 3000  # beyond this the "ink" is texture or noise, not writing
MAX_INK_SHARE = 0.3  # writing covers far less of a page than this; more is noise or a dark photo
NOISY = "The picture is too busy or noisy to find an expression in it."
SCRIBBLE = ("That looks like a scribble or crossed-out writing, not an expression. "
            "Write it out clearly and send it again.")
_MAX_HOLES = 3
JOIN_KERNEL = np.ones((3, 3), np.uint8)  # bridges gaps of up to 2 pixels within a stroke
JOIN_MIN_HEIGHT = 40  # text height (px) from which strokes are joined across such gaps
# A sure reading: touching digits are cut apart only when the whole reads below this (or is
# _TWO_DIGITS_WIDE times the median digit's width) and each half above it; arcs read above it as
# a cross are joined.
_SURE = 0.9
_ORIGINAL = [k for k, name in enumerate(SYMBOLS) if name not in ADDED]
_STROKE = [SYMBOLS.index("slash"), SYMBOLS.index("1")]
_Y = SYMBOLS.index("y")
_RPAREN = SYMBOLS.index("rparen")
_TWO_DIGITS_WIDE = 1.6
_WIDTH_SAMPLE = 3  # digits needed for their median width to be a single digit's
# A cut between two digits leaves each in one piece (but for a clipped tip); one through a digit
# strands more of it than this share on the wrong side.
_STRANDED = 0.125


@dataclass(frozen=True)
class Segment:
    box: tuple[int, int, int, int]  # x, y, w, h in the ink mask
    ink: np.ndarray  # this symbol's own pixels (uint8 0/255), cropped to `box`
    forced: str | None = None  # "=" or "÷" when the parts already say what the symbol is


@dataclass
class _Part:
    ids: list[int]
    x: int
    y: int
    w: int
    h: int
    area: int  # outline length in pixels: how much stroke there is, whatever its thickness
    forced: str | None = None

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def is_bar(self) -> bool:
        return self.w >= 2.2 * self.h

    def absorb(self, other: _Part, forced: str | None = None) -> None:
        x, y = min(self.x, other.x), min(self.y, other.y)
        self.w, self.h = max(self.right, other.right) - x, max(self.bottom, other.bottom) - y
        self.x, self.y = x, y
        self.ids += other.ids
        self.area += other.area
        self.forced = forced or self.forced or other.forced


def segment(ink: np.ndarray) -> list[Segment]:
    """Symbols of every line, left to right (fractions' parts by x as well); recognizer.lines
    groups them into lines."""
    if cv2.countNonZero(ink) > MAX_INK_SHARE * ink.size:
        raise ExpressionError(NOISY)
    contours, parts = _components(ink, widen=False)
    if not parts:
        return []
    height = text_height(parts)
    # Writing this large is a photo: join what lies 1-2 pixels apart, so that a faint pencil
    # stroke binarised into dashes stays one piece. Small tight writing is left as it is,
    # where the same widening would glue neighbouring symbols together.
    photo_scale = height >= JOIN_MIN_HEIGHT
    if photo_scale:
        contours, parts = _components(ink, widen=True)
        height = text_height(parts)
    else:
        # Unless the strokes themselves came out in dashes, which makes the writing look small:
        # joined up, far fewer pieces, and as tall as a photo's writing.
        joined_contours, joined = _components(ink, widen=True)
        if len(joined) <= 0.6 * len(parts) and text_height(joined) >= JOIN_MIN_HEIGHT:
            photo_scale = True
            contours, parts, height = joined_contours, joined, text_height(joined)
    parts = [p for p in parts
             if not _spans_the_page(p, height, ink) and not _page_edge(p, ink.shape)]
    # Beside other marks only one larger than a symbol is taken for a scribble: a digit on
    # squared paper, crossed by what is left of the grid, encloses holes too.
    scribbles = [p for p in parts if (len(parts) == 1 or max(p.w, p.h) >= 1.5 * height)
                 and _is_scribble(p, ink)]
    if scribbles:  # crossed-out writing, or a doodle: no symbol
        parts = [p for p in parts if p not in scribbles]
        if not parts:
            raise ExpressionError(SCRIBBLE)
    # Before dust and stray marks go: the bars of a small `=` are short thin dashes too, and a
    # fine pen's `÷` dots are specks.
    parts = _merge_equals_and_obelus(parts, height)
    parts = [p for p in parts if p.forced or not _is_dust(p, height)]
    for part in parts:
        if part.forced is None and _touching_bars(part, height, ink):
            part.forced = "="
    if photo_scale:
        parts = [p for p in parts if p.forced or not _is_stray_mark(p, height, ink)]
    if not parts:  # only dust, e.g. what cleaning leaves of blank squared paper
        return []
    parts = _merge_broken(parts, height)
    parts.sort(key=lambda p: p.cx)
    segments = [_to_segment(p, ink, contours) for p in parts]
    return [piece for s in segments for piece in _off_the_bar(s, segments, height) or [s]]


def _components(ink: np.ndarray, widen: bool) -> tuple[Sequence[np.ndarray], list[_Part]]:
    """Outer contours of the (widened) ink and a part for each, boxed on the ink itself.

    Tracing outer contours is many times faster than labelling every pixel; a symbol's pixels
    are later taken as the original ink inside its filled outline.
    """
    source = cv2.dilate(ink, JOIN_KERNEL) if widen else ink
    contours, _ = cv2.findContours(source, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if len(contours) > MAX_COMPONENTS:
        raise ExpressionError(NOISY)
    margin = 1 if widen else 0  # the 3×3 widening added one pixel on every side
    parts = []
    for i, contour in enumerate(contours):
        x, y, w, h = cv2.boundingRect(contour)
        parts.append(_Part([i], x + margin, y + margin, max(1, w - 2 * margin),
                           max(1, h - 2 * margin), len(contour)))
    return contours, parts


def text_height(parts: list[_Part]) -> float:
    """Typical symbol height: the stroke-weighted median height of the components that are not bars.

    Weighting by stroke length keeps specks, grid leftovers and broken pieces from pulling it down.
    """
    candidates = [p for p in parts if not p.is_bar()] or parts
    heights = np.array([p.h for p in candidates], float)
    weights = np.array([p.area for p in candidates], float)
    order = np.argsort(heights)
    cumulative = np.cumsum(weights[order])
    return float(heights[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _is_dust(part: _Part, height: float) -> bool:
    return max(part.w, part.h) < max(3, 0.07 * height) or part.area < 4


def _spans_the_page(part: _Part, height: float, ink: np.ndarray) -> bool:
    """A crease, a page edge or a table line: far taller than any symbol, or long and slanted
    (a fraction bar is long but flat; a square root over a long radicand is as long and as
    tall, but has a level bar along its top)."""
    slanted = part.w > 4 * height and part.h > 1.5 * height
    return part.h > 4 * height or (slanted and not (part.h < 2.5 * height and _topped(part, ink)))


def _topped(part: _Part, ink: np.ndarray) -> bool:
    """A level bar along its top over most of its width: a square root over a long radicand,
    which is as long and as tall as a slanted crease."""
    top = ink[part.y : part.y + max(3, part.h // 8), part.x : part.right]
    return cv2.countNonZero(cv2.reduce(top, 0, cv2.REDUCE_MAX)) >= 0.7 * part.w


def _page_edge(part: _Part, shape: tuple[int, ...]) -> bool:
    """A dark edge of the paper or of the picture: a thin line along a side of the picture,
    touching it, along most of that side."""
    rows, cols = shape[:2]
    thin, touching = 0.02 * max(rows, cols), 2  # px: resizing may leave a line off by one
    along_side = part.h >= 0.5 * rows and part.w <= thin and (
        part.x <= touching or part.right >= cols - touching)
    along_top = part.w >= 0.5 * cols and part.h <= thin and (
        part.y <= touching or part.bottom >= rows - touching)
    return along_side or along_top


def _is_scribble(part: _Part, ink: np.ndarray) -> bool:
    """A stroke crossing itself again and again encloses many holes; no symbol has more than
    an 8's two (three for a loosely closed one)."""
    crop = ink[part.y : part.bottom, part.x : part.right]
    contours, hierarchy = cv2.findContours(crop, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return False
    smallest = (0.1 * max(part.w, part.h)) ** 2  # not the pores of a noisy or ragged stroke
    holes = sum(1 for contour, (_, _, _, parent) in zip(contours, hierarchy[0], strict=True)
                if parent >= 0 and cv2.contourArea(contour) >= smallest)
    return holes > _MAX_HOLES


def _is_stray_mark(part: _Part, height: float, ink: np.ndarray) -> bool:
    """In a photo, a short thin dash left over from ruled or squared paper, or a tiny ring (no
    symbol this small encloses a hole)."""
    longest, shortest = max(part.w, part.h), min(part.w, part.h)
    if longest >= 0.3 * height:
        return False
    crop = ink[part.y : part.bottom, part.x : part.right]
    return 3 * shortest < longest or bool(_holes(crop).any())


def _holes(crop: np.ndarray) -> np.ndarray:
    """Mask of the background enclosed by the ink (the inside of a 0, 6, 8 or 9)."""
    contours, _ = cv2.findContours(crop, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(crop)
    cv2.drawContours(filled, contours, -1, 255, cv2.FILLED)
    return (filled > 0) & (crop == 0)


def _merge_equals_and_obelus(parts: list[_Part], height: float) -> list[_Part]:
    """Two stacked bars make `=`; a bar with a dot above and below makes `÷`."""
    bars = sorted((p for p in parts if p.w >= 1.5 * p.h and p.h < 0.5 * height
                   and p.w < 2.5 * height and not _is_dust(p, height)), key=lambda p: p.y)
    used: set[int] = set()
    for i, top in enumerate(bars):
        for bottom in bars[i + 1 :]:
            if bottom.y > top.bottom + 0.8 * height:  # sorted by y: the rest are further down
                break
            if id(top) not in used and id(bottom) not in used and \
                    _equals_pair(top, bottom, height) and not _between(parts, top, bottom):
                top.absorb(bottom, forced="=")
                used.add(id(bottom))
    parts = [p for p in parts if id(p) not in used]
    dots = [p for p in parts if max(p.w, p.h) <= 0.4 * height]  # a fine pen's are dashes
    for bar in (p for p in parts if p.is_bar() and p.forced is None
                and not _is_dust(p, height)):
        above = _obelus_dots(bar, dots, height, above=True)
        below = _obelus_dots(bar, dots, height, above=False)
        if len(above) == 1 and len(below) == 1 and id(above[0]) not in used \
                and id(below[0]) not in used:
            bar.absorb(above[0], forced="÷")
            bar.absorb(below[0])
            used.update({id(above[0]), id(below[0])})
    return [p for p in parts if id(p) not in used]


def _obelus_dots(bar: _Part, dots: list[_Part], height: float, above: bool) -> list[_Part]:
    """Marks that could be the dot above (or below) a bar. Specks count only if nothing larger
    is there and they sit over the bar's middle, where paper grain rarely happens to fall."""
    near = [d for d in dots if d.w <= 0.6 * bar.w and bar.x <= d.cx <= bar.right
            and (bar.y - d.bottom if above else d.y - bar.bottom) <= 0.8 * bar.w
            and (d.bottom <= bar.cy if above else d.y >= bar.cy)]
    return [d for d in near if not _is_dust(d, height)] or [
        d for d in near if abs(d.cx - bar.cx) <= 0.2 * bar.w]


def _touching_bars(part: _Part, height: float, ink: np.ndarray) -> bool:
    """An `=` whose bars touch, or were joined by the widening: flat, and most of its columns
    cross two strokes."""
    if not (part.w >= 2 * part.h and part.h < 0.5 * height and part.w >= 0.3 * height):
        return False
    crop = ink[part.y : part.bottom, part.x : part.right] > 0
    starts = (crop[1:] & ~crop[:-1]).sum(axis=0) + crop[0]  # strokes met going down a column
    inked = starts > 0
    return bool(inked.any() and (starts[inked] >= 2).mean() >= 0.6)


def _equals_pair(top: _Part, bottom: _Part, height: float) -> bool:
    """Bars of similar length, one above the other, no further apart than `=` bars are.

    Written fast, the bottom bar often starts well to the right of the top one.
    """
    overlap = min(top.right, bottom.right) - max(top.x, bottom.x)
    gap = bottom.y - top.bottom
    longer, shorter = max(top.w, bottom.w), min(top.w, bottom.w)
    # Slanted bars' boxes may overlap although the bars do not touch.
    apart = bottom.cy - top.cy >= min(top.h, bottom.h)
    return (overlap >= 0.35 * shorter and longer <= 3.5 * shorter and apart
            and -max(top.h, bottom.h) / 2 <= gap <= min(1.6 * longer, 0.8 * height))


def _between(parts: list[_Part], top: _Part, bottom: _Part) -> bool:
    """Is some other symbol sitting between two bars (then they are fraction bars, not `=`)?"""
    return any(p is not top and p is not bottom and p.y >= top.bottom - 1
               and p.bottom <= bottom.y + 1 and p.right > max(top.x, bottom.x)
               and p.x < min(top.right, bottom.right) for p in parts)


def _merge_broken(parts: list[_Part], height: float) -> list[_Part]:
    """Join pieces of one symbol: a `5`'s flag, a two-stroke `+`, a broken pencil stroke."""
    parts = sorted(parts, key=lambda p: p.x)
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(parts):
            for b in parts[i + 1 :]:
                if b.x > a.right + 0.4 * height:  # as far as a `5`'s flag may float
                    break
                if (_same_symbol(a, b, height) or _stray_piece(a, b, height)
                        or _floating_flag(a, b, parts, height)):
                    a.absorb(b)
                    parts.remove(b)
                    merged = True
                    break
            if merged:
                break
    return parts


def _stray_piece(a: _Part, b: _Part, height: float) -> bool:
    """A short stroke broken off the top or bottom edge of the symbol beside it.

    A minus sits at mid-height and a decimal point is round, so neither is taken for one.
    """
    small, big = sorted((a, b), key=lambda p: max(p.w, p.h))
    if a.forced or b.forced or big.h < 0.6 * height or max(small.w, small.h) >= 0.45 * height:
        return False
    elongated = max(small.w, small.h) >= 2 * min(small.w, small.h)
    gap_x = max(a.x, b.x) - min(a.right, b.right)
    within = big.y - 0.1 * height <= small.y and small.bottom <= big.bottom + 0.1 * height
    off_centre = abs(small.cy - big.cy) > 0.3 * big.h
    return elongated and gap_x <= 0.1 * height and within and off_centre


def _same_symbol(a: _Part, b: _Part, height: float) -> bool:
    if a.forced or b.forced:
        return False
    if _flag(*sorted((a, b), key=lambda p: p.w * p.h)):
        return True
    overlap_x = min(a.right, b.right) - max(a.x, b.x)
    overlap_y = min(a.bottom, b.bottom) - max(a.y, b.y)
    if overlap_x < 0.5 * min(a.w, b.w):
        return False
    wide, narrow = (a, b) if a.w >= b.w else (b, a)
    # A bar much wider than the other part is a fraction bar (or minus) above/below it.
    if wide.is_bar() and wide.w > 1.6 * narrow.w:
        return False
    union_w = max(a.right, b.right) - min(a.x, b.x)
    union_h = max(a.bottom, b.bottom) - min(a.y, b.y)
    if union_h > 1.35 * height or union_w > 1.3 * height:
        return False
    if overlap_y <= 0.3 * min(a.h, b.h):  # one above the other: a `5`'s flag, a broken stroke
        return -overlap_y < 0.25 * height
    # Side by side pieces are neighbours (`2×3` written tightly) unless one sits inside the other.
    return overlap_x * overlap_y >= 0.6 * min(a.w * a.h, b.w * b.h)


def _flag(small: _Part, big: _Part) -> bool:
    """A `5`'s flag drawn apart: a flat stroke that starts over the body and leaves it at the
    top, often far to the right. An exponent starts past its base's right edge, a minus stands
    at mid-height and a fraction bar is as wide as what it stands over."""
    overlap_x = min(small.right, big.right) - max(small.x, big.x)
    return (small.is_bar() and small.w <= 1.2 * big.w and small.h < 0.4 * big.h
            and big.x <= small.x <= big.x + 0.85 * big.w and overlap_x >= 0.2 * small.w
            and big.y - 0.1 * big.h <= small.bottom and small.cy < big.y + 0.15 * big.h)


def _floating_flag(a: _Part, b: _Part, parts: list[_Part], height: float) -> bool:
    """A `5`'s flag lifted off the body: a flat stroke above the top of a full-height body,
    from its right half to at most a little past its right edge, with nothing else under it
    (the bar of a `7` beside the `5` stands over the `7`'s stem). A minus beside a short
    letter x is as high as that x's top, but the x is not full height."""
    small, big = sorted((a, b), key=lambda p: p.w * p.h)
    if (a.forced or b.forced or big.h < 0.8 * height or small.w < 1.6 * small.h
            or small.h >= 0.4 * big.h):
        return False
    starts = big.x + 0.3 * big.w <= small.x <= big.right + 0.35 * big.w
    high = big.y - 0.35 * big.h <= small.bottom <= big.y + 0.25 * big.h
    if not (starts and high and small.w <= 1.6 * big.w):
        return False
    return not any(other is not small and other is not big and other.x < small.right
                   and other.right > small.x and small.y < other.y < big.bottom
                   for other in parts)


def _off_the_bar(segment: Segment, segments: list[Segment], height: float,
                 ) -> tuple[Segment, Segment] | None:
    """A fraction bar drawn touching its numerator, cut off it: a flat stroke along the
    symbol's foot, wider than the rest of its ink, just over a symbol that is no bar. A 2's
    foot is no wider than its head; a 7's bar is at its head, where a bar under a denominator
    is not looked for (a line above would pass for a numerator)."""
    if segment.forced:
        return None
    x, y, w, h = segment.box
    if h < 0.6 * height or w < 0.5 * height:
        return None
    inked = segment.ink > 0
    rows = inked[::-1]  # from the foot up
    full = rows.sum(axis=1) >= 0.75 * w
    # The bar: solid rows across, thin, at most a pen's width from the foot; then the symbol,
    # narrower.
    start = int(np.argmax(full))
    if not full[start] or start > 0.1 * h or full.all():
        return None
    thickness = start + int(np.argmin(full[start:]))
    if thickness > 0.25 * h or thickness > 0.2 * height:
        return None
    rest = rows[thickness + max(2, round(0.1 * h)) :]  # past the bar's ragged edge
    columns = np.flatnonzero(rest.any(axis=0))
    if columns.size == 0 or rest.any(axis=1).sum() < 0.3 * height or \
            columns[0] + (w - 1 - columns[-1]) < 0.15 * w:
        return None
    bar_y = y + h - thickness
    if not _denominator_under(segments, segment, bar_y + thickness, height):
        return None
    bar = Segment((x, bar_y, w, thickness), segment.ink[h - thickness :].copy())
    return _cropped(segment, slice(0, h - thickness)), bar


def _denominator_under(segments: list[Segment], own: Segment, bar_foot: int,
                       height: float) -> bool:
    """Is the nearest symbol under the bar within its span close under it and no bar?"""
    x, _, w, _ = own.box
    gaps = [(s.box[1] - bar_foot, s) for s in segments
            if s is not own and x <= s.box[0] + s.box[2] / 2 <= x + w
            and s.box[1] - bar_foot >= -0.1 * height]
    if not gaps:
        return False
    gap, nearest = min(gaps, key=lambda g: g[0])
    return gap <= 0.5 * height and nearest.box[3] >= 0.5 * nearest.box[2]


def _cropped(segment: Segment, rows: slice) -> Segment:
    ink = segment.ink[rows]
    ys, xs = np.nonzero(ink)
    x, y, _, _ = segment.box
    crop = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].copy()
    return Segment((x + int(xs.min()), y + int(ys.min()), crop.shape[1], crop.shape[0]), crop)


def _to_segment(part: _Part, ink: np.ndarray, contours: Sequence[np.ndarray]) -> Segment:
    outline = np.zeros((part.h, part.w), np.uint8)
    cv2.drawContours(outline, [contours[i] for i in part.ids], -1, 255, cv2.FILLED,
                     offset=(-part.x, -part.y))
    own = cv2.bitwise_and(ink[part.y : part.bottom, part.x : part.right], outline)
    return Segment((part.x, part.y, part.w, part.h), own, part.forced)


def join_pieces(segments: list[Segment], probs: np.ndarray,
                classify: Callable[[np.ndarray], np.ndarray],
                ) -> tuple[list[Segment], np.ndarray]:
    """Join neighbours that read surely as one symbol together: a cursive x written as two
    arcs back to back (`ɔc`), each of which alone looks like a digit or a parenthesis; a `5`
    whose flag was lifted far off its body (the flag alone reads as a minus); a `/` broken
    into pieces that meet corner to corner. Repeated while pieces join (a stroke in three)."""
    while True:
        pairs = {k: names for k in range(len(segments) - 1)
                 for names in [_pieces_of(segments[k], segments[k + 1], probs[k : k + 2])]
                 if names}
        if not pairs:
            return segments, probs
        unions = {k: _union(segments[k], segments[k + 1]) for k in pairs}
        union_probs = classify(np.stack([normalize_symbol(u.ink) for u in unions.values()]))
        # Judged without y and √: a root sign needs something under its bar, and a 5's body
        # under its lifted flag reads like a y.
        totals = union_probs[:, _ORIGINAL].sum(axis=1)
        joined = {k: (union, p) for (k, union), p, total
                  in zip(unions.items(), union_probs, totals, strict=True)
                  if sum(p[SYMBOLS.index(name)] for name in pairs[k]) >= _SURE * total}
        if not joined:
            return segments, probs
        out_segments, out_probs = [], []
        k = 0
        while k < len(segments):
            if k in joined:
                out_segments.append(joined[k][0])
                out_probs.append(joined[k][1])
                k += 2
            else:
                out_segments.append(segments[k])
                out_probs.append(probs[k])
                k += 1
        segments, probs = out_segments, np.array(out_probs)


def _pieces_of(a: Segment, b: Segment, probs: np.ndarray) -> tuple[str, ...] | None:
    """The symbols two neighbours may be the pieces of, by their shapes and places (and, for a
    broken stroke, by each piece reading as a stroke itself)."""
    if a.forced or b.forced:
        return None
    if _could_be_arcs(a, b):
        return ("cross",)
    if _could_be_flag(a, b):
        return ("5",)
    if _could_be_broken_slash(a, b) and probs[:, _STROKE].sum(axis=1).min() >= 0.5:
        return ("slash", "1")  # one straight stroke, whichever it is
    return None


def _could_be_broken_slash(low: Segment, high: Segment) -> bool:
    """Two upright strokes meeting corner to corner, the right one above the left: a `/` whose
    stroke broke (a minus or an exponent stands apart from its neighbour's corner)."""
    x, y, w, h = low.box
    hx, hy, hw, hh = high.box
    reach = 0.25 * max(h, hh)
    return (h >= 1.2 * w and hh >= 1.2 * hw and x <= hx and hx - (x + w) <= reach
            and hy + hh <= y + 0.3 * h and y - (hy + hh) <= reach)


def _could_be_flag(body: Segment, flag: Segment) -> bool:
    """A flat stroke from the right half of a body's top to well past it, above its upper third:
    where a `5`'s flag lands when lifted off. A minus stands at mid-height."""
    x, y, w, h = body.box
    fx, fy, fw, fh = flag.box
    return (fw >= 2 * fh and fh < 0.4 * h and fw <= 1.6 * w and h >= 0.8 * w
            and x + 0.3 * w <= fx <= x + 1.8 * w and y - 0.8 * h <= fy + fh <= y + 0.3 * h)


def _could_be_arcs(a: Segment, b: Segment) -> bool:
    """Side by side and touching or nearly, on the same line and of about the same height, and
    together no wider than an x can be. Arcs are open: a part with a loop is a digit (`20`),
    though where the pen turns back it may close a small one."""
    if a.forced or b.forced:
        return False
    ax, ay, aw, ah = a.box
    bx, by, bw, bh = b.box
    shorter, taller = sorted((ah, bh))
    gap = bx - (ax + aw)
    overlap_y = min(ay + ah, by + bh) - max(ay, by)
    width = max(ax + aw, bx + bw) - min(ax, bx)
    height = max(ay + ah, by + bh) - min(ay, by)
    # The loops last: tracing them costs far more than the boxes' arithmetic.
    return (-0.5 * min(aw, bw) <= gap <= 0.25 * taller and shorter >= 0.6 * taller
            and overlap_y >= 0.6 * shorter and width <= 2 * height
            and not _has_loop(a) and not _has_loop(b))


def _has_loop(part: Segment) -> bool:
    """Does the ink enclose background over at least a third of its height?"""
    return bool(_holes(part.ink).any(axis=1).sum() >= part.box[3] / 3)


def _union(a: Segment, b: Segment) -> Segment:
    x, y = min(a.box[0], b.box[0]), min(a.box[1], b.box[1])
    right = max(a.box[0] + a.box[2], b.box[0] + b.box[2])
    bottom = max(a.box[1] + a.box[3], b.box[1] + b.box[3])
    ink = np.zeros((bottom - y, right - x), np.uint8)
    for part in (a, b):
        px, py, pw, ph = part.box
        ink[py - y : py - y + ph, px - x : px - x + pw] |= part.ink
    return Segment((x, y, right - x, bottom - y), ink)


def split_touching(segments: list[Segment], probs: np.ndarray,
                   classify: Callable[[np.ndarray], np.ndarray],
                   ) -> tuple[list[Segment], np.ndarray]:
    """Cut a digit-sized symbol in two where its ink is thinnest, when both halves read as digits
    with confidence: `70` written so the 0 touches the 7.

    A symbol is tried when it reads more as a digit than as anything else (the digits together
    outweigh every other class) and the model is unsure of it, or when it is far wider than the
    other digits of the expression: two touching digits can also read as one wide digit with
    confidence (`02` as a sprawling `2`).
    """
    digit_rows = [i for i, s in enumerate(segments)
                  if not s.forced and SYMBOLS[int(np.argmax(probs[i]))] in DIGITS]
    if not digit_rows:
        return segments, probs
    digit_height = float(np.median([segments[i].box[3] for i in digit_rows]))
    # Among a few digits the median width is a digit's, even if one of them is two.
    digit_width = float(np.median([segments[i].box[2] for i in digit_rows])) \
        if len(digit_rows) >= _WIDTH_SAMPLE else math.inf
    digit_like = probs[:, : len(DIGITS)].sum(axis=1) > probs[:, len(DIGITS) :].max(axis=1)
    cuts: dict[int, tuple[Segment, Segment]] = {}
    for i, segment in enumerate(segments):
        _, _, w, h = segment.box
        too_wide = i in digit_rows and w >= _TWO_DIGITS_WIDE * digit_width
        # A sure reading of a digit-wide symbol is not cut: its halves need no reading.
        if segment.forced or not digit_like[i] or w < 0.75 * h or h < 0.6 * digit_height or (
                probs[i].max() >= _SURE and not too_wide):
            continue
        halves = _halves(segment)
        if halves:
            cuts[i] = halves

    def two_digits(whole: np.ndarray, left: np.ndarray, right: np.ndarray) -> bool:
        # Two digits read surely, and more surely than the whole: a wide `2` cut in two may
        # still look like two digits, though less like them than like a 2.
        sure = min(left.max(), right.max())
        return (SYMBOLS[int(left.argmax())] in DIGITS and SYMBOLS[int(right.argmax())] in DIGITS
                and sure >= _SURE and sure > whole.max())

    return _kept_cuts(segments, probs, cuts, classify, two_digits)


def split_exponents(segments: list[Segment], probs: np.ndarray,
                    classify: Callable[[np.ndarray], np.ndarray],
                    ) -> tuple[list[Segment], np.ndarray]:
    """Cut off an exponent written touching its bracket (`)²` read as one `y`): a symbol read
    as y whose right part is small and raised, when the cut leaves a `)` and a digit, each read
    surely. Cutting other bases, or any symbol the model is unsure of, cut a 7's bar end, an
    8's top and a y's arm off as exponents."""
    cuts = {i: pieces for i, s in enumerate(segments)
            if not s.forced and probs[i].argmax() == _Y
            for pieces in [_raised_part(s)] if pieces}
    return _kept_cuts(segments, probs, cuts, classify,
                      lambda _, base, exponent: base[_RPAREN] >= _SURE
                      and exponent[: len(DIGITS)].sum() >= _SURE)


def _kept_cuts(segments: list[Segment], probs: np.ndarray,
               cuts: dict[int, tuple[Segment, Segment]],
               classify: Callable[[np.ndarray], np.ndarray],
               keep: Callable[[np.ndarray, np.ndarray, np.ndarray], bool],
               ) -> tuple[list[Segment], np.ndarray]:
    """Classify the cut symbols' two parts at once and keep each cut that `keep(whole, left,
    right)` accepts from their probabilities."""
    if not cuts:
        return segments, probs
    pieces = [piece for pair in cuts.values() for piece in pair]
    piece_probs = classify(np.stack([normalize_symbol(p.ink) for p in pieces]))
    out_segments, out_probs = [], []
    k = 0
    for i, segment in enumerate(segments):
        if i in cuts:
            left, right = piece_probs[k], piece_probs[k + 1]
            k += 2
            if keep(probs[i], left, right):
                out_segments += cuts[i]
                out_probs += [left, right]
                continue
        out_segments.append(segment)
        out_probs.append(probs[i])
    return out_segments, np.array(out_probs)


def _raised_part(segment: Segment) -> tuple[Segment, Segment] | None:
    """The segment cut at its thinnest column between a left part nearly as tall as the whole
    and a right part in its upper half, each one piece of ink."""
    _, _, w, h = segment.box
    if w < 0.5 * h:
        return None
    inked = segment.ink > 0
    left, _ = _part_heights(inked)
    has_ink = inked.any(axis=0)
    bottom = np.where(has_ink, h - 1 - inked[::-1].argmax(axis=0), -1)
    lowest_right = np.maximum.accumulate(bottom[::-1])[::-1]  # lowest ink from each column on
    candidates = np.arange(max(1, int(0.25 * w)), min(int(0.75 * w) + 1, w))
    candidates = candidates[(left[candidates - 1] >= 0.85 * h)
                            & (lowest_right[candidates] <= 0.6 * h)]
    if not candidates.size:
        return None
    return _cut_at(segment, int(candidates[np.argmin(inked.sum(axis=0)[candidates])]))


def _halves(segment: Segment) -> tuple[Segment, Segment] | None:
    """The segment cut at its thinnest column in the middle, nearest the centre, among the cuts
    that leave both parts nearly as tall as the whole, go through no loop and cross at most two
    strokes; and only if each part is one piece of ink (else the cut went through a digit, not
    between two)."""
    _, _, w, h = segment.box
    inked = segment.ink > 0
    left, right = _part_heights(inked)
    candidates = np.arange(max(1, int(0.2 * w)), min(int(0.8 * w) + 1, w))
    candidates = candidates[(left[candidates - 1] >= 0.75 * h) & (right[candidates] >= 0.75 * h)
                            & ~_holes(segment.ink).any(axis=0)[candidates]
                            & (_strokes_crossed(inked)[candidates] <= 2)]
    if not candidates.size:
        return None
    columns = inked.sum(axis=0)[candidates]
    thinnest = candidates[columns == columns.min()]
    return _cut_at(segment, int(thinnest[np.argmin(np.abs(thinnest - w / 2))]))


def _cut_at(segment: Segment, cut: int) -> tuple[Segment, Segment] | None:
    """The segment cut at column `cut`, if each side is one piece of ink (but for a clipped
    tip): a cut through a symbol strands some of it."""
    x, y, _, _ = segment.box
    pieces = []
    for ink, dx in ((segment.ink[:, :cut], 0), (segment.ink[:, cut:], cut)):
        if not ink.any() or _stranded_share(ink) > _STRANDED:
            return None
        px, py, pw, ph = cv2.boundingRect(ink)
        pieces.append(Segment((x + dx + px, y + py, pw, ph), ink[py : py + ph, px : px + pw]))
    return pieces[0], pieces[1]


def _stranded_share(ink: np.ndarray) -> float:
    """Share of the ink outside its largest connected piece."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    return 1 - areas.max() / areas.sum() if count > 1 else 0.0


def _strokes_crossed(inked: np.ndarray) -> np.ndarray:
    """How many strokes each column crosses going down."""
    return (inked[1:] & ~inked[:-1]).sum(axis=0) + inked[0]


def _part_heights(inked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Height of the ink in columns 0..c (first array) and c..end (second), for each c."""
    h = inked.shape[0]
    has_ink = inked.any(axis=0)
    top = np.where(has_ink, inked.argmax(axis=0), h)
    bottom = np.where(has_ink, h - 1 - inked[::-1].argmax(axis=0), -1)
    left = np.maximum.accumulate(bottom) - np.minimum.accumulate(top) + 1
    right = (np.maximum.accumulate(bottom[::-1]) - np.minimum.accumulate(top[::-1]) + 1)[::-1]
    return left, right
