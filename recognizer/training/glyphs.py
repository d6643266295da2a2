"""Handwriting-like glyphs drawn with OpenCV: synthetic training symbols and test photos.

Operators and parentheses are drawn as jittered strokes; digits use OpenCV's Hershey stroke
fonts. Nothing here imports TensorFlow, so tests and the sample photo can use it too.
"""

from __future__ import annotations

import cv2
import numpy as np

# Strokes in a unit box (x right, y down); an entry is a polyline or ("dot", cx, cy, r).
Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 12) -> Stroke:
    angles = np.linspace(np.radians(a0), np.radians(a1), n)
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in angles]


def _strokes(name: str, rng: np.random.Generator) -> tuple[list, float]:
    """Strokes of one operator glyph and its height as a fraction of a digit's height."""
    j = lambda s=0.08: rng.uniform(-s, s)  # noqa: E731 - tiny jitter helper
    if name == "plus":  # the bars often cross off-centre
        across, down = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7)
        return [[(0.0 + j(), down + j()), (1.0 + j(), down + j())],
                [(across + j(), 0.0 + j()), (across + j(), 1.0 + j())]], rng.uniform(0.45, 0.75)
    if name == "minus":
        return [[(0.0, 0.5 + j(0.1)), (0.5, 0.5 + j(0.05)), (1.0, 0.5 + j(0.1))]], 0.08
    if name == "cross":
        if rng.random() < 0.35:  # cursive x: a reversed c and a c, crossing or back to back
            left_end = rng.uniform(0.35, 0.55)  # where the reversed c's bulge reaches
            right_start = left_end - rng.uniform(0.0, 0.2)
            c_height = rng.uniform(0.3, 0.5)  # the c is often smaller and sits low
            c_centre = 1.0 - c_height
            return [_arc(0.05, 0.5, left_end - 0.05, 0.5, -110 + j(20), 100 + j(15)),
                    _arc(1.0, c_centre, 1.0 - right_start, c_height, 95 + j(10), 270 + j(15))], \
                rng.uniform(0.45, 0.7)
        return [[(0.0 + j(), 0.0 + j()), (1.0 + j(), 1.0 + j())],
                [(1.0 + j(), 0.0 + j()), (0.0 + j(), 1.0 + j())]], rng.uniform(0.45, 0.7)
    if name == "asterisk":
        arms = rng.choice([3, 3, 4])
        start = rng.uniform(0, np.pi)
        lines = []
        for k in range(arms):
            a = start + k * np.pi / arms + j(0.15)
            dx, dy = 0.5 * np.cos(a), 0.5 * np.sin(a)
            lines.append([(0.5 - dx + j(0.05), 0.5 - dy + j(0.05)), (0.5 + dx, 0.5 + dy)])
        return lines, rng.uniform(0.4, 0.65)
    if name == "dot":
        return [("dot", 0.5, 0.5, 0.5)], 0.12
    if name == "obelus":
        gap = rng.uniform(0.25, 0.4)
        return [[(0.0, 0.5 + j(0.05)), (1.0, 0.5 + j(0.05))],
                ("dot", 0.5 + j(), 0.5 - gap, 0.1), ("dot", 0.5 + j(), 0.5 + gap, 0.1)], \
            rng.uniform(0.5, 0.8)
    if name == "equals":
        top = [(0.0 + j(), 0.0 + j(0.1)), (1.0 + j(), 0.0 + j(0.1))]
        bottom = [(0.0 + j(), 1.0 + j(0.1)), (1.0 + j(), 1.0 + j(0.1))]
        gap = rng.uniform(0.2, 0.45)  # bar spacing as a fraction of a digit's height
        if rng.random() < 0.3:  # written in one stroke: a faint diagonal joins the bars (Z)
            return [top + bottom], gap
        return [top, bottom], gap
    if name == "flagged_one":  # the continental 1: a long up-stroke into the stem, maybe a foot
        top = (0.75 + j(0.05), 0.0)
        # The flag falls at 30-60 degrees and the stem stands upright: a 7's bar is level and
        # its stem leans.
        # Some writers make the flag almost as long as the stem.
        reach, drop = rng.uniform(0.3, 0.9), rng.uniform(0.3, 0.7)
        strokes = [[(top[0] - reach, drop), top, (top[0] + j(0.08), 1.0)]]
        if rng.random() < 0.3:
            strokes.append([(0.35 + j(), 1.0), (0.95 + j(), 1.0)])
        return strokes, rng.uniform(0.9, 1.05)
    if name == "looped_two":  # a 2 whose diagonal curls into a loop before the base
        loop_x, loop_r = rng.uniform(0.2, 0.3), rng.uniform(0.12, 0.2)
        base_y = 1.0 - loop_r
        return [[*_arc(0.5, 0.3, 0.45 + j(0.05), 0.3, 190 + j(15), 360 + j(10)),
                 (loop_x + loop_r, base_y - loop_r),
                 *_arc(loop_x, base_y, loop_r, loop_r, -30, -330, n=10),
                 (1.0 + j(0.05), base_y + j(0.05))]], rng.uniform(0.9, 1.05)
    if name == "crossed_seven":  # the continental 7: a level bar, a leaning stem, a cross-bar
        bar_y, lean = j(0.05), rng.uniform(0.2, 0.5)
        cross_y = rng.uniform(0.4, 0.6)
        cross_x = 1.0 - lean * cross_y  # where the stem passes at that height
        return [[(0.0 + j(), bar_y), (1.0 + j(0.05), bar_y + j(0.05)), (1.0 - lean, 1.0)],
                [(cross_x - rng.uniform(0.25, 0.4), cross_y + j(0.05)),
                 (cross_x + rng.uniform(0.15, 0.3), cross_y + j(0.05))]], rng.uniform(0.9, 1.05)
    if name == "slash":
        return [[(0.75 + j(0.2), 0.0), (0.25 + j(0.2), 1.0)]], rng.uniform(0.9, 1.2)
    if name == "lparen":
        bend = rng.uniform(0.25, 0.5)
        return [_arc(1.0, 0.5, bend + 0.5, 0.5, 115 + j(10), 245 + j(10))], rng.uniform(1.0, 1.3)
    if name == "rparen":
        bend = rng.uniform(0.25, 0.5)
        return [_arc(0.0, 0.5, bend + 0.5, 0.5, -65 + j(10), 65 + j(10))], rng.uniform(1.0, 1.3)
    if name == "sqrt":
        return _radical(rng)
    raise ValueError(f"no strokes for {name!r}")


