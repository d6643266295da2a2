"""Result types shared by the recognizer pipeline, the CLI and the bot."""

from __future__ import annotations

from dataclasses import dataclass, field


class RecognizerError(Exception):
    """A problem with the input that the user should be told about in plain words."""


class ImageError(RecognizerError):
    """The bytes are not an image we can read (corrupt, too large, empty...)."""


class ExpressionError(RecognizerError):
    """The symbols do not form an expression we can parse, or it breaks a size limit."""


class MathError(RecognizerError):
    """The expression parses but has no value (division by zero, too large, too slow...)."""


@dataclass(frozen=True)
class Alternative:
    label: str  # canonical token: 0-9 . + - * / ( ) = x
    confidence: float


@dataclass(frozen=True)
class SymbolRead:
    """One symbol found in the image."""

    label: str  # canonical token chosen by the grammar
    glyph: str  # what was drawn: "×", "·", "*", "÷", "/", "−", "=", digits, "x", "(", ")", "."
    box: tuple[int, int, int, int]  # x, y, w, h in the (deskewed) picture, long side <= 1280
    confidence: float  # classifier probability of the chosen label
    alternatives: tuple[Alternative, ...] = ()  # other labels, most probable first
    role: str = "base"  # "base", "exponent", "numerator" or "denominator"


@dataclass(frozen=True)
class Solution:
    expression: str | None  # canonical: only 0123456789.+-*/()=x^
    result: str | None  # exact value as sympy prints it, or "x = 4", "no solution", "any x"
    approximation: str | None = None  # decimal when the exact value is not an integer
    error: str | None = None  # a sentence a user can read
    # For display: the expression with ÷ where a division sign (÷, :) was written; a slash or a
    # fraction bar stays /, shown as a fraction. None when not known.
    written: str | None = None


@dataclass(frozen=True)
class Recognition(Solution):
    confidence: float = 0.0  # 0..1, how sure we are of the whole expression
    symbols: tuple[SymbolRead, ...] = field(default_factory=tuple)
    ms: float = 0.0  # processing time, model loading excluded
    # How probable the likeliest other reading is against this one (recognizer.trust), and
    # whether the answer may go out as plain fact rather than as a question.
    doubt: float = 1.0
    sure: bool = False
    # Every problem on the page, one per line (a system of equations is one), top to bottom;
    # the fields above are the first one's.
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Problem(Recognition):
    """One problem of a page: a line, or the lines of a system of equations."""

    line: int = 1  # its place on the page, counted from 1
    label: str | None = None  # how the page numbers it ("1)", "a)", "3."), if it does
    box: tuple[int, int, int, int] = (0, 0, 0, 0)  # x, y, w, h of its writing, label included
