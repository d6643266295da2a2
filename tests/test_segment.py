import cv2
import numpy as np
import pytest

from recognizer.labels import SYMBOLS
from recognizer.segment import Segment, join_pieces, segment, split_exponents, split_touching
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


def test_a_fraction_bar_touching_its_numerator_is_cut_off_it():
    # 3 over 1, the 3's foot drawn on the bar, which reaches past the 3 on the left; a 1 beside.
    ink = page(300, 400)
    cv2.ellipse(ink, (130, 70), (22, 20), 0, -150, 90, 255, 5)
    cv2.ellipse(ink, (130, 110), (22, 20), 0, -90, 150, 255, 5)
    cv2.line(ink, (90, 128), (155, 128), 255, 5)  # the bar, touching the 3's lower bow
    cv2.line(ink, (125, 150), (125, 220), 255, 5)  # the 1 under it
    cv2.line(ink, (300, 60), (300, 140), 255, 6)
    found = segment(ink)
    bars = [s.box for s in found if s.box[2] >= 4 * s.box[3]]
    assert len(found) == 4 and len(bars) == 1 and bars[0][0] <= 90 and bars[0][2] >= 60


def test_a_2_over_a_digit_keeps_its_foot():
    # A 2's foot is no wider than its head: not a bar, though a digit stands right under it.
    ink = page(300, 400)
    cv2.ellipse(ink, (125, 65), (22, 20), 0, -180, 30, 255, 5)
    cv2.line(ink, (144, 75), (104, 128), 255, 5)
    cv2.line(ink, (104, 128), (148, 128), 255, 5)
    cv2.line(ink, (126, 150), (126, 225), 255, 5)  # a 1 under it
    cv2.line(ink, (300, 60), (300, 140), 255, 6)
    found = segment(ink)
    assert len(found) == 3 and found[0].box[3] >= 85  # the 2 whole, foot and all


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
    assert cut[0].box[0] == 100 + 12 and 100 + 18 <= cut[1].box[0] <= 100 + 35  # in the bridge
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


def never(images: np.ndarray) -> np.ndarray:
    raise AssertionError("nothing here should have been classified")


def digits_beside(pair: list[Segment], count: int = 3) -> list[Segment]:
    """Single digits 40 px wide, as tall as the pair, then the pair: the expression's context."""
    ink = np.zeros((80, 40), np.uint8)
    cv2.line(ink, (20, 2), (20, 77), 255, 6)
    return [Segment((i * 50, 50, 40, 80), ink) for i in range(count)] + pair


def test_a_sure_digit_twice_as_wide_as_the_others_is_cut_when_its_halves_read_surer():
    # `02` read with confidence as one sprawling 2: only its width gives it away.
    segments = digits_beside(touching_pair())
    whole = sure_of("1", "1", "1", "2", p=0.95)
    cut, probs = split_touching(segments, whole, lambda images: sure_of("1", "0", p=0.99))
    assert len(cut) == 5 and [SYMBOLS[int(row.argmax())] for row in probs[3:]] == ["1", "0"]


def test_a_wide_digit_whose_halves_read_less_surely_than_the_whole_stays_whole():
    segments = digits_beside(touching_pair())
    whole = sure_of("1", "1", "1", "2", p=0.97)
    cut, probs = split_touching(segments, whole, lambda images: sure_of("1", "0", p=0.93))
    assert len(cut) == 4 and np.array_equal(probs, whole)


def test_a_cut_never_goes_through_a_loop():
    ink = np.zeros((80, 120), np.uint8)
    cv2.ellipse(ink, (60, 40), (57, 37), 0, 0, 360, 255, 4)  # a wide 0
    cut, _ = split_touching([Segment((0, 0, 120, 80), ink)], sure_of("0", p=0.5), never)
    assert len(cut) == 1


def test_a_symbol_read_as_an_operator_is_not_cut():
    cut, _ = split_touching(touching_pair(), sure_of("cross", p=0.6), never)
    assert len(cut) == 1


def test_a_cut_leaves_both_digits_tall():
    # A 1 with a long thin flag touching a 0: the flag's columns are the thinnest, but a cut
    # there would leave the flag alone on one side.
    ink = np.zeros((80, 110), np.uint8)
    cv2.line(ink, (2, 30), (38, 4), 255, 2)
    cv2.line(ink, (38, 4), (38, 77), 255, 6)
    cv2.line(ink, (38, 40), (55, 40), 255, 4)
    cv2.ellipse(ink, (80, 40), (26, 37), 0, 0, 360, 255, 6)
    cut, _ = split_touching([Segment((0, 0, 110, 80), ink)], sure_of("8", p=0.6),
                            lambda images: sure_of("1", "0", p=0.97))
    assert len(cut) == 2 and cut[0].box[0] == 1 and 41 <= cut[1].box[0] <= 54  # in the bridge


def test_a_cut_crossing_three_strokes_goes_through_a_digit():
    # A wide `3` with square corners: every middle column crosses its three bars.
    ink = np.zeros((80, 90), np.uint8)
    for y in (3, 40, 76):
        cv2.line(ink, (2, y), (86, y), 255, 4)
    cv2.line(ink, (86, 3), (86, 76), 255, 4)
    cut, _ = split_touching([Segment((0, 0, 90, 80), ink)], sure_of("3", p=0.5), never)
    assert len(cut) == 1


