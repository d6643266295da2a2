"""Pure logic of the composed-expression benchmark: no data folder needed (the symbol bank is
drawn with recognizer.training.glyphs)."""

import dataclasses
import re

import cv2
import numpy as np
import pytest

import benchmarks.composed as composed
from benchmarks.composed import (
    STRUCTURES,
    compose,
    expected_label,
    glyph_count,
    layout,
    photograph,
    random_expression,
    read_layout,
    structure_of,
    thin,
    with_orientation,
)
from recognizer.bench import canonical_label
from recognizer.decode import decode_image
from recognizer.grammar import canonical, parse, tokenize
from recognizer.solve import solve_tokens


def _draw(text: str, bank, seed: int = 0):
    """The parts placed, on a level baseline (the writer's slope left out)."""
    drawn = compose(text, bank, np.random.default_rng(seed))
    placed, _, _ = layout(dataclasses.replace(drawn, slope=0.0), wide=False)
    return placed


def _boxes(placed, char: str) -> list[tuple[float, float, float, float]]:
    """(left, top, right, bottom) of the parts of `char`, in drawing order."""
    return [(x, y, x + part.size[0], y + part.size[1]) for part, x, y in placed
            if part.char == char]


def test_mixed_draw_is_the_one_of_earlier_versions() -> None:
    # Seeds [seed, index] of the benchmark before structures: the same texts, so --mixed
    # figures compare with the earlier ones.
    texts = [random_expression(np.random.default_rng([0, i])) for i in range(6)]
    assert texts == ["67×8+57*9", "4(64*4.4+8)", "3x-0=3", "8÷8*1/5", "30+99×6.1", "8x+10=3"]


@pytest.mark.parametrize("structure", STRUCTURES)
def test_each_structure_draws_valid_solvable_texts_with_their_label(structure: str) -> None:
    texts = [random_expression(np.random.default_rng([1, i, 7]), structure) for i in range(40)]
    for text in texts:
        assert structure_of(text) == structure, text
        assert 3 <= glyph_count(text) <= 12, text
        label = expected_label(text)
        tokens = tokenize(label)
        assert canonical(tokens) == label, text
        parse(tokens)  # raises if the expression is not valid
        assert solve_tokens(tokens).error is None, text
        # The recognizer's form: `^d` or `^(dd)`, `(num)/(den)`, nothing of the notation left.
        assert label.count("^") == text.count("^"), text
        assert label.count(")/(") == text.count("{"), text
        assert not set(label) & set("[]{}×÷·"), text
        if structure in ("plain", "brackets", "equations"):
            assert label == canonical_label(text)
    joined = " ".join(texts)
    if structure == "exponents":  # the mix: x² equations, two-digit exponents, bracket bases
        assert "x^2" in joined and "^[" in joined and ")^" in joined
    if structure == "fractions":  # alone, beside other terms, one inside another
        assert any(t.startswith("{") and t.endswith("}") and t.count("{") == 1 for t in texts)
        assert re.search(r"[+\-×]\{", joined) and ("{{" in joined or "/{" in joined)


@pytest.mark.parametrize(("text", "label"), [
    ("{3/4}", "(3)/(4)"), ("1+{3/4}", "1+(3)/(4)"), ("2×{5/6}", "2*(5)/(6)"),
    ("{{1/2}/3}", "((1)/(2))/(3)"), ("5^3×4", "5^3*4"), ("2^[10]-1", "2^(10)-1"),
    ("(2+1)^2", "(2+1)^2"), ("x^2-5x+6=0", "x^2-5x+6=0"),
    # A root's radicand in brackets, unless written as one bracket group.
    ("r{16}", "√(16)"), ("r{49}+2", "√(49)+2"), ("2r{3}", "2√(3)"), ("r{9+16}", "√(9+16)"),
    ("r{(9+16)}", "√(9+16)"), ("3r{2}×r{2}", "3√(2)*√(2)"), ("r{(1+2)×(3)}", "√((1+2)*(3))"),
    ("2x+y=7", "2x+y=7")])
def test_notation_becomes_the_recognizers_canonical_form(text: str, label: str) -> None:
    assert expected_label(text) == label


def test_a_root_counts_as_one_glyph_and_is_its_own_structure() -> None:
    assert glyph_count("3r{2}×r{2}") == 6
    assert structure_of("1+r{16}") == structure_of("r{{1/2}}") == "roots"


