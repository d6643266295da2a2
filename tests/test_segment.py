import cv2
import numpy as np
import pytest

from recognizer.labels import SYMBOLS
from recognizer.segment import Segment, segment, split_touching
from recognizer.types import ExpressionError


def page(h: int = 200, w: int = 600) -> np.ndarray:
    return np.zeros((h, w), np.uint8)


def boxes(ink: np.ndarray) -> list[tuple[int, int, int, int]]:
    return [s.box for s in segment(ink)]


def test_symbols_come_left_to_right():
    ink = page()
    cv2.line(ink, (250, 60), (250, 140), 255, 6)  # a "1" on the right
    cv2.circle(ink, (100, 100), 35, 255, 6)  # an "0" on the left
    found = boxes(ink)
    assert len(found) == 2 and found[0][0] < found[1][0]


def test_dust_is_dropped_but_a_decimal_point_is_kept():
    ink = page()
    cv2.line(ink, (100, 60), (100, 140), 255, 6)
    cv2.line(ink, (200, 60), (200, 140), 255, 6)
    cv2.circle(ink, (150, 136), 5, 255, -1)  # decimal point on the baseline
    ink[20, 300] = 255  # one-pixel dust
    found = boxes(ink)
    assert len(found) == 3


def test_two_bars_merge_into_equals():
    ink = page()
    cv2.line(ink, (100, 60), (100, 140), 255, 6)
    cv2.line(ink, (160, 85), (230, 85), 255, 6)
    cv2.line(ink, (160, 115), (230, 115), 255, 6)
    cv2.line(ink, (300, 60), (300, 140), 255, 6)
    found = segment(ink)
    assert [s.forced for s in found] == [None, "=", None]


def test_bar_with_two_dots_is_obelus():
    ink = page()
    cv2.line(ink, (100, 60), (100, 140), 255, 6)
    cv2.line(ink, (160, 100), (230, 100), 255, 6)
    cv2.circle(ink, (195, 75), 6, 255, -1)
    cv2.circle(ink, (195, 125), 6, 255, -1)
    cv2.line(ink, (300, 60), (300, 140), 255, 6)
    assert [s.forced for s in segment(ink)] == [None, "÷", None]


@pytest.mark.parametrize(("dot_x", "forced"), [(195, "÷"), (168, None)])
def test_a_fine_pens_obelus_dots_are_specks_over_the_middle_of_the_bar(dot_x, forced):
    ink = page()
    cv2.line(ink, (100, 60), (100, 140), 255, 2)
    cv2.line(ink, (170, 100), (220, 100), 255, 2)
    ink[88:90, dot_x : dot_x + 2] = 255  # specks under 0.07 of the text height
    ink[111:113, dot_x : dot_x + 2] = 255
    cv2.line(ink, (300, 60), (300, 140), 255, 2)
    assert [s.forced for s in segment(ink)] == [None, forced, None]


def test_a_crease_across_the_page_is_not_writing():
    ink = page(400, 900)
    cv2.line(ink, (0, 200), (899, 390), 255, 4)  # a fold, slanted, far longer than any symbol
    for x in (300, 380):
        cv2.line(ink, (x, 60), (x, 140), 255, 6)
    assert boxes(ink) == [(297, 57, 7, 87), (377, 57, 7, 87)]


def test_equals_whose_bars_touch_is_still_equals():
    ink = page()
    cv2.line(ink, (100, 60), (100, 140), 255, 6)
    cv2.line(ink, (160, 92), (220, 92), 255, 3)
    cv2.line(ink, (160, 99), (220, 99), 255, 3)
    cv2.line(ink, (160, 92), (160, 99), 255, 2)  # joined at one end
    cv2.line(ink, (280, 60), (280, 140), 255, 6)
    cv2.line(ink, (340, 100), (400, 100), 255, 6)  # a minus is one stroke thick
    cv2.line(ink, (460, 60), (460, 140), 255, 6)
    assert [s.forced for s in segment(ink)] == [None, "=", None, None, None]


def test_slanted_equals_bars_whose_boxes_overlap_still_merge():
    ink = page()
    cv2.line(ink, (100, 60), (100, 140), 255, 6)
    cv2.line(ink, (160, 90), (240, 92), 255, 4)
    cv2.line(ink, (165, 96), (240, 112), 255, 4)  # slanted: its box reaches above the top bar's
    cv2.line(ink, (300, 60), (300, 140), 255, 6)
    assert [s.forced for s in segment(ink)] == [None, "=", None]


def test_broken_stroke_is_one_symbol():
    ink = page()
    cv2.line(ink, (100, 60), (100, 95), 255, 6)
    cv2.line(ink, (100, 103), (100, 140), 255, 6)  # pencil gap in a "1"
    for x in (200, 260):
        cv2.line(ink, (x, 60), (x, 140), 255, 6)
    assert len(segment(ink)) == 3


def test_far_away_stray_mark_is_ignored():
    ink = page(600, 900)
    for x in (100, 160, 220):
        cv2.line(ink, (x, 60), (x, 140), 255, 6)
    cv2.circle(ink, (800, 520), 20, 255, 5)  # a doodle in the far corner
    assert len(segment(ink)) == 3


