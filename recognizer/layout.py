"""Symbols + class probabilities → a token sequence with alternatives, by geometry.

Decides what position alone can tell: stacked fractions (a bar with symbols above and below)
become `(num)/(den)`; small raised symbols after a base become `^` exponents; a dot on the
baseline is a decimal point and a raised one is `·`; `×` leans to `x` where no operand stands on
each side of it in an equation, or at an end of the line.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from recognizer.labels import ADDED, DIGITS, SYMBOLS
from recognizer.segment import Segment

# What each class can stand for in the canonical alphabet (besides the cases decided here).
_TOKENS = {**{d: d for d in DIGITS}, "plus": "+", "minus": "-", "asterisk": "*",
           "obelus": "/", "slash": "/", "lparen": "(", "rparen": ")", "equals": "=",
           "y": "y", "sqrt": "√"}
TOP_K = 3
_DOT_SIZE = 0.25  # a dot's longest side as a share of the digits' median height, at most
_DOT_BELIEF = 0.9  # how much of a tiny mark's probability goes to "dot"
# A dot may be a speck on the page (a crumb, a pen's touch): the share of its probability that
# goes to reading nothing there (the token ""). It wins only where no dot can stand.
_SPECK_SHARE = 0.15
# A digit under this share of the line's tallest is not counted in its digit height: exponents
# are about half a digit tall, a writer's own digits rarely differ by more than a third.
_LINE_SHARE = 0.7
# A line with no `=` has nothing to solve for: y there is far more likely a misread 4 or `)`.
_Y_OUTSIDE_EQUATIONS = 0.01
# What can carry an exponent, and how likely a symbol must be one of them to be tried as a base
# (or a digit, to be tried as part of an exponent): a slanted x the model reads as `+` at four
# to one (`x²` seen as `+²`) still carries its `²`, and the grammar, which finds no `+` before
# an exponent, reads the x; so with a `1` read as `/` in `2¹²`.
_BASES = [SYMBOLS.index(name) for name in (*DIGITS, "rparen", "cross", "y")]
_BASE_ODDS = 0.1
# A symbol under this share of the line's digit height that floats in the middle of the line,
# neither on its baseline nor raised, is an operator (a small `*` or `×`) far more often than
# a digit: its digit classes keep this share of their odds.
_FLOATING_SIZE = 0.55
_FLOATING_DIGIT = 0.1


@dataclass(frozen=True)
class Slot:
    """One position of the token sequence: a symbol's alternatives or a structural token."""

    candidates: tuple[tuple[str, float], ...]  # (token, probability), most probable first
    symbol: int | None = None  # index into the segments, None for inserted `(`, `)`, `/`, `^`
    role: str = "base"
    shape: str = ""  # the most probable class of the symbol ("cross", "obelus", ...)


def arrange(segments: Sequence[Segment], probs: np.ndarray) -> list[Slot]:
    items = sorted(range(len(segments)), key=lambda i: segments[i].box[0] + segments[i].box[2] / 2)
    layout = _Layout(segments, probs)
    # An equation has something right of its `=`; a trailing `=` just asks for the value.
    layout.is_equation = any(layout.top(i) in ("=", "equals") for i in items[:-1])
    return layout.line(items, "base")


def _dots_by_size(segments: Sequence[Segment], probs: np.ndarray) -> np.ndarray:
    """A compact mark under a quarter of the digits' height is a dot, whatever the model saw in
    it: blown up to 28×28, a pen's blob looks like anything. (A minus is flat, an exponent
    about half a digit tall.) So is a decimal comma."""
    is_digit = [SYMBOLS[c] in DIGITS for c in probs.argmax(axis=1).tolist()]
    heights = [s.box[3] for s, digit in zip(segments, is_digit, strict=True)
               if not s.forced and digit]
    if not heights:
        return probs
    # statistics' median: the same value as np.median's, much faster on a short list.
    digit_height = float(statistics.median(heights))
    order = sorted(range(len(segments)), key=lambda i: segments[i].box[0] + segments[i].box[2] / 2)
    probs = probs.copy()
    for k, i in enumerate(order):
        _, _, w, h = segments[i].box
        if segments[i].forced:
            continue
        compact = max(w, h) <= _DOT_SIZE * digit_height and max(w, h) < 2.5 * min(w, h)
        between = order[k - 1 : k + 2] if 0 < k < len(order) - 1 else []
        if compact or (between and _decimal_comma(
                [segments[j] for j in between], is_digit[between[0]] and is_digit[between[2]],
                digit_height)):
            probs[i] *= 1 - _DOT_BELIEF
            probs[i][SYMBOLS.index("dot")] += _DOT_BELIEF
            is_digit[i] = SYMBOLS[int(np.argmax(probs[i]))] in DIGITS
    return probs


