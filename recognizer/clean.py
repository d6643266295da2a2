"""Turn a photo into an ink mask: flatten the lighting, binarise, paint over creases, deskew, and
drop ruled lines.

Only thresholding and the final touches run at full resolution. The paper's light, the polarity,
the creases, the skew and the ruled lines are found on small copies (long side about 256 or
512 px), so cleaning a 1280×960 photo costs about as much CPU as decoding its JPEG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from recognizer.normalize import max_pooled

_WORK_SIDE = 256  # long side of the grey copy used for the paper's light and the polarity
_POOLED_SIDE = 512  # long side of the block-pooled copy used for the skew and ruled lines
# Closing kernels for the paper's light on the work copy. The wide one, 1/10 of a shrunk photo's
# long side, is wider than the ink of pictures already smaller than the work side (a 100 px
# canvas with a 20 px marker digit); the narrow one erases strokes up to 45 px wide at 1280 px.
_WIDE_KERNEL = 27
_NARROW_KERNEL = 9
_THICK_INK = 40  # grey levels: what the narrow closing leaves of a marker stroke, not of shadows
_PAPER_STEP = 15  # the paper's light is smoothed across steps smaller than this, not larger
_PAPER_LEVEL = 230  # flattened paper is about 255; darker pixels are ink, grid or stroke edges
_INK_SHARE = 0.6  # threshold = ink level + this share of the way up to paper white
_INK_THRESHOLD_RANGE = (100, 215)  # clamp: paper noise stays above 215
# A threshold this high means the ink's own level is above 105 of 255: graphite, or pen in an
# overexposed photo. Ballpoint and marker sit darker, their strokes even enough to threshold.
_FAINT_THRESHOLD = 195
_NOISE_LEVEL = 8  # grey levels of paper texture and sensor noise
_LINE_MARGIN = 30  # on a ruled line or a crease, ink must be this much darker than it...
_FAINT_MARGIN = 12  # ... or this much where it joins such ink: a line's own noise rarely gets there
# Half the length, in pooled pixels (a tenth of the pooled long side), of the stretch of a line
# its darkness is averaged over, so that it follows the light and the focus along the line.
_LEVEL_REACH = 48
_LEVEL_SPREAD = 15  # a line's middle this much darker than the lines around it is ink on it
_LEVEL_RANGE = 30  # the lines of a page are at most this much darker than their median
_RULE_TILT_DEGREES = 4.0  # lines tilted less than this are found before the page is deskewed
_MIN_SKEW_DEGREES = 1.0
_MAX_SKEW_DEGREES = 15.0
_MIN_RULE_TILT = 0.3  # degrees: ruled lines tilted less stay within 3 px across 640 px
_MAX_RULE_RISE = 0.3  # a line spanning the page rises less than this share of its width (17°)
_ON_LINE_SHARE = 0.6  # of a ruled line's part, the rest being writing that touches it
# Width, in pooled pixels, of the band painted over a crease: its shadow and Hough's error.
_CREASE_WIDTH = 5
_CREASE_RISE = 0.36  # a crease rises at least this much per step across: 20 degrees from level
_LINE_ASPECT = 8  # a ruled line's part is at least this many times longer than it is thick


@dataclass(frozen=True)
class Cleaned:
    ink: np.ndarray  # uint8 mask, 255 = ink, 0 = background
    angle: float  # degrees applied counter-clockwise (OpenCV convention); 0.0 when not rotated


@dataclass(frozen=True)
class Rules:
    """Masks of the ruled lines on the pooled copy, 255 on a line."""

    horizontal: np.ndarray
    vertical: np.ndarray

    @property
    def both(self) -> np.ndarray:
        return cv2.bitwise_or(self.horizontal, self.vertical)

    @property
    def widened(self) -> np.ndarray:
        """Both masks with the lines' blurred edges: a pooled pixel wider on each side."""
        return cv2.dilate(self.both, np.ones((3, 3), np.uint8))

    @property
    def found(self) -> bool:
        return bool(self.horizontal.any() or self.vertical.any())


