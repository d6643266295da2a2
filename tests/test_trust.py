"""The trust gate: doubt is measured on whole readings, and absurd values are never sure."""

from recognizer.grammar import best_reading
from recognizer.trust import MAX_DOUBT, absurd, doubt, is_sure


def _doubt(candidates):
    tokens, score = best_reading(candidates)
    return tokens, doubt(candidates, tokens, score)


def test_a_close_call_the_grammar_settles_is_no_doubt():
    """`2x+3=11` with the x at even odds of being ×: `2×+3` parses only with a unary plus,
    which the grammar holds very unlikely."""
    candidates = [[("2", 0.99)], [("x", 0.5), ("*", 0.5)], [("+", 0.99)], [("3", 0.99)],
                  [("=", 0.99)], [("1", 0.99)], [("1", 0.99)]]
    tokens, rival = _doubt(candidates)
    assert "".join(tokens) == "2x+3=11"
    assert rival < 0.05


def test_a_close_call_between_two_readings_that_parse_is_doubt():
    """`12/4` where the 1 could as well be a 7: both readings parse."""
    candidates = [[("1", 0.55), ("7", 0.45)], [("2", 0.99)], [("/", 0.99)], [("4", 0.99)]]
    tokens, rival = _doubt(candidates)
    assert "".join(tokens) == "12/4"
    assert 0.7 < rival <= 1.0
    assert not is_sure(rival, "12/4", "3")


def test_clear_symbols_are_sure():
    candidates = [[("2", 0.97), ("7", 0.03)], [("+", 0.98), ("4", 0.02)], [("3", 0.99)]]
    tokens, rival = _doubt(candidates)
    assert rival < MAX_DOUBT
    assert is_sure(rival, "".join(tokens), "5")


def test_absurd_values_and_exponents_are_never_sure():
    assert absurd("4*(7-+6^78)", "1" * 62)  # a 62-digit value from eight symbols
    assert absurd("6^78", "6")  # an exponent no one writes by hand
    assert not absurd("2^10", "1024") and not absurd("3^2+4^2", "25")
    assert not is_sure(0.0, "6^78", "1" * 61)
    assert not is_sure(0.0, None, None)