def _decimal_comma(trio: list[Segment], digits_around: bool, digit_height: float) -> bool:
    """Is the middle one of three neighbours a short stroke hanging from the baseline between
    two digits (``digits_around``: the outer two read as digits)? `0,5` is how most of Europe
    writes `0.5`."""
    before, mark, after = trio
    if before.forced or after.forced or not digits_around:
        return False
    feet = before.box[1] + before.box[3], after.box[1] + after.box[3]
    if abs(feet[0] - feet[1]) > 0.25 * digit_height:
        return False  # not one number's digits: an exponent and the next term (`5³×4`)
    _, y, w, h = mark.box
    baseline = (before.box[1] + before.box[3] + after.box[1] + after.box[3]) / 2
    # Smaller than a digit, not flat (a minus is) and reaching below the baseline, where no
    # operator goes.
    return (max(w, h) <= 0.8 * digit_height and 0.6 * w <= h <= 0.6 * digit_height
            and y >= baseline - 0.35 * digit_height and y + h >= baseline + 0.15 * digit_height)


def _structural(token: str, role: str) -> Slot:
    return Slot(((token, 1.0),), None, role)


class _Layout:
    def __init__(self, segments: Sequence[Segment], probs: np.ndarray) -> None:
        self.segments = segments
        self.probs = _dots_by_size(segments, probs)
        self.is_equation = False
        # Each symbol's most probable class, asked for dozens of times per symbol.
        best = self.probs.argmax(axis=1).tolist()
        self._tops = [s.forced or SYMBOLS[c] for s, c in zip(segments, best, strict=True)]

    def top(self, i: int) -> str:
        return self._tops[i]

    def line(self, items: list[int], role: str) -> list[Slot]:
        items = self._fractions_first(items, role)
        return self._exponents(self._radicals(items, role), role)

    # --- square roots -------------------------------------------------------------------
    def _radicals(self, items: list[int | list[Slot]], role: str) -> list[int | list[Slot]]:
        """Replace each √ and the symbols under its bar by `√(radicand)`."""
        out = list(items)
        for root in [i for i in items if isinstance(i, int) and self.top(i) == "sqrt"]:
            if root not in out:
                continue  # under an outer root, and taken with its radicand
            under = [i for i in out if isinstance(i, int) and i != root and self._under(i, root)]
            if not under:
                continue
            radicand = self.line(under, role)
            # Brackets written under the bar already group it: √(x+1), not √((x+1)).
            if not self._bracketed(under):
                radicand = [_structural("(", role), *radicand, _structural(")", role)]
            slots = [Slot((("√", 1.0),), root, role, "sqrt"), *radicand]
            out = [slots if i == root else i for i in out if i not in under]
        return out

    def _bracketed(self, items: list[int]) -> bool:
        """Is the whole run one bracket group, `(` first and its own `)` last?"""
        depth = 0
        for k, i in enumerate(items):
            depth += {"lparen": 1, "rparen": -1}.get(self.top(i), 0)
            if depth == 0:
                return k == len(items) - 1 and k > 0
        return False

    def _under(self, i: int, root: int) -> bool:
        """Does symbol i stand under the root's bar: right of its tick and V (about as wide as
        a quarter of the sign's height, whatever the bar's length), inside its height?"""
        x, y, w, h = self.segments[i].box
        rx, ry, rw, rh = self.segments[root].box
        middle, centre = x + w / 2, y + h / 2
        start = rx + min(0.25 * rw, 0.4 * rh)
        return start <= middle <= rx + rw + 0.1 * rh and ry <= centre <= ry + rh

    # --- fractions ----------------------------------------------------------------------
    def _fractions_first(self, items: list[int], role: str) -> list[int | list[Slot]]:
        """Replace each fraction (bar + numerator + denominator) by its finished slots."""
        out: list[int | list[Slot]] = list(items)
        bars = sorted((i for i in items if self._is_bar(i)),
                      key=lambda i: -self.segments[i].box[2])  # widest (outermost) first
        for bar in bars:
            if bar not in out:
                continue
            bx, _, bw, _ = self.segments[bar].box
            reach = 1.8 * max(bw * 0.5, self._height(items))
            spanned = [i for i in out if isinstance(i, int) and i != bar
                       and bx - 0.1 * bw <= self._middle(i) <= bx + 1.1 * bw]
            above = self._stack(spanned, bar, reach, up=True)
            below = self._stack(spanned, bar, reach, up=False)
            if not above or not below:
                continue
            slots = [_structural("(", "numerator"), *self.line(above, "numerator"),
                     _structural(")", "numerator"), _structural("/", role),
                     _structural("(", "denominator"), *self.line(below, "denominator"),
                     _structural(")", "denominator")]
            position = out.index(bar)
            out[position] = slots
            out = [i for i in out if not (isinstance(i, int) and (i in above or i in below))]
        # After ÷ or /, a fraction is one operand: 6 ÷ ½ is 6/((1)/(2)), not 6/(1)/(2).
        return [[_structural("(", role), *item, _structural(")", role)]
                if isinstance(item, list) and k and isinstance(out[k - 1], int)
                and self.top(out[k - 1]) in ("obelus", "slash") else item
                for k, item in enumerate(out)]

    def _middle(self, i: int) -> float:
        x, _, w, _ = self.segments[i].box
        return x + w / 2

    def _stack(self, spanned: list[int], bar: int, reach: float, up: bool) -> list[int]:
        """The symbols stacked above (or below) `bar`: those within `reach` of it, and those
        within half of that of the ones taken, so that a numerator which is itself a fraction
        is taken whole, however tall."""
        _, by, _, bh = self.segments[bar].box
        middle = by + bh / 2

        def gap(i: int, line: float) -> float:
            _, y, _, h = self.segments[i].box
            return line - (y + h) if up else y - line

        side = sorted((i for i in spanned if gap(i, middle) >= 0), key=lambda i: gap(i, middle))
        edge = by if up else by + bh
        taken: list[int] = []
        frontier = edge  # the far edge of what is taken so far
        for i in side:
            if gap(i, edge) <= reach or gap(i, frontier) <= 0.5 * reach:
                taken.append(i)
                _, y, _, h = self.segments[i].box
                frontier = min(frontier, y) if up else max(frontier, y + h)
        return [i for i in spanned if i in taken]  # in reading order

    def _is_bar(self, i: int) -> bool:
        """Could this be a fraction bar: flat, and read as a minus (or as flat as one)?"""
        _, _, w, h = self.segments[i].box
        if self.segments[i].forced is not None:
            return False
        return w >= 4 * h or (w >= 2.5 * h and self.top(i) in ("minus", "dot", "slash"))

    def _height(self, items: list[int | list[Slot]]) -> float:
        """The line's digit height: the median of its digits, those much smaller than the
        tallest left out, so that a short line's exponents (`3¹¹`) do not pull it down."""
        tall = [self.segments[i].box[3] for i in items
                if isinstance(i, int) and self.top(i) in DIGITS]
        if not tall:
            tall = [self.segments[i].box[3] for i in items if isinstance(i, int)]
        if not tall:
            return 1.0
        return float(np.median([h for h in tall if h >= _LINE_SHARE * max(tall)]))

    # --- exponents and single symbols ---------------------------------------------------------
    def _exponents(self, items: list[int | list[Slot]], role: str) -> list[Slot]:
        slots: list[Slot] = []
        height = self._height(items)  # the line's digit height: writers' bases vary in size
        band = self._band(items, height)
        k = 0
        while k < len(items):
            item = items[k]
            if isinstance(item, list):
                slots += item
                k += 1
                continue
            group = self._exponent_group(items, k + 1, item, height)
            # A symbol that carries an exponent is an operand: a cross there is the letter x.
            place = "base" if group else self._place(items, k)
            slots.append(self._symbol(item, role, place, self._floating(item, band, height)))
            k += 1
            if group:
                inner = [self._symbol(i, "exponent", self._place(items, k + n))
                         for n, i in enumerate(group)]
                slots.append(_structural("^", "exponent"))
                if len(inner) == 1:
                    slots += inner
                else:
                    slots += [_structural("(", "exponent"), *inner, _structural(")", "exponent")]
                k += len(group)
        return slots

    def _band(self, items: list[int | list[Slot]], height: float) -> tuple[float, float]:
        """The top and the foot of the line's digits (medians of those its height counts)."""
        boxes = [self.segments[i].box for i in items if isinstance(i, int)
                 and self.top(i) in DIGITS and self.segments[i].box[3] >= _LINE_SHARE * height]
        if not boxes:
            return -math.inf, math.inf
        return (float(np.median([y for _, y, _, _ in boxes])),
                float(np.median([y + h for _, y, _, h in boxes])))

    def _floating(self, i: int, band: tuple[float, float], height: float) -> bool:
        _, y, _, h = self.segments[i].box
        top, foot = band
        return (h < _FLOATING_SIZE * height and y >= top + 0.15 * height
                and y + h <= foot - 0.15 * height)

    def _exponent_group(self, items: list[int | list[Slot]], k: int, base: int,
                        height: float) -> list[int]:
        """The raised symbols from items[k] on when `base` can carry an exponent; an exponent
        does not end with a sign, so a minus that only looks raised beside a small x (`3x-5`)
        stays on the line."""
        if self.probs[base][_BASES].max() < _BASE_ODDS:
            return []
        group: list[int] = []
        for item in items[k:]:
            if not isinstance(item, int) or not self._raised(item, base, height):
                break
            group.append(item)
        while group and self.top(group[-1]) in ("minus", "plus"):
            group.pop()
        return group

    def _raised(self, i: int, base: int, height: float) -> bool:
        """Smaller than the line's digits, its foot clearly above the base's line and its
        middle near the top of the base; a cross or sign higher still, as `×` and `−` stand at
        mid-height.

        Size and rise are measured against the line's digit height, not the base's own: a
        letter x or a short digit is as low as an exponent beside it. A bracket, or a
        long-tailed 1, reaches below the line: a bracket's line is half a digit under its
        middle, and no base's is taken much lower than a digit's height under its top."""
        name = self.top(i)
        if name not in (*DIGITS, "lparen", "rparen", "cross", "minus", "plus") and \
                self.probs[i][: len(DIGITS)].sum() < _BASE_ODDS:  # a `1` read as `/` may be one
            return False
        _, y, _, h = self.segments[i].box
        _, by, _, bh = self.segments[base].box
        if self.top(base) == "rparen":
            foot = by + bh / 2 + height / 2
        else:
            foot = min(by + bh, by + 1.15 * height)
        centre = foot - (y + h / 2)  # its middle's height above the base's line
        high = 0.8 if name in ("cross", "minus", "plus") else 0.6
        return (h < 0.85 * max(height, bh) and foot - (y + h) >= 0.3 * height
                and centre >= high * min(height, bh))

    def _place(self, items: list[int | list[Slot]], k: int) -> str:
        """Where items[k] stands: "between" two operands, as × stands in `3×4` (and x does not
        in `2x+1`), at an "end" of its line, where no × can stand, or "inside". (A "base" of
        an exponent is decided by the caller.)"""
        if k == 0 or k == len(items) - 1:
            return "end"
        before, after = items[k - 1], items[k + 1]
        between = (isinstance(before, list) or self.top(before) in (*DIGITS, "rparen", "y")) and (
            isinstance(after, list) or self.top(after) in (*DIGITS, "lparen"))
        return "between" if between else "inside"

    def _symbol(self, i: int, role: str, place: str = "inside", floating: bool = False) -> Slot:
        forced = self.segments[i].forced
        if forced:
            return Slot(((forced if forced == "=" else "/", 1.0),), i, role, forced)
        probs = self.probs[i]
        if floating:
            probs = probs.copy()
            probs[: len(DIGITS)] *= _FLOATING_DIGIT
        scores: dict[str, float] = {}
        # The TOP_K likeliest classes that can stand here (a lone √ cannot), and the added
        # classes beside them rather than in their place: y is a rare reading, never one
        # that crowds out a bracket.
        taken = 0
        for c in np.argsort(probs)[::-1]:
            if taken == TOP_K:
                break
            name, p = SYMBOLS[int(c)], float(probs[c])
            meanings = self._meanings(name, i, place)
            taken += bool(meanings) and name not in ADDED
            for token, share in meanings:
                scores[token] = scores.get(token, 0.0) + p * share
        ordered = sorted(scores.items(), key=lambda kv: -kv[1])
        return Slot(tuple(ordered), i, role, self.top(i))

    def _meanings(self, name: str, i: int, place: str) -> list[tuple[str, float]]:
        if name == "sqrt":  # a root sign with nothing under its bar (_radicals) is no root
            return []
        if name == "y" and not self.is_equation:  # y is solved for only in an equation
            return [("y", _Y_OUTSIDE_EQUATIONS)]
        if name == "cross":  # × between numbers; the variable x in an equation or at an end
            if place == "base":  # × never carries an exponent
                return [("x", 0.95), ("*", 0.05)]
            times = 0.35 if place == "end" or (self.is_equation and place != "between") else 0.9
            return [("*", times), ("x", 1 - times)]
        if name == "dot":  # on the baseline: decimal point; raised: multiplication
            dot = "." if self._on_baseline(i) else "*"
            return [(dot, 1 - _SPECK_SHARE), ("", _SPECK_SHARE)]
        return [(_TOKENS[name], 1.0)]

    def _on_baseline(self, i: int) -> bool:
        x, y, _, h = self.segments[i].box
        neighbours = [s.box for s in self.segments if s.forced is None
                      and s.box[3] > 2 * h and abs(s.box[0] - x) < 4 * s.box[3]]
        if not neighbours:
            return True
        bottom = np.median([b[1] + b[3] for b in neighbours])
        height = np.median([b[3] for b in neighbours])
        return y + h / 2 > bottom - 0.3 * height
