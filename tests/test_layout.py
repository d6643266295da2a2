import numpy as np
import pytest

from recognizer.grammar import decode
from recognizer.labels import SYMBOLS
from recognizer.layout import arrange
from recognizer.segment import Segment


def seg(x: int, y: int, w: int, h: int, forced: str | None = None) -> Segment:
    return Segment((x, y, w, h), np.full((h, w), 255, np.uint8), forced)


def probs(*names: str, p: float = 0.9) -> np.ndarray:
    out = np.full((len(names), len(SYMBOLS)), (1 - p) / (len(SYMBOLS) - 1), np.float32)
    for row, name in enumerate(names):
        out[row, SYMBOLS.index(name)] = p
    return out


def best_tokens(segments, names) -> str:
    return "".join(slot.candidates[0][0] for slot in arrange(segments, probs(*names)))


def test_plain_line_in_x_order():
    segments = [seg(200, 100, 30, 60), seg(100, 100, 30, 60), seg(150, 120, 30, 30)]
    assert best_tokens(segments, ["3", "2", "plus"]) == "2+3"


def test_stacked_fraction_becomes_parenthesised_division():
    segments = [seg(100, 20, 30, 60), seg(140, 20, 30, 60),  # numerator 12
                seg(90, 95, 100, 6),  # bar
                seg(125, 115, 30, 60)]  # denominator 5
    tokens = best_tokens(segments, ["1", "2", "minus", "5"])
    assert tokens == "(12)/(5)"


def test_minus_in_the_line_is_not_a_fraction():
    segments = [seg(100, 100, 30, 60), seg(150, 128, 40, 6), seg(210, 100, 30, 60)]
    assert best_tokens(segments, ["7", "minus", "2"]) == "7-2"


def test_small_raised_digit_is_an_exponent():
    segments = [seg(100, 100, 30, 60), seg(135, 80, 18, 30), seg(170, 115, 30, 30),
                seg(210, 100, 30, 60), seg(245, 80, 18, 30)]
    assert best_tokens(segments, ["3", "2", "plus", "4", "2"]) == "3^2+4^2"


def test_exponent_group_is_parenthesised():
    segments = [seg(100, 100, 30, 60), seg(135, 80, 18, 30), seg(158, 80, 18, 30)]
    assert best_tokens(segments, ["2", "1", "0"]) == "2^(10)"


def test_dot_on_baseline_is_decimal_point_and_raised_dot_is_times():
    low = [seg(100, 100, 30, 60), seg(135, 152, 8, 8), seg(150, 100, 30, 60)]
    mid = [seg(100, 100, 30, 60), seg(135, 126, 8, 8), seg(150, 100, 30, 60)]
    assert best_tokens(low, ["1", "dot", "5"]) == "1.5"
    assert best_tokens(mid, ["1", "dot", "5"]) == "1*5"


def test_cross_leans_to_variable_in_an_equation_unless_between_numbers():
    plain = [seg(100, 100, 30, 60), seg(140, 115, 30, 30), seg(180, 100, 30, 60)]
    equation = [*plain, seg(220, 115, 30, 30, forced="="), seg(260, 100, 30, 60)]
    variable = [seg(100, 100, 30, 60), seg(140, 115, 30, 30), seg(180, 115, 30, 30),
                seg(220, 100, 30, 60), seg(260, 115, 30, 30, forced="="), seg(300, 100, 30, 60)]
    trailing = [*plain, seg(220, 115, 30, 30, forced="=")]
    assert best_tokens(plain, ["2", "cross", "3"]) == "2*3"
    assert best_tokens(equation, ["2", "cross", "3", "minus", "6"]) == "2*3=6"
    assert best_tokens(variable, ["2", "cross", "plus", "3", "minus", "9"]) == "2x+3=9"
    assert best_tokens(trailing, ["2", "cross", "3", "plus"]) == "2*3="


def test_cross_at_an_end_of_the_line_is_the_variable():
    # No × can end (or start) a line, so a cross there is x even without an `=`.
    two_x = [seg(100, 100, 30, 60), seg(140, 115, 30, 30)]
    x_plus_1 = [seg(100, 115, 30, 30), seg(140, 115, 30, 30), seg(180, 100, 30, 60)]
    assert best_tokens(two_x, ["2", "cross"]) == "2x"
    assert best_tokens(x_plus_1, ["cross", "plus", "1"]) == "x+1"


