import numpy as np

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
