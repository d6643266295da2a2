"""Whole pipeline on expressions the tests draw themselves, and on bad images."""

import cv2
import numpy as np
import pytest

from recognizer import annotate, pipeline, recognize
from recognizer.segment import SCRIBBLE
from recognizer.training.glyphs import draw_expression, draw_glyph, draw_paper


def jpeg(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return data.tobytes()


def png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


CASES = [
    ("2+3×4", "2+3*4", "14"),
    ("(7-2)÷5", "(7-2)/5", "1"),
    ("12-6/2", "12-6/2", "9"),
    ("3×(4+5)", "3*(4+5)", "27"),
    ("2x+3=11", "2x+3=11", "x = 4"),
    ("3^2+4^2", "3^2+4^2", "25"),
    ("1.5+2", "1.5+2", "7/2"),
]


@pytest.mark.parametrize(("text", "expression", "result"), CASES)
@pytest.mark.parametrize("style", [("plain", "even"), ("lined", "shadow"), ("squared", "even")])
def test_drawn_expressions_are_read_and_solved(text, expression, result, style):
    background, light = style
    seed = sum(map(ord, text)) + len(background)
    image = draw_expression(text, seed, background=background, light=light)
    recognition = recognize(jpeg(image))
    assert (recognition.expression, recognition.result) == (expression, result), recognition


@pytest.mark.parametrize("height", [30, 110])
@pytest.mark.parametrize("thickness", [2, 6])
def test_stroke_size_and_thickness(height, thickness):
    image = on_page(draw_expression("8-5+4", 11, height=height, thickness=thickness))
    assert recognize(png(image)).result == "7"


def test_a_speck_where_no_dot_can_stand_is_left_out():
    """A crumb between `-` and `7`, too big to be dust, at mid-height: as `·` it cannot stand
    there, and blown up to 28×28 it would read as a digit at odds of one in ten."""
    image = draw_expression("3-7", 5, height=100, background="plain")
    digit_right = int(np.flatnonzero((image < 128).any(axis=(0, 2)))[-1])
    rows = np.flatnonzero((image < 128).any(axis=(1, 2)))
    middle = (int(rows[0]) + int(rows[-1])) // 2
    cv2.circle(image, (digit_right - 75, middle), 7, (40, 40, 40), -1)
    recognition = recognize(jpeg(image))
    assert (recognition.expression, recognition.result) == ("3-7", "-4"), recognition
    assert len(recognition.symbols) == 3


@pytest.mark.parametrize("seed", range(6))
def test_touching_digits_are_read_apart(seed, digits="70"):
    rng = np.random.default_rng(seed)
    left, right = (draw_glyph(d, 80, 6, rng) for d in digits)
    h = max(left.shape[0], right.shape[0])
    mask = np.zeros((h + 160, left.shape[1] + right.shape[1] + 154), np.uint8)
    mask[80 + h - left.shape[0] : 80 + h, 80 : 80 + left.shape[1]] = left
    x = 80 + left.shape[1] - 6  # the second digit overlaps the first by a stroke's width
    region = mask[80 + h - right.shape[0] : 80 + h, x : x + right.shape[1]]
    np.maximum(region, right, out=region)
    paper = (235 - mask.astype(np.float32) / 255 * 190).astype(np.uint8)
    assert recognize(png(paper)).expression == digits


@pytest.mark.parametrize("text", ["38+4", "7-25", "61+9"])
@pytest.mark.parametrize("seed", range(4))
def test_small_writing_on_a_dense_grid(text, seed):
    # Squares half a digit tall: the grid has far more dark pixels than the writing.
    rng = np.random.default_rng(seed)
    mask = np.zeros((700, 900), np.uint8)
    x = 300
    for char in text:
        glyph = draw_glyph(char if char.isdigit() else {"+": "plus", "-": "minus"}[char], 28, 2,
                           rng)
        h, w = glyph.shape
        y = 350 - h if h > 14 else 336 - h // 2  # digits on the baseline, signs at mid-height
        mask[y : y + h, x : x + w] = np.maximum(mask[y : y + h, x : x + w], glyph)
        x += w + 8
    paper = draw_paper(mask, rng, "squared", "even", (40, 40, 40), rule_step=14)
    assert recognize(jpeg(paper)).expression == text


def on_page(expression: np.ndarray, width: int = 1000, height: int = 700) -> np.ndarray:
    """The drawn expression in the middle of a larger sheet, as a phone photo frames it."""
    page = np.full((height, width, 3), expression[:8, :8].mean(axis=(0, 1)), np.uint8)
    h, w = expression.shape[:2]
    top, left = (height - h) // 2, (width - w) // 2
    page[top : top + h, left : left + w] = expression
    return page


def test_blue_ink_and_a_large_photo_canvas():
    page = on_page(draw_expression("9-4×2", 5, ink=(160, 60, 20)), 2200, 1400)
    recognition = recognize(jpeg(page))
    assert recognition.result == "1", recognition


def _decoded_sides(monkeypatch) -> list[int]:
    """Record the max_side of every decode the pipeline makes."""
    sides: list[int] = []
    real = pipeline.decode_image

    def recording(data: bytes, *, max_side: int, grey: bool = False) -> np.ndarray:
        sides.append(max_side)
        return real(data, max_side=max_side, grey=grey)

    monkeypatch.setattr(pipeline, "decode_image", recording)
    return sides


def test_large_writing_is_read_at_the_working_size(monkeypatch):
    page = cv2.resize(draw_expression("38+4", 2, height=120), None, fx=1.6, fy=1.6)  # 190 px
    sides = _decoded_sides(monkeypatch)
    recognition = recognize(jpeg(page))
    assert recognition.result == "42"
    assert sides == [pipeline.WORK_SIDE]
    # Boxes are in the picture's own pixels, not those of the half-size copy that was read.
    rightmost = max(s.box[0] + s.box[2] for s in recognition.symbols)
    assert rightmost > 0.6 * page.shape[1]


def test_small_writing_on_a_large_page_is_read_again_at_full_size(monkeypatch):
    page = on_page(draw_expression("38+4", 2, height=45), 1280, 960)
    sides = _decoded_sides(monkeypatch)
    assert recognize(jpeg(page)).result == "42"
    assert sides == [pipeline.WORK_SIDE, pipeline.MAX_SIDE]


def test_a_few_symbols_in_a_corner_of_a_large_scan_are_read_at_full_size(monkeypatch):
    page = np.full((1900, 2500, 3), 238, np.uint8)
    expression = draw_expression("38+4", 2, height=36)
    page[60 : 60 + expression.shape[0], 80 : 80 + expression.shape[1]] = expression
    sides = _decoded_sides(monkeypatch)
    recognition = recognize(jpeg(page))
    assert recognition.result == "42"
    assert sides == [pipeline.WORK_SIDE, pipeline.MAX_SIDE, pipeline.FULL_SIDE]
    assert max(s.box[0] + s.box[2] for s in recognition.symbols) < 1280  # boxes at 1280 px


def test_white_on_black_board():
    image = 255 - draw_expression("6÷3+1", 8)
    assert recognize(png(image)).result == "3"


@pytest.mark.parametrize(("drawn", "written"), [("8÷2", "8÷2"), ("8/2", "8/2")])
def test_the_division_sign_drawn_is_kept_for_display(drawn, written):
    recognition = recognize(png(draw_expression(drawn, 1)))
    assert (recognition.expression, recognition.written) == ("8/2", written)


def test_symbols_carry_boxes_confidences_and_alternatives():
    recognition = recognize(png(draw_expression("4+5", 3)))
    assert [s.label for s in recognition.symbols] == ["4", "+", "5"]
    xs = [s.box[0] for s in recognition.symbols]
    assert xs == sorted(xs)
    assert all(0 < s.confidence <= 1 for s in recognition.symbols)
    assert 0 < recognition.confidence <= 1
    assert recognition.ms > 0


def test_a_decimal_point_is_as_sure_as_before_specks_were_considered():
    """A dot's chance of being a speck decides only where no dot can stand; read as a symbol,
    the point's confidence is how sure it is a point and not another symbol."""
    recognition = recognize(png(draw_expression("1.5+2", 3)))
    assert recognition.expression == "1.5+2"
    point = recognition.symbols[1]
    assert point.label == "." and point.confidence > 0.9
    assert all(alternative.label for alternative in point.alternatives)


def test_division_by_zero_is_an_error_not_a_result():
    recognition = recognize(png(draw_expression("7÷0", 4)))
    assert recognition.expression == "7/0"
    assert recognition.result is None and "division by zero" in recognition.error


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"this is not an image at all", "not a picture"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, ""),
    ],
)
def test_bad_bytes_give_clear_errors(data, words):
    recognition = recognize(data)
    assert recognition.expression is None and recognition.result is None
    assert words in recognition.error.lower() and len(recognition.error) > 10