def clean(image: np.ndarray) -> Cleaned:
    """Binarise a grey (or BGR) photo of handwriting into an ink mask, deskewed and without ruled
    lines. A blank page gives an (almost) empty mask; this never raises for odd content.
    """
    # Luminance keeps blue and red ballpoint dark while light-blue grid lines stay pale.
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    flat = _flatten(gray)
    factor = max(1, math.ceil(max(flat.shape) / _POOLED_SIDE))
    darkest = _min_pooled(flat, factor)
    rules = _find_rules(darkest, flat.shape, factor)
    threshold, faint = _threshold(flat, rules, factor)
    pooled_ink = _below(darkest, threshold)
    # Creases go first: they would tip the text line too.
    if _erase_creases(flat, darkest, pooled_ink, threshold, factor, rules):
        # A crease darker than faint pencil set the ink's level: read it again without it.
        threshold, faint = _threshold(flat, rules, factor)
        darkest = _min_pooled(flat, factor)
        pooled_ink = _below(darkest, threshold)
    # On lined paper the writing sits on the lines. Long and straight, they give the page's
    # tilt far more exactly than the text line's few symbols; and a line left tilted by a
    # degree is not removed well. (Writing may run across squared paper's grid at an angle.)
    lined = rules.horizontal.any() and not rules.vertical.any()
    # Lines tilted so far that they break into short runs are not found; but several long,
    # straight parts at one slope are such lines (the writing that touches them is not).
    tilted = None if rules.found else _rules_angle(_below(darkest, _PAPER_LEVEL - 1), min_count=2)
    angle = _rules_angle(rules.horizontal, min_count=1) if lined else tilted
    if angle is None:
        # Bits of squared paper left beside the symbols would tip the fitted text line.
        angle = _skew_angle(cv2.subtract(pooled_ink, rules.both))
    if angle:
        # Nearest-pixel rotation costs less than half of a smooth one; its one-pixel stair steps
        # do not matter to the classifier.
        flat = _rotate(flat, angle, cv2.INTER_NEAREST, border=255)
        darkest = _min_pooled(flat, factor)
        # The lines moved; but a page without lines before a small rotation has none after it.
        if rules.found or tilted or abs(angle) > _RULE_TILT_DEGREES:
            rules = _find_rules(darkest, flat.shape, factor)
    ink = _below(flat, threshold)
    if faint:
        # Graphite grain, or a marker's dry streaks washed out by the light, leaves patches
        # lighter than the threshold in the strokes, and in a shadow or on a blurred photo
        # whole stretches of a stroke are: take in everything darker than paper that is joined
        # to the ink (hysteresis thresholding), but never a ruled line, which the ink crosses
        # and which is darker than paper all along.
        not_paper = _below(flat, _PAPER_LEVEL)
        if rules.found:
            not_paper = cv2.subtract(not_paper, _full_size(rules.widened, factor, flat.shape))
        ink = _joined(ink, not_paper)
    if rules.found:
        ink = _remove_rules(ink, flat, darkest, rules, factor)
    return Cleaned(ink=ink, angle=angle)


def _threshold(flat: np.ndarray, rules: Rules, factor: int) -> tuple[int, bool]:
    """The grey level at and below which a pixel is ink, and whether the ink is faint (pencil,
    a washed-out photo) and its strokes should be grown into the pixels darker than paper."""
    threshold = _ink_threshold(flat)
    if rules.found and threshold >= _INK_THRESHOLD_RANGE[1]:
        # As light as a grid: a dense grid outnumbered the writing among the dark pixels, so read
        # the ink's level away from the lines.
        threshold = _ink_threshold(flat, _off_rules(rules, factor, flat.shape))
    # On ruled paper only ink at the ceiling is grown: the lines' bits that are left over, darker
    # than paper too, would join the writing they touch.
    faint = threshold == _INK_THRESHOLD_RANGE[1] or (
        threshold >= _FAINT_THRESHOLD and not rules.found)
    # THRESH_BINARY_INV marks pixels <= threshold as ink.
    return threshold - 1, faint


