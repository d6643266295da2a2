"""Canonical tokens -> expression tree, typed text -> tokens, and decoding of classifier guesses.

Canonical tokens are single characters from ``0123456789.+-*/()=xy^√;``. Grammar, loosest
first::

    system   := equation (';' equation)*  # equations solved together: "2x+y=7;x-y=2"
    equation := sum ('=' sum)* ['=']     # "2+2=" (nothing after '=') means "evaluate 2+2";
                                         # a chain "7*5=30+5=35" holds when all sides are equal
    sum      := term (('+' | '-') term)*
    term     := unary (('*' | '/') unary | power)*   # a bare power after a term is implicit '*'
    unary    := ('+' | '-')* power                   # so -2^2 = -(2^2) = -4
    power    := primary ['^' unary]                  # right-associative: 2^3^2 = 2^9
    primary  := number | 'x' | 'y' | '(' sum ')' | '√' primary   # √16, 2√3, √(x+1)
    number   := digits ['.' digits] | '.' digits     # "0.5" and ".5" are 1/2; "5." is an error

Implicit multiplication has the same precedence as '*' and '/', so ``1/2x`` is ``(1/2)*x``.
Limits: at most 200 items (a whole number counts as one item), 1000 digits per number and
100 levels of nesting (parentheses and exponents), checked before recursing.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from recognizer.display import symbol_text
from recognizer.types import ExpressionError

MAX_ITEMS = 200
MAX_DIGITS = 1000
MAX_DEPTH = 100
BEAM_WIDTH = 32

DIGITS = "0123456789"


@dataclass(frozen=True)
class Number:
    value: Fraction


@dataclass(frozen=True)
class Variable:
    name: str = "x"


@dataclass(frozen=True)
class Negate:
    operand: Node


@dataclass(frozen=True)
class BinaryOp:
    op: str  # one of + - * / ^
    left: Node
    right: Node


@dataclass(frozen=True)
class Root:
    """The square root of the radicand: √ written over it."""

    radicand: Node


@dataclass(frozen=True)
class Equation:
    sides: tuple[Node, ...]  # two or more


@dataclass(frozen=True)
class System:
    equations: tuple[Equation, ...]  # two or more, solved together


Node = Number | Variable | Negate | BinaryOp | Root | Equation | System
VARIABLES = "xy"


def unknowns(node: Node) -> set[str]:
    """The names of the variables in a tree."""
    match node:
        case Variable(name=name):
            return {name}
        case Negate(operand=child) | Root(radicand=child):
            return unknowns(child)
        case BinaryOp(left=left, right=right):
            return unknowns(left) | unknowns(right)
        case Equation(sides=children) | System(equations=children):
            return set().union(*(unknowns(child) for child in children))
    return set()


def canonical(tokens: Sequence[str]) -> str:
    """The tokens as one string: a speck's token "" adds nothing, so it parses as nothing."""
    return "".join(tokens)


# ---------------------------------------------------------------- parsing


@dataclass(frozen=True)
class _Item:
    """A lexed item: an operator character, a variable, or a whole number."""

    kind: str  # "number", "x", "y", or the operator / parenthesis / √ / ; character
    value: Fraction | None = None


def _lex(text: str) -> list[_Item]:
    items: list[_Item] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in DIGITS or char == ".":
            end = i
            while end < len(text) and text[end] in DIGITS:
                end += 1
            if end < len(text) and text[end] == ".":
                end += 1
                if end == len(text) or text[end] not in DIGITS:
                    raise ExpressionError("a decimal point must be followed by a digit")
                while end < len(text) and text[end] in DIGITS:
                    end += 1
                if end < len(text) and text[end] == ".":
                    raise ExpressionError("a number has two decimal points")
            if end - i - text.count(".", i, end) > MAX_DIGITS:
                raise ExpressionError(f"a number is longer than {MAX_DIGITS} digits")
            items.append(_Item("number", Fraction(text[i:end])))
            i = end
        elif char in "xy+-*/^()=√;":
            items.append(_Item(char))
            i += 1
        else:
            raise ExpressionError(f"I can't read the symbol {char!r}")
        if len(items) > MAX_ITEMS:
            raise ExpressionError(f"the expression is too long (more than {MAX_ITEMS} symbols)")
    return items