def test_a_cut_that_strands_a_piece_of_ink_goes_through_a_digit():
    pair = touching_pair()[0]
    ink = pair.ink.copy()
    cv2.line(ink, (4, 40), (4, 77), 255, 3)  # a loose stroke on the 1's side, not joined to it
    cut, _ = split_touching([Segment(pair.box, ink)], sure_of("8", p=0.6), never)
    assert len(cut) == 1


def arc(opens_left: bool) -> np.ndarray:
    """One arc of a cursive x, 40×60: `ɔ` (opens to the left) or `c`."""
    ink = np.zeros((60, 40), np.uint8)
    centre, angles = ((0, 30), (-90, 90)) if opens_left else ((39, 30), (90, 270))
    cv2.ellipse(ink, centre, (36, 27), 0, *angles, 255, 4)
    return ink


def test_a_cursive_x_written_as_two_arcs_is_joined_when_they_read_as_a_cross():
    parts = [Segment((100, 50, 40, 60), arc(True)), Segment((142, 50, 40, 60), arc(False))]
    joined, probs = join_pieces(parts, sure_of("3", "6", p=0.9),
                              lambda images: sure_of("cross", p=0.95))
    assert [s.box for s in joined] == [(100, 50, 82, 60)]
    assert joined[0].ink.shape == (60, 82) and SYMBOLS[int(probs[0].argmax())] == "cross"


def test_arcs_are_kept_apart_unless_together_they_read_as_a_cross():
    parts = [Segment((100, 50, 40, 60), arc(True)), Segment((142, 50, 40, 60), arc(False))]
    joined, probs = join_pieces(parts, sure_of("3", "6", p=0.9), lambda images: sure_of("8", p=0.9))
    assert len(joined) == 2 and SYMBOLS[int(probs[1].argmax())] == "6"


def test_a_part_with_a_loop_is_no_arc():
    ring = np.zeros((60, 40), np.uint8)
    cv2.ellipse(ring, (20, 30), (17, 27), 0, 0, 360, 255, 4)  # `20`: the 0 closes on itself
    parts = [Segment((100, 50, 40, 60), arc(True)), Segment((142, 50, 40, 60), ring)]
    joined, _ = join_pieces(parts, sure_of("2", "0", p=0.9), never)
    assert len(joined) == 2


def reads(*rows: dict[str, float]) -> np.ndarray:
    """Probabilities with the named classes' odds and the rest spread evenly."""
    out = np.zeros((len(rows), len(SYMBOLS)), np.float32)
    for row, odds in zip(out, rows, strict=True):
        row[:] = (1 - sum(odds.values())) / (len(SYMBOLS) - len(odds))
        for name, p in odds.items():
            row[SYMBOLS.index(name)] = p
    return out


def five_body() -> np.ndarray:
    """A 5 without its flag, 44×46: a stem down the left and the bowl."""
    ink = np.zeros((46, 44), np.uint8)
    cv2.line(ink, (6, 2), (6, 20), 255, 4)
    cv2.ellipse(ink, (20, 28), (18, 15), 0, -150, 150, 255, 4)
    return ink


def lifted_flag() -> Segment:
    """A 5's flag lifted far off its body: from the body's right edge, above its top."""
    return Segment((140, 24, 50, 8), np.full((8, 50), 255, np.uint8))


def test_a_5s_flag_lifted_far_off_its_body_joins_it_when_together_they_read_as_a_5():
    parts = [Segment((100, 50, 44, 46), five_body()), lifted_flag()]
    # Together they look most like a root sign, which over nothing is none: a 5 it is.
    joined, probs = join_pieces(parts, reads({"0": 0.6, "y": 0.38}, {"minus": 0.99}),
                                lambda images: reads({"sqrt": 0.88, "5": 0.118}))
    assert [s.box for s in joined] == [(100, 24, 90, 72)]
    assert SYMBOLS[int(probs[0][: SYMBOLS.index("y")].argmax())] == "5"


def test_a_minus_beside_a_digit_is_no_flag():
    # At mid-height after the digit (`0-`), or a flag-like stroke the union does not read as 5.
    body = Segment((100, 50, 44, 46), five_body())
    minus = Segment((150, 70, 40, 8), np.full((8, 40), 255, np.uint8))
    kept, _ = join_pieces([body, minus], reads({"0": 0.9}, {"minus": 0.99}), never)
    assert len(kept) == 2
    kept, _ = join_pieces([body, lifted_flag()], reads({"0": 0.9}, {"minus": 0.99}),
                          lambda images: reads({"5": 0.6, "7": 0.4}))
    assert len(kept) == 2


