import re
import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recognizer.grammar import (
    MAX_DIGITS,
    BinaryOp,
    Equation,
    Negate,
    Number,
    Root,
    System,
    Variable,
    canonical,
    decode,
    looks_like_math,
    parse,
    strip_question,
    tokenize,
)
from recognizer.types import ExpressionError

ALPHABET = "0123456789.+-*/()=xy^√;"


def num(value: int | str) -> Number:
    return Number(Fraction(value))


def test_precedence_of_times_over_plus():
    assert parse("2+3*4") == BinaryOp("+", num(2), BinaryOp("*", num(3), num(4)))


def test_power_is_right_associative():
    assert parse("2^3^2") == BinaryOp("^", num(2), BinaryOp("^", num(3), num(2)))


def test_power_binds_tighter_than_unary_minus():
    assert parse("-2^2") == Negate(BinaryOp("^", num(2), num(2)))


def test_minus_is_left_associative():
    assert parse("8-3-2") == BinaryOp("-", BinaryOp("-", num(8), num(3)), num(2))


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("3*-2", BinaryOp("*", num(3), Negate(num(2)))),
        ("2--3", BinaryOp("-", num(2), Negate(num(3)))),
        ("-(1+2)", Negate(BinaryOp("+", num(1), num(2)))),
        ("--2", num(2)),
        ("+2", num(2)),
        ("2^-1", BinaryOp("^", num(2), Negate(num(1)))),
    ],
)
def test_unary_signs(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("2(3+1)", BinaryOp("*", num(2), BinaryOp("+", num(3), num(1)))),
        (
            "(1+2)(3+4)",
            BinaryOp("*", BinaryOp("+", num(1), num(2)), BinaryOp("+", num(3), num(4))),
        ),
        ("2x", BinaryOp("*", num(2), Variable())),
        ("x(x+1)", BinaryOp("*", Variable(), BinaryOp("+", Variable(), num(1)))),
        ("3x^2", BinaryOp("*", num(3), BinaryOp("^", Variable(), num(2)))),
        ("1/2x", BinaryOp("*", BinaryOp("/", num(1), num(2)), Variable())),
    ],
)
def test_implicit_multiplication(text, tree):
    assert parse(text) == tree


def test_decimals_are_exact():
    assert parse("1.5") == Number(Fraction(3, 2))
    assert parse(".25") == Number(Fraction(1, 4))


def test_equation_at_top():
    assert parse("2x+3=11") == Equation(
        (BinaryOp("+", BinaryOp("*", num(2), Variable()), num(3)), num(11))
    )


def test_chain_of_equalities():
    assert parse("x=6-1=5") == Equation((Variable(), BinaryOp("-", num(6), num(1)), num(5)))


def test_trailing_equals_means_evaluate():
    assert parse("2+2=") == BinaryOp("+", num(2), num(2))


def test_canonical_joins_tokens():
    assert canonical(["1", "2", "+", "x"]) == "12+x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "nothing to solve"),
        ("(2+3", "unbalanced parentheses"),
        ("2+3)", "unbalanced parentheses"),
        ("(", "unbalanced parentheses"),
        ("2+", "ends with an operator"),
        ("*2", "can't start with ×"),
        ("2*/3", "two operators in a row"),
        ("()", "nothing inside the parentheses"),
        ("1=2=3=", "ends with an operator"),
        ("1==2", "two operators in a row"),
        ("=2", "one side of the '=' is empty"),
        ("5.", "decimal point must be followed by a digit"),
        ("1.2.3", "two decimal points"),
        ("2+a", "can't read the symbol"),
        ("2+)", "a number is missing before ')'"),
    ],
)
def test_errors_are_sentences(text, message):
    with pytest.raises(ExpressionError, match=re.escape(message)):
        parse(text)


def test_number_digit_limit():
    assert parse("9" * MAX_DIGITS) == num("9" * MAX_DIGITS)
    with pytest.raises(ExpressionError, match="longer than 1000 digits"):
        parse("9" * (MAX_DIGITS + 1))


def test_too_many_items():
    with pytest.raises(ExpressionError, match="too long"):
        parse("1+" * 150 + "1")


def test_deep_nesting_is_a_clean_error():
    with pytest.raises(ExpressionError):
        parse("(" * 500 + "1" + ")" * 500)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("(" * 150)


def test_long_power_tower_parses_without_recursion_error():
    assert isinstance(parse("2^" * 99 + "2"), BinaryOp)