def _radical(rng: np.random.Generator) -> tuple[list, float]:
    """√ in one stroke: maybe a short tick, down to the foot, up to the top and a bar over the
    radicand. x is in units of the glyph's height (the bar runs 0.8-5 digit widths, so no unit
    box fits); draw_glyph sizes the canvas to the strokes."""
    rel_height = rng.uniform(1.1, 1.5)
    digit_width = 0.65 / rel_height  # a digit is about 0.65 of its height wide
    start_y = rng.uniform(0.4, 0.7)  # where the down-stroke begins
    left = 0.3  # room for the tick and a leftward shear
    foot = (left + rng.uniform(0.08, 0.3), 1.0)  # the V's angle varies with this and the corner
    slant = rng.uniform(0.0, 0.08)  # the bar rises slightly to the right
    corner = (foot[0] + rng.uniform(0.15, 0.45), slant)
    end_x = corner[0] + rng.uniform(0.8, 5.0) * digit_width
    middle = ((corner[0] + end_x) / 2, slant / 2 + rng.uniform(-0.02, 0.02))  # a bar bows a little
    line = [(left, start_y), foot, corner, middle, (end_x, 0.0)]
    if rng.random() < 0.6:  # a short tick rising into the down-stroke
        length = rng.uniform(0.06, 0.15)
        line.insert(0, (left - length, start_y + length * rng.uniform(0.2, 0.8)))
    if rng.random() < 0.25:  # a hook down at the bar's end
        line.append((end_x + rng.uniform(-0.03, 0.02), rng.uniform(0.08, 0.18)))
    return [line], rel_height


OPERATOR_GLYPHS = ("plus", "minus", "cross", "asterisk", "dot", "obelus", "slash", "lparen",
                   "rparen", "equals", "sqrt")
# Digit shapes that MNIST's American writers rarely use, drawn as strokes: glyph → class.
DIGIT_VARIANTS = {"flagged_one": "1", "looped_two": "2", "crossed_seven": "7"}
_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX)
LETTERS = "abcy"  # drawn from the fonts like digits: worksheet labels (`a)`) and the unknown y


