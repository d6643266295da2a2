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
    height, width = page.shape[:2]
    for y in range(spacing // 2, height, spacing):
        cv2.line(page, (0, y), (width - 1, y), colour, 2)
    for x in range(spacing // 2, width, spacing):
        cv2.line(page, (x, 0), (x, height - 1), colour, 2)
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


@pytest.mark.parametrize("slope", [0.25, -0.4, 3.0])
def test_a_hard_shadow_edge_over_faint_pencil_leaves_no_stroke(slope: float) -> None:
    """A phone's or a hand's shadow ends in a hard edge, here darker by a third, while faint
    pencil is only 60 levels darker than paper. A paper estimate blurred across the edge is
    too light just inside the shadow, and the band there was read as a long stroke."""
    strokes = _strokes(thickness=2)
    page = _ink_on(_page(), strokes, (170, 170, 170))
    rows, columns = np.mgrid[:HEIGHT, :WIDTH].astype(np.float32)
    # Through the middle of the writing, blurred over a few pixels as a real shadow's edge is.
    side = ((rows - 250) - slope * (columns - WIDTH / 2) > 0).astype(np.float32)
    light = 1 - 0.33 * cv2.GaussianBlur(side, (0, 0), 3)
    page = _noisy((page * light[..., None]).astype(np.uint8), sigma=3)
    ink = clean(page).ink
    near_strokes = cv2.dilate(strokes, np.ones((7, 7), np.uint8))
    assert np.count_nonzero(cv2.subtract(ink, near_strokes)) < 0.01 * np.count_nonzero(strokes)
    assert np.count_nonzero(ink & strokes) > 0.8 * np.count_nonzero(strokes)


@pytest.mark.parametrize("slope", [0.3, -0.5])
def test_a_shadow_lightening_away_from_its_edge_leaves_no_band(slope: float) -> None:
    """A shadow darkest at its edge, lightening away from it: a valley in the paper's light.
    A closing as wide as a marker stroke fills it, and the band left beside the edge is ink
    for faint pencil."""
    strokes = _strokes(origin=(200, 150), scale=1.5, thickness=2)
    page = _ink_on(_page(), strokes, (170, 170, 170))
    rows, columns = np.mgrid[:HEIGHT, :WIDTH].astype(np.float32)
    away = (rows - 200) - slope * (columns - WIDTH / 2)  # > 0: in the shadow
    shadow = cv2.GaussianBlur((away > 0).astype(np.float32), (0, 0), 3)
    light = 1 - shadow * np.clip(0.4 - 0.002 * np.maximum(away, 0), 0.1, 0.4)
    ink = clean(_noisy((page * light[..., None]).astype(np.uint8), sigma=3)).ink
    near_strokes = cv2.dilate(strokes, np.ones((7, 7), np.uint8))
    assert np.count_nonzero(cv2.subtract(ink, near_strokes)) < 0.05 * np.count_nonzero(strokes)
    assert np.count_nonzero(ink & strokes) > 0.8 * np.count_nonzero(strokes)


def test_a_page_darkening_towards_its_edges_leaves_no_ink_along_them() -> None:
    """Lens vignetting: the paper in the corners is 60% darker than in the middle. A closing
    near an edge sees only the lighter paper further in, and must not make the edge ink."""
    strokes = _strokes(thickness=3)
    rows, columns = np.mgrid[:HEIGHT, :WIDTH]
    distance = np.hypot((rows - HEIGHT / 2) / HEIGHT, (columns - WIDTH / 2) / WIDTH) / 0.71
    light = 1 - 0.6 * distance**2
    pencil = (175, 175, 175)  # so faint that the ink threshold is near paper
    page = _noisy((_ink_on(_page(), strokes, pencil) * light[..., None]).astype(np.uint8), 3)
    ink = clean(page).ink
    assert _iou(ink, strokes) > 0.95


def test_faint_pencil_on_white_is_kept() -> None:
    strokes = _strokes(thickness=3)
    page = _noisy(_ink_on(_page(), strokes, (175, 175, 175)), sigma=3)
    assert _iou(clean(page).ink, strokes) > 0.7


def test_faint_pencil_broken_by_its_grain_is_joined_up() -> None:
    """Graphite leaves lighter patches along a pencil stroke, lighter than the ink threshold but
    still darker than paper: each stroke must come out in one piece, and no wider."""
    strokes = np.zeros((HEIGHT, WIDTH), np.uint8)
    for x in (200, 300, 400):
        cv2.line(strokes, (x, 150), (x + 20, 330), 255, 3)  # three "1"s
    grain = np.zeros((HEIGHT, WIDTH), bool)
    grain[np.arange(HEIGHT) % 8 < 3] = True  # a lighter patch every 8 rows
    page = _ink_on(_page(), strokes, (165, 165, 165))
    page[(strokes > 0) & grain] = 205
    ink = clean(_noisy(page, sigma=3)).ink
    assert cv2.connectedComponents(ink)[0] - 1 == 3
    assert np.count_nonzero(ink & ~_near(strokes, 1)) == 0


@pytest.mark.parametrize("ruled", [False, True], ids=["plain", "lined"])
def test_faint_pencil_with_long_light_stretches_is_joined_up(ruled: bool) -> None:
    """In a shadow or a blurred photo, whole stretches of a pencil stroke come out lighter than
    the ink threshold, far longer than grain: each stroke must still come out in one piece, no
    wider, and on lined paper without taking in the lines it crosses."""
    strokes = np.zeros((HEIGHT, WIDTH), np.uint8)
    for x in (200, 300, 400):
        cv2.line(strokes, (x, 150), (x + 20, 330), 255, 3)  # three "1"s
    light = np.zeros((HEIGHT, WIDTH), bool)
    # Half of each stroke, in stretches of 24 rows halfway between the ruled lines (which are
    # 48 rows apart from row 24).
    light[(np.arange(HEIGHT) - 24) % 48 >= 12] = True
    light[(np.arange(HEIGHT) - 24) % 48 >= 36] = False
    page = _ink_on(_page(), strokes, (165, 165, 165))
    page[(strokes > 0) & light] = 205
    if ruled:  # graphite over a printed line: the darker of the two
        page = np.minimum(page, _lined(_page(), colour=(200, 200, 200)))
    ink = clean(_noisy(page, sigma=3)).ink
    assert cv2.connectedComponents(ink)[0] - 1 == 3
    assert np.count_nonzero(ink & ~_near(strokes, 1)) == 0


def test_washed_out_marker_with_dry_streaks_is_joined_up() -> None:
    """An overexposed photo turns a marker's ink mid-grey (a threshold well below the pencil
    ceiling) and its dry streaks lighter than the threshold, though darker than paper: each
    stroke must still come out in one piece, and no wider."""
    strokes = np.zeros((HEIGHT, WIDTH), np.uint8)
    for x in (200, 300, 400):
        cv2.line(strokes, (x, 150), (x + 20, 330), 255, 8)  # three "1"s
    streaks = np.zeros((HEIGHT, WIDTH), bool)
    streaks[np.arange(HEIGHT) % 10 < 4] = True  # across the stroke, every 10 rows
    page = _ink_on(_page(), strokes, (120, 120, 120))
    page[(strokes > 0) & streaks] = 205
    ink = clean(_noisy(page, sigma=3)).ink
    assert cv2.connectedComponents(ink)[0] - 1 == 3
    assert np.count_nonzero(ink & ~_near(strokes, 1)) == 0


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


@pytest.mark.parametrize("degrees", [-6.0, 3.0, 7.0])
def test_faint_pencil_on_turned_lined_paper_is_levelled_by_the_lines(degrees: float) -> None:
    """Pencil as faint as the lines, on a page turned by a few degrees. A skew fitted to the
    symbols leaves the lines tilted by a degree or more (or untouched below its trust level),
    and their edges stay behind as dashes, or whole; the lines themselves give the exact tilt."""
    strokes = _strokes(origin=(180, 262), scale=2, thickness=2)  # between lines 200 and 280
    page = _ink_on(_lined(_page(), spacing=80, colour=(190, 170, 160)), strokes, (175,) * 3)
    cleaned = clean(_noisy(_rotated(page, degrees), sigma=3))
    assert abs(cleaned.angle + degrees) < 0.3
    _, _, stats, _ = cv2.connectedComponentsWithStats(cleaned.ink)
    text_width = cv2.boundingRect(strokes)[2]
    assert stats[1:, cv2.CC_STAT_WIDTH].max() < 1.1 * text_width
    assert np.count_nonzero(cleaned.ink) < 1.1 * np.count_nonzero(strokes)


@pytest.mark.parametrize("degrees", [-8.0, -5.0, 5.0, 8.0])
def test_lined_paper_turned_too_far_for_level_runs_is_levelled_by_the_lines(degrees: float) -> None:
    """Turned this far, the lines break into runs too short to be found as level lines, and
    writing that sits on a line joins it, so no text line can be fitted either. The lines'
    long, straight parts still give the tilt, and then the lines are found and removed."""
    strokes = _strokes(origin=(150, 262), scale=2, thickness=3)  # sitting on the line at 264
    page = _ink_on(_lined(_page(), colour=(150, 150, 150)), strokes, BLUE_INK)
    cleaned = clean(_noisy(_rotated(page, degrees)))
    assert abs(cleaned.angle + degrees) < 0.3
    _, _, stats, _ = cv2.connectedComponentsWithStats(cleaned.ink)
    assert stats[1:, cv2.CC_STAT_WIDTH].max() < 1.1 * cv2.boundingRect(strokes)[2]


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


def test_fine_squared_paper_whose_lines_differ_in_darkness_is_removed() -> None:
    """Fine squared paper read at half size: a line that falls on one row of pixels comes out far
    darker than its neighbours, which are split over two rows."""
    page = _page()
    for k, at in enumerate(range(6, max(HEIGHT, WIDTH), 12)):
        shade, width = (160, 1) if k % 2 else (200, 2)
        page[at : at + width] = np.minimum(page[at : at + width], shade)
        page[:, at : at + width] = np.minimum(page[:, at : at + width], shade)
    strokes = _strokes("4-1", origin=(200, 300), scale=3, thickness=5)
    cleaned = clean(_noisy(_ink_on(page, strokes, BLACK_INK)))
    assert _iou(cleaned.ink, strokes) > 0.95
    assert np.count_nonzero((cleaned.ink > 0) & ~_near(strokes, 2)) < 20  # no grid is left


# Handwriting as pen strokes (x, y) on the 640×480 page: "13+72-", level, between y=200 and 320.
THIN_GLYPHS = (
    ((100, 230), (128, 200), (128, 320)),
    ((160, 215), (185, 200), (210, 215), (200, 250), (180, 258), (205, 268), (215, 295),
     (195, 318), (160, 310)),
    ((250, 260), (300, 260)),
    ((275, 235), (275, 285)),
    ((330, 205), (390, 205), (350, 320)),
    ((420, 220), (445, 203), (475, 215), (470, 250), (425, 318), (485, 318)),
    ((520, 262), (580, 262)),
)
LIGHT_BLUE_GRID = (235, 195, 160)


def _photo_of_squared_paper(
    grid_colour: tuple[int, int, int], period: int, tilt: float, width: int,
    ink: tuple[int, int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """A phone photo of thin pen strokes on squared paper, and the strokes' true mask.

    Drawn 4× larger and shrunk, so the 2 px grid lines and the strokes have soft edges. As in
    real photos the grid is darker in the middle, where the lens is sharpest, than at the edges;
    it may be turned by ``tilt`` degrees against the writing, and one stroke (the "-") lies on a
    grid line. Then blur, sensor noise and JPEG.
    """
    scale = 4
    big = (HEIGHT * scale, WIDTH * scale)
    shift = (period // 2 - 262) % period  # puts the "-" on a horizontal grid line
    drawn = np.zeros(big, np.uint8)
    for stroke in THIN_GLYPHS:
        points = np.array([(x * scale, (y + shift) * scale) for x, y in stroke], np.int32)
        cv2.polylines(drawn, [points], False, 255, width * scale, cv2.LINE_AA)
    grid = np.zeros(big, np.uint8)
    slope, reach = np.tan(np.radians(tilt)), 2 * max(big)
    for k in range(-max(HEIGHT, WIDTH) // period, 2 * max(HEIGHT, WIDTH) // period):
        at = (k * period + period // 2) * scale
        cv2.line(grid, (-reach, round(at - slope * reach)), (reach, round(at + slope * reach)),
                 255, 2 * scale, cv2.LINE_AA)
        cv2.line(grid, (round(at + slope * reach), -reach), (round(at - slope * reach), reach),
                 255, 2 * scale, cv2.LINE_AA)
    cover = cv2.resize(drawn, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA) / 255
    grid_cover = cv2.resize(grid, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA) / 255
    rows, columns = np.mgrid[0:HEIGHT, 0:WIDTH]
    sharpness = 1.4 - 1.8 * ((columns / WIDTH - 0.5) ** 2 + (rows / HEIGHT - 0.5) ** 2)
    photo = np.full((HEIGHT, WIDTH, 3), PAPER, np.float64)
    photo *= 1 - (grid_cover * sharpness)[..., None] * (1 - np.array(grid_colour) / 255)
    photo *= 1 - cover[..., None] * (1 - np.array(ink) / 255)  # ink over a line is darker still
    photo = _noisy(cv2.GaussianBlur(photo, (0, 0), 0.6), sigma=3.0)
    jpeg = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, 85])[1]
    photo = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
    return photo, (cover >= 0.5).astype(np.uint8) * 255


def _near(mask: np.ndarray, pixels: int) -> np.ndarray:
    """True within ``pixels`` of the mask's ink."""
    size = 2 * pixels + 1
    return cv2.dilate(mask, np.ones((size, size), np.uint8)) > 0


@pytest.mark.parametrize(
    ("grid_colour", "period", "tilt", "width", "ink"),
    [
        (LIGHT_BLUE_GRID, 24, 0.0, 1, BLUE_INK),
        (LIGHT_BLUE_GRID, 24, 1.5, 2, BLUE_INK),
        (LIGHT_BLUE_GRID, 40, -2.0, 1, BLACK_INK),
        (LIGHT_BLUE_GRID, 40, 1.0, 3, BLUE_INK),
        ((225, 205, 150), 24, 2.0, 1, BLACK_INK),  # cyan
        ((225, 205, 150), 32, 0.0, 2, BLUE_INK),
        ((185, 215, 175), 24, -1.5, 2, BLUE_INK),  # green
        ((185, 215, 175), 40, 0.0, 1, BLUE_INK),
        ((190, 190, 190), 32, 1.5, 1, BLUE_INK),  # grey
        ((190, 190, 190), 40, -1.0, 3, BLACK_INK),
    ],
)
def test_thin_strokes_on_dark_squared_paper_survive_and_the_grid_goes(
    grid_colour, period, tilt, width, ink
) -> None:
    photo, strokes = _photo_of_squared_paper(grid_colour, period, tilt, width, ink)
    cleaned = clean(photo)
    assert cleaned.angle == 0.0  # leftovers of the grid must not tip the level text line
    ink_mask = cleaned.ink > 0
    assert _iou(cleaned.ink, strokes) > 0.65
    # Every stroke pixel has ink within a pixel, and each glyph is still one piece.
    assert np.count_nonzero(_near(cleaned.ink, 1)[strokes > 0]) > 0.98 * np.count_nonzero(strokes)
    _, glyphs = cv2.connectedComponents(strokes)
    _, pieces = cv2.connectedComponents(cleaned.ink)
    for glyph in range(1, glyphs.max() + 1):
        assert len(np.unique(pieces[ink_mask & _near((glyphs == glyph).astype(np.uint8), 1)])) == 1
    # The grid is gone: hardly any ink away from the strokes (a grid line alone is 640 px).
    assert np.count_nonzero(ink_mask & ~_near(strokes, 2)) < 20


@pytest.mark.parametrize("degrees", [2.0, 3.0, -3.0, 4.0])
@pytest.mark.parametrize("shift", [8, 24])
def test_squared_paper_turned_a_few_degrees_leaves_no_long_dashes_at_the_edges(
    degrees, shift
) -> None:
    """Turned paper: lines near the top and bottom leave the picture part of the way across."""
    sheet = _squared(np.full((2 * HEIGHT, 2 * WIDTH, 3), PAPER, np.uint8), colour=(200, 160, 120))
    sheet = np.roll(sheet, (shift, shift), axis=(0, 1))
    matrix = cv2.getRotationMatrix2D((WIDTH, HEIGHT), degrees, 1.0)
    turned = cv2.warpAffine(sheet, matrix, (2 * WIDTH, 2 * HEIGHT), flags=cv2.INTER_LINEAR)
    photo = _noisy(turned[HEIGHT // 2 : HEIGHT // 2 + HEIGHT, WIDTH // 2 : WIDTH // 2 + WIDTH])
    _, _, stats, _ = cv2.connectedComponentsWithStats(clean(photo).ink)
    longest = stats[1:, [cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT]].max(initial=0)
    assert longest < WIDTH / 8  # no piece of a line as long as a symbol is wide


def test_a_stroke_running_beside_a_grid_line_is_not_erased_with_it() -> None:
    """Like the base of a "2" in pencil, written just under a line of squared paper: barely
    darker than the line, so it must not be taken for a part of it."""
    photo = _squared(_page(), spacing=32, colour=(200, 160, 120))
    strokes = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.line(strokes, (200, 248), (440, 248), 255, 2)  # 7 px below the line at y=240
    cleaned = clean(_noisy(_ink_on(photo, strokes, (130, 130, 130))))
    assert np.count_nonzero(cleaned.ink[strokes > 0]) > 0.95 * np.count_nonzero(strokes)
    assert np.count_nonzero(cleaned.ink[238:243]) < 0.01 * 5 * WIDTH  # the line itself is gone


def test_a_long_fraction_bar_between_wide_rules_is_kept() -> None:
    page = _lined(_page(), spacing=160, colour=(150, 150, 150), thickness=2)  # y = 80, 240, 400
    strokes = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.line(strokes, (80, 320), (560, 320), 255, 4)  # 3/4 of the page wide, far from the rules
    cv2.putText(strokes, "12", (270, 295), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 255, 4)
    cv2.putText(strokes, "7", (300, 380), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 255, 4)
    cleaned = clean(_noisy(_ink_on(page, strokes, BLACK_INK)))
    bar = cleaned.ink[317:324, 80:561]
    assert np.count_nonzero(bar.max(axis=0)) > 0.95 * bar.shape[1]
    assert np.count_nonzero(cleaned.ink[238:243]) < 0.01 * 5 * WIDTH  # the rules are gone


def test_a_lone_long_minus_in_a_tight_crop_is_not_a_ruled_line() -> None:
    crop = np.full((120, 130, 3), 250, np.uint8)
    cv2.line(crop, (5, 40), (75, 40), BLACK_INK, 5)  # "-" more than half as wide as the crop
    cv2.putText(crop, "3", (80, 100), cv2.FONT_HERSHEY_SIMPLEX, 2.2, BLACK_INK, 5)
    minus = clean(crop).ink[38:43, 8:72]
    assert np.all(minus.max(axis=0) == 255)


def test_faint_ink_on_a_page_of_countless_specks_is_grown_and_kept() -> None:
    """Faint ink is grown into everything darker than paper joined to it; here that is a lattice
    of some 136,000 separate specks, more than 16-bit labels can count."""
    page = np.full((960, 1280), 255, np.uint8)
    page[::3, ::3] = 215  # darker than paper, lighter than any ink
    strokes = np.zeros(page.shape, np.uint8)
    cv2.putText(strokes, "2+3", (300, 600), cv2.FONT_HERSHEY_SIMPLEX, 8, 255, 10)
    page[strokes > 0] = 150  # pencil
    ink = clean(page).ink
    assert _iou(ink, strokes) > 0.9
    assert np.count_nonzero(ink[:200]) == 0  # specks away from the writing are not ink


@pytest.mark.parametrize("shape", [(8, 6000), (6000, 8), (9, 5000)])
def test_a_strip_far_longer_than_high_is_cleaned(shape: tuple[int, int]) -> None:
    """The work copies shrink such a strip to a pixel across, never to nothing."""
    strip = np.full(shape, 235, np.uint8)
    strip[2:6, 2:6] = 40
    cleaned = clean(strip)
    assert cleaned.ink.shape == shape
    assert cleaned.ink[3, 3] == 255


@pytest.mark.parametrize("shade", [150, 200], ids=["dark", "faint"])
def test_a_crease_across_the_page_is_erased_and_the_writing_kept(shade: int) -> None:
    strokes = _strokes("2+3", origin=(60, 270))
    page = _noisy(_ink_on(_page(), strokes, BLACK_INK))
    cv2.line(page, (620, 0), (420, 479), (shade, shade, shade), 2, cv2.LINE_AA)  # a fold
    cleaned = clean(page)
    crease = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.line(crease, (620, 0), (420, 479), 255, 7)
    assert np.count_nonzero(cleaned.ink & crease) < 0.02 * np.count_nonzero(crease)
    assert _iou(cleaned.ink, strokes) > 0.8


@pytest.mark.parametrize(
    ("shade", "width", "top", "bottom"),
    [(140, 1, 285, 175), (150, 2, 285, 175), (150, 2, 290, 400)],
    ids=["dashed", "solid", "leaning right"],  # the last one Hough's line misses at the top
)
def test_a_crease_through_the_writing_is_erased_and_the_strokes_it_crosses_kept(
    shade: int, width: int, top: int, bottom: int
) -> None:
    """A fold darkens what it crosses, ink too. Near the ink threshold it binarises into dashes,
    which must go as well."""
    strokes = _strokes("4-1", origin=(150, 300), scale=3, thickness=5)
    page = _noisy(_ink_on(_page(), strokes, BLACK_INK), sigma=6)
    fold = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.line(fold, (top, 0), (bottom, 479), 255, width, cv2.LINE_AA)  # through the writing
    page = (page * (1 - fold / 255 * (1 - shade / PAPER[0]))[..., None]).astype(np.uint8)
    cleaned = clean(page)
    assert _iou(cleaned.ink, strokes) > 0.98
    assert cv2.connectedComponents(cleaned.ink)[0] - 1 == 3  # no glyph is cut, no dash is left


def test_faint_pencil_crossing_a_darker_crease_is_not_cut() -> None:
    """A crease darker than the pencil crossing it: the pencil once set the ink's level (its
    strokes then binarised into dots), and painting the crease's whole band over cut each
    stroke it crossed in two."""
    strokes = _strokes("4-1", origin=(150, 300), scale=3, thickness=3)
    page = _noisy(_ink_on(_page(), strokes, (175, 175, 175)), sigma=3)
    fold = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.line(fold, (285, 0), (175, 479), 255, 3, cv2.LINE_AA)  # through the "-"
    page = (page * (1 - fold / 255 * (1 - 130 / PAPER[0]))[..., None]).astype(np.uint8)
    ink = clean(page).ink
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink)
    # No glyph is cut and no dash is left; the crease's blurred edge leaves single-pixel specks
    # here and there, which segmentation drops as dust.
    assert np.count_nonzero(stats[1:, cv2.CC_STAT_AREA] >= 4) == 3
    assert _iou(ink, strokes) > 0.8


def test_a_tall_one_in_a_tight_crop_is_not_a_crease() -> None:
    crop = np.full((200, 120, 3), 245, np.uint8)
    cv2.line(crop, (70, 4), (50, 195), BLACK_INK, 6)  # nearly the picture's full height
    one = clean(crop).ink[20:180]
    assert np.all(one.max(axis=1) == 255)


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



def test_small_faint_pencil_beside_a_lit_fold_is_not_inverted() -> None:
    """The polarity test works on a copy 256 px long. Averaged down to it, hairline pencil all
    but vanished, so the lit edge of a fold was the longest tail and the page was inverted
    (the writing lost). Pooled copies keep the strokes' contrast."""
    height, width = 960, 1280
    strokes = np.zeros((height, width), np.uint8)
    cv2.putText(strokes, "2+3=5", (420, 500), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 255, 1,
                cv2.LINE_AA)
    page = np.full((height, width), 200.0)
    cv2.line(page, (300, 0), (700, height - 1), 245, 4)  # the lit edge of a fold
    page -= (200 - 140) * (strokes / 255.0)  # pencil grey 140
    noise = np.random.default_rng(7).normal(0, 3, page.shape)
    ink = clean(np.clip(page + noise, 0, 255).astype(np.uint8)).ink
    drawn = strokes > 127
    assert np.count_nonzero(ink & drawn) > 0.9 * np.count_nonzero(drawn)
    assert np.count_nonzero(ink) < 1.3 * np.count_nonzero(drawn)
