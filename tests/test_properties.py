"""Property-based tests of the parser and solver, beyond those in test_grammar and test_solve.

Those cover short random token strings and fully parenthesised + - * trees. Here: longer and
operator-heavy token sequences with a per-example deadline, and exact agreement with
fractions.Fraction for division, precedence without parentheses, unary minus, decimals,
integer powers and quadratic equations.
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from recognizer.solve import solve_text, solve_tokens

ALPHABET = "0123456789.+-*/()=xy^√;"
DEADLINE = timedelta(seconds=5)  # the bot's promise per request; the solver's own budget is 2 s
MAX_REPLY_CHARS = 4096  # a Telegram message


class DivisionByZero(Exception):
    pass


# ---------------------------------------------------------------------------- never crash or hang


# Operators, digits and parentheses weighted alike, so the sequences are dense in ^, ( and =;
# systems (`;`) in x and y and roots as often.
tokens = st.lists(
    st.one_of(st.sampled_from(ALPHABET), st.sampled_from("^(x)"), st.sampled_from("9/-"),
              st.sampled_from("y;=√")),
    max_size=60,
)


@settings(max_examples=150, deadline=DEADLINE)
@given(tokens)
def test_random_token_sequences_give_a_result_or_a_sentence(sequence: list[str]) -> None:
    solution = solve_tokens(sequence)  # anything but a RecognizerError would propagate here
    assert solution.expression == "".join(sequence)
    assert (solution.result is None) != (solution.error is None)
    if solution.error is not None:
        assert solution.error.strip()
    else:
        assert len(solution.result) <= MAX_REPLY_CHARS


# ---------------------------------------------------------------------------- exact arithmetic


def _value(sum_of_terms: list[tuple[str, list[tuple[str, Fraction]]]]) -> Fraction:
    """Reference value, written independently of the parser: a sum of signed terms, each a
    left-to-right chain of * and /."""
    total = Fraction(0)
    for sign, factors in sum_of_terms:
        term = Fraction(1)
        for op, factor in factors:
            if op == "*":
                term *= factor
            elif factor == 0:
                raise DivisionByZero
            else:
                term /= factor
        total += term if sign == "+" else -term
    return total


@st.composite
def expressions(draw: st.DrawFn, depth: int = 2) -> tuple[str, Fraction | None]:
    """Text with + - * / and only the parentheses that grouping needs, and its value (None when
    some division is by zero). Factors may be negative numbers ("3*-2") or groups."""
    terms, parts, zero_division = [], [], False
    for index in range(draw(st.integers(1, 4))):
        sign = "+" if index == 0 else draw(st.sampled_from("+-"))
        factors = []
        for position in range(draw(st.integers(1, 3))):
            op = "*" if position == 0 else draw(st.sampled_from("*/"))
            if depth > 0 and draw(st.integers(0, 4)) == 0:
                text, value = draw(expressions(depth - 1))
                text = f"({text})"
                zero_division |= value is None
            else:
                value = Fraction(draw(st.integers(-12, 12)))
                text = str(value)
            factors.append((op, value if value is not None else Fraction(1)))
            parts.append(("" if position == 0 else op) + text)
        terms.append((sign, factors))
        parts[-len(factors)] = ("" if index == 0 else sign) + parts[-len(factors)]
    try:
        value = _value(terms)
    except DivisionByZero:
        zero_division = True
    return "".join(parts), None if zero_division else value


@settings(max_examples=300, deadline=DEADLINE)
@given(expressions())
def test_four_operations_with_precedence_agree_with_fractions(
    case: tuple[str, Fraction | None],
) -> None:
    text, value = case
    assume(len(text) <= 160)  # within the parser's 200-item limit (an item is >= 1 character)
    solution = solve_text(text)
    if value is None:
        assert solution.result is None
        assert "division by zero" in solution.error
        return
    assert (solution.result, solution.error) == (str(value), None), text
    if value.denominator == 1:
        assert solution.approximation is None
    else:
        # Shown to 10 significant digits.
        assert abs(float(solution.approximation) - float(value)) <= 1e-9 * max(1, abs(value))


decimals = st.decimals(min_value=-999, max_value=999, places=3, allow_nan=False)


@settings(max_examples=150, deadline=DEADLINE)
@given(decimals, st.sampled_from("+-*/"), decimals)
def test_decimals_are_exact(left, op, right) -> None:
    a, b = Fraction(left), Fraction(right)
    solution = solve_text(f"{left}{op}({right})")
    if op == "/" and b == 0:
        assert "division by zero" in solution.error
        return
    expected = {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None}[op]
    assert solution.result == str(expected), (left, op, right)


@settings(max_examples=150, deadline=DEADLINE)
@given(st.integers(-6, 6), st.integers(-4, 4))
def test_integer_powers_agree_with_fractions(base: int, exponent: int) -> None:
    solution = solve_text(f"({base})^({exponent})")
    if base == 0 and exponent < 0:
        assert "division by zero" in solution.error
        return
    assert solution.result == str(Fraction(base) ** exponent)  # 0^0 = 1, as Fraction says


@settings(max_examples=100, deadline=DEADLINE)
@given(st.integers(-9, 9), st.integers(-9, 9), st.integers(1, 3))
def test_quadratics_with_integer_roots_are_solved_exactly(r: int, s: int, a: int) -> None:
    # a(x - r)(x - s) = 0, typed expanded: a x^2 - a(r+s) x + a r s = 0
    text = f"{a}x^2+({-a * (r + s)})x+({a * r * s})=0"
    roots = sorted({r, s})
    assert solve_text(text).result == ", ".join(f"x = {root}" for root in roots)