def test_fraction_bar_is_not_merged_with_numerator():
    ink = page(300, 400)
    cv2.line(ink, (150, 40), (150, 120), 255, 6)  # numerator "1"
    cv2.line(ink, (90, 140), (210, 140), 255, 6)  # bar
    cv2.line(ink, (150, 160), (150, 240), 255, 6)  # denominator "1"
    assert len(segment(ink)) == 3


def test_blank_mask_has_no_symbols():
    assert segment(page()) == []


def test_pure_noise_is_refused():
    rng = np.random.default_rng(0)
    ink = ((rng.random((800, 800)) > 0.5) * 255).astype(np.uint8)
    with pytest.raises(ExpressionError):
        segment(ink)


def test_small_thin_equals_beside_large_digits_is_kept():
    # Pen-tablet writing: 90 px tall "1"s and an `=` whose bars are short thin dashes.
    ink = page()
    cv2.line(ink, (100, 50), (100, 140), 255, 4)
    cv2.line(ink, (160, 92), (180, 92), 255, 3)
    cv2.line(ink, (162, 104), (182, 104), 255, 3)
    cv2.line(ink, (240, 50), (240, 140), 255, 4)
    assert [s.forced for s in segment(ink)] == [None, "=", None]


def test_short_thin_grid_leftovers_are_dropped_in_a_photo():
    ink = page()
    for x in (100, 240):
        cv2.line(ink, (x, 50), (x, 140), 255, 4)
    cv2.line(ink, (160, 60), (180, 60), 255, 2)  # dashes left of a squared paper's lines
    cv2.line(ink, (165, 130), (165, 150), 255, 2)
    assert len(segment(ink)) == 2


def test_staggered_equals_bars_still_merge():
    ink = page()
    cv2.line(ink, (100, 60), (100, 140), 255, 6)
    cv2.line(ink, (160, 85), (230, 85), 255, 6)
    cv2.line(ink, (205, 112), (265, 112), 255, 6)  # written fast: starts well to the right
    cv2.line(ink, (330, 60), (330, 140), 255, 6)
    assert [s.forced for s in segment(ink)] == [None, "=", None]


def sure_of(*names: str, p: float) -> np.ndarray:
    out = np.full((len(names), len(SYMBOLS)), (1 - p) / (len(SYMBOLS) - 1), np.float32)
    for row, name in enumerate(names):
        out[row, SYMBOLS.index(name)] = p
    return out


def touching_pair() -> list[Segment]:
    """A 1 and a 0 joined by a stroke, as one segment."""
    ink = np.zeros((80, 90), np.uint8)
    cv2.line(ink, (15, 2), (15, 77), 255, 6)
    cv2.ellipse(ink, (60, 40), (25, 37), 0, 0, 360, 255, 6)
    cv2.line(ink, (15, 40), (35, 40), 255, 3)
    return [Segment((100, 50, 90, 80), ink)]


def test_touching_digits_are_cut_where_the_ink_is_thinnest():
    halves = sure_of("1", "0", p=0.97)
    cut, probs = split_touching(touching_pair(), sure_of("8", p=0.6), lambda images: halves)
    assert cut[0].box[0] == 100 + 12 and 100 + 27 <= cut[1].box[0] <= 100 + 35  # in the bridge
    assert all(s.box[3] >= 75 and s.ink.shape == (s.box[3], s.box[2]) for s in cut)
    assert [SYMBOLS[int(row.argmax())] for row in probs] == ["1", "0"]


@pytest.mark.parametrize(("whole", "halves"), [
    (sure_of("8", p=0.95), sure_of("1", "0", p=0.97)),  # the whole already reads clearly
    (sure_of("8", p=0.6), sure_of("1", "0", p=0.7)),  # the halves read no better
    (sure_of("8", p=0.6), sure_of("1", "plus", p=0.97)),  # a half is not a digit
])
def test_touching_digits_stay_whole_unless_both_halves_read_clearly(whole, halves):
    cut, probs = split_touching(touching_pair(), whole, lambda images: halves)
    assert len(cut) == 1 and np.array_equal(probs, whole)


def test_a_sure_reading_is_not_cut_so_its_halves_are_not_read():
    def classify(images: np.ndarray) -> np.ndarray:
        raise AssertionError("halves of a sure reading were classified")

    whole = sure_of("8", p=0.95)
    cut, probs = split_touching(touching_pair(), whole, classify)
    assert len(cut) == 1 and probs is whole


def test_a_faint_stroke_binarised_into_dashes_is_joined_up():
    # Dashes 6 px long with 2 px gaps: each piece is far shorter than the writing is tall.
    ink = page()
    for y in range(50, 150, 8):
        cv2.line(ink, (100, y), (100, y + 5), 255, 2)  # a "1"
    for angle in range(0, 360, 12):
        a0, a1 = np.radians(angle), np.radians(angle + 8)
        cv2.line(ink, (int(220 + 40 * np.cos(a0)), int(100 + 50 * np.sin(a0))),
                 (int(220 + 40 * np.cos(a1)), int(100 + 50 * np.sin(a1))), 255, 2)  # a "0"
    assert [(x // 10, w // 10) for x, _, w, _ in boxes(ink)] == [(9, 0), (17, 8)]