@pytest.mark.parametrize("text", ["r{16}", "r{49}+2", "2r{3}", "r{9+16}", "r{(9+16)}"])
def test_a_root_sign_stands_around_its_radicand_and_the_layout_reads_it(text, bank) -> None:
    for seed in range(6):
        placed = _draw(text, bank, seed)
        (left, top, right, bottom), *_ = _boxes(placed, "√")
        under = [(x, y, x + part.size[0], y + part.size[1]) for part, x, y in placed
                 if part.char != "√" and left < x + part.size[0] / 2 < right]
        assert len(under) == glyph_count(text[text.index("{") + 1 : text.index("}")])
        # The bar over the radicand with room for the pen; the foot at or below its ink.
        assert top < min(b[1] for b in under) - 0.15, (text, seed)
        assert bottom >= max(b[3] for b in under) - 0.01, (text, seed)
        assert left < min(b[0] for b in under) and right > max(b[2] for b in under)
        # recognizer.layout looks under the root right of a quarter of its width: a longer
        # radicand's first symbol stands left of that (benchmarks.pages --kind roots counts it).
        if len(under) <= 2:
            assert read_layout(placed) == expected_label(text), (text, seed)


def test_y_hangs_its_tail_below_the_baseline(bank) -> None:
    for seed in range(6):
        placed = _draw("2y", bank, seed)
        (_, two_top, _, two_bottom), = _boxes(placed, "2")
        (_, top, _, bottom), = _boxes(placed, "y")
        assert bottom > two_bottom + 0.15 and top > two_top, seed


@pytest.mark.parametrize("structure", ("plain", "brackets", "equations"))
def test_one_line_drawings_are_read_right_from_their_boxes(structure: str, bank) -> None:
    for i in range(6):
        rng = np.random.default_rng([2, i])
        text = random_expression(rng, structure)
        placed, _, _ = layout(compose(text, bank, rng), wide=False)
        assert read_layout(placed) == expected_label(text), text


@pytest.mark.parametrize("text", [
    "5^3×4", "11^2", "3^2+4^2", "(2+1)^2", "2^[10]-1", "x^2-5x+6=0", "2x^2=18",
    "{3/4}", "1+{3/4}", "2×{5/6}", "{3+4/7}-1", "{{1/2}/3}", "{1/{2/3}}", "{x/3}+1=5"])
def test_neatly_drawn_structures_are_read_by_the_layout_as_labelled(text, bank,
                                                                     monkeypatch) -> None:
    """recognizer.layout emits exactly the label for a neat writer's drawing: small exponents
    well raised, a large x, fractions close to their bar. (The benchmark's own ranges are wider:
    its report counts how many drawings the layout reads right from their boxes.)"""
    monkeypatch.setattr(composed, "EXPONENT_SIZE", (0.42, 0.42))
    monkeypatch.setattr(composed, "EXPONENT_RISE", (0.65, 0.65))
    monkeypatch.setattr(composed, "FRACTION_SPACE", (0.15, 0.15))
    monkeypatch.setattr(composed, "NESTED_PART", (0.9, 0.9))
    monkeypatch.setitem(composed._SYMBOLS, "x", ("letter_x", (0.75, 0.75), None, "base"))
    assert read_layout(_draw(text, bank)) == expected_label(text)


@pytest.mark.parametrize(("text", "base", "exponent"),
                         [("5^3", "5", "3"), ("x^2", "x", "2"), ("(2+1)^2", ")", "2")])
def test_an_exponent_is_drawn_smaller_and_raised_after_its_base(text, base, exponent,
                                                                bank) -> None:
    for seed in range(8):
        placed = _draw(text, bank, seed)  # a digit is 1 tall (0.88-1.12 with the jitter)
        _, b_top, b_right, b_bottom = _boxes(placed, base)[-1]
        e_left, e_top, _, e_bottom = _boxes(placed, exponent)[-1]
        assert e_bottom - e_top <= 0.75, (text, seed)  # 0.5-0.65 of a digit, jittered
        assert b_bottom - e_bottom >= 0.4 - 0.12, (text, seed)  # its bottom raised
        assert (e_top + e_bottom) / 2 < (b_top + b_bottom) / 2 - 0.1, (text, seed)
        assert b_right - 0.01 <= e_left <= b_right + 0.13, (text, seed)  # close after it