class _Parser:
    def __init__(self, items: list[_Item]) -> None:
        self.items = items
        self.pos = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.items[self.pos].kind if self.pos < len(self.items) else None

    def take(self) -> _Item:
        item = self.items[self.pos]
        self.pos += 1
        return item

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("the expression is nested too deeply")

    def system(self) -> Node:
        equations = [self.equation()]
        while self.peek() == ";":
            self.take()
            equations.append(self.equation())
        if len(equations) == 1:
            return equations[0]
        if not all(isinstance(e, Equation) and len(e.sides) == 2 for e in equations):
            raise ExpressionError("each line of a system must be one equation")
        return System(tuple(equations))

    def equation(self) -> Node:
        sides = [self.sum()]
        while self.peek() == "=":
            self.take()
            if self.peek() is None and len(sides) == 1:
                return sides[0]
            sides.append(self.sum())
        if self.peek() == ")":
            raise ExpressionError("unbalanced parentheses")
        return Equation(tuple(sides)) if len(sides) > 1 else sides[0]

    def sum(self) -> Node:
        node = self.term()
        while self.peek() in ("+", "-"):
            op = self.take().kind
            node = BinaryOp(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while True:
            kind = self.peek()
            if kind in ("*", "/"):
                self.take()
                node = BinaryOp(kind, node, self.unary())
            elif kind in ("number", "x", "y", "(", "√"):
                node = BinaryOp("*", node, self.power())
            else:
                return node

    def unary(self) -> Node:
        negative = False
        while self.peek() in ("+", "-"):
            negative ^= self.take().kind == "-"
        node = self.power()
        return Negate(node) if negative else node

    def power(self) -> Node:
        base = self.primary()
        if self.peek() != "^":
            return base
        self.take()
        self.nest()
        exponent = self.unary()
        self.depth -= 1
        return BinaryOp("^", base, exponent)

    def primary(self) -> Node:
        kind = self.peek()
        if kind is None:
            if not self.items:
                raise ExpressionError("there is nothing to solve")
            if self.items[-1].kind == "(":
                raise ExpressionError("unbalanced parentheses")
            raise ExpressionError("the expression ends with an operator")
        previous = self.items[self.pos - 1].kind if self.pos else None
        item = self.take()
        if kind == "number":
            assert item.value is not None
            return Number(item.value)
        if kind in VARIABLES:
            return Variable(kind)
        if kind == "√":
            if self.peek() in (None, "+", "-"):
                raise ExpressionError("a square root needs a number or a bracket after √")
            self.nest()
            radicand = self.primary()
            self.depth -= 1
            return Root(radicand)
        if kind == "(":
            self.nest()
            inner = self.sum()
            if self.peek() != ")":
                raise ExpressionError("unbalanced parentheses")
            self.take()
            self.depth -= 1
            return inner
        shown = symbol_text(kind)
        if kind == ")":
            if previous == "(":
                raise ExpressionError("there is nothing inside the parentheses ()")
            if previous is None:
                raise ExpressionError("unbalanced parentheses")
            raise ExpressionError("a number is missing before ')'")
        if kind == "=" and previous in (None, "("):
            raise ExpressionError("one side of the '=' is empty")
        if previous is None:
            raise ExpressionError(f"the expression can't start with {shown}")
        if previous == "(":
            raise ExpressionError(f"a number is missing after '(' and before {shown}")
        raise ExpressionError(f"two operators in a row: {symbol_text(previous)} {shown}")


def parse(tokens: Sequence[str]) -> Node:
    """Build the expression tree, or raise ExpressionError with a sentence a user can read."""
    parser = _Parser(_lex(canonical(tokens)))
    node = parser.system()
    if parser.peek() is not None:  # only a ';' can stop the parser early
        raise ExpressionError("one side of the ';' is empty")
    return node


# ---------------------------------------------------------------- typed text

_TYPED = {
    **{digit: digit for digit in DIGITS},
    ".": ".", ",": ".",  # a comma is a decimal point, as in much of Europe
    "+": "+", "-": "-", "−": "-", "–": "-", "—": "-",
    "*": "*", "×": "*", "·": "*", "⋅": "*", "∙": "*",
    "/": "/", "÷": "/", ":": "/", "∕": "/", "⁄": "/",  # the last is how fractions are shown
    "^": "^", "=": "=",
    "(": "(", "[": "(", "{": "(", ")": ")", "]": ")", "}": ")",
    "x": "x", "X": "x", "х": "x", "Х": "x",  # the last two are Cyrillic, common on phones
    "y": "y", "Y": "y", "у": "y", "У": "y",
    "√": "√", ";": ";",
}  # fmt: skip
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+", strict=True))
_NUMBER_CHARS = DIGITS + "."
_UNREADABLE = "I can only read digits, + − × ÷ ^ √ ( ) = and the unknowns x and y"
_WORD = re.compile(r"[^\W\d_]{2,}")  # two letters in a row: words, not unknowns like 3y
# A question around the expression: "what is 2+2?", "solve for x: 2x+3=11", "calculate 12/4".
_QUESTION = re.compile(
    r"^\s*(?:what\s+is|what'?s|how\s+much\s+is|calculate|compute|evaluate|simplify|solve)\b"
    r"(?:\s+for\s+x\s*[:,])?[\s:,]*",
    re.IGNORECASE,
)


def strip_question(text: str) -> str:
    """'what is 2+2?' → '2+2': the question phrase before an expression and the ? after it."""
    return _QUESTION.sub("", text).strip().rstrip("?").rstrip()


def looks_like_math(text: str) -> bool:
    """True for typed text with a digit and no words ("2x+3=11", "y+2=5", "what is 2+2?"), not
    for "I have 3 cats". What passes goes to solve_text, whose error explains what it cannot
    read."""
    text = strip_question(text).replace("sqrt", "√")
    return any(c.isdigit() for c in text) and not _WORD.search(text)


def tokenize(text: str) -> list[str]:
    """Typed text -> canonical tokens.

    ``**`` is a power, a run of superscripts is one exponent (``3²`` -> ``3^2``, ``2⁻¹`` ->
    ``2^-1``), ``sqrt`` is ``√``, a comma is a decimal point, ``[ ]`` and ``{ }`` are
    parentheses, ``;`` joins the equations of a system. The letters x and y are always
    unknowns, so ``2x3`` is ``2*x*3``. Two numbers separated only by spaces are an
    error rather than being glued together.
    """
    tokens: list[str] = []
    spaced = in_superscript = False
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            spaced = bool(tokens)
            in_superscript = False
            i += 1
            continue
        if char in _SUPERSCRIPTS:
            if not in_superscript:
                tokens.append("^")
            tokens.append(_SUPERSCRIPTS[char])
        elif text.startswith("**", i):
            tokens.append("^")
            i += 1
        elif text.startswith("sqrt", i):
            tokens.append("√")
            i += 3
        elif char in _TYPED:
            token = _TYPED[char]
            if spaced and token in _NUMBER_CHARS and tokens[-1] in _NUMBER_CHARS:
                raise ExpressionError("two numbers are separated only by a space")
            tokens.append(token)
        else:
            raise ExpressionError(_unreadable(text))
        in_superscript = char in _SUPERSCRIPTS
        spaced = False
        i += 1
    return tokens


def _unreadable(text: str) -> str:
    """Why typed text can't be read, naming unknowns other than x and y (single Latin letters;
    not e, which is more likely 1e308 or Euler's number than an unknown)."""
    letters = [c for c in text if c.isalpha()]
    others = list(dict.fromkeys(c for c in letters if _TYPED.get(c) not in ("x", "y")))
    if _WORD.search(text) or not others or not all(c.isascii() and c not in "eE" for c in others):
        return _UNREADABLE
    return f"I can only solve for x and y, not {' and '.join(others)}"


def written(text: str, tokens: Sequence[str]) -> str:
    """The tokens of text, with ÷ for each division typed as a division sign (÷ or :) rather
    than a slash: the display keeps the sign and shows the others as fractions."""
    # Each division character of text became exactly one "/" token, in the same order.
    signs = iter(char for char in text if _TYPED.get(char) == "/")
    return "".join(
        ("÷" if next(signs) in "÷:" else "/") if token == "/" else token for token in tokens
    )


# ---------------------------------------------------------------- decoding

# Prefix states: what the next token may be. "operand" expects the start of an operand
# (signs allowed), "equals" is "operand" right after '=' (and may end the input), "signed" is
# "operand" right after + - * / or a sign, "dot" needs a digit, "integer"/"fraction" are inside
# a number, "closed" follows ')' or 'x'.
_OPERAND, _EQUALS, _SIGNED, _DOT, _INTEGER, _FRACTION, _CLOSED = range(7)
_EXPECTING_OPERAND = (_OPERAND, _EQUALS, _SIGNED)
# People write 2-(-3), not 2--3, and never a unary plus: such readings are mostly a symbol
# misread (a 1 taken for /, an = for -), so they cost this factor in decoding (typed text and
# the parser still accept them). A second '=' (a chain) is rarer than one misread symbol too.
_UNUSUAL_SIGN = math.log(0.02)
_CHAINED_EQUALS = math.log(0.1)
# The unknown y is far rarer on a page than the digits it resembles (4, 9, 7): read only when
# the classifier is much surer of it than of them (docs/benchmarks.md, "Tried and not kept").
_RARE_Y = math.log(0.05)
_ACCEPTING = (_EQUALS, _INTEGER, _FRACTION, _CLOSED)


class _Prefix(NamedTuple):
    """A NamedTuple, not a frozen dataclass: the beam builds and hashes tens of thousands of
    these per photo, and tuples do both in C (~4× faster)."""

    kind: int
    depth: int  # open parentheses
    seen_equals: bool
    digits: int = 0  # digits so far in the current number


def _advance(state: _Prefix, token: str) -> _Prefix | None:
    """The state after ``token``, or None when no valid expression starts with this prefix."""
    if not token:  # a speck read as nothing
        return state
    kind, depth, seen = state.kind, state.depth, state.seen_equals
    in_number = kind in (_DOT, _INTEGER, _FRACTION)
    if token in DIGITS:
        digits = state.digits + 1 if in_number else 1
        if digits > MAX_DIGITS:
            return None
        next_kind = _FRACTION if kind in (_DOT, _FRACTION) else _INTEGER
        return _Prefix(next_kind, depth, seen, digits)
    if kind == _DOT:
        return None  # a decimal point must be followed by a digit
    if token == ".":
        digits = state.digits if in_number else 0
        return None if kind == _FRACTION else _Prefix(_DOT, depth, seen, digits)
    if token in VARIABLES:
        return _Prefix(_CLOSED, depth, seen)
    if token == "√":  # needs its radicand: a number, an unknown or a bracket
        return _Prefix(_OPERAND, depth, seen) if kind != _DOT else None
    if token == "(":
        return _Prefix(_OPERAND, depth + 1, seen) if depth < MAX_DEPTH else None
    if token in "+-":
        return _Prefix(_SIGNED, depth, seen)
    if kind in _EXPECTING_OPERAND:
        return None  # only operands and signs may follow an operator, '(' or '='
    if token in "*/":
        return _Prefix(_SIGNED, depth, seen)
    if token == "^":
        return _Prefix(_OPERAND, depth, seen)  # 2^-1 is usual
    if token == ")":
        return _Prefix(_CLOSED, depth - 1, seen) if depth > 0 else None
    if token == "=" and depth == 0:
        return _Prefix(_EQUALS, depth, True)
    return None


def decode(candidates: Sequence[Sequence[tuple[str, float]]]) -> list[str]:
    """The most probable token sequence (product of probabilities) that parses, one token per
    position; the token "" (a speck on the page) stands for nothing. See `best_reading`."""
    return best_reading(candidates)[0]


def best_reading(candidates: Sequence[Sequence[tuple[str, float]]]) -> tuple[list[str], float]:
    """The most probable token sequence that parses and its log-probability (the grammar's
    priors included); raises ExpressionError when none parses.

    A beam search over prefix states keeps the best path per state and at most BEAM_WIDTH
    states, so the cost is linear in the number of positions. States are ranked by their score
    plus the best score with which the rest can close the open parentheses, so paths that open
    many parentheses early do not crowd out those that can finish. Complete candidates are then
    parsed best first, which also applies the limit the prefix states do not track (the number
    of items).
    """
    logs = [[(token, math.log(max(p, 1e-12))) for token, p in options] for options in candidates]
    if not all(logs):
        raise ValueError("every position needs at least one alternative")
    closing = _closing_scores(logs)
    # A path is a linked list (token, previous path) so extending it copies nothing.
    beam: dict[_Prefix, tuple[float, tuple | None]] = {_Prefix(_OPERAND, 0, False): (0.0, None)}
    depths = len(closing[0])
    for position, alternatives in enumerate(logs):
        grown: dict[_Prefix, tuple[float, tuple | None]] = {}
        for state, (score, path) in beam.items():
            for token, log_probability in alternatives:
                following, prior = _step(state, token)
                if following is None or following.depth >= depths:
                    continue
                total = score + log_probability + prior
                best = grown.get(following)
                if best is None or total > best[0]:
                    grown[following] = (total, (token, path))

        after = closing[position + 1]
        ranked = sorted(grown.items(), key=lambda item: item[1][0] + after[item[0].depth])
        beam = {
            state: entry for state, entry in ranked[-BEAM_WIDTH:] if after[state.depth] > -math.inf
        }
        if not beam:
            break
    complete = [entry for state, entry in beam.items() if state.kind in _ACCEPTING]
    for score, path in sorted(complete, key=lambda entry: entry[0], reverse=True):
        tokens = _unroll(path)
        try:
            parse(tokens)
        except ExpressionError:
            continue
        return tokens, score
    top = [options[0][0] for options in candidates]
    parse(top)  # raises the reason the most probable reading fails
    return top, sum(options[0][1] for options in logs)


@functools.lru_cache(maxsize=4096)
def _step(state: _Prefix, token: str) -> tuple[_Prefix | None, float]:
    """_advance and _prior together, remembered: photos revisit the same few states."""
    return _advance(state, token), _prior(state, token)


def _prior(state: _Prefix, token: str) -> float:
    """Log-penalty of a unary plus, of a minus straight after another operator or sign, of a
    second '=' and of the unknown y."""
    if (token == "+" and state.kind in _EXPECTING_OPERAND) or (
            token == "-" and state.kind == _SIGNED):
        return _UNUSUAL_SIGN
    if token == "y":
        return _RARE_Y
    return _CHAINED_EQUALS if token == "=" and state.seen_equals else 0.0


def _closing_scores(logs: list[list[tuple[str, float]]]) -> list[list[float]]:
    """closing[i][d]: best log-probability with which positions i.. bring d open parentheses to 0.

    Only '(' and ')' count, so this is an optimistic estimate of the rest of the sequence.
    Depths are bounded by the number of positions offering '(' (and MAX_DEPTH).
    """
    openings = sum(any(token == "(" for token, _ in options) for options in logs)
    size = min(openings, MAX_DEPTH) + 1
    closing = [[-math.inf] * size for _ in range(len(logs) + 1)]
    closing[-1][0] = 0.0
    for position in reversed(range(len(logs))):
        here, after = closing[position], closing[position + 1]
        for token, log_probability in logs[position]:
            step = 1 if token == "(" else -1 if token == ")" else 0
            for depth in range(max(0, -step), min(size, size - step)):
                reached = log_probability + after[depth + step]
                if reached > here[depth]:  # max() without a call: this loop is hot
                    here[depth] = reached
    return closing


def _unroll(path: tuple | None) -> list[str]:
    tokens: list[str] = []
    while path is not None:
        token, path = path
        tokens.append(token)
    return tokens[::-1]
