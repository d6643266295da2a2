import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recognizer.grammar import parse
from recognizer.solve import Answer, solve, solve_text, solve_tokens
from recognizer.types import MathError, Solution

ALPHABET = "0123456789.+-*/()=x^"


def answer(text: str) -> Solution:
    solution = solve_text(text)
    assert solution.error is None, solution.error
    return solution


def error_of(text: str) -> str:
    solution = solve_text(text)
    assert solution.result is None
    assert solution.error
    return solution.error


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("2+3*4", "14"),
        ("(7-2)/5", "1"),
        ("2^3^2", "512"),
        ("-2^2", "-4"),
        ("(-2)^2", "4"),
        ("3*-2", "-6"),
        ("2--3", "5"),
        ("-(1+2)", "-3"),
        ("2(3+1)", "8"),
        ("(1+2)(3+4)", "21"),
        ("7/2", "7/2"),
        ("2^-2", "1/4"),
        ("0^0", "1"),
        ("8^(1/3)", "2"),
        ("(-8)^(1/3)", "-2"),
        ("2^0.5", "sqrt(2)"),
        ("(1+2^0.5)^2", "2*sqrt(2) + 3"),
        ("2+2=", "4"),
    ],
)
def test_values(text, result):
    assert answer(text).result == result


def test_decimals_are_exact_with_an_approximation():
    solution = answer("0.5+0.25")
    assert (solution.result, solution.approximation) == ("3/4", "0.75")
    assert answer("0.1+0.2").result == "3/10"


def test_integers_have_no_approximation():
    assert answer("12/4").approximation is None


@pytest.mark.parametrize(
    ("text", "approximation"),
    [
        ("2^0.5", "1.414213562"),
        ("10/3", "3.333333333"),
        ("1/7000000", "1.428571429e-7"),
        ("12345678901/2", "6172839451"),  # rounded to a whole number: no ".0"
        ("1/2048", "0.00048828125"),  # 8 significant digits, all exact
    ],
)
def test_decimals_have_at_most_10_significant_digits(text, approximation):
    assert answer(text).approximation == approximation


def test_expression_is_the_canonical_text():
    assert solve_text("3 × 4").expression == "3*4"


@pytest.mark.parametrize(
    ("text", "written"),
    [("6÷3+1/3", "6÷3+1/3"), ("10:4", "10÷4"), ("1⁄2", "1/2"), ("3 × 4", "3*4")],
)
def test_written_keeps_the_division_signs_typed(text, written):
    assert solve_text(text).written == written


@pytest.mark.parametrize("text", ["1/0", "0/0", "0^-1", "5/(2-2)", "1/(2^0.5*2^0.5-2)", "x/0"])
def test_division_by_zero(text):
    assert "division by zero" in error_of(text)


def test_even_root_of_a_negative_number():
    assert "not a real number" in error_of("(-4)^0.5")


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("2x+3=11", "x = 4"),
        ("x^2-2x-3=0", "x = -1, x = 3"),
        ("x=x+1", "no solution"),
        ("2x=x+x", "any x"),
        ("x/x=1", "any x except x = 0"),
        ("(x^2-1)/(x-1)=0", "x = -1"),
        ("1/x=0", "no solution"),
        ("x^2=-1", "no real solution"),
        ("x^2=2", "x = -sqrt(2), x = sqrt(2)"),
        ("(x-1)^2=2", "x = 1 - sqrt(2), x = 1 + sqrt(2)"),
        ("x^3=8", "x = 2"),
        ("x^4-5x^2+4=0", "x = -2, x = -1, x = 1, x = 2"),
        ("2x=1", "x = 1/2"),
        ("x^-2=4", "x = -1/2, x = 1/2"),
        ("(x^5-x^4)/(x-1)=0", "x = 0"),  # degree 5 until the excluded root x = 1 is removed
        ("x^2/x=0", "no solution"),
        ("(x^2-2)/(x-2^0.5)=0", "x = -sqrt(2)"),
    ],
)
def test_equations(text, result):
    assert answer(text).result == result


def test_equation_approximation_lists_every_root():
    assert answer("x^2=2").approximation == "x ≈ -1.414213562, x ≈ 1.414213562"
    assert answer("x^2-2x-3=0").approximation is None


def test_cubic_with_three_real_roots_is_exact_and_ordered():
    solution = answer("x^3-3x+1=0")
    values = [float(part.split("≈ ")[1]) for part in solution.approximation.split(", ")]
    assert values == sorted(values)
    assert len(values) == 3
    assert all(abs(v**3 - 3 * v + 1) < 1e-7 for v in values)  # shown to 10 digits
    assert "I" not in solution.result


def test_general_quartic_roots_are_shown_as_decimals():
    solution = answer("x^4+3x^3-7x+1=0")
    assert solution.result.startswith("x ≈ ")
    roots = [float(part.split("≈ ")[1]) for part in solution.result.split(", ")]
    assert all(abs(r**4 + 3 * r**3 - 7 * r + 1) < 1e-7 for r in roots)