def test_truncated_jpeg():
    data = jpeg(draw_expression("1+1", 0))
    recognition = recognize(data[: len(data) // 3])
    assert recognition.expression is None and recognition.error


def test_tiny_image():
    assert recognize(png(np.zeros((1, 1, 3), np.uint8))).error


def test_huge_declared_size_is_refused_without_decoding():
    header = bytearray(png(np.zeros((8, 8), np.uint8)))
    header[16:24] = (30000).to_bytes(4, "big") * 2  # IHDR width and height
    recognition = recognize(bytes(header))
    assert recognition.error and "large" in recognition.error


def test_blank_page():
    page = np.full((900, 1200, 3), 240, np.uint8)
    recognition = recognize(jpeg(page))
    assert recognition.expression is None and "handwriting" in recognition.error


def test_pure_noise():
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, (600, 800, 3), dtype=np.uint8)
    recognition = recognize(png(noise))
    assert recognition.result is None and recognition.error


def test_annotate_returns_a_png_of_the_picture():
    data = png(draw_expression("2+2", 1))
    picture = cv2.imdecode(np.frombuffer(annotate(data), np.uint8), cv2.IMREAD_COLOR)
    assert picture is not None and picture.shape[0] > 50


def _scribbled(seed: int) -> np.ndarray:
    """A pen scribbled round and round over a patch of paper: a doodle or crossed-out writing."""
    rng = np.random.default_rng(seed)
    page = np.full((600, 800, 3), 225, np.uint8)
    angles = np.cumsum(rng.uniform(0.5, 1.2, 40))
    radii = rng.uniform(60, 140, 40)
    points = np.stack([400 + radii * np.cos(angles) + np.arange(40) * 3,
                       300 + radii * np.sin(angles)], axis=1).astype(np.int32)
    cv2.polylines(page, [points], False, (40, 40, 40), 4, cv2.LINE_AA)
    return page


@pytest.mark.parametrize("seed", range(3))
def test_a_scribble_alone_is_said_to_be_one(seed):
    recognition = recognize(jpeg(_scribbled(seed)))
    assert recognition.expression is None and recognition.error == SCRIBBLE


def test_the_pictures_dark_edges_are_no_symbols():
    """A 1-px dark frame (the paper's edge, or a screenshot's border) is not `(` and `)`."""
    image = draw_expression("2+3×4", 1)
    image[0, :] = image[-1, :] = image[:, 0] = image[:, -1] = 30
    recognition = recognize(jpeg(image))
    assert (recognition.expression, recognition.result) == ("2+3*4", "14")


@pytest.mark.parametrize("seed", range(2))
def test_a_scribble_beside_the_expression_is_left_out(seed):
    """Writing crossed out beside the expression, larger than a symbol, is no symbol."""
    image = draw_expression("7+2", seed)
    h, w = image.shape[:2]
    image = np.concatenate([image, np.full((h, w, 3), image[0, 0], np.uint8)], axis=1)
    rng = np.random.default_rng(seed)
    angles, radii = np.cumsum(rng.uniform(0.5, 1.2, 40)), rng.uniform(0.15, 0.3, 40) * h
    points = np.stack([w + w / 3 + radii * np.cos(angles) + np.arange(40) * 2,
                       h / 2 + radii * np.sin(angles)], axis=1).astype(np.int32)
    cv2.polylines(image, [points], False, (40, 40, 40), 4, cv2.LINE_AA)
    recognition = recognize(jpeg(image))
    assert (recognition.expression, recognition.result) == ("7+2", "9")


def page_problems(text: str, seed: int, **drawing) -> list[tuple]:
    reading = recognize(jpeg(draw_expression(text, seed, **drawing)))
    return [(p.line, p.label, p.expression, p.result, p.error) for p in reading.problems]


def test_a_worksheet_of_three_numbered_lines():
    assert page_problems("1) 2+3×4\n2) 12-5\n3) 2x+3=11", 3) == [
        (1, "1)", "2+3*4", "14", None),
        (2, "2)", "12-5", "7", None),
        (3, "3)", "2x+3=11", "x = 4", None),
    ]


def test_eight_lines_on_lined_paper_indented_and_dotted():
    text = "1. 2+2\n2. 9÷3\n3. (1+2)×3\n4.    5-1\n5. 2^3+1\n6. 8-6\n7. 4×5\n8. 2x+1=7"
    problems = page_problems(text, 7, background="lined", line_pitch=1.9)
    assert [p[1] for p in problems] == [f"{n}." for n in range(1, 9)]
    assert [p[3] for p in problems] == ["4", "3", "9", "4", "9", "2", "20", "x = 3"]


def test_letter_labels_are_counted_as_letters():
    problems = page_problems("a) 7-2\nb) 3×3\nc) 2x=10", 5, line_pitch=2.0)
    assert [(p[1], p[2]) for p in problems] == [("a)", "7-2"), ("b)", "3*3"), ("c)", "2x=10")]


def test_lines_without_labels_are_numbered_by_place():
    problems = page_problems("2+3\n   45-12\n7×8", 9, background="squared", line_pitch=1.7)
    assert [(p[0], p[1], p[3]) for p in problems] == [(1, None, "5"), (2, None, "33"),
                                                       (3, None, "56")]


def test_a_line_that_cannot_be_solved_spoils_no_other():
    problems = page_problems("1) 2+3\n2) 7÷0\n3) 6÷2", 11)
    assert [p[3] for p in problems] == ["5", None, "3"]
    assert problems[1][4] == "division by zero"


def test_the_first_problem_is_the_pages_answer():
    reading = recognize(jpeg(draw_expression("1) 2+3\n2) 6÷2", 11)))
    first = reading.problems[0]
    assert (reading.expression, reading.result, reading.symbols) == (
        first.expression, first.result, first.symbols)
    assert reading.problems[1].box[1] > first.box[1] + first.box[3]  # below it


def test_too_many_lines_or_symbols_on_a_line(monkeypatch):
    monkeypatch.setattr(pipeline, "MAX_LINE_SYMBOLS", 4)
    problems = page_problems("2+3\n12+34\n6÷2", 13)
    assert [p[3] for p in problems] == ["5", None, "3"]
    assert "more than 4 symbols" in problems[1][4]
    monkeypatch.setattr(pipeline, "MAX_LINES", 2)
    reading = recognize(jpeg(draw_expression("2+3\n12+34\n6÷2", 13)))
    assert reading.problems == () and "more than 2 lines" in reading.error


def test_two_lines_of_a_system_are_one_problem():
    from recognizer.types import Problem

    def line(number: int, expression: str) -> Problem:
        return Problem(expression, None, written=expression, sure=True, doubt=0.01,
                       confidence=0.9, line=number, label=f"{number})",
                       box=(10, 60 * number, 100, 40))

    lines = [line(1, "2+3"), line(2, "2x+y=7"), line(3, "x-y=2"), line(4, "x=1"),
             line(5, "y=2")]
    joined = pipeline._systems(lines, [False, False, False, True, False])
    assert [(p.line, p.expression, p.result) for p in joined] == [
        (1, "2+3", None), (2, "2x+y=7;x-y=2", "x = 3, y = 1"), (4, "x=1;y=2", "x = 1, y = 2")]
    assert joined[1].box == (10, 120, 100, 100) and joined[1].sure