def test_a_slash_broken_in_three_pieces_corner_to_corner_is_one_stroke():
    pieces = []
    for k in range(3):  # from the bottom left up to the top right, 2 px apart
        ink = np.zeros((30, 16), np.uint8)
        cv2.line(ink, (1, 28), (14, 1), 255, 3)
        pieces.append(Segment((100 + 16 * k, 110 - 32 * k, 16, 30), ink))
    joined, probs = join_pieces(pieces, reads(*[{"1": 0.5, "slash": 0.5}] * 3),
                                lambda images: reads(*[{"slash": 0.8, "1": 0.15}] * len(images)))
    assert [s.box for s in joined] == [(100, 46, 48, 94)]
    assert SYMBOLS[int(probs[0].argmax())] == "slash"


def test_a_digit_beside_a_raised_one_is_no_broken_stroke():
    one = np.zeros((30, 16), np.uint8)
    cv2.line(one, (8, 1), (8, 28), 255, 3)
    parts = [Segment((100, 110, 16, 30), one), Segment((118, 78, 16, 30), one)]
    kept, _ = join_pieces(parts, reads({"1": 0.9}, {"1": 0.9}),
                          lambda images: reads(*[{"slash": 0.5, "7": 0.5}] * len(images)))
    assert len(kept) == 2


def bracket_and_exponent() -> Segment:
    """`)²` written touching: a bracket 80 px tall and a small 2 at its top right, one piece."""
    ink = np.zeros((80, 60), np.uint8)
    cv2.ellipse(ink, (0, 40), (20, 38), 0, -90, 90, 255, 4)
    cv2.ellipse(ink, (40, 14), (10, 9), 0, -180, 30, 255, 3)
    cv2.line(ink, (48, 19), (30, 34), 255, 3)
    cv2.line(ink, (30, 34), (52, 34), 255, 3)
    cv2.line(ink, (17, 24), (31, 14), 255, 3)  # where the pen ran on into the 2
    return Segment((100, 50, 60, 80), ink)


def test_an_exponent_written_touching_its_bracket_is_cut_off_it():
    touching = bracket_and_exponent()
    cut, probs = split_exponents([touching], sure_of("y", p=0.9),
                                 lambda images: sure_of("rparen", "2", p=0.95))
    assert [SYMBOLS[int(p.argmax())] for p in probs] == ["rparen", "2"]
    (bx, by, bw, bh), (ex, ey, _, eh) = cut[0].box, cut[1].box
    assert bh >= 70 and ex >= bx + bw - 2 and ey + eh <= by + 0.6 * bh


def test_a_cut_is_kept_only_when_both_parts_read_surely():
    touching = bracket_and_exponent()
    kept, _ = split_exponents([touching], sure_of("y", p=0.9),
                              lambda images: sure_of("rparen", "minus", p=0.95))
    assert len(kept) == 1
    kept, _ = split_exponents([touching], sure_of("8", p=0.99), never)  # a sure symbol
    assert len(kept) == 1


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


def test_a_fives_flag_drawn_apart_and_leaving_it_to_the_right_is_part_of_it():
    ink = page()
    # The body of a 5: a short stem and a bowl; its flag starts over the bowl's right half,
    # crosses the body's top edge and runs far past its right side.
    cv2.line(ink, (104, 100), (106, 134), 255, 6)
    cv2.ellipse(ink, (125, 145), (22, 22), 0, -150, 150, 255, 6)
    cv2.line(ink, (138, 102), (186, 86), 255, 6)
    assert len(boxes(ink)) == 1


def test_a_fives_flag_lifted_off_the_body_and_past_its_edge_is_part_of_it():
    ink = page()
    # The body of a 5 (stem and bowl), and its flag lifted above it, starting at the body's
    # right edge, a little apart: a thick short stroke, not a thin bar.
    cv2.line(ink, (104, 100), (106, 134), 255, 6)
    cv2.ellipse(ink, (125, 145), (22, 22), 0, -150, 150, 255, 6)
    cv2.line(ink, (150, 88), (176, 84), 255, 9)
    assert len(boxes(ink)) == 1


def test_the_bar_of_a_seven_beside_a_five_stays_with_the_seven():
    ink = page()
    cv2.line(ink, (104, 100), (106, 134), 255, 6)  # a 5 whose flag is joined
    cv2.ellipse(ink, (125, 145), (22, 22), 0, -150, 150, 255, 6)
    cv2.line(ink, (104, 100), (140, 100), 255, 6)
    cv2.line(ink, (156, 92), (196, 92), 255, 6)  # a 7's bar, drawn apart from its stem
    cv2.line(ink, (190, 102), (168, 168), 255, 6)
    five = boxes(ink)[0]
    assert five[0] + five[2] < 153  # the 5 ends before the bar starts: not joined to it


def test_a_root_over_a_long_radicand_is_kept():
    ink = page(300, 900)
    # √ over `9+16`: tick, V, and a bar as long as five digits.
    cv2.polylines(ink, [np.int32([(60, 150), (80, 140), (110, 240), (140, 40), (600, 40)])],
                  False, 255, 6)
    for x in (170, 330, 430):
        cv2.line(ink, (x, 80), (x, 200), 255, 6)  # three digits' worth of strokes
    cv2.line(ink, (230, 140), (290, 140), 255, 6)
    cv2.line(ink, (260, 110), (260, 170), 255, 6)  # and a plus
    assert len(segment(ink)) == 5