@pytest.mark.parametrize(("text", "result"), [("2+2=4", "true"), ("2+2=5", "false")])
def test_equation_without_x_is_checked(text, result):
    assert answer(text).result == result


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("7*5=7+7+7+7+7=35", "true"),
        ("7*5=30+5=36", "false"),
        ("x=61-5=56", "x = 56"),  # solved, then checked
        ("x=61-5=57", "no solution"),
        ("x+x=2x=4", "x = 2"),  # the first link holds for any x
        ("x^2=4=2x", "x = 2"),  # x = -2 fails the second link
        ("x/x=1=1", "any x except x = 0"),
    ],
)
def test_chains_of_equalities(text, result):
    assert answer(text).result == result


def test_irrational_identity_is_true():
    assert answer("(1+2^0.5)^2=3+2*2^0.5").result == "true"


def test_expression_with_x_is_simplified():
    assert answer("2(x+3)").result == "2*x + 6"


def test_degree_limit():
    assert "up to degree 4" in error_of("x^5=1")


def test_x_in_an_exponent_is_refused():
    assert "exponent" in error_of("2^x=8")


@pytest.mark.parametrize("text", ["9^9^9^9", "10^10^10", "2^2^2^2^2^2", "0.5^100000", "(2x)^99999"])
def test_huge_powers_are_refused_quickly(text):
    start = time.perf_counter()
    message = error_of(text)
    assert time.perf_counter() - start < 0.05
    assert "too large" in message


def test_a_power_just_under_the_limit_is_computed():
    assert len(answer("2^13000").result) == 3914


def test_thousand_digit_number():
    assert answer("9" * 1000).result == "9" * 1000
    assert "1000 digits" in error_of("9" * 1001)


def test_products_of_long_numbers_are_capped():
    big = "9" * 1000
    assert "too large" in error_of("*".join([big] * 5))


def test_roots_of_long_numbers_are_refused_quickly():
    start = time.perf_counter()
    assert "too hard" in error_of("9" * 400 + "^0.5")
    assert time.perf_counter() - start < 0.05


def test_quadratic_with_long_coefficients_is_refused_quickly():
    big = "9" * 200
    start = time.perf_counter()
    assert "too long" in error_of(f"{big}x^2+{big}x-{big}=0")
    assert time.perf_counter() - start < 0.5


def test_coefficients_growing_past_the_limit_are_refused_not_crashed():
    # Found by fuzzing: printing these once raised Python's int-to-str limit ValueError.
    assert "too large" in error_of("(x/65167-1.537^902)^(-7)")
    long_fraction = "1." + "3" * 900
    assert "too large" in error_of(f"({long_fraction})^4x=7^4000")


def test_quadratic_with_a_root_in_a_coefficient_is_fast_and_exact():
    start = time.perf_counter()
    assert answer("1/x8^6.2-x46=x").result == (
        "x = -512*2**(3/10)*sqrt(47)/47, x = 512*2**(3/10)*sqrt(47)/47"
    )
    assert answer("x^2-2*2^0.5x+2=0").result == "x = sqrt(2)"
    assert time.perf_counter() - start < 1
    assert "up to degree 2" in error_of("2^0.5x^3=1")


def test_roots_making_a_divisor_with_radicals_zero_are_excluded_quickly():
    # Found by fuzzing: sympy's polynomial gcd with radical coefficients took minutes.
    start = time.perf_counter()
    assert answer("(x^2-2)/((x-2^0.5)^7(x+3^0.5)^7)=0").result == "x = -sqrt(2)"
    assert answer("(x-7^(1/3))/((x-5^0.5)^5(x+3^0.5)^5(x-2^(1/5))^5)=0").result == "x = 7**(1/3)"
    # A guard against the minutes-long hang, not a speed test: CI machines may be busy.
    assert time.perf_counter() - start < 10


def test_deep_root_is_refused():
    assert "too hard" in error_of("2^(1/100001)")


def test_500_nested_parentheses():
    assert "too long" in error_of("(" * 500 + "1" + ")" * 500)


def test_garbage_text_is_an_error_not_an_exception():
    solution = solve_text("what is love?")
    assert solution == Solution(None, None, error=solution.error)
    assert "I can only read" in solution.error


@pytest.mark.parametrize(
    ("text", "result"), [("what is 2+2?", "4"), ("solve for x: 2x+3=11", "x = 4"), ("2+2=?", "4")]
)
def test_a_question_around_the_expression_is_answered(text, result):
    assert answer(text).result == result


def test_a_question_phrase_does_not_shift_the_division_signs():
    assert solve_text("calculate: 6:3 + 1/2").written == "6÷3+1/2"


def test_other_unknowns_are_named_in_the_error():
    assert error_of("z+2=5") == "I can only solve for x and y, not z"
    assert "two equations" in error_of("2x+3y=5")