def test_forced_symbols_keep_their_meaning():
    segments = [seg(100, 100, 30, 60), seg(140, 110, 40, 40, forced="÷"),
                seg(190, 100, 30, 60)]
    slots = arrange(segments, probs("8", "plus", "2"))
    assert [s.candidates[0][0] for s in slots] == ["8", "/", "2"]
    assert slots[1].shape == "÷"


def test_tiny_mark_is_a_dot_whatever_the_model_saw():
    segments = [seg(100, 100, 30, 60), seg(140, 150, 8, 8), seg(160, 100, 30, 60),
                seg(200, 100, 30, 60), seg(240, 120, 6, 7), seg(260, 100, 30, 60)]
    # The model took the blobs for a 6 and a 4: one on the baseline, one at mid-height.
    assert best_tokens(segments, ["7", "6", "0", "3", "4", "2"]) == "7.03*2"


def test_decimal_comma_is_a_point():
    # `0,5`: a short stroke from the baseline down, between two digits, whatever the model saw.
    segments = [seg(100, 100, 30, 60), seg(135, 150, 10, 22), seg(150, 100, 30, 60)]
    assert best_tokens(segments, ["0", "1", "5"]) == "0.5"


def test_low_minus_or_times_between_digits_is_not_a_comma():
    # Written low but not below the baseline: still the operators the model saw.
    segments = [seg(100, 100, 30, 60), seg(140, 140, 20, 4), seg(170, 100, 30, 60),
                seg(210, 135, 16, 16), seg(240, 100, 30, 60)]
    assert best_tokens(segments, ["2", "minus", "1", "cross", "3"]) == "2-1*3"


def test_minus_beside_a_small_x_is_not_an_exponent():
    # `3x-5=1`: the minus is at mid-digit height, which is in the top of the lower-case x.
    segments = [seg(100, 100, 30, 60), seg(140, 124, 30, 36), seg(180, 128, 24, 4),
                seg(215, 100, 30, 60), seg(255, 125, 30, 12, "="), seg(295, 100, 30, 60)]
    assert best_tokens(segments, ["3", "cross", "minus", "5", "equals", "1"]) == "3x-5=1"


def test_raised_signed_exponent_is_still_read():
    segments = [seg(100, 100, 30, 60), seg(135, 80, 14, 4), seg(152, 70, 18, 30)]
    assert best_tokens(segments, ["2", "minus", "1"]) == "2^(-1)"


def test_small_digit_is_not_taken_for_a_dot():
    segments = [seg(100, 100, 30, 60), seg(135, 80, 18, 30)]  # an exponent is half a digit
    assert best_tokens(segments, ["3", "2"]) == "3^2"


def test_exponent_of_a_letter_x_as_tall_as_it_is_raised_and_makes_it_the_variable():
    # x², the 2 as tall as the x: a base's own height would call it inline; the line's
    # digits (the 5 and 6) say it is raised. And a cross carrying an exponent is the letter.
    segments = [seg(100, 130, 30, 30), seg(133, 105, 18, 30), seg(170, 140, 30, 6),
                seg(210, 100, 30, 60), seg(250, 130, 30, 30), seg(290, 115, 30, 30),
                seg(330, 100, 30, 60), seg(370, 118, 40, 6, "="), seg(420, 100, 30, 60)]
    names = ["cross", "2", "minus", "5", "cross", "plus", "6", "equals", "0"]
    assert best_tokens(segments, names) == "x^2-5x+6=0"


def test_a_letter_x_read_as_a_plus_still_carries_its_exponent():
    # x² + 1, the slanted x read as `+` at four to one: the layout tries it as a base, and the
    # grammar, which allows no `+` before an exponent, reads the x.
    segments = [seg(100, 130, 30, 30), seg(133, 105, 18, 30), seg(170, 130, 30, 30),
                seg(210, 100, 30, 60)]
    odds = probs("plus", "2", "plus", "1")
    odds[0, SYMBOLS.index("plus")], odds[0, SYMBOLS.index("cross")] = 0.8, 0.19
    assert decode([slot.candidates for slot in arrange(segments, odds)]) == \
        ["x", "^", "2", "+", "1"]


