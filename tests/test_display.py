"""How expressions and results are shown: the one formatting used by replies, prompt, picture
and command line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recognizer import display
from recognizer.grammar import parse, tokenize
from recognizer.solve import solve_text
from recognizer.types import ExpressionError


@pytest.mark.parametrize(
    ("expression", "shown"),
    [
        ("2*x+3=11", "2 × x + 3 = 11"),
        ("2x+3=11", "2x + 3 = 11"),
        ("(1+2)^3", "(1 + 2)³"),
        ("x^(-2)", "x⁻²"),
        ("(3)/(4)+1", "3⁄4 + 1"),
        ("(1+2)/(3-x)", "(1 + 2)/(3 − x)"),
        ("((1)/(2))^2", "(1⁄2)²"),
        ("-3-(-2)", "−3 − (−2)"),
        ("3*-4", "3 × −4"),
        ("1.5*x=3", "1.5 × x = 3"),
        ("(1+2", "(1 + 2"),
    ],
)
def test_render_expression(expression: str, shown: str) -> None:
    assert display.render_expression(expression) == shown


@pytest.mark.parametrize(
    ("expression", "shown"),
    [
        ("2^3^2", "2^(3²)"),
        ("2^10^2", "2^(10²)"),
        ("9^9^9", "9^(9⁹)"),
        ("2^(3^(2))", "2^(3²)"),  # how the layout reads a raised tower
        ("2^3^2^2", "2^(3^(2²))"),
        ("(2^3)^2", "(2³)²"),
        ("2^-3", "2⁻³"),
        ("2^-x", "2^(−x)"),
        ("x^(2)3", "x^(2)3"),  # x²3 would be typed back as x^23
    ],
)
def test_power_towers_read_right(expression: str, shown: str) -> None:
    assert display.render_expression(expression) == shown


def test_a_tower_keeps_its_right_associative_value() -> None:
    shown = display.render_expression("2^3^2")
    assert solve_text(shown).result == solve_text("2^3^2").result == "512"


@pytest.mark.parametrize(
    ("expression", "shown"),
    [
        ("7-+6", "7 − +6"),
        ("2+2=", "2 + 2 ="),
        ("2--3", "2 − −3"),
    ],
)
def test_one_space_around_operators(expression: str, shown: str) -> None:
    assert display.render_expression(expression) == shown


@pytest.mark.parametrize(
    ("expression", "shown"),
    [
        ("1/3+1/6", "1⁄3 + 1⁄6"),
        ("12/4", "12⁄4"),
        ("1/2x", "1⁄2x"),
        ("2^(1/2)", "2^(1⁄2)"),
        ("6÷3+1/3", "6 ÷ 3 + 1⁄3"),  # a written ÷ stays
        # Where a fraction slash would change how it reads, the division stays as written.
        ("2^3/4", "2³/4"),
        ("1/2^2", "1/2²"),
        ("6/2/3", "6/2/3"),
        ("(1)/(2)^2", "(1)/(2)²"),
        ("3/(1)/(2)", "3/(1)/(2)"),
        ("(1+2)/3", "(1 + 2)/3"),
        # A stacked fraction followed by a number keeps its brackets: x⁄00 would be x/00.
        ("(x)/(0)0", "(x)/(0)0"),
        ("(x)/(0.5)0.5", "(x)/(0.5)0.5"),
        ("(1)/(2)x", "1⁄2x"),
    ],
)
def test_fractions_are_shown_as_fractions(expression: str, shown: str) -> None:
    assert display.render_expression(expression) == shown


def test_render_expression_leaves_non_canonical_text_alone_and_cuts_long_text() -> None:
    assert display.render_expression("2 apples") == "2 apples"
    shown = display.render_expression("1+" * 400 + "1")
    assert len(shown) == display.MAX_SHOWN_CHARS
    assert shown.endswith("…")
    assert display.render_expression("(" * 3000).endswith("…")  # deep nesting, no RecursionError


@pytest.mark.parametrize(
    ("result", "shown"),
    [
        ("7/2", "7/2"),
        ("-3", "−3"),
        ("x = -1, x = 3", "x = −1, x = 3"),
        ("sqrt(2)/2", "√2/2"),
        ("x = 1 + sqrt(5)", "x = 1 + √5"),
        ("x = 2**(1/3)", "x = 2^(1/3)"),
        ("3*x**2", "3·x²"),
    ],
)
def test_render_result(result: str, shown: str) -> None:
    assert display.render_result(result) == shown


def expressions() -> st.SearchStrategy[str]:
    """Canonical expressions that parse, with towers, signs, fractions and implicit products."""
    number = st.one_of(st.integers(0, 120).map(str), st.sampled_from(["0.5", "1.25", ".5"]))
    atom = st.one_of(number, st.just("x"))

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from("+-*/^"), inner).map("".join),
            inner.map(lambda e: f"({e})"),
            inner.map(lambda e: f"-{e}"),
            st.tuples(inner, inner).map(lambda p: f"({p[0]})/({p[1]})"),  # stacked fraction
            st.tuples(number, inner).map(lambda p: f"{p[0]}({p[1]})"),  # 2(…)
            st.tuples(inner, atom).map(lambda p: f"({p[0]}){p[1]}"),
            inner.map(lambda e: f"{e}x"),
        )

    return st.recursive(atom, extend, max_leaves=8)


def _parses(text: str) -> bool:
    try:
        parse(list(text))
    except ExpressionError:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(expressions(), st.sampled_from(["", "=x", "=2^3^2"]))
def test_a_shown_expression_types_back_to_the_same_tree(expression: str, equation: str) -> None:
    expression += equation
    if not _parses(expression):
        return
    shown = display.render_expression(expression)
    assert parse(tokenize(shown)) == parse(list(expression)), shown


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.+-*/÷()=x^", max_size=24))
def test_any_canonical_text_can_be_shown(text: str) -> None:
    assert isinstance(display.render_expression(text), str)


@pytest.mark.parametrize(
    ("expression", "shown"),
    [("2√3", "2√3"), ("√(x+1)", "√(x + 1)"), ("2x+y=7;x-y=2", "2x + y = 7;  x − y = 2"),
     ("y^2", "y²")],
)
def test_roots_systems_and_y_are_shown_as_written(expression, shown):
    assert display.render_expression(expression) == shown


@pytest.mark.parametrize(
    ("result", "shown"),
    [("x = -2*sqrt(2), x = 2*sqrt(2)", "x = ±2√2"), ("x ≈ -1.41, x ≈ 1.41", "x ≈ ±1.41"),
     ("x = 3, y = 1", "x = 3, y = 1"), ("x = -1, x = 3", "x = −1, x = 3")],
)
def test_opposite_roots_are_shown_with_plus_minus(result, shown):
    assert display.render_result(result) == shown