# ---------------------------------------------------------------- tokenize


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("12/4", "12/4"),
        ("2x+3=11", "2x+3=11"),
        ("(1+2)^3", "(1+2)^3"),
        ("3 × 4", "3*4"),
        ("8 ÷ 2", "8/2"),
        ("8:2", "8/2"),
        ("3²+4²", "3^2+4^2"),
        ("x²³", "x^23"),
        ("2⁻¹", "2^-1"),
        ("2**3", "2^3"),
        ("5 − 3 – 1", "5-3-1"),
        ("2·3", "2*3"),
        ("2X", "2x"),
        ("2х", "2x"),  # Cyrillic х
        ("[1+2]*{3}", "(1+2)*(3)"),
        ("1,5", "1.5"),
        ("  7  ", "7"),
    ],
)
def test_tokenize_typed_text(text, tokens):
    assert tokenize(text) == list(tokens)


@pytest.mark.parametrize("text", ["hello", "2+zz", "∛4", "1|2", "2 & 3", "2π", "1e308"])
def test_tokenize_rejects_other_characters(text):
    with pytest.raises(ExpressionError, match="I can only read digits"):
        tokenize(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("z+2=5", "I can only solve for x and y, not z"),
        ("2a+3b=5", "I can only solve for x and y, not a and b"),
        ("2x+3z=5", "I can only solve for x and y, not z"),
    ],
)
def test_other_unknowns_than_x_are_named(text, message):
    with pytest.raises(ExpressionError) as raised:
        tokenize(text)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        ("what is 2+2?", "2+2"),
        ("What's 3×4 ?", "3×4"),
        ("how much is 7-2", "7-2"),
        ("calculate: 12/4", "12/4"),
        ("solve for x: 2x+3=11", "2x+3=11"),
        ("solve 2x+3=11", "2x+3=11"),
        ("2+2=?", "2+2="),
        ("2+2", "2+2"),
        ("whatever 2", "whatever 2"),
    ],
)
def test_strip_question(text, expression):
    assert strip_question(text) == expression


@pytest.mark.parametrize(
    ("text", "math"),
    [
        ("2x+3=11", True),
        ("y+2=5", True),
        ("2x+3y=5", True),
        ("what is 2+2?", True),
        ("2+2=?", True),
        ("х+1=2", True),  # Cyrillic х
        ("I have 3 cats", False),
        ("hello", False),
        ("what is love?", False),
        ("x", False),
    ],
)
def test_looks_like_math(text, math):
    assert looks_like_math(text) is math


def test_numbers_separated_by_a_space_are_an_error():
    with pytest.raises(ExpressionError, match="space"):
        tokenize("12 34")


# ---------------------------------------------------------------- decode


def sure(text: str) -> list[list[tuple[str, float]]]:
    return [[(token, 1.0)] for token in text]


def test_decode_prefers_the_reading_that_parses():
    candidates = [*sure("(2+3"), [("1", 0.6), (")", 0.3)]]
    assert decode(candidates) == list("(2+3)")


def test_decode_reads_a_speck_as_nothing_only_where_no_dot_can_stand():
    speck = [("*", 0.63), ("", 0.27), ("0", 0.1)]
    assert decode([*sure("3-"), speck, *sure("7")]) == ["3", "-", "", "7"]
    assert decode([*sure("3"), speck, *sure("7")]) == list("3*7")


def test_decode_lets_probabilities_decide_between_valid_readings():
    assert decode([*sure("2"), [("*", 0.55), ("x", 0.45)], *sure("3")]) == list("2*3")
    assert decode([*sure("2"), [("x", 0.55), ("*", 0.45)], *sure("3")]) == list("2x3")


def test_decode_rejects_an_operator_before_equals():
    assert decode([*sure("2"), [("*", 0.6), ("x", 0.4)], *sure("=8")]) == list("2x=8")


def test_decode_fixes_a_late_position_using_the_whole_sequence():
    # A stray second '=' is only invalid once the first one is seen far earlier.
    candidates = [*sure("1+2="), *sure("3"), [("=", 0.7), ("-", 0.3)], *sure("0")]
    assert decode(candidates) == list("1+2=3-0")


