"""clean: ink masks from drawn pages (lined, squared, shadowed, inverted, rotated, blank)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from recognizer.clean import Cleaned, clean, deskewed

HEIGHT, WIDTH = 480, 640
PAPER = (236, 238, 240)  # BGR, slightly warm white
BLUE_INK = (140, 40, 20)
RED_INK = (30, 30, 200)
BLACK_INK = (25, 25, 25)


def _strokes(
    text: str = "2+3=5",
    origin: tuple[int, int] = (140, 270),
    scale: float = 4.0,
    thickness: int = 6,
) -> np.ndarray:
    """The ground-truth stroke mask: text drawn with hard edges."""
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.putText(mask, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thickness, cv2.LINE_8)
    return mask


def _page(paper: tuple[int, int, int] = PAPER) -> np.ndarray:
    page = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    page[:] = paper
    return page


def _ink_on(page: np.ndarray, strokes: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    page = page.copy()
    page[strokes > 0] = colour
    return page


def _noisy(page: np.ndarray, sigma: float = 4.0) -> np.ndarray:
    noise = np.random.default_rng(7).normal(0, sigma, page.shape)
    return np.clip(page + noise, 0, 255).astype(np.uint8)


def _iou(mask: np.ndarray, truth: np.ndarray) -> float:
    ink, drawn = mask > 0, truth > 0
    return np.count_nonzero(ink & drawn) / np.count_nonzero(ink | drawn)


def _lined(page: np.ndarray, spacing: int = 48, colour=(200, 170, 150), thickness=2) -> np.ndarray:
    page = page.copy()
    for y in range(spacing // 2, HEIGHT, spacing):
        cv2.line(page, (0, y), (WIDTH - 1, y), colour, thickness)
    return page


def _squared(page: np.ndarray, spacing: int = 32, colour=(235, 200, 170)) -> np.ndarray:
    """Light-blue squared paper, as printed in school notebooks."""
    page = page.copy()
    for y in range(spacing // 2, HEIGHT, spacing):
        cv2.line(page, (0, y), (WIDTH - 1, y), colour, 2)
    for x in range(spacing // 2, WIDTH, spacing):
        cv2.line(page, (x, 0), (x, HEIGHT - 1), colour, 2)
    return page


def _shadowed(page: np.ndarray) -> np.ndarray:
    """Light falling from the right: the left third sits in a shadow at 40 % brightness."""
    light = np.clip(np.linspace(0.4, 1.3, WIDTH), 0.4, 1.0)[None, :, None]
    vignette = 1.0 - 0.25 * np.linspace(-1, 1, HEIGHT)[:, None, None] ** 2
    return np.clip(page * light * vignette, 0, 255).astype(np.uint8)


def _check_mask(cleaned: Cleaned, shape: tuple[int, int]) -> None:
    assert cleaned.ink.shape == shape
    assert cleaned.ink.dtype == np.uint8
    assert set(np.unique(cleaned.ink)) <= {0, 255}


@pytest.mark.parametrize(
    ("name", "make_page", "colour"),
    [
        ("plain black", lambda: _page(), BLACK_INK),
        ("blue ballpoint", lambda: _page(), BLUE_INK),
        ("red ballpoint", lambda: _page(), RED_INK),
        ("lined paper", lambda: _lined(_page()), BLUE_INK),
        ("squared paper", lambda: _squared(_page()), BLUE_INK),
    ],
)
def test_strokes_come_out_as_ink_without_the_paper(name, make_page, colour) -> None:
    strokes = _strokes()
    cleaned = clean(_noisy(_ink_on(make_page(), strokes, colour)))
    _check_mask(cleaned, (HEIGHT, WIDTH))
    assert cleaned.angle == 0.0
    assert _iou(cleaned.ink, strokes) > 0.8, name


def test_shadow_and_vignette_are_flattened() -> None:
    strokes = _strokes()
    page = _shadowed(_noisy(_ink_on(_lined(_page()), strokes, BLACK_INK)))
    cleaned = clean(page)
    assert _iou(cleaned.ink, strokes) > 0.75
    # Without flattening, a global threshold would call the shadowed third of the page ink.
    _, global_ink = cv2.threshold(
        cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU
    )
    assert _iou(global_ink, strokes) < 0.5


def test_faint_pencil_on_white_is_kept() -> None:
    strokes = _strokes(thickness=3)
    page = _noisy(_ink_on(_page(), strokes, (175, 175, 175)), sigma=3)
    assert _iou(clean(page).ink, strokes) > 0.7


def test_white_on_black_is_inverted_first() -> None:
    strokes = _strokes()
    blackboard = _noisy(_ink_on(_page((40, 45, 35)), strokes, (230, 235, 230)))
    cleaned = clean(blackboard)
    assert _iou(cleaned.ink, strokes) > 0.8


def test_white_on_black_canvas_with_few_strokes() -> None:
    strokes = _strokes("7", origin=(280, 300), scale=5, thickness=8)
    canvas = _ink_on(_page((0, 0, 0)), strokes, (255, 255, 255))
    assert _iou(clean(canvas).ink, strokes) > 0.9


def test_ruled_lines_vanish_but_minus_and_equals_stay() -> None:
    page = _lined(_page(), spacing=60, colour=(120, 120, 120), thickness=3)  # dark lines
    strokes = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.rectangle(strokes, (100, 200), (160, 205), 255, -1)  # "-"
    cv2.rectangle(strokes, (260, 190), (330, 195), 255, -1)  # "="
    cv2.rectangle(strokes, (260, 212), (330, 217), 255, -1)
    cv2.rectangle(strokes, (450, 175), (456, 225), 255, -1)  # "1", between two lines
    cleaned = clean(_noisy(_ink_on(page, strokes, BLUE_INK)))
    drawn = strokes > 0
    assert np.count_nonzero(cleaned.ink[drawn]) > 0.9 * np.count_nonzero(drawn)
    line_rows = cleaned.ink[30 - 3 : 30 + 4]  # the first ruled line, far from any stroke
    assert np.count_nonzero(line_rows) < 0.01 * line_rows.size
    assert _iou(cleaned.ink, strokes) > 0.8


def test_strokes_crossing_a_ruled_line_are_not_cut() -> None:
    page = _lined(_page(), spacing=60, colour=(120, 120, 120), thickness=3)
    strokes = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.rectangle(strokes, (300, 60), (306, 200), 255, -1)  # crosses the lines at y=90 and 150
    cleaned = clean(_noisy(_ink_on(page, strokes, BLACK_INK)))
    column = cleaned.ink[60:201, 300:307]
    assert np.all(column.max(axis=1) == 255)  # every row of the stroke still has ink


@pytest.mark.parametrize("grid_colour", [(235, 200, 170), (170, 140, 120)], ids=["light", "dark"])
def test_blank_squared_paper_gives_an_empty_mask(grid_colour) -> None:
    cleaned = clean(_noisy(_squared(_page(), colour=grid_colour)))
    assert np.count_nonzero(cleaned.ink) < 0.002 * cleaned.ink.size


def test_dark_squared_paper_is_removed_around_a_sparse_expression() -> None:
    strokes = _strokes("4-1", origin=(200, 300), scale=3, thickness=5)
    dark_grid = _squared(_page(), colour=(170, 140, 120))
    cleaned = clean(_noisy(_ink_on(dark_grid, strokes, BLACK_INK)))
    assert _iou(cleaned.ink, strokes) > 0.7


@pytest.mark.parametrize(
    "page",
    [_page(), _noisy(_page(), 6), _shadowed(_noisy(_page()))],
    ids=["clean", "noisy", "shadowed"],
)
def test_blank_page_gives_an_empty_mask(page: np.ndarray) -> None:
    cleaned = clean(page)
    _check_mask(cleaned, (HEIGHT, WIDTH))
    assert np.count_nonzero(cleaned.ink) < 0.001 * cleaned.ink.size
    assert cleaned.angle == 0.0


def test_uniform_pictures_do_not_raise() -> None:
    for value in (0, 128, 255):
        cleaned = clean(np.full((20, 30, 3), value, np.uint8))
        assert cleaned.ink.shape == (20, 30)


def test_thin_one_pixel_strokes_survive() -> None:
    """Like the CROHME renders: 1-px black lines on a 256×256 white canvas."""
    canvas = np.full((256, 256, 3), 255, np.uint8)
    strokes = np.zeros((256, 256), np.uint8)
    for points in (
        [(20, 140), (40, 100), (60, 140)],
        [(80, 120), (110, 120)],
        [(95, 105), (95, 135)],
        [(130, 100), (160, 100), (135, 140), (165, 140)],
    ):
        cv2.polylines(strokes, [np.array(points)], False, 255, 1, cv2.LINE_8)
    canvas[strokes > 0] = 0
    assert _iou(clean(canvas).ink, strokes) > 0.95


def test_thick_marker_strokes_are_solid_not_hollow() -> None:
    strokes = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.putText(strokes, "80", (60, 380), cv2.FONT_HERSHEY_SIMPLEX, 11, 255, 45)
    cleaned = clean(_ink_on(_page((255, 255, 255)), strokes, BLACK_INK))
    assert _iou(cleaned.ink, strokes) > 0.95


def _rotated(page: np.ndarray, degrees: float) -> np.ndarray:
    matrix = cv2.getRotationMatrix2D((WIDTH / 2, HEIGHT / 2), degrees, 1.0)
    return cv2.warpAffine(
        page, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


@pytest.mark.parametrize("degrees", [-12.0, -6.0, 4.0, 9.0])
def test_rotated_text_line_is_deskewed(degrees: float) -> None:
    strokes = _strokes("12+34=46", origin=(60, 270), scale=2.6, thickness=5)
    cleaned = clean(_noisy(_rotated(_ink_on(_page(), strokes, BLUE_INK), degrees)))
    assert abs(cleaned.angle + degrees) <= 1.5
    _check_mask(cleaned, cleaned.ink.shape)
    # The deskewed mask's text line is level: its rows of ink are no taller than the glyphs.
    rows = np.nonzero(cleaned.ink.any(axis=1))[0]
    glyph_rows = np.nonzero(strokes.any(axis=1))[0]
    assert np.ptp(rows) <= np.ptp(glyph_rows) * 1.3


def test_level_text_and_short_expressions_are_not_rotated() -> None:
    for text in ("12+34=46", "7", "2+", "x"):
        strokes = _strokes(text, origin=(200, 270), scale=3, thickness=6)
        cleaned = clean(_noisy(_ink_on(_page(), strokes, BLACK_INK)))
        assert cleaned.angle == 0.0, text


def test_rotated_image_matches_the_mask() -> None:
    strokes = _strokes("12+34=46", origin=(60, 270), scale=2.6, thickness=5)
    page = _rotated(_ink_on(_page(), strokes, RED_INK), 8.0)
    cleaned = clean(page)
    assert cleaned.angle != 0.0
    drawn = deskewed(page, cleaned.angle)
    assert drawn.shape[:2] == cleaned.ink.shape
    redness = drawn[:, :, 2].astype(int) - drawn[:, :, 1]
    red = redness > 80
    assert _iou(cleaned.ink, red) > 0.75  # the drawn copy is rotated the same way as the ink