def test_parse_errors_keep_the_expression():
    solution = solve_text("2+")
    assert (solution.expression, solution.result) == ("2+", None)
    assert "ends with an operator" in solution.error


def test_solve_tokens():
    assert solve_tokens(list("2x+3=11")) == Solution("2x+3=11", "x = 4")


def test_time_budget_is_enforced():
    with pytest.raises(MathError, match="too long"):
        solve(parse("1+2"), time_budget=-1)


def test_solve_returns_an_answer():
    assert solve(parse("1/3")) == Answer("1/3", "0.3333333333")


# ---------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=16))
def test_any_token_sequence_gives_a_solution_quickly(text):
    start = time.perf_counter()
    solution = solve_tokens(list(text))
    assert time.perf_counter() - start < 3
    assert (solution.result is None) != (solution.error is None)


def fraction_expressions():
    leaf = st.integers(-20, 20).map(lambda n: (f"({n})", Fraction(n)))

    def combine(children):
        ops = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}

        def join(op, left, right):
            return (f"({left[0]}{op}{right[0]})", ops[op](left[1], right[1]))

        return st.builds(join, st.sampled_from(sorted(ops)), children, children)

    return st.recursive(leaf, combine, max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(fraction_expressions())
def test_integer_arithmetic_agrees_with_fractions(case):
    text, value = case
    assert answer(text).result == str(value)


@settings(max_examples=100, deadline=None)
@given(st.integers(-50, 50), st.integers(1, 50), st.integers(-50, 50))
def test_linear_equations_agree_with_fractions(a, b, c):
    # b*x + a = c  =>  x = (c - a) / b
    solution = answer(f"{b}x+({a})={c}")
    assert solution.result == f"x = {Fraction(c - a, b)}"


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("2x+y=7;x-y=2", "x = 3, y = 1"),
        ("x+y=10;x-y=4", "x = 7, y = 3"),
        ("3x+2y=12;x=2", "x = 2, y = 3"),
        ("x+y=2;x+y=3", "no solution"),
        ("x+y=2;2x+2y=4", "infinitely many solutions: x = 2 - y"),
        ("y=2x;y=x+1", "x = 1, y = 2"),
    ],
)
def test_systems_of_two_linear_equations(text, result):
    assert answer(text).result == result


def test_a_system_with_a_fractional_solution_has_decimals_beside_it():
    solution = answer("x+2y=1;3x-y=1")
    assert (solution.result, solution.approximation) == (
        "x = 3/7, y = 2/7", "x ≈ 0.4285714286, y ≈ 0.2857142857")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("xy=2;x+y=3", "linear"),
        ("x^2+y=2;x-y=0", "linear"),
        ("1/x+y=2;x-y=0", "linear"),
        ("x/y=2;x+y=3", "linear"),
        ("2x+3y=5", "two equations"),
        ("x+y", "two equations"),
        ("2x+y=7;x-y", "one equation"),
    ],
)
def test_what_a_system_cannot_be_is_said(text, words):
    assert words in error_of(text)


@pytest.mark.parametrize(
    ("text", "result"),
    [("y+2=5", "y = 3"), ("2y^2=18", "y = -3, y = 3"), ("y/y=1", "any y except y = 0")],
)
def test_an_equation_in_y_alone_is_solved_for_y(text, result):
    assert answer(text).result == result


@pytest.mark.parametrize(
    ("text", "result", "approximation"),
    [
        ("√16", "4", None),
        ("√8", "2*sqrt(2)", "2.828427125"),
        ("2√3", "2*sqrt(3)", "3.464101615"),
        ("√(9+16)", "5", None),
        ("√2×√8", "4", None),
        ("√12+√27", "5*sqrt(3)", "8.660254038"),
        ("x^2=8", "x = -2*sqrt(2), x = 2*sqrt(2)", "x ≈ -2.828427125, x ≈ 2.828427125"),
        ("x=√49", "x = 7", None),
    ],
)
def test_square_roots_are_exact_with_surds_simplified(text, result, approximation):
    solution = answer(text)
    assert (solution.result, solution.approximation) == (result, approximation)


@pytest.mark.parametrize(
    ("text", "words"),
    [("√(0-4)", "not a real number"), ("√(x+1)=3", "under √"), ("√", "after √"),
     ("√+4", "after √"), ("√(9^9^9)", "too large")],
)
def test_roots_that_cannot_be_taken_are_said(text, words):
    assert words in error_of(text)


def test_typed_lines_are_solved_each_with_its_label_and_systems_together():
    from recognizer.solve import solve_lines

    solved = solve_lines("1) 2+3\n\n2) x+y=10\nx-y=4\n3. 3.5+1\na)7-2")
    assert [(label, s.expression, s.result) for label, s in solved] == [
        ("1)", "2+3", "5"), ("2)", "x+y=10;x-y=4", "x = 7, y = 3"), ("3.", "3.5+1", "9/2"),
        ("a)", "7-2", "5")]
    assert "more than 20 lines" in solve_lines("1+1\n" * 21)[0][1].error
