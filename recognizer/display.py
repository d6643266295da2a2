"""How expressions, answers and symbols are shown to people.

The bot's replies, its correction prompt, the annotated picture and the command line all show
things through these pure functions, so they never disagree. A shown expression can be typed
back: `tokenize` reads ×, ÷, −, ⁄ and superscripts, and what it reads parses to the same tree
as the canonical expression it was shown from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from recognizer.types import Solution

MAX_SHOWN_CHARS = 300  # shown expressions are cut so a reply stays far below Telegram's 4096
# A symbol read with less confidence than this is one to check: the reply lists it and the
# annotated picture boxes it in orange.
UNSURE_BELOW = 0.6

_TOKEN = re.compile(r"[0-9.]+|[xy+\-*/÷()=^√;]")
_SPACED = {"+": " + ", "-": " − ", "*": " × ", "÷": " ÷ ", "=": " = ", ";": ";  "}
_SIGNS = {"+": "+", "-": "−"}
_SYMBOLS = {"*": "×", "/": "÷", "-": "−"}
_DIVISIONS = ("/", "÷")
_RATIONAL = re.compile(r"-?\d+(?:/\d+)?")
_SUPERSCRIPT = str.maketrans("0123456789+-=()xy", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ˣʸ")
# "x = −2·√2, x = 2·√2" → "x = ±2·√2", and the same for decimals.
_OPPOSITES = re.compile(r"^([xy]) ([=≈]) −([^,]+), \1 \2 \3$")


def symbol_text(label: str) -> str:
    """A canonical token as a person writes it: `*` → ×, `/` → ÷, `-` → −."""
    return _SYMBOLS.get(label, label)


def render_expression(expression: str) -> str:
    """Canonical expression → readable text: `2*x-1` → `2 × x − 1`, `2^3^2` → `2^(3²)`.

    Also accepts `÷` for a division written as a division sign; other divisions are shown as
    fractions (`1⁄3`, `(1 + 2)/(3 − x)`). Text that is not canonical is shown as it is.
    """
    tokens = _TOKEN.findall(expression)
    if "".join(tokens) != expression:
        return _shorten(expression)
    # Every token shows as at least one character, so tokens past the cut would not be seen;
    # leaving them out also bounds the recursion on deeply nested brackets.
    shown = _render(tokens[:MAX_SHOWN_CHARS]).strip()
    return _shorten(shown if len(tokens) <= MAX_SHOWN_CHARS else shown + "…")


def show_expression(solution: Solution) -> str:
    """The expression a solution was read from, with the division signs that were written."""
    return render_expression(solution.written or solution.expression or "")


@dataclass(frozen=True)
class ShownAnswer:
    """An answer in parts, so that each caller can set off the main value its own way."""

    lead: str  # "=" or "≈" before a value; "" for an equation, whose answer names x itself
    main: str  # "7/2", "x = 4", "no solution", "true"
    note: str = ""  # "≈ 3.5", "x ≈ 1.414213562", "(exactly 1/3)"


def show_answer(solution: Solution) -> ShownAnswer:
    """The answer of a solved expression: exact, with a decimal beside it when it is not whole.

    A question written with decimals gets a decimal answer first: 0.1+0.2 → "= 0.3", and when
    the decimal is rounded, "≈ 0.3333333333 (exactly 1/3)".
    """
    if solution.result is None:
        raise ValueError("only a solved expression has an answer")
    equation = "=" in (solution.expression or "")
    lead = "" if equation else "="
    exact = render_result(solution.result)
    if solution.approximation is None:
        return ShownAnswer(lead, exact)
    decimal = render_result(solution.approximation)
    if "." not in (solution.expression or ""):
        return ShownAnswer(lead, exact, decimal if equation else f"≈ {decimal}")
    if _same_value(solution.result, solution.approximation):
        return ShownAnswer(lead, decimal.replace("≈", "="))
    return ShownAnswer("" if equation else "≈", decimal, f"(exactly {exact})")


def _same_value(result: str, approximation: str) -> bool:
    """Whether every decimal is exactly the rational it stands for: 3/10 and 0.3, not 1/3 and
    0.3333333333 (equations list their roots as "x = …, x = …" and "x ≈ …, x ≈ …")."""
    exact = [re.sub(r"^[xy] = ", "", part) for part in result.split(", ")]
    decimals = [re.sub(r"^[xy] ≈ ", "", part) for part in approximation.split(", ")]
    return len(exact) == len(decimals) and all(
        _RATIONAL.fullmatch(value) and Fraction(value) == Fraction(decimal)
        for value, decimal in zip(exact, decimals, strict=True)
    )


def render_result(result: str) -> str:
    """A sympy-printed value ("-7/2", "x = 2**(1/2)", "no solution") → readable text, with a
    number's root as `2√3` and two opposite roots as `x = ±2√2`."""
    text = re.sub(r"sqrt\((\d+|x|y)\)", r"√\1", result).replace("sqrt", "√")
    text = re.sub(r"(\d)\*√", r"\1√", text)
    text = text.replace("**", "^").replace("*", "·").replace("-", "−")
    text = re.sub(r"\^\(([0-9+−=()xy]+)\)|\^([0-9]+)", _superscript_match, text)
    return _shorten(_OPPOSITES.sub(r"\1 \2 ±\3", text))