def _erase_creases(flat: np.ndarray, darkest: np.ndarray, pooled_ink: np.ndarray,
                   threshold: int, factor: int, rules: Rules) -> bool:
    """Paint over with paper, in place, straight lines crossing the whole picture at a slant:
    a fold or crease in the paper, a page edge; True if there were any. They are looked for
    among everything clearly darker than paper, where a faint crease that the ink threshold
    breaks into dashes is still one line. Writing never spans the picture edge to edge; level
    lines (a fraction bar in a tight crop) and the ruled lines, removed later with care for the
    strokes crossing them, are left alone."""
    pooled = _below(darkest, (threshold + _PAPER_LEVEL) // 2)
    if rules.found:  # not creases, and so many pixels that Hough would take long over them
        pooled = cv2.subtract(pooled, rules.widened)
    height, width = pooled.shape
    margin = max(2, min(height, width) // 30)
    top, bottom = cv2.countNonZero(pooled[:margin]), cv2.countNonZero(pooled[-margin:])
    left, right = cv2.countNonZero(pooled[:, :margin]), cv2.countNonZero(pooled[:, -margin:])
    if not (top and bottom) and not (left and right):  # nothing reaches across: the usual case
        return False
    shortest = int(0.9 * min(height, width))
    # Widened, a crease that runs between two columns (or rows) of pixels gets all its votes.
    widened = cv2.dilate(pooled, np.ones((3, 3), np.uint8))
    lines = cv2.HoughLinesP(widened, 1, np.pi / 360, threshold=shortest // 3,
                            minLineLength=shortest, maxLineGap=max(3, shortest // 15))
    if lines is None:
        return False
    creases = np.zeros(flat.shape, np.uint8)
    for x0, y0, x1, y1 in lines.reshape(-1, 4).astype(int):
        dx, dy = abs(x1 - x0), abs(y1 - y0)
        across = dy >= 0.9 * height if dy > dx else dx >= 0.9 * width  # edge to edge
        if not across or dy < _CREASE_RISE * dx or _on_rules(rules, (x0, y0), (x1, y1)):
            continue  # short, or within 20 degrees of level, or a ruled line
        # Hough's segment may stop short of the edges where the crease fades.
        start, end = _refitted(pooled, *_to_edges((x0, y0), (x1, y1), pooled.shape))
        line = np.zeros_like(pooled)
        cv2.line(line, start, end, 255, _CREASE_WIDTH)
        # The writing beside a crease is far shorter than it; in a tight crop the tall stroke
        # is the writing (a "1"), with nothing or something as tall beside it.
        rest = cv2.subtract(pooled_ink, line)
        if not rest.any() or cv2.boundingRect(rest)[3] >= 0.5 * dy:
            continue
        cv2.line(creases, (start[0] * factor, start[1] * factor),
                 (end[0] * factor, end[1] * factor), 255, _CREASE_WIDTH * factor)
    if not creases.any():
        return False
    # Hough finds a crease several times over, a little apart: all are painted at once.
    _paint_creases(flat, creases, factor)
    return True


def _paint_creases(flat: np.ndarray, creases: np.ndarray, factor: int) -> None:
    """Paint the creases over with paper, in place, but for the strokes crossing them: there
    they are clearly darker than the crease itself, or lie beside the crease's dark middle."""
    # Creases are slanted by at least 20 degrees, so each row crosses each of them: the darkest
    # pixel of a row's run across one is the crease's middle, or a stroke where one crosses.
    rows, columns = np.nonzero(creases)
    under = flat[rows, columns]
    starts = np.flatnonzero((np.diff(rows, prepend=-1) != 0) | (np.diff(columns, prepend=-2) != 1))
    lowest = np.repeat(np.minimum.reduceat(under, starts), np.diff(starts, append=len(under)))
    level = float(np.median(lowest[starts]))
    # The band is as wide as Hough's error on the pooled copy; the crease itself is a few
    # pixels wide. Only its middle and whatever is as dark as the crease are painted, so that
    # faint pencil crossing it keeps all but the pixels on the crease.
    middle = np.zeros_like(creases)
    middle[rows[under == lowest], columns[under == lowest]] = 255
    middle = cv2.dilate(middle, np.ones((1, 2 * factor + 3), np.uint8))
    paint = (middle[rows, columns] > 0) | (under <= level + 2 * _NOISE_LEVEL)
    flat[rows, columns] = np.where(paint & (under >= level - _LINE_MARGIN), 255, under)


def _refitted(pooled: np.ndarray, start: tuple[int, int],
              end: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """The crease from ``start`` to ``end`` fitted again to the pixels of ``pooled`` near it.
    Hough's angle step (half a degree) can leave its line a few pixels off the crease at one
    end, where the crease's dashes would be left beside the band painted over."""
    near = np.zeros_like(pooled)
    cv2.line(near, start, end, 255, 3 * _CREASE_WIDTH)
    points = cv2.findNonZero(cv2.bitwise_and(pooled, near))
    if points is None:
        return start, end
    # Huber's fit: the strokes crossing the crease do not tip it.
    vx, vy, x0, y0 = cv2.fitLine(points, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    if abs(vy) < _CREASE_RISE * abs(vx):  # drawn to something else, nearly level
        return start, end
    return _to_edges((x0, y0), (x0 + vx, y0 + vy), pooled.shape)


def _to_edges(start: tuple[float, float], end: tuple[float, float],
              shape: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """The slanted line through two points, from the picture's top edge to its bottom edge."""
    (x0, y0), (x1, y1) = start, end
    run = (x1 - x0) / (y1 - y0)
    bottom = shape[0] - 1
    return (round(x0 - y0 * run), 0), (round(x0 + (bottom - y0) * run), bottom)


def _on_rules(rules: Rules, start: tuple[int, int], end: tuple[int, int]) -> bool:
    """Does the pooled segment from start to end mostly run along a ruled line?"""
    if not rules.found:
        return False
    near = rules.widened
    points = np.linspace(start, end, 9).round().astype(int)
    return int(np.count_nonzero(near[points[:, 1], points[:, 0]])) >= 5


def deskewed(image: np.ndarray, angle: float) -> np.ndarray:
    """The picture rotated like the ink mask of ``clean(image)`` (whose ``angle`` this is), to
    draw the symbols' boxes on."""
    if not angle:
        return image
    return _rotate(image, angle, cv2.INTER_LINEAR, border=(255, 255, 255))


def _below(gray: np.ndarray, threshold: float) -> np.ndarray:
    """255 where ``gray <= threshold``, else 0."""
    return cv2.threshold(gray, threshold, 255, cv2.THRESH_BINARY_INV)[1]


def _shrink(gray: np.ndarray, long_side: int) -> np.ndarray:
    """A smoothed copy about ``long_side`` long: block means over a whole number of pixels, then
    a bilinear step for the rest. (INTER_AREA at a fractional factor gives nearly the same copy
    but costs 8× more: 0.5 ms from 640 px.)"""
    height, width = gray.shape
    scale = long_side / max(height, width)
    if scale >= 1.0:
        return gray
    block = min(int(1 / scale), height, width)  # a strip 8 px high stays a pixel high
    if block >= 2:  # INTER_AREA's fast path needs sides that are exact multiples of the block
        gray = gray[: height - height % block, : width - width % block]
        gray = cv2.resize(gray, (width // block, height // block), interpolation=cv2.INTER_AREA)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_LINEAR)


def _min_pooled(gray: np.ndarray, factor: int) -> np.ndarray:
    """Each output pixel is the darkest of a factor×factor block: thin strokes are never lost."""
    if factor == 1:
        return gray
    block_min = cv2.erode(gray, np.ones((factor, factor), np.uint8), anchor=(0, 0))
    return np.ascontiguousarray(block_min[::factor, ::factor])


def _flatten(gray: np.ndarray) -> np.ndarray:
    """Divide by the paper brightness: paper becomes 255 and ink stays dark, whatever the light."""
    small = _shrink(gray, _WORK_SIDE)
    # The polarity is judged on pooled copies, in which strokes far thinner than a pixel of the
    # small copy (pencil on a whole page) keep their contrast.
    factor = max(1, math.ceil(max(gray.shape) / _WORK_SIDE))
    if _is_light_on_dark(_min_pooled(gray, factor), max_pooled(gray, factor)):
        gray, small = cv2.bitwise_not(gray), cv2.bitwise_not(small)
    # The wide closing takes out even a marker's strokes, but it also fills any valley in the
    # light narrower than itself. At the foot of a shadow's edge, where the shadow brightens
    # away from the edge, that leaves a band read as a stroke. A narrow closing follows the
    # light closely and takes out all but thick strokes; the wide one is used only where the
    # narrow one left such ink.
    wide = _closed_within(small, _WIDE_KERNEL)
    narrow = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((_NARROW_KERNEL,) * 2, np.uint8))
    paper = np.where(cv2.subtract(wide, narrow) > _THICK_INK, wide, narrow)
    # At half the work side, a median takes out thin light lines (the lit edge of a fold) that
    # the closing kept, and a bilateral filter evens out the closing's blocks; both keep a
    # shadow's hard edge, which a plain blur would smear into a dark band read as a stroke.
    paper = _shrink(paper, max(paper.shape) // 2)
    paper = cv2.medianBlur(paper, 5)
    paper = cv2.bilateralFilter(paper, 5, _PAPER_STEP, 5)
    paper = cv2.resize(paper, gray.shape[::-1], interpolation=cv2.INTER_LINEAR)
    # In place: full-size buffers fewer to allocate and fault in.
    cv2.max(paper, 1, dst=paper)
    return cv2.divide(gray, paper, dst=paper, scale=255)


def _closed_within(small: np.ndarray, size: int) -> np.ndarray:
    """A closing wider than any stroke: it erases the ink and leaves the paper's light and
    shadows. A square is 8× cheaper than a disc here; the smoothing after it rounds the corners.
    Beyond the edges the paper is taken to go on as it is along them: a plain closing brings the
    lighter paper from a kernel further in out to the edge, and the darker edges of a vignetted
    page would be read as ink. Along an edge, a closing a kernel long but only 3 px across
    takes out the ink and lines that cross it."""
    pad = size // 2
    along_rows = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((3, size), np.uint8))
    along_columns = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((size, 3), np.uint8))
    padded = cv2.copyMakeBorder(along_rows, pad, pad, 0, 0, cv2.BORDER_REPLICATE)
    padded = cv2.copyMakeBorder(padded, 0, 0, pad, pad, cv2.BORDER_REPLICATE)
    padded[pad:-pad, :pad] = along_columns[:, :1]
    padded[pad:-pad, -pad:] = along_columns[:, -1:]
    kernel = np.ones((size, size), np.uint8)
    padded[pad:-pad, pad:-pad] = cv2.dilate(small, kernel)
    return cv2.erode(padded, kernel)[pad:-pad, pad:-pad]


def _is_light_on_dark(darkest: np.ndarray, lightest: np.ndarray) -> bool:
    """True for blackboards and white-on-black canvases, given the picture min- and max-pooled.

    Most of the picture is background and ink is the minority, so after removing the broad
    light (a blur a third of the picture wide: shadows, vignetting) the ink forms a long tail on
    one side of the median: below it for dark ink, above it for light ink. The median or border
    brightness alone would be fooled by a big shadow or a dark table around the page. Dark ink
    is looked for in the darkest pixels and light ink in the lightest, where even a hairline
    keeps its contrast; a shadow's edge, wider than a pooled pixel, is in both. Light must
    win clearly: on a page of smooth light alone the two tails are about equal.
    """
    return _tail(lightest, lighter=True) > _tail(darkest, lighter=False) + _NOISE_LEVEL


def _tail(small: np.ndarray, lighter: bool) -> float:
    """How far the 0.1% of pixels that stand out most (lighter or darker) stand out from the
    median, once the broad light is taken away."""
    size = max(3, max(small.shape) // 3)
    broad = cv2.blur(small, (size, size))
    # The percentiles are read from the histogram of the detail (small - broad, -255..255),
    # ~5× faster than np.percentile's partial sorts. It is counted as the detail's positive and
    # negative parts: uint8 images, which calcHist counts fast.
    above = cv2.calcHist([cv2.subtract(small, broad)], [0], None, [256], [0, 256]).ravel()
    below = cv2.calcHist([cv2.subtract(broad, small)], [0], None, [256], [0, 256]).ravel()
    zero = above[0] + below[0] - small.size  # each part's bin 0 also counts the other part
    counts = np.concatenate((below[:0:-1], [zero], above[1:]))
    # 0.1% and 99.9%: ink can be this sparse.
    darkest, middle, lightest = _percentiles(counts, -255, (0.1, 50, 99.9))
    return lightest - middle if lighter else middle - darkest


def _percentiles(counts: np.ndarray, first: int, percents: tuple[float, ...]) -> list[float]:
    """np.percentile (linear interpolation) of the integers counted in ``counts``, whose bin 0
    counts the value ``first``: the same floats, computed as numpy (>= 1.22) does, but without
    sorting the values."""
    cumulative = np.cumsum(counts)
    n = int(cumulative[-1])
    results = []
    for percent in percents:
        q = percent / 100
        virtual = (n - 1) * q  # the sorted position numpy interpolates at
        below = min(max(math.floor(virtual), 0), n - 1)
        above = min(below + 1, n - 1)
        # The k-th smallest value is in the first bin whose cumulative count exceeds k.
        low, high = (first + int(i) for i in np.searchsorted(cumulative, (below, above), "right"))
        gamma = virtual - below
        step = high - low
        results.append(low + step * gamma if gamma < 0.5 else high - step * (1 - gamma))
    return results


def _off_rules(rules: Rules, factor: int, shape: tuple[int, int]) -> np.ndarray:
    """Every other pixel of the full-size picture, 255 where it is away from the ruled lines."""
    near = _full_size(rules.widened, factor, shape)
    return cv2.bitwise_not(np.ascontiguousarray(near[::2, ::2]))


def _full_size(pooled: np.ndarray, factor: int, shape: tuple[int, int]) -> np.ndarray:
    """A pooled mask or level map blown back up to the picture's ``shape``."""
    pooled = cv2.resize(pooled, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)
    return np.ascontiguousarray(pooled[: shape[0], : shape[1]])


def _ink_threshold(flat: np.ndarray, off_rules: np.ndarray | None = None) -> int:
    """Grey level below which a flattened pixel is ink: a fixed share of the way to the paper.

    The ink's own level is read among the pixels clearly darker than paper (2nd percentile, so a
    few specks do not set it), which makes the threshold follow faint pencil as well as marker.
    Faint grid lines and blurred stroke edges, closer to the paper, stay above it. `off_rules`
    (from `_off_rules`) leaves the lines of ruled paper out.
    """
    every_other = flat[::2, ::2]  # a quarter of the pixels gives the same histogram shape
    histogram = cv2.calcHist([every_other], [0], off_rules, [_PAPER_LEVEL],
                             [0, _PAPER_LEVEL]).ravel()
    total = histogram.sum()
    if total == 0:  # nothing darker than paper: any threshold gives an empty mask
        return _INK_THRESHOLD_RANGE[0]
    ink_level = int(np.searchsorted(np.cumsum(histogram), 0.02 * total))
    threshold = round(ink_level + _INK_SHARE * (255 - ink_level))
    low, high = _INK_THRESHOLD_RANGE
    return min(max(threshold, low), high)


def _skew_angle(pooled: np.ndarray) -> float:
    """Angle that levels the text line, or 0.0 unless the symbols clearly line up along a slope.

    The line is fitted through the centres of the symbol-sized blobs (Theil–Sen: the median of the
    pairwise slopes, so an exponent or a stray mark does not tip it). It is trusted only with at
    least three symbols spread along the line and lying close to it: a short expression like
    ``7`` or ``2+`` has no direction, and a stack of lines has no single one.
    """
    _, _, stats, _ = _components(pooled)
    x, y, width, height, area = stats[1:].T
    symbol = width < pooled.shape[1] / 2  # a long ruled line is not a symbol
    if not symbol.any():
        return 0.0
    symbol &= area >= 0.2 * area[symbol].max()  # dots, noise and grid specks are not either
    if np.count_nonzero(symbol) < 3:
        return 0.0
    centre_x = x[symbol] + width[symbol] / 2
    centre_y = y[symbol] + height[symbol] / 2
    symbol_height = _median(height[symbol])
    if np.ptp(centre_x) < 2.5 * symbol_height:
        return 0.0
    # Every ordered pair: each slope twice (a/b = -a/-b exactly), which leaves the median as it
    # is and costs less than picking the pairs i < j.
    run = centre_x[None, :] - centre_x[:, None]
    apart = np.abs(run) >= symbol_height / 2  # never a symbol with itself
    if not apart.any():
        return 0.0
    slope = _median((centre_y[None, :] - centre_y[:, None])[apart] / run[apart])
    offsets = centre_y - slope * centre_x
    if _median(np.abs(offsets - _median(offsets))) > 0.25 * symbol_height:
        return 0.0
    angle = round(math.degrees(math.atan(slope)), 1)
    return angle if _MIN_SKEW_DEGREES < abs(angle) <= _MAX_SKEW_DEGREES else 0.0


def _rules_angle(lines: np.ndarray, min_count: int) -> float | None:
    """Angle that levels ruled lines (0.0 if they are level within _MIN_RULE_TILT), or None
    unless at least ``min_count`` parts of the pooled mask ``lines`` span half its width and
    lie along a straight line, at slopes within a degree: the median of their fits."""
    # Rejoined across the steps of a tilted line, each line is one part. Its outline runs
    # along both edges, so a line fitted to it is the line's own; tracing outlines costs a
    # fraction of labelling the pixels.
    widened = cv2.dilate(lines, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(widened, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    width = lines.shape[1]
    tilts = []
    for contour in contours:
        _, _, w, h = cv2.boundingRect(contour)
        if w < width / 2 or h > _MAX_RULE_RISE * width:
            continue  # short, or a blob (a shadow, squared paper's whole grid)
        points = contour.reshape(-1, 2).astype(np.float32)
        # Fitted again without the points off the first fit: writing touching a line tips it a
        # little (a robust M-estimator such as Huber's costs ten times more).
        vx, vy, x0, y0 = cv2.fitLine(points, cv2.DIST_L2, 0, 0.01, 0.01).ravel()
        on_line = np.abs((points[:, 0] - x0) * vy - (points[:, 1] - y0) * vx) <= 3
        if np.mean(on_line) >= _ON_LINE_SHARE:
            vx, vy, _, _ = cv2.fitLine(points[on_line], cv2.DIST_L2, 0, 0.01, 0.01).ravel()
            # fitLine's direction may point either way along the line.
            tilts.append((math.degrees(math.atan2(vy, vx)) + 90) % 180 - 90)
    if len(tilts) < min_count or np.ptp(tilts) > 1.0:
        return None
    angle = round(float(np.median(tilts)), 1)
    return angle if _MIN_RULE_TILT <= abs(angle) <= _MAX_SKEW_DEGREES else 0.0


def _median(values: np.ndarray) -> float:
    """np.median of a short array, the same float ~10× faster: sorting a few dozen values costs
    less than np.median's partition and mean."""
    ordered = np.sort(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (float(ordered[middle - 1]) + float(ordered[middle])) / 2


def _components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """cv2.connectedComponentsWithStats, 8-connected. BBDT gives the same labels as the default
    (Spaghetti) but, with statistics, in about 40% of the time (OpenCV 5.0, 0.4 → 0.15 ms)."""
    return cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_BBDT)


def _rotate(image: np.ndarray, angle: float, interpolation: int, border: int | tuple) -> np.ndarray:
    """Rotate about the centre, growing the canvas so no corner of the picture is cut off."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_width = math.ceil(width * cos + height * sin)
    new_height = math.ceil(width * sin + height * cos)
    matrix[0, 2] += (new_width - width) / 2
    matrix[1, 2] += (new_height - height) / 2
    return cv2.warpAffine(
        image,
        matrix,
        (new_width, new_height),
        flags=interpolation,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=border,
    )


def _find_rules(darkest: np.ndarray, shape: tuple[int, int], factor: int) -> Rules:
    """Ruled and squared-paper lines: thin straight runs spanning most of the image.

    Handwritten ``-``, ``=``, fraction bars and ``1`` are far shorter than the page. The lines
    are looked for in ``darkest`` (the flattened picture min-pooled ``factor`` times) among
    everything darker than paper, where even faint lines are unbroken.
    """
    height, width = shape
    long_side = max(height, width)
    pooled = _below(darkest, _PAPER_LEVEL - 1)
    run = max(3, max(15, long_side // 32) // factor)
    # A rule spans most of the picture, and is long next to its long side too: in a tight crop of
    # an expression, a "1" can be as tall as the picture. Ruled paper shows at least two lines;
    # one long bar alone is more likely a fraction bar or a minus.
    horizontal = _long_lines(pooled, run, max(width, 0.8 * long_side) / 2 / factor, min_count=2)
    # Squared paper has many vertical lines; one or two tall straight strokes are more likely "1"s.
    vertical = _long_lines(pooled.T, run, max(height, 0.8 * long_side) / 2 / factor, min_count=3)
    return Rules(horizontal, np.ascontiguousarray(vertical.T))


def _remove_rules(
    ink: np.ndarray, flat: np.ndarray, darkest: np.ndarray, rules: Rules, factor: int
) -> np.ndarray:
    """Erase the ruled lines from the ink. On a line, ink stays where it is clearly darker than
    the line there, or where a stroke continues on both sides of it.
    """
    level = _full_size(_line_level(darkest, rules), factor, ink.shape)
    on_rules = cv2.compare(level, 255, cv2.CMP_LT)
    on_line = cv2.bitwise_and(ink, on_rules)
    kept = cv2.bitwise_or(cv2.subtract(ink, on_rules), _darker(on_line, flat, level, _LINE_MARGIN))
    # A faint stroke running along a line is only a little darker than the line: keep it where
    # it joins the ink kept so far.
    kept = _joined(kept, _darker(on_line, flat, level, _FAINT_MARGIN))
    if not rules.vertical.any():
        kept = _without_slivers(kept, rules.horizontal, factor)
    # Re-fill a pixel on a line where the stroke continues on both sides of the line: above and
    # below a horizontal line, left and right of a vertical one. Closing along the line instead
    # would re-fill the line itself between dark specks.
    span = 4 * factor + 5
    bridge_v = cv2.morphologyEx(kept, cv2.MORPH_CLOSE, np.ones((span, 1), np.uint8))
    bridge_h = cv2.morphologyEx(kept, cv2.MORPH_CLOSE, np.ones((1, span), np.uint8))
    bridges = cv2.bitwise_or(
        cv2.bitwise_and(bridge_v, _full_size(rules.horizontal, factor, ink.shape)),
        cv2.bitwise_and(bridge_h, _full_size(rules.vertical, factor, ink.shape)),
    )
    return cv2.bitwise_or(kept, cv2.bitwise_and(bridges, on_line))


def _without_slivers(kept: np.ndarray, horizontal: np.ndarray, factor: int) -> np.ndarray:
    """``kept`` without the blurred edges of ruled lines: in the rows beside a line where it
    covers too little of a pooled pixel to be found, its edge is still ink for faint pencil.
    There, ink stays only as part of a stroke reaching beyond. (Not for squared paper: there
    it gained nothing, and the lines lie so close that a stroke's piece between two of them
    could be taken for a sliver.)"""
    beside = cv2.subtract(cv2.dilate(horizontal, np.ones((3, 1), np.uint8)), horizontal)
    beside = _full_size(beside, factor, kept.shape)
    return _joined(cv2.subtract(kept, beside), cv2.bitwise_and(kept, beside))


def _darker(mask: np.ndarray, flat: np.ndarray, level: np.ndarray, margin: int) -> np.ndarray:
    """The pixels of ``mask`` more than ``margin`` darker than ``level``."""
    return cv2.bitwise_and(mask, cv2.compare(flat, cv2.subtract(level, margin), cv2.CMP_LT))


def _joined(seeds: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """``seeds`` together with the pixels of ``extra`` connected to them. ``extra`` is
    overwritten: callers pass a mask made for the call.

    Lean on memory, as it runs on whole pages read at up to 2560 px, in both recognition
    threads at once: labels only within the box of what there is to label, 16-bit where they
    suffice (OpenCV refuses, rather than wraps, beyond 65,535 components), and the union and
    the result written over ``extra``'s buffer.
    """
    union = cv2.bitwise_or(seeds, extra, dst=extra)
    x, y, width, height = cv2.boundingRect(union)
    box, seeds = union[y : y + height, x : x + width], seeds[y : y + height, x : x + width]
    if box.size == 0:
        return union
    try:
        count, labels = cv2.connectedComponents(box, connectivity=8, ltype=cv2.CV_16U)
    except cv2.error:
        count, labels = cv2.connectedComponents(box, connectivity=8, ltype=cv2.CV_32S)
    if count <= 256:
        # As bytes, the labels are counted under the seeds without a mask of their own, and a
        # table lookup costs a quarter of indexing with wider labels.
        labels = cv2.convertScaleAbs(labels, dst=box)
        under_seeds = cv2.calcHist([labels], [0], seeds, [256], [0, 256]).ravel()
        touched = np.where(under_seeds > 0, 255, 0).astype(np.uint8)
        touched[0] = 0
        cv2.LUT(labels, touched, dst=box)
    else:
        touched = np.zeros(count, np.uint8)
        touched[labels[seeds > 0]] = 255
        touched[0] = 0
        np.take(touched, labels, out=box, mode="clip")  # "clip": written unbuffered
    return union


def _line_level(darkest: np.ndarray, rules: Rules) -> np.ndarray:
    """Grey level of the lines at each pixel of the pooled copy (255 off the lines).

    Lines are darker where the photo is sharper or the print heavier, and the vertical lines of
    squared paper often differ from the horizontal ones, so one level for the whole page is too
    light for some lines and too dark for others. Neighbouring lines differ too: on fine squared
    paper read at half size, a line that falls on one row of pixels is far darker than one split
    over two. So a line's level is the average of its own middles (the darkest pixel across the
    line, not its blurred edges) over a stretch of it; the window is 5 pixels across, so a stroke
    running beside a line, which the line's mask may take in, is measured with the line.
    """
    level = np.full(darkest.shape, 255, np.float32)
    along = 2 * _LEVEL_REACH + 1
    for lines, across, window in ((rules.horizontal, (3, 1), (along, 5)),
                                  (rules.vertical, (1, 3), (5, along))):
        middle = cv2.compare(darkest, cv2.erode(darkest, np.ones(across, np.uint8)), cv2.CMP_LE)
        middle = cv2.bitwise_and(lines, middle)
        if not middle.any():
            continue
        mean = _local_mean(darkest, middle, window)
        # Ink lying on the lines pulls the average down: average again without it.
        middle = cv2.bitwise_and(middle, _at_least(darkest, mean - _LEVEL_SPREAD))
        mean = _local_mean(darkest, middle, window)
        # Nor can a stroke alone set it (a fraction bar far from the ruled lines is no line).
        mean = np.maximum(mean, float(np.median(darkest[middle > 0])) - _LEVEL_RANGE)
        # Where lines cross, both darken the pixel.
        level = np.where(lines > 0, level * mean / 255, level)
    return level.astype(np.uint8)


def _local_mean(values: np.ndarray, mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Average of ``values`` under ``mask`` in a window of ``size`` (width, height) around each
    pixel; 255 where the window has none."""
    count = cv2.boxFilter(mask // 255, cv2.CV_32F, size, normalize=False)
    total = cv2.boxFilter(cv2.bitwise_and(values, mask), cv2.CV_32F, size, normalize=False)
    return np.divide(total, count, out=np.full_like(total, 255), where=count > 0)


def _at_least(values: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """255 where ``values >= bound``, else 0."""
    return (values >= bound).astype(np.uint8) * 255


def _long_lines(mask: np.ndarray, run: int, min_length: float, min_count: int) -> np.ndarray:
    """Mask of thin horizontal lines at least ``min_length`` long, built from straight runs.

    Runs are found with an opening by a short horizontal segment, so lines tilted by a few
    degrees or broken by faint spots are still found once neighbouring runs are linked: along the
    row, and to runs one or two rows away (the steps of a tilted line). A stroke running beside a
    line a little farther away stays apart, and is not erased with it.
    """
    runs = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, run), np.uint8))
    # Runs cover at least half of a line (linking bridges gaps shorter than a run): with fewer
    # run pixels than that there are no lines, and labelling them (the costly step) is skipped.
    if cv2.countNonZero(runs) < min_count * min_length / 2:
        return np.zeros_like(mask)
    linked = cv2.dilate(runs, np.ones((2, run), np.uint8))
    # Most pages have no lines, which the outer contours' boxes tell at a third of the cost of
    # labelling. Only outlines at least 2 × min_length long can belong to that wide a part.
    contours, _ = cv2.findContours(linked, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    boxes = [cv2.boundingRect(c) for c in contours if len(c) >= 2 * min_length - 2]
    if sum(h * _LINE_ASPECT <= w and w >= min_length for _, _, w, h in boxes) < min_count:
        return np.zeros_like(mask)
    _, labels, stats, _ = _components(linked)
    line_width, line_height = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    thin = line_height * _LINE_ASPECT <= line_width
    thin[0] = False  # background
    # A tilted line near the top or bottom edge leaves the picture part of the way across.
    top = stats[:, cv2.CC_STAT_TOP]
    cut_off = (top == 0) | (top + line_height >= mask.shape[0])
    is_line = thin & ((line_width >= min_length) | (cut_off & (line_width >= min_length / 4)))
    return cv2.bitwise_and(runs, (is_line.astype(np.uint8) * 255)[labels])