def test_a_one_read_as_a_slash_stays_in_its_exponent():
    # 2¹², the exponent's 1 read as `/` at two to one.
    segments = [seg(100, 100, 50, 50), seg(155, 100, 16, 28), seg(174, 104, 26, 24)]
    odds = probs("2", "slash", "2")
    odds[1, SYMBOLS.index("slash")], odds[1, SYMBOLS.index("1")] = 0.66, 0.33
    assert decode([slot.candidates for slot in arrange(segments, odds)]) == \
        ["2", "^", "(", "1", "2", ")"]


def test_a_sure_plus_carries_no_exponent():
    segments = [seg(100, 130, 30, 30), seg(133, 105, 18, 30)]
    assert "^" not in best_tokens(segments, ["plus", "2"])


def test_a_small_symbol_floating_mid_line_is_an_operator_rather_than_a_digit():
    # 2 * 7 with a small asterisk the model reads as an 8 at five to one.
    segments = [seg(100, 100, 40, 60), seg(150, 115, 26, 28), seg(190, 100, 40, 60)]
    odds = probs("2", "8", "7")
    odds[1, SYMBOLS.index("8")], odds[1, SYMBOLS.index("asterisk")] = 0.75, 0.15
    assert decode([slot.candidates for slot in arrange(segments, odds)]) == ["2", "*", "7"]


def test_a_small_digit_on_the_baseline_is_still_a_digit():
    segments = [seg(100, 100, 40, 60), seg(150, 130, 26, 30), seg(190, 100, 40, 60)]
    odds = probs("2", "8", "7")
    odds[1, SYMBOLS.index("8")], odds[1, SYMBOLS.index("asterisk")] = 0.75, 0.15
    assert decode([slot.candidates for slot in arrange(segments, odds)]) == ["2", "8", "7"]


def test_exponent_of_a_bracket_is_raised_though_the_bracket_reaches_below_the_line():
    segments = [seg(100, 95, 14, 72), seg(120, 100, 30, 60), seg(160, 115, 30, 30),
                seg(200, 100, 30, 60), seg(236, 95, 14, 72), seg(255, 75, 18, 34)]
    assert best_tokens(segments, ["lparen", "2", "plus", "1", "rparen", "2"]) == "(2+1)^2"


def test_times_after_an_exponent_or_a_bracket_stays_on_the_line():
    after_power = [seg(100, 100, 30, 60), seg(135, 72, 18, 34), seg(165, 115, 30, 30),
                   seg(205, 100, 30, 60)]
    assert best_tokens(after_power, ["5", "3", "cross", "4"]) == "5^3*4"
    after_bracket = [seg(100, 95, 14, 72), seg(120, 100, 30, 60), seg(156, 95, 14, 72),
                     seg(180, 115, 30, 30), seg(220, 100, 30, 60)]
    assert best_tokens(after_bracket, ["lparen", "2", "rparen", "cross", "3"]) == "(2)*3"


def test_a_digit_beside_a_long_tailed_one_is_on_the_line():
    # 1+2=3 with a 1 reaching far below the others: the 2 stands on the line's foot.
    segments = [seg(100, 90, 20, 100), seg(130, 120, 30, 30), seg(170, 100, 30, 60),
                seg(210, 118, 40, 6), seg(210, 134, 40, 6), seg(260, 100, 30, 60)]
    assert best_tokens(segments, ["1", "plus", "2", "minus", "minus", "3"]) == "1+2--3"



# Boxes as benchmarks.composed draws them, in digit heights × 100.
def test_two_digit_exponent_of_a_lone_base_is_raised():
    """`3¹¹`: two of the line's three digits are the exponent's; they must not set the line's
    digit height, or the exponent is as tall as the line and read inline (311)."""
    segments = [seg(0, 221, 78, 110), seg(79, 228, 14, 56), seg(99, 233, 19, 53)]
    assert best_tokens(segments, ["3", "1", "1"]) == "3^(11)"


def test_exponent_of_a_short_base_beside_tall_digits():
    """`8²` beside a tall 6: the exponent's middle is measured against its own base's height."""
    segments = [seg(100, 104, 40, 57), seg(145, 107, 18, 32), seg(180, 90, 44, 66),
                seg(230, 94, 24, 34)]
    assert best_tokens(segments, ["8", "2", "6", "4"]) == "8^26^4"


