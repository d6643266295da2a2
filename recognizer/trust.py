"""Whether a reading may go out as a plain answer, or must be asked about first.

A symbol's own probability says little on its own: a `1` beside a `/`, or an `x` that could be
`×`, is often read right at odds of two to one, because the grammar settles what the classifier
could not. So doubt is measured on whole readings: for each symbol, the best reading that parses
with that symbol read otherwise, against the chosen one. A reading is sure when no such other
reading comes close, and its value is not absurd for what was written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from recognizer.grammar import best_reading
from recognizer.types import ExpressionError

Candidates = Sequence[tuple[str, float]]
# Sure only if every other reading is less than this fraction as probable as the chosen one.
# Chosen on benchmarks.composed's seed 5 (six conditions), the development photos and CROHME
# renders: it halves the misreadings answered as sure (composed 30 -> 16% of answers, CROHME
# 29 -> 9%) and asks about 5-12% of the right ones; most misreadings left are digits the
# classifier is sure of, which no gate on its odds can catch. It stays above the layout's 1:9
# prior of a × between numbers being the letter x, or every clean `3×4` would be asked about.
MAX_DOUBT = 0.15
# A value with more digits than this, or an exponent above MAX_EXPONENT, from a photo is far
# likelier a misreading (an exponent read inline, `6⁷⁸` from `6+78`) than what was meant.
MAX_RESULT_DIGITS = 15
MAX_EXPONENT = 20
_NUMBER = re.compile(r"\d+")
_EXPONENT = re.compile(r"\^\(?(\d+)")


def doubt(candidates: Sequence[Candidates], tokens: Sequence[str], score: float) -> float:
    """How probable the likeliest other reading is, relative to the chosen `tokens` (whose
    log-probability is `score`): 0 when no other reading parses, 1 when one is as likely.

    Positions where no alternative could come within MAX_DOUBT of the chosen token are not
    searched: only a few symbols of a photo are close calls, so this costs a few decodes."""
    worst = 0.0
    for k, (options, token) in enumerate(zip(candidates, tokens, strict=True)):
        chosen = dict(options).get(token, 0.0)
        # A dot's chance of being a speck (the token "") is a fixed prior of the layout, not
        # evidence against the reading: counted, it would cast doubt on every decimal point.
        others = [(t, p) for t, p in options if t not in (token, "")]
        if not others or max(p for _, p in others) < MAX_DOUBT * chosen * 0.5:
            continue
        try:
            _, other = best_reading([*candidates[:k], others, *candidates[k + 1 :]])
        except ExpressionError:
            continue  # no other reading of this symbol parses: the grammar settles it
        worst = max(worst, min(1.0, math.exp(other - score)))
    return worst


def absurd(expression: str, result: str) -> bool:
    """A value or an exponent no one writes by hand: a sign of a misreading."""
    digits = max((len(n) for n in _NUMBER.findall(result)), default=0)
    exponents = [int(n) for n in _EXPONENT.findall(expression)]
    return digits > MAX_RESULT_DIGITS or any(e > MAX_EXPONENT for e in exponents)


def is_sure(rival: float, expression: str | None, result: str | None) -> bool:
    """A solved reading that no other reading rivals and whose value is plausible."""
    if expression is None or result is None:
        return False
    return rival < MAX_DOUBT and not absurd(expression, result)