def draw_glyph(name: str, height: int, thickness: int, rng: np.random.Generator) -> np.ndarray:
    """Ink mask (white on black, tightly cropped) of one glyph; `height` is a digit's height."""
    if name.isdigit() or name in LETTERS:
        return _draw_digit(name, height, thickness, rng)
    strokes, rel_height = _strokes(name, rng)
    h = max(2.0, height * rel_height)
    w = h * {"dot": 1.0, "slash": 0.55, "lparen": 0.3, "rparen": 0.3,
             "flagged_one": 0.6, "looped_two": 0.75, "crossed_seven": 0.7}.get(name, 1.0)
    if name == "minus":
        w, h = height * rng.uniform(0.5, 0.9), max(1.0, thickness / 2)
    if name == "equals":
        w = height * rng.uniform(0.5, 0.9)
    if name == "dot":
        h = w = max(thickness * 1.6, height * rng.uniform(0.08, 0.16))
    pad = thickness + 2
    # A radical reaches past x = 1 (its bar); the 0.2 leaves room for the shear.
    span = (max(x for x, _ in strokes[0]) + 0.2) if name == "sqrt" else 1.0
    canvas = np.zeros((int(h) + 2 * pad + 1, int(w * span) + 2 * pad + 1), np.uint8)
    shear = rng.uniform(-0.2, 0.2)
    for stroke in strokes:
        if stroke[0] == "dot":
            _, cx, cy, r = stroke
            center = (round(pad + (cx + shear * (1 - cy)) * w), round(pad + cy * h))
            radius = max(1, round(r * h if name == "dot" else r * w + thickness / 2))
            cv2.circle(canvas, center, radius, 255, -1, cv2.LINE_AA)
            continue
        points = np.array([(pad + (x + shear * (1 - y)) * w, pad + y * h) for x, y in stroke])
        points += rng.normal(0, 0.01 * height, points.shape)
        cv2.polylines(canvas, [np.round(points).astype(np.int32)], False, 255, thickness,
                      cv2.LINE_AA)
    return _crop(canvas)


def _draw_digit(digit: str, height: int, thickness: int, rng: np.random.Generator) -> np.ndarray:
    font = _FONTS[rng.integers(len(_FONTS))]
    scale = height / 22.0
    (w, h), _ = cv2.getTextSize(digit, font, scale, thickness)
    pad = thickness + 4
    canvas = np.zeros((h + 2 * pad, w + 2 * pad), np.uint8)
    cv2.putText(canvas, digit, (pad, pad + h), font, scale, 255, thickness, cv2.LINE_AA)
    shear = rng.uniform(-0.25, 0.1)
    matrix = np.float32([[1, shear, -shear * canvas.shape[0] / 2], [0, 1, 0]])
    canvas = cv2.warpAffine(canvas, matrix, canvas.shape[::-1])
    return _crop(canvas)


def _crop(mask: np.ndarray) -> np.ndarray:
    points = cv2.findNonZero(mask)
    if points is None:
        return mask
    x, y, w, h = cv2.boundingRect(points)
    return mask[y : y + h, x : x + w]


# Characters of a drawn expression → glyph names; vertical placement relative to the digit box.
_CHAR_GLYPH = {"+": "plus", "-": "minus", "−": "minus", "×": "cross", "x": "cross",
               "*": "asterisk", "·": "dot", ".": "dot", "÷": "obelus", "/": "slash",
               "(": "lparen", ")": "rparen"}


