"""Pure logic of the isolated-symbols benchmark: no data folder needed."""

import cv2
import numpy as np
import pytest

from benchmarks.symbols import (
    CANONICAL,
    GLYPH,
    PAGE,
    Read,
    digit_ink,
    edits,
    expected,
    kind,
    operator_photo,
    report,
)
from recognizer.bench import canonical_label
from recognizer.training.glyphs import draw_glyph


def _digit(name: str, seed: int) -> np.ndarray:
    """A drawn digit on a 28×28 black frame, as MNIST stores one (white on black)."""
    glyph = draw_glyph(name, 20, 2, np.random.default_rng(seed))
    frame = np.zeros((28, 28), np.uint8)
    h, w = glyph.shape
    frame[(28 - h) // 2 : (28 - h) // 2 + h, (28 - w) // 2 : (28 - w) // 2 + w] = glyph
    return frame


def _pieces(photo: bytes) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) of the dark ink pieces of a JPEG page, left to right."""
    grey = cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert grey is not None and grey.shape == PAGE[::-1]
    _, _, stats, _ = cv2.connectedComponentsWithStats((grey < 128).view(np.uint8))
    boxes = [tuple(int(v) for v in s[:4]) for s in stats[1:] if s[cv2.CC_STAT_AREA] >= 20]
    return sorted(boxes)


@pytest.mark.parametrize("name", ["plus", "minus", "cross", "slash", "dot"])
@pytest.mark.parametrize("stretched", [False, True])
def test_d_op_d_stands_left_to_right_with_the_operator_at_mid_height(name, stretched) -> None:
    rng = np.random.default_rng(3)
    crop = draw_glyph(name, 40, 3, rng)
    if stretched:  # as BHMSDS and simepavlic store crops: filling a square frame
        crop = cv2.resize(crop, (28, 28))
    photo, _ = operator_photo(name, crop, stretched, _digit("0", 1), _digit("0", 2), rng)
    boxes = _pieces(photo)
    assert len(boxes) == 3, boxes
    (lx, ly, lw, lh), (ox, oy, ow, oh), (rx, ry, _, rh) = boxes
    assert lx + lw < ox and ox + ow < rx  # apart, in order
    assert abs((ly + lh) - (ry + rh)) <= 2  # both digits on the baseline
    height = (lh + rh) / 2
    assert 55 <= height <= 95
    assert abs((oy + oh / 2) - (ly + lh / 2)) <= 0.05 * height  # centred half a digit up
    assert oh < (1.3 if name == "slash" else 0.85) * height
    if name == "minus":
        assert ow > 3 * oh  # flat, however the crop was stretched
    if name == "slash" and stretched:
        assert 0.3 < ow / oh < 0.8  # a plausible aspect restored


@pytest.mark.parametrize("name", ["lparen", "rparen"])
def test_a_bracket_crop_and_its_mirror_enclose_the_digit(name) -> None:
    rng = np.random.default_rng(5)
    crop = draw_glyph(name, 40, 3, rng)
    photo, mask = operator_photo(name, crop, False, _digit("7", 1), _digit("7", 2), rng)
    boxes = _pieces(photo)
    assert len(boxes) == 3, boxes
    (bx, by, bw, bh), digit, (cx, cy, cw, ch) = boxes
    assert abs(bh - ch) <= 2 and bh > digit[3]  # one bracket twice, taller than the digit
    # "(" bulges left: at its middle row the ink is further left than at its top row.
    ink = mask[:, bx : bx + bw] > 127
    middle, top = ink[by + bh // 2], ink[by + 2]
    assert np.argmax(middle) < np.argmax(top)
    closing = mask[cy : cy + ch, cx : cx + cw] > 127
    assert np.argmax(closing[ch // 2][::-1]) < np.argmax(closing[2][::-1])  # ")" bulges right


def test_an_mnist_sized_digit_is_enlarged_to_the_height_asked() -> None:
    ink = digit_ink(_digit("1", 0), 75) > 127
    rows = np.flatnonzero(ink.any(axis=1))
    assert 72 <= rows[-1] - rows[0] + 1 <= 78


@pytest.mark.parametrize(("name", "text"), [
    ("plus", "3+4"), ("minus", "3-4"), ("cross", "3*4"), ("dot", "3*4"), ("asterisk", "3*4"),
    ("obelus", "3/4"), ("slash", "3/4"), ("lparen", "(3)"), ("rparen", "(3)")])
def test_expected_labels_are_the_canonical_text(name, text) -> None:
    assert expected(name, 3, 4) == text
    if name in CANONICAL:  # the recognizer's own canonical form of the glyph agrees
        assert canonical_label(f"3{GLYPH[name]}4") == text


def test_edits_name_what_went_wrong() -> None:
    assert edits("5*9", "5-9") == "*→-"
    assert edits("7-4", "7-48") == "+8"
    assert edits("(3)", "3)") == "-("
    assert edits("3+4", "[no handwriting]") == "[no handwriting]"


@pytest.mark.parametrize(("expected_text", "read", "what"), [
    ("5*9", "5-9", "operator or bracket misread or lost"),
    ("5/5", "5-15", "operator or bracket misread or lost"),
    ("(4)", "643", "operator or bracket misread or lost"),
    ("9*4", "1.1*4", "digit misread or lost"),
    ("5", "3", "digit misread or lost"),
    ("5", "5=", "a symbol added (all written ones read right)"),
    ("5-1", "5--1", "a symbol added (all written ones read right)"),
    ("3+4", "[no handwriting]", "no expression (an error)")])
def test_failures_are_sorted_by_what_went_wrong(expected_text, read, what) -> None:
    assert kind(expected_text, read) == what


def test_the_report_lists_misreadings_and_what_went_wrong(capsys) -> None:
    reads = [Read("5", "5", "5", "5", 3.0), Read("5", "5", "5", "5=", 4.0),
             Read("mdas", "plus", "2+3", "2-3", 5.0)]
    report("mixed", reads, {"name": "class"}, 5)
    out = capsys.readouterr().out
    assert "5 → 5=" in out and "2+3 → 2-3" in out
    assert "a symbol added (all written ones read right) 1" in out
    assert "operator or bracket misread or lost 1" in out