def test_a_fraction_has_its_numerator_above_and_denominator_below_a_bar(bank) -> None:
    for seed in range(8):
        placed = _draw("1+{12/5}", bank, seed)
        (bar,) = _boxes(placed, "bar")
        (one, numerator_one), (denominator,) = _boxes(placed, "1"), _boxes(placed, "5")
        numerator = [numerator_one, *_boxes(placed, "2")]
        assert -0.6 <= (bar[1] + bar[3]) / 2 <= -0.4, seed  # the middle of the line
        assert bar[0] > one[2], seed  # beside the 1
        assert 0.14 <= bar[1] - max(b for *_, b in numerator) <= 0.36, seed  # px rounding
        for left, top, right, bottom in numerator:
            assert bar[0] <= left and right <= bar[2], seed
            assert bottom - top >= 0.6, seed  # not an exponent's size
        left, top, right, bottom = denominator
        assert 0.14 <= top - bar[3] <= 0.36 and bar[0] <= left and right <= bar[2], seed
        # The bar spans the wider part and a little more (0.05-0.2 on each side).
        inner = max(numerator[1][2] - numerator[0][0], right - left)
        assert inner + 0.1 - 0.02 <= bar[2] - bar[0] <= inner + 0.4 + 0.02, seed


def test_a_fraction_inside_a_fraction_is_smaller_and_stacked(bank) -> None:
    inner_heights, outer_heights = [], []
    for seed in range(6):
        placed = _draw("{{1/2}/3}", bank, seed)
        outer, inner = sorted(_boxes(placed, "bar"), key=lambda b: b[0] - b[2])  # widest first
        one, two, three = _boxes(placed, "1")[0], _boxes(placed, "2")[0], _boxes(placed, "3")[0]
        assert one[3] < inner[1] and inner[3] < two[1] and two[3] < outer[1], seed
        assert outer[3] < three[1], seed
        assert outer[0] <= inner[0] and inner[2] <= outer[2], seed
        inner_heights += [one[3] - one[1], two[3] - two[1]]
        outer_heights.append(three[3] - three[1])
    assert np.mean(inner_heights) < 0.9 * np.mean(outer_heights)


@pytest.mark.parametrize("condition", ["clean", "small_on_page"])
def test_a_tall_fraction_stays_on_the_page(condition: str, bank) -> None:
    rng = np.random.default_rng(3)
    drawn = compose("{{9/8}/{7/6}}+{4/{3/5}}", bank, rng)
    # The extremes of where it may sit (a small page puts it in its top strip anyway).
    for place in ((0.0, 0.0), (1.0, 1.0))[: 1 if condition == "small_on_page" else 2]:
        tall = dataclasses.replace(drawn, page=(1280, 720), place=place, height=90.0,
                                   small_height=40.0, slope=0.0)
        photo = photograph(tall, condition, np.random.default_rng(0))
        image = decode_image(photo, grey=True)
        ink = np.nonzero(image < 128)[0]
        assert ink.size and ink.min() > 5 and ink.max() < image.shape[0] - 5, place


@pytest.mark.parametrize(("orientation", "stored_as"),
                         [(6, cv2.ROTATE_90_COUNTERCLOCKWISE), (8, cv2.ROTATE_90_CLOCKWISE)])
def test_exif_orientation_written_here_is_undone_by_the_decoder(orientation, stored_as) -> None:
    upright = np.full((120, 200, 3), 255, np.uint8)
    upright[:40, :60] = 0  # a dark top-left corner tells the four rotations apart
    stored = cv2.rotate(upright, stored_as)
    jpeg = cv2.imencode(".jpg", stored, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    decoded = decode_image(with_orientation(jpeg, orientation), grey=True)
    assert decoded.shape == (120, 200)
    assert decoded[:40, :60].mean() < 60 and decoded[80:, 140:].mean() > 200


def test_thinning_leaves_a_one_pixel_centre_line() -> None:
    bar = np.zeros((20, 40), bool)
    bar[7:13, 5:35] = True
    line = thin(bar)
    assert line[10, 10:30].sum() + line[9, 10:30].sum() == 20  # one row through the middle
    assert line.sum(axis=0).max() == 1
