"""Worked solutions: every line equals the one before, and they match solutions written by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recognizer.grammar import parse
from recognizer.solve import solve
from recognizer.steps import MAX_STEPS, UNDEFINED, Step, StepsError, render_step, steps
from recognizer.types import MathError, RecognizerError

CANONICAL = set("0123456789.+-*/()=x^")
# An equation line without x (the x terms cancelled) is true for every x or for none.
_WITHOUT_X = {"true": "any x", "false": "no solution"}


def _answer(expression: str, about_x: bool = False) -> str:
    """What the solver answers for a canonical line, or "undefined"; about_x: the line is a step
    of an equation in x."""
    try:
        result = solve(parse(list(expression))).result
    except MathError as error:
        assert "division by zero" in str(error)
        return UNDEFINED
    if about_x and "=" in expression and "x" not in expression:
        return _WITHOUT_X[result]
    return result


def _check_chain(problem: str) -> list[Step]:
    """Each canonical line has the problem's exact value or solution set; the last line is the
    solver's answer (or says the division by zero)."""
    try:
        lines = steps(problem)
    except StepsError:
        return []
    expected = _answer(problem)
    assert lines[0].expression == problem
    assert 1 <= len(lines) <= MAX_STEPS
    for line in lines:
        assert line.why
        if set(line.expression) <= CANONICAL:
            assert _answer(line.expression, "x" in problem) == expected, (problem, line)
    last = lines[-1].expression
    assert last == expected or (set(last) <= CANONICAL and _answer(last, True) == expected)
    return lines


# ---------------------------------------------------------------------------- properties

small = st.integers(min_value=-12, max_value=12)
number = st.one_of(
    st.integers(min_value=0, max_value=20).map(str),
    st.sampled_from(["0.5", "1.25", "0.1", "2.5"]),
)


def _wrapped(text: str) -> str:
    return f"({text})"


arithmetic = st.recursive(
    number,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from("+-*/"), inner).map("".join),
        st.tuples(inner, st.sampled_from("+-*/"), inner).map("".join).map(_wrapped),
        st.tuples(number, st.sampled_from(["^2", "^3", "^-1", "^0"])).map("".join),
        inner.map(lambda text: f"-({text})"),
    ),
    max_leaves=6,
)


def _signed(value: int) -> str:
    return f"+{value}" if value >= 0 else str(value)


linear = st.tuples(small, small, small, small).map(
    lambda c: f"{c[0]}x{_signed(c[1])}={c[2]}x{_signed(c[3])}"
)
bracketed = st.tuples(small, small, small, small).map(
    lambda c: f"{c[0]}(x{_signed(c[1])})={c[2]}{_signed(c[3])}x"
)
quadratic = st.tuples(
    st.integers(min_value=1, max_value=6), small, small, small
).map(lambda c: f"{c[0]}x^2{_signed(c[1])}x{_signed(c[2])}={c[3]}")
factored = st.tuples(small, small, st.integers(min_value=1, max_value=4)).map(
    lambda c: f"({c[2]}x{_signed(c[0])})(x{_signed(c[1])})=0"
)


positive = st.integers(min_value=1, max_value=9)
decimal = st.sampled_from(["0.5", "1.25", "2", "3.5", "0.1"])
with_fractions = st.tuples(positive, small, positive, small).map(
    lambda c: f"x/{c[0]}{_signed(c[1])}/{c[2]}={c[3]}x"
)
with_decimals = st.tuples(decimal, decimal, decimal).map(lambda c: f"{c[0]}x+{c[1]}={c[2]}")
over_fractions = st.tuples(positive, small, small).map(
    lambda c: f"x^2/{c[0]}{_signed(c[1])}x={c[2]}"
)


@settings(max_examples=300, deadline=timedelta(seconds=5))
@given(arithmetic)
def test_every_arithmetic_step_has_the_value_of_the_problem(problem: str) -> None:
    _check_chain(problem)


@settings(max_examples=300, deadline=timedelta(seconds=5))
@given(st.one_of(linear, bracketed, quadratic, factored, with_fractions, with_decimals,
                 over_fractions))
def test_every_equation_step_has_the_solutions_of_the_problem(problem: str) -> None:
    _check_chain(problem)


# ---------------------------------------------------------------------------- by hand