def draw_expression(
    text: str,
    seed: int = 0,
    *,
    height: int = 60,
    thickness: int | None = None,
    background: str = "plain",
    light: str = "even",
    ink: tuple[int, int, int] = (40, 40, 40),
    line_pitch: float = 2.2,
) -> np.ndarray:
    """A photo-like BGR image of `text` handwritten on paper.

    `text` uses digits, `+ - × x * · . ÷ / ( ) =` and the letters a, b, c, y; `^` raises the
    next character as an exponent; a new line (`\n`) starts `line_pitch` digit heights lower,
    a space is half a digit wide. `background` is "plain", "lined" or "squared"; `light` is
    "even" or "shadow".
    """
    rng = np.random.default_rng(seed)
    thickness = thickness or max(2, round(height / 14))
    placed: list[tuple[np.ndarray, int, int]] = []  # (mask, x, y)
    x = right = height
    baseline = int(height * 2.2)
    raise_next = False
    for char in text:
        if char == "\n":
            x, baseline = height, baseline + int(height * line_pitch)
            continue
        if char == "^":
            raise_next = True
            continue
        size = int(height * 0.6) if raise_next else height
        bottom = baseline - (int(height * 0.55) if raise_next else 0)
        if char == "=":
            bar = draw_glyph("minus", size, thickness, rng)
            gap = int(size * rng.uniform(0.22, 0.32))
            mid = bottom - size // 2
            placed.append((bar, x, mid - gap // 2 - bar.shape[0]))
            bar2 = draw_glyph("minus", size, thickness, rng)
            placed.append((bar2, x + int(rng.integers(-3, 4)), mid + gap // 2))
            width = max(bar.shape[1], bar2.shape[1])
        elif char == " ":
            width = size // 2
        else:
            name = char if char.isdigit() or char in LETTERS else _CHAR_GLYPH[char]
            glyph = draw_glyph(name, size, thickness, rng)
            gh, width = glyph.shape
            if char == ".":
                top = bottom - gh
            elif char == "y":  # its tail hangs below the line
                top = bottom - int(0.7 * gh)
            elif char.isdigit() or char in "/()" or char in LETTERS:
                top = bottom - gh + (gh - size) // 2 if char in "()" else bottom - gh
            else:
                top = bottom - size // 2 - gh // 2
            placed.append((glyph, x, top + int(rng.integers(-2, 3))))
        x += width + int(size * rng.uniform(0.15, 0.35))
        right = max(right, x)
        raise_next = False
    page_w, page_h = right + height, baseline + height
    mask = np.zeros((page_h, page_w), np.uint8)
    for glyph, gx, gy in placed:
        gy = max(0, gy)
        region = mask[gy : gy + glyph.shape[0], gx : gx + glyph.shape[1]]
        np.maximum(region, glyph[: region.shape[0], : region.shape[1]], out=region)
    return draw_paper(mask, rng, background, light, ink)


def draw_paper(mask: np.ndarray, rng: np.random.Generator, background: str, light: str,
               ink: tuple[int, int, int], *, rule_step: int | None = None,
               rule_offset: int | None = None) -> np.ndarray:
    """BGR paper of the mask's size with `ink` where the mask (0-255) is bright.

    Ruled lines are `rule_step` px apart, the first horizontal one at row `rule_offset`; both
    are random (28-40 px, anywhere) when not given, which is what draw_expression relies on.
    """
    h, w = mask.shape
    paper = np.full((h, w, 3), rng.uniform(215, 245), np.float32)
    paper[..., 0] += rng.uniform(-10, 5)  # slightly warm or cool paper
    step = int(rng.uniform(28, 40)) if rule_step is None else rule_step
    line_colour = np.float32([200, 170, 150])  # faint blue (BGR)
    if background in ("lined", "squared"):
        first = int(rng.integers(5, step)) if rule_offset is None else rule_offset
        for y in range(first, h, step):
            paper[y : y + 2] = line_colour
    if background == "squared":
        for x in range(int(rng.integers(5, step)), w, step):
            paper[:, x : x + 2] = line_colour
    if light == "shadow":
        ramp = np.linspace(rng.uniform(0.45, 0.6), 1.0, w, dtype=np.float32)
        paper *= ramp[None, :, None]
    alpha = (mask.astype(np.float32) / 255)[..., None]
    image = paper * (1 - alpha) + np.float32(ink) * alpha * (paper / 235)
    image += rng.normal(0, 3, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def main(argv: list[str] | None = None) -> None:
    """Write a drawn sample photo: python -m recognizer.training.glyphs OUT.jpg TEXT [SEED]."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m recognizer.training.glyphs",
        description="Draw TEXT handwritten on lined paper with a shadow, as a photo (JPEG).")
    parser.add_argument("out", metavar="OUT.jpg", help="where to write the photo")
    parser.add_argument("text", metavar="TEXT",
                        help="digits and + - × x * · . ÷ / ( ) =; ^ raises the next character")
    parser.add_argument("seed", metavar="SEED", type=int, nargs="?", default=0,
                        help="the handwriting's random seed (default 0)")
    args = parser.parse_args(argv)
    image = draw_expression(args.text, args.seed, background="lined", light="shadow")
    cv2.imwrite(args.out, image, [cv2.IMWRITE_JPEG_QUALITY, 90])


if __name__ == "__main__":
    main()