def test_fraction_whose_numerator_is_a_fraction_is_taken_whole():
    """`4/4 - (4/7)/6`: the inner numerator stands more than a reach above the outer bar."""
    segments = [seg(0, 273, 91, 15), seg(21, 166, 55, 79), seg(5, 315, 74, 105),  # 4/4
                seg(115, 266, 86, 15),  # minus
                seg(240, 270, 138, 15),  # outer bar
                seg(265, 114, 101, 15), seg(283, 10, 47, 79), seg(272, 158, 80, 80),  # 4/7
                seg(276, 314, 64, 91)]  # 6
    names = ["minus", "4", "4", "minus", "minus", "minus", "4", "7", "6"]
    assert best_tokens(segments, names) == "(4)/(4)-((4)/(7))/(6)"


def test_minus_between_two_fractions_is_not_a_decimal_comma():
    """`10/6 - 1/8`: the numerators' feet are level, but a flat mark between them is a minus."""
    segments = [seg(0, 268, 171, 15), seg(16, 151, 29, 95), seg(58, 142, 100, 100),
                seg(51, 304, 69, 99),  # 10/6
                seg(189, 268, 51, 15),  # minus
                seg(270, 271, 110, 15), seg(299, 150, 44, 89), seg(284, 313, 76, 95)]  # 1/8
    names = ["minus", "1", "0", "6", "minus", "minus", "1", "8"]
    assert best_tokens(segments, names) == "(10)/(6)-(1)/(8)"


def test_a_fraction_after_a_division_sign_is_one_operand():
    """6 ÷ ½ is 12: the fraction is bracketed whole, or it would read 6/(1)/(2) = 3."""
    segments = [seg(0, 100, 30, 60), seg(45, 115, 30, 30),  # 6 ÷
                seg(100, 40, 30, 55), seg(90, 126, 50, 7), seg(100, 140, 30, 55)]  # 1/2
    assert best_tokens(segments, ["6", "obelus", "1", "minus", "2"]) == "6/((1)/(2))"


def test_a_root_takes_what_stands_under_its_bar():
    root = seg(100, 80, 150, 85)  # tick at the left, bar over 16
    segments = [root, seg(160, 100, 30, 60), seg(200, 100, 30, 60), seg(270, 120, 30, 30),
                seg(320, 100, 30, 60)]
    assert best_tokens(segments, ["sqrt", "1", "6", "plus", "2"]) == "√(16)+2"


def test_a_number_before_a_root_multiplies_it_and_a_group_goes_under_whole():
    segments = [seg(20, 100, 30, 60), seg(60, 80, 250, 85), seg(120, 95, 15, 70),
                seg(145, 100, 30, 60), seg(185, 120, 30, 30), seg(225, 100, 30, 60),
                seg(265, 95, 15, 70)]
    names = ["2", "sqrt", "lparen", "4", "plus", "1", "rparen"]
    assert best_tokens(segments, names) == "2√(4+1)"


def test_the_letter_y_is_an_unknown_that_carries_exponents():
    segments = [seg(100, 110, 30, 50), seg(135, 85, 18, 30), seg(170, 120, 30, 30),
                seg(220, 100, 30, 60)]
    assert best_tokens(segments, ["y", "2", "plus", "1"]) == "y^2+1"


def test_a_root_sign_with_nothing_under_its_bar_is_read_as_something_else():
    segments = [seg(100, 100, 30, 60), seg(150, 120, 30, 30), seg(200, 100, 30, 60)]
    slots = arrange(segments, probs("sqrt", "plus", "2", p=0.6))
    assert all(token != "√" for token, _ in slots[0].candidates)


def test_a_long_root_takes_its_radicands_first_symbol():
    root = seg(100, 80, 330, 90)  # tick and V 40 px wide, the bar over `9+16`
    segments = [root, seg(150, 100, 30, 60), seg(200, 120, 30, 30), seg(250, 100, 30, 60),
                seg(290, 100, 30, 60)]
    assert best_tokens(segments, ["sqrt", "9", "plus", "1", "6"]) == "√(9+16)"


def test_y_outside_an_equation_keeps_a_hundredth_of_its_odds():
    segments = [seg(100, 100, 30, 60), seg(150, 110, 30, 50), seg(200, 120, 30, 30),
                seg(250, 100, 30, 60)]
    expression = dict(arrange(segments, probs("2", "y", "plus", "1"))[1].candidates)
    equation = dict(arrange(segments, probs("2", "y", "equals", "1"))[1].candidates)
    assert expression["y"] == pytest.approx(0.01 * equation["y"])