# (problem, [each later line's expression], a phrase of the last line's reason)
WORKED = [
    # order of operations
    ("2+3*4", ["2+12", "14"], "2 + 12 = 14"),
    ("(2+3)*4^2", ["5*4^2", "5*16", "80"], "5 × 16 = 80"),
    ("8-2-3", ["6-3", "3"], "6 − 3 = 3"),
    ("20/4/5", ["5/5", "1"], "5⁄5 = 1"),
    ("2*3+4*5", ["6+4*5", "6+20", "26"], "6 + 20"),
    ("12/4*3", ["3*3", "9"], "3 × 3 = 9"),
    ("10-2^3", ["10-8", "2"], "10 − 8 = 2"),
    # nested brackets
    ("((2+3)*(4-1))^2/5", ["(5*(4-1))^2/5", "(5*3)^2/5", "15^2/5", "225/5", "45"], "225⁄5 = 45"),
    ("2*(3+(4-1))", ["2*(3+3)", "2*6", "12"], "2 × 6 = 12"),
    ("(1+(2*(3+1)))", ["1+2*4", "1+8", "9"], "1 + 8 = 9"),
    # fractions
    ("1/2+1/3", ["3/6+2/6", "5/6"], "add the numerators"),
    ("3/4-1/6", ["9/12-2/12", "7/12"], "subtract the numerators"),
    ("1/4+1/4", ["2/4", "1/2"], "divide the numerator and the denominator by 2"),
    ("2+3/4", ["8/4+3/4", "11/4"], "mixed number 2 3⁄4"),
    ("6/4", ["3/2"], "as a decimal 1.5"),
    ("7/2", [], "mixed number 3 1⁄2"),
    ("2/3*9/4", ["6/4", "3/2"], "mixed number 1 1⁄2"),
    ("1/2/3", ["(1/2)/3", "1/2*(1/3)", "1/6"], "≈ 0.1666666667"),
    ("5/6-5/6", ["0/6", "0"], "0⁄6 = 0"),
    # decimals
    ("0.1+0.2", ["0.3"], "0.1 + 0.2 = 0.3"),
    ("3.5/0.7", ["5"], "= 5"),
    ("1.5*4-0.25", ["6-0.25", "5.75"], "6 − 0.25 = 5.75"),
    ("1/3+0.5", ["2/6+3/6", "5/6"], "add the numerators"),
    # powers
    ("3^2", ["9"], "3 × 3 = 9"),
    ("-3^2", ["-9"], "3² = 3 × 3 = 9"),
    ("(-3)^2", ["9"], "(−3) × (−3) = 9"),
    ("0^0", ["1"], "0⁰ is taken as 1"),
    ("(2/3)^2", ["4/9"], "raise the numerator and the denominator"),
    ("2^-3", ["1/2^3", "1/8"], "2³ = 2 × 2 × 2 = 8"),
    ("4^(1/2)", ["2"], "= 2"),
    ("2^10", ["1024"], "2¹⁰ = 1024"),
    # division by zero
    ("5/(3-3)", ["5/0", UNDEFINED], "division by zero is undefined"),
    ("0^-1", [UNDEFINED], "division by zero"),
    ("x/0=1", [UNDEFINED], "division by zero"),
    # linear equations
    ("2x+3=11", ["2x=8", "x=4"], "check: 2 × 4 + 3 = 11 gives 11 = 11 ✓"),
    ("2(x+3)=4x-5", ["2x+6=4x-5", "-2x+6=-5", "-2x=-11", "x=11/2"], "17 = 17 ✓"),
    ("3=x+1", ["x+1=3", "x=2"], "subtract 1 from both sides"),
    ("5x-7=3x+1", ["2x-7=1", "2x=8", "x=4"], "divide both sides by 2"),
    ("0.5x+1.5=2.5", ["0.5x=1", "x=2"], "multiply both sides by 2, the reciprocal"),
    ("1/2x+1/3=2", ["1/2x=5/3", "x=10/3"], "2 = 2 ✓"),
    ("-x=3", ["x=-3"], "multiply both sides by −1"),
    ("3(x-1)-2(x+1)=0", ["x-5=0", "x=5"], "add 5 to both sides"),
    ("3x-x=4", ["2x=4", "x=2"], "check: 3 × 2 − 2 = 4 gives 4 = 4 ✓"),
    ("1-x=2", ["-x=1", "x=-1"], "multiply both sides by −1; check: 1 − (−1) = 2"),
    ("2x+3*4=20", ["2x+12=20", "2x=8", "x=4"], "check: 2 × 4 + 3 × 4 = 20 gives 20 = 20 ✓"),
    ("x^2+x=x^2+3", ["x-3=0", "x=3"], "add 3 to both sides"),
    # no solution, every x
    ("x+1=x", ["1=0", "no solution"], "never true"),
    ("2(x+1)=2x+2", ["2x+2=2x+2", "2=2", "any x"], "every x is a solution"),
    ("(x+1)^2=x^2", ["x^2+2x+1=x^2", "2x+1=0", "2x=-1", "x=-1/2"], "1⁄4 = 1⁄4 ✓"),
    # quadratics with rational roots
    ("x^2-5x+6=0", ["(x-2)(x-3)=0", "x = 2, x = 3"], "x − 2 = 0 or x − 3 = 0"),
    ("x^2=2x", ["x^2-2x=0", "x(x-2)=0", "x = 0, x = 2"], "x = 0 or x − 2 = 0"),
    ("x^2=x+2", ["x^2-x-2=0", "(x+1)(x-2)=0", "x = -1, x = 2"], "x + 1 = 0 or x − 2 = 0"),
    ("2x^2=8", ["2x^2-8=0", "x^2-4=0", "(x+2)(x-2)=0", "x = -2, x = 2"], "x + 2 = 0"),
    ("4x^2-4x+1=0", ["(2x-1)^2=0", "x = 1/2"], "a square is 0 only when 2x − 1 = 0"),
    ("6x^2-x-2=0", ["(2x+1)(3x-2)=0", "x = -1/2, x = 2/3"], "2x + 1 = 0 or 3x − 2 = 0"),
    ("-x^2+1=0", ["x^2-1=0", "(x+1)(x-1)=0", "x = -1, x = 1"], "x + 1 = 0"),
    ("0.5x^2-0.5=0", ["x^2-1=0", "(x+1)(x-1)=0", "x = -1, x = 1"], "x − 1 = 0"),
    # quadratics with irrational roots
    ("x^2+6x+1=0", ["x = (-6 ± sqrt(32))/2", "x = (-6 ± 4*sqrt(2))/2",
                    "x = -3 - 2*sqrt(2), x = -3 + 2*sqrt(2)"], "x ≈ −5.828427125"),
    ("x^2-2=0", ["x = ±sqrt(8)/2", "x = ±2*sqrt(2)/2", "x = -sqrt(2), x = sqrt(2)"],
     "x ≈ ±1.414213562"),
    ("2x^2+3x-1=0", ["x = (-3 ± sqrt(17))/4", "x = -sqrt(17)/4 - 3/4, x = -3/4 + sqrt(17)/4"],
     "x ≈ 0.2807764064"),
    # no real roots
    ("x^2+x+1=0", ["no real solution"], "complex roots are x = −1/2 ± √3/2·i"),
    ("x^2=-4", ["x^2+4=0", "no real solution"], "complex roots are x = ±2·i"),
    # equations without x
    ("2+2=4", ["4=4", "true"], "both sides are 4"),
    ("1+1=3", ["2=3", "false"], "not equal"),
]