def test_decode_doubts_a_unary_plus_and_a_sign_after_an_operator():
    # "1/+12" and "1+2--3" parse, but people write neither: a 1 was taken for /, an = for -.
    assert decode([[("1", 1.0)], [("/", 0.6), ("1", 0.4)], *sure("+12")]) == list("11+12")
    assert decode([*sure("1+2"), [("-", 0.7), ("=", 0.3)], *sure("-3")]) == list("1+2=-3")
    # A clear sign is still read: the doubt is a prior, not a rule.
    assert decode([*sure("3*-2")]) == list("3*-2")
    assert decode([*sure("x=-3")]) == list("x=-3")


def test_decode_raises_the_top_reading_error_when_nothing_parses():
    with pytest.raises(ExpressionError, match="unbalanced parentheses"):
        decode([*sure("(2+3"), [("1", 0.6), ("4", 0.4)]])


def test_decode_applies_the_digit_limit_of_parse():
    digits = sure("9" * (MAX_DIGITS + 1))
    with pytest.raises(ExpressionError, match="longer than"):
        decode(digits)
    # With a '+' on offer in the middle the long number can be split.
    middle = MAX_DIGITS // 2
    split = [*digits[:middle], [("9", 0.9), ("+", 0.1)], *digits[middle + 1 :]]
    assert "+" in decode(split)


def test_decode_is_fast_for_200_ambiguous_positions():
    options = [[("1", 0.5), ("+", 0.3), ("x", 0.2)], [("(", 0.4), (")", 0.35), ("-", 0.25)]]
    candidates = [options[i % 2] for i in range(200)]
    start = time.perf_counter()
    tokens = decode(candidates)
    elapsed = time.perf_counter() - start
    assert len(tokens) == 200
    parse(tokens)
    assert elapsed < 1.0


def test_decode_matches_brute_force_on_small_inputs():
    options = [("1", 0.4), ("x", 0.3), ("-", 0.2), ("(", 0.05), (")", 0.05)]
    candidates = [options, options, options, options]
    best, best_score = None, -1.0
    for a in options:
        for b in options:
            for c in options:
                for d in options:
                    tokens = [a[0], b[0], c[0], d[0]]
                    score = a[1] * b[1] * c[1] * d[1]
                    try:
                        parse(tokens)
                    except ExpressionError:
                        continue
                    if score > best_score:
                        best, best_score = tokens, score
    decoded = decode(candidates)
    product = 1.0
    for token, alternatives in zip(decoded, candidates, strict=True):
        product *= dict(alternatives)[token]
    assert product == pytest.approx(best_score)
    assert best is not None


# ---------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_parse_only_raises_expression_error(text):
    try:
        parse(text)
    except ExpressionError as error:
        assert str(error)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(st.sampled_from(ALPHABET), st.floats(0.01, 1.0)), min_size=1, max_size=3
        ),
        max_size=25,
    )
)
def test_decode_returns_a_parsable_sequence_or_raises_expression_error(candidates):
    try:
        tokens = decode(candidates)
    except ExpressionError:
        return
    assert len(tokens) == len(candidates)
    assert all(token in dict(options) for token, options in zip(tokens, candidates, strict=True))
    parse(tokens)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_tokenize_returns_canonical_tokens_or_raises_expression_error(text):
    try:
        tokens = tokenize(text)
    except ExpressionError:
        return
    assert all(token in ALPHABET for token in tokens)


def test_roots_unknowns_and_systems_parse_to_their_trees():
    assert parse(list("2√3")) == BinaryOp("*", Number(Fraction(2)), Root(Number(Fraction(3))))
    assert parse(list("√(x+1)")) == Root(BinaryOp("+", Variable("x"), Number(Fraction(1))))
    system = parse(list("x+y=2;x=1"))
    assert isinstance(system, System) and len(system.equations) == 2
    assert tokenize("sqrt(16) + 2y") == list("√(16)+2y")
    assert tokenize("x+y=3; x-y=1") == list("x+y=3;x-y=1")


def test_a_root_is_decoded_with_its_radicand():
    assert decode([[("√", 0.9)], [("1", 0.9)], [("6", 0.9)]]) == list("√16")
    # A root cannot end an expression: the likelier reading that parses wins.
    assert decode([[("2", 0.9)], [("√", 0.6), ("7", 0.4)]]) == ["2", "7"]


def test_y_is_read_only_when_much_likelier_than_the_digit_it_resembles():
    assert decode([[("2", 0.9)], [("y", 0.7), ("4", 0.3)]]) == ["2", "4"]
    assert decode([[("2", 0.9)], [("y", 0.99), ("4", 0.01)]]) == ["2", "y"]