def _render(tokens: list[str]) -> str:
    parts: list[str] = []
    operand = False  # the last thing shown is an operand, so a following + or − is binary
    plain = False  # ... and it is a lone number or x, not a divisor, so a fraction can start
    i = 0
    while i < len(tokens):
        token = tokens[i]
        after_division = i > 0 and tokens[i - 1] in _DIVISIONS
        close = _closing(tokens, i) if token == "(" else None
        if close is not None:
            bottom = None if after_division else _denominator_close(tokens, close)
            if bottom is not None:  # "(a)/(b)", how a stacked fraction is read
                numerator, denominator = tokens[i + 1 : close], tokens[close + 3 : bottom]
                if _plain(tokens, bottom + 1) and tokens[bottom + 1] not in ("x", "y"):
                    # A number right after would run into the denominator (x⁄0 and 0 would
                    # read as x⁄00): the brackets stay.
                    parts.append(f"({_render(numerator)})/({_render(denominator)})")
                else:
                    parts.append(_fraction(numerator, denominator))
                i = bottom + 1
            else:
                parts.append(f"({_render(tokens[i + 1 : close])})")
                i = close + 1
            operand, plain = True, False
        elif token == "√" and tokens[i + 1 : i + 2] == ["("] and _closing(tokens, i + 1) == i + 3 \
                and _plain(tokens, i + 2):  # √(16), how a drawn root is read: √16
            parts.append(f"√{tokens[i + 2]}")
            i += 4
            operand, plain = True, False
        elif token == "^" and (end := _operand_end(tokens, i + 1)) > i + 1:
            parts.append(_exponent(tokens[i + 1 : end], _next(tokens, end)))
            i = end
            operand, plain = True, False
        elif token in _SIGNS and not operand:
            parts.append(_SIGNS[token])
            i += 1
        elif token == "/":
            # A division of a lone number or x by another reads as a fraction: 1⁄3 + 1⁄6.
            simple = plain and _plain(tokens, i + 1) and \
                _next(tokens, i + 2) not in ("^", *_DIVISIONS)
            parts.append("⁄" if simple else "/")
            operand, plain = False, False
            i += 1
        else:
            parts.append(_SPACED.get(token, token))
            operand = _plain(tokens, i) or token == ")"
            plain = _plain(tokens, i) and not after_division
            i += 1
    return "".join(parts)


def _plain(tokens: list[str], index: int) -> bool:
    """A number or an unknown stands at index."""
    return 0 <= index < len(tokens) and tokens[index][0] in "0123456789.xy"


def _next(tokens: list[str], index: int) -> str:
    return tokens[index] if index < len(tokens) else ""


def _closing(tokens: list[str], open_index: int) -> int | None:
    depth = 0
    for index in range(open_index, len(tokens)):
        depth += {"(": 1, ")": -1}.get(tokens[index], 0)
        if depth == 0:
            return index
    return None


def _denominator_close(tokens: list[str], numerator_close: int) -> int | None:
    """If ')' at numerator_close starts ')/(' and the denominator is not raised to a power
    (`(1)/(2)^2` is 1/(2²)), the index of the denominator's ')'."""
    if tokens[numerator_close + 1 : numerator_close + 3] != ["/", "("]:
        return None
    close = _closing(tokens, numerator_close + 2)
    if close is None or _next(tokens, close + 1) == "^":
        return None
    return close


def _operand_end(tokens: list[str], start: int) -> int:
    """Where the exponent starting at start ends, as the grammar reads it: signs, a number, x
    or bracket group, and, if a `^` follows, that power's own exponent (2^3^2 = 2^(3^2)).
    start itself when no operand starts there."""
    i = start
    while i < len(tokens) and tokens[i] in _SIGNS:
        i += 1
    if i < len(tokens) and tokens[i] == "(":
        close = _closing(tokens, i)
        if close is None:
            return start
        i = close + 1
    elif _plain(tokens, i):
        i += 1
    else:
        return start
    if _next(tokens, i) == "^" and (end := _operand_end(tokens, i + 1)) > i + 1:
        return end
    return i


def _exponent(tokens: list[str], following: str) -> str:
    """A whole-number exponent as superscripts (x², 2⁻¹), anything else as ^(…): superscripts
    cannot nest, and 2³² would hide that 2^3^2 means 2^(3^2)."""
    grouped = tokens[0] == "(" and _closing(tokens, 0) == len(tokens) - 1
    inner = tokens[1:-1] if grouped else tokens
    whole = "".join(inner).removeprefix("-")
    # Superscript digits before a number would be typed back as one number (x²3 → x^23).
    if whole.isdigit() and not (following and following[0] in "0123456789."):
        return "".join(inner).translate(_SUPERSCRIPT)
    if len(tokens) == 1:
        return f"^{tokens[0]}"  # 2^0.5, 2^x
    return f"^({_render(inner)})"


def _fraction(numerator: list[str], denominator: list[str]) -> str:
    if len(numerator) == 1 and len(denominator) == 1:
        return f"{numerator[0]}⁄{denominator[0]}"  # fraction slash: fonts draw it as a fraction
    return f"{_grouped(numerator)}/{_grouped(denominator)}"


def _grouped(tokens: list[str]) -> str:
    rendered = _render(tokens)
    return rendered if len(tokens) == 1 else f"({rendered})"


def _superscript_match(match: re.Match[str]) -> str:
    group = (match.group(1) or match.group(2)).replace("−", "-")
    return group.translate(_SUPERSCRIPT)


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 1] + "…"