@pytest.mark.parametrize(("problem", "expected", "last_why"), WORKED)
def test_worked_example_matches_the_hand_written_solution(
    problem: str, expected: list[str], last_why: str
) -> None:
    lines = _check_chain(problem)
    assert [line.expression for line in lines] == [problem, *expected]
    assert last_why in lines[-1].why


def test_the_reasons_name_the_rule_applied() -> None:
    assert steps("2+3*4")[1].why == "multiply first: 3 × 4 = 12"
    assert steps("(2+3)*4")[1].why.startswith("brackets first")
    assert steps("2+3^2")[1].why.startswith("powers first")
    assert steps("2x+3=11")[1].why == "subtract 3 from both sides"
    assert steps("2x-3=11")[1].why == "add 3 to both sides"
    assert steps("x^2+6x+1=0")[1].why.endswith("the discriminant b² − 4ac = 32")


def test_typed_text_is_read_as_the_bot_reads_it() -> None:
    assert steps("what is 2 + 3 × 4?") == steps(list("2+3*4"))
    assert steps("2x+3=11")[-1] == steps(["2", "x", "+", "3", "=", "1", "1"])[-1]


@pytest.mark.parametrize("problem", ["x^3=1", "1/x=2", "2x+1", "x=x=x", "2^0.5"])
def test_out_of_scope_gets_an_honest_sentence(problem: str) -> None:
    with pytest.raises(StepsError, match="I can show the steps of"):
        steps(problem)


def test_too_many_steps_get_an_honest_sentence() -> None:
    with pytest.raises(StepsError, match=f"more than {MAX_STEPS} steps"):
        steps("*".join(str(n) for n in range(2, 50)))


def test_what_the_solver_cannot_do_is_said_as_the_solver_says_it() -> None:
    with pytest.raises(RecognizerError, match="two operators in a row"):
        steps("2++*3")
    with pytest.raises(RecognizerError, match="too large"):
        steps("9^9^9^9")


def test_lines_are_shown_as_answers_are() -> None:
    assert render_step("2*x+3=11") == "2 × x + 3 = 11"
    assert render_step("2x+3=11") == "2x + 3 = 11"
    assert render_step("x = -3 - 2*sqrt(2)") == "x = −3 − 2√2"
