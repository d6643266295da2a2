"""Robustness benchmark: random expressions composed from real handwritten symbols, photographed
under named conditions (faint pencil, shadows, creases, ruled paper, rotation, EXIF, ...).

    python -m benchmarks.composed --data ../shared/data [--n 40] [--seed 0] [--save /tmp/dir]

The handwriting is none the models trained on: digits from MNIST t10k, operators from the
BHMSDS test ids 1200-1499, the MDAS test split and the evaluation-only unseen-writer sets
(simepavlic, sagyamthapa). Only simepavlic has `( )`; `=` is two minus crops. Every condition
renders the same N expressions with the same crops and layout, so the rows can be compared.
Strokes are re-drawn along each crop's centre line, so pen width is a condition, not an accident
of how a set was scaled. Prints exact-expression accuracy per condition, the recognizer's own
milliseconds per image and every failure; --save writes the failing JPEGs (outside the repo).
"""

from __future__ import annotations

import argparse
import itertools
import struct
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import DEFAULT_DATA, machine
from recognizer.bench import Case, Outcome, summary_line
from recognizer.pipeline import load_models, recognize
from recognizer.training import datasets
from recognizer.training.glyphs import draw_paper

CONDITIONS = ("clean", "faint_pencil", "shadow", "crease", "lined", "squared", "rotated", "exif",
              "small_on_page", "wide", "thin", "jpeg", "pencil_photo", "pencil_notebook")
# Conditions that are several at once, as the hard cases among real photos are: a pencil note
# photographed in a hurry and held upright; pencil homework in a lined notebook, the page
# turned a little. Single conditions hide how their remedies interact.
COMBINED = {"pencil_photo": ("faint_pencil", "shadow", "rotated", "exif"),
            "pencil_notebook": ("faint_pencil", "lined", "rotated")}

REF = 80  # digit height (px) at which centre lines are traced; rendering rescales from here
PAD = 6  # ref px of margin around a traced glyph, room for wide pens

# Label character → (class in the symbol sets, size as a share of a digit's height (the width
# for minus), width/height restored for sets that stretch crops to fill the frame, anchor:
# "base" sits on the baseline, "mid" is centred half a digit above it).
_SYMBOLS = {
    "+": ("plus", (0.5, 0.75), (0.85, 1.15), "mid"),
    "-": ("minus", (0.45, 0.8), None, "mid"),
    "×": ("cross", (0.45, 0.7), (0.85, 1.15), "mid"),
    "*": ("asterisk", (0.45, 0.65), (0.85, 1.15), "mid"),
    "·": ("dot", (0.1, 0.16), (0.85, 1.15), "mid"),
    "÷": ("obelus", (0.55, 0.8), None, "mid"),
    "/": ("slash", (0.9, 1.2), (0.4, 0.65), "mid"),
    "(": ("lparen", (1.1, 1.35), (0.3, 0.45), "mid"),
    ")": ("rparen", (1.1, 1.35), (0.3, 0.45), "mid"),
    ".": ("dot", (0.1, 0.15), (0.85, 1.15), "base"),
    "x": ("letter_x", (0.5, 0.7), (0.85, 1.15), "base"),
}
_DOTS = (".", "·")  # drawn as filled discs at least their own size, whatever the pen
_OPERATORS = ("+", "-", "×", "÷", "/", "*", "·")
_OPERATOR_WEIGHTS = (0.25, 0.25, 0.17, 0.1, 0.13, 0.05, 0.05)
_TIGHT = "0123456789.x"  # symbols written close together: the digits of a number, 2x
_STRETCHED = ("bhmsds", "simepavlic")  # these sets stretch crops to the frame: aspect is lost


# ----------------------------------------------------------------- expressions


def random_expression(rng: np.random.Generator) -> str:
    """A valid expression of 3-12 symbols, written with the glyphs drawn: `23+4×(5-1)`,
    `(7-2)÷5`, `12/4-1`, `2x+3=11`, `3+4=`, `2(3+1)`; parentheses are sometimes nested."""
    while True:
        kind = rng.random()
        if kind < 0.12:
            coefficient = "" if rng.random() < 0.3 else str(rng.integers(2, 10))
            text = f"{coefficient}x{rng.choice(['+', '-'])}{_number(rng)}={_number(rng)}"
        elif kind < 0.2:
            text = _chain(rng, 0) + "="  # the answer left for the reader
        elif kind < 0.25:
            text = _number(rng) + "(" + _chain(rng, 1) + ")"  # implicit multiplication
        else:
            text = _chain(rng, 0)
        if 3 <= len(text) <= 12:
            return text


def _number(rng: np.random.Generator) -> str:
    if rng.random() < 0.08:
        return f"{rng.integers(0, 10)}.{rng.integers(1, 100 if rng.random() < 0.3 else 10)}"
    digits = int(rng.choice([1, 2, 3], p=[0.55, 0.35, 0.1]))
    return str(rng.integers(10 ** (digits - 1) if digits > 1 else 0, 10**digits))


def _chain(rng: np.random.Generator, depth: int) -> str:
    count = int(rng.integers(2, 5 if depth == 0 else 4))
    text = _operand(rng, depth)
    for _ in range(count - 1):
        text += str(rng.choice(_OPERATORS, p=_OPERATOR_WEIGHTS)) + _operand(rng, depth)
    return text


def _operand(rng: np.random.Generator, depth: int) -> str:
    if depth < 2 and rng.random() < 0.25:
        return "(" + _chain(rng, depth + 1) + ")"
    return _number(rng)


# ----------------------------------------------------------------- symbols


@dataclass(frozen=True)
class Crop:
    ink: np.ndarray  # bright ink on black, cropped to the ink
    stretched: bool  # the set stretched it to fill its frame


def load_symbols(data: Path) -> dict[str, list[Crop]]:
    """Digit and operator crops of the test splits and unseen-writer sets, by class."""
    bank: dict[str, list[Crop]] = defaultdict(list)
    images, labels = datasets.mnist(data, "t10k")
    for image, label in zip(images, labels, strict=True):
        bank[str(label)].append(Crop(_crop(image), False))
    sources: list[tuple[str, Iterator[datasets.Sample]]] = [
        ("bhmsds", datasets.bhmsds(data, test=True)),
        ("mdas", datasets.mdas(data, ("test",))),
        ("simepavlic", datasets.simepavlic(data)),
        ("sagyamthapa", datasets.sagyamthapa(data)),
    ]
    for source, samples in sources:
        for ink, name in samples:
            if name.isdigit():
                continue  # digits come from MNIST only
            if source == "bhmsds" and name == "cross":
                name = "letter_x"  # BHMSDS's only cross is the letter x
            if _usable(ink, name):
                bank[name].append(Crop(_crop(ink), source in _STRETCHED))
    return bank


def _usable(ink: np.ndarray, name: str) -> bool:
    """A ÷ whose dots stand apart from its bar (many 28-px MDAS crops have merged them), any
    dot, else most ink in one piece: drops crops carrying a neighbour's stroke or a scan line."""
    count, _, stats, _ = cv2.connectedComponentsWithStats((ink > 127).view(np.uint8))
    areas = stats[1:, cv2.CC_STAT_AREA]
    if name == "obelus":
        return count == 4
    return name == "dot" or (count > 1 and areas.max() >= 0.85 * areas.sum())


def _crop(ink: np.ndarray) -> np.ndarray:
    x, y, w, h = cv2.boundingRect(cv2.findNonZero((ink > 63).view(np.uint8)))
    return ink[y : y + h, x : x + w]


def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a boolean mask to its one-pixel centre line (topology kept)."""
    image = np.pad(mask, 1).astype(np.uint8)
    while True:
        removed = 0
        for step in (0, 1):
            p = image
            p2, p3, p4 = p[:-2, 1:-1], p[:-2, 2:], p[1:-1, 2:]
            p5, p6, p7 = p[2:, 2:], p[2:, 1:-1], p[2:, :-2]
            p8, p9 = p[1:-1, :-2], p[:-2, :-2]
            ring = (p2, p3, p4, p5, p6, p7, p8, p9, p2)
            neighbours = sum(n.astype(np.int32) for n in ring[:-1])
            transitions = sum(((a == 0) & (b == 1)).astype(np.int32)
                              for a, b in itertools.pairwise(ring))
            if step == 0:
                side = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                side = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            drop = (p[1:-1, 1:-1] == 1) & (neighbours >= 2) & (neighbours <= 6) & \
                (transitions == 1) & side
            image[1:-1, 1:-1][drop] = 0
            removed += int(drop.sum())
        if not removed:
            return image[1:-1, 1:-1].astype(bool)


def _trace(ink: np.ndarray, width: float, height: float, apart: bool) -> np.ndarray | None:
    """Distance (ref px) to the centre line of `ink` resized to width×height digit heights,
    with PAD px of margin; None when nothing of the crop survives.

    With `apart`, each piece is traced on its own, so the dots of ÷ never melt into its bar;
    otherwise the blur rejoins strokes that a crop's faint ink has broken."""
    size = (max(2, round(width * REF)), max(2, round(height * REF)))
    grown = size[0] * size[1] > ink.size
    # Round off the staircase of upscaled pixels: the more they grew, the wider the steps.
    sigma = max(1.0, 0.5 * max(size[0] / ink.shape[1], size[1] / ink.shape[0]))
    count, pieces, stats, _ = cv2.connectedComponentsWithStats((ink > 63).view(np.uint8))
    areas = stats[:, cv2.CC_STAT_AREA]
    kept = [p for p in range(1, count) if areas[p] >= 0.05 * areas[1:].max()]  # not specks
    skeleton = np.zeros((size[1] + 2 * PAD, size[0] + 2 * PAD), bool)
    for group in ([[p] for p in kept] if apart else [kept]):
        alone = np.isin(pieces, group).astype(np.float32)  # faint ink counts in full
        big = cv2.resize(alone, size, interpolation=cv2.INTER_CUBIC if grown else cv2.INTER_AREA)
        big = cv2.GaussianBlur(big, (0, 0), sigma)
        # Half way keeps the holes of loops open; shrinking greys thin strokes, so then less.
        binary = np.pad(big > (0.5 if grown else 0.3), PAD)
        line = thin(binary)
        if not line.any() and binary.any():  # thinning erases 2×2 blobs: keep a dot's centre
            ys, xs = np.nonzero(binary)
            line[round(ys.mean()), round(xs.mean())] = True
        skeleton |= line
    if not skeleton.any():
        return None
    return cv2.distanceTransform((~skeleton).view(np.uint8), cv2.DIST_L2, 5)


# ----------------------------------------------------------------- composing


@dataclass(frozen=True)
class Part:
    field: np.ndarray  # distance to the centre line at REF scale, PAD margin included
    left: float  # ink box relative to the symbol's left edge and the baseline, in digit heights
    top: float
    min_width: float  # pen width at least this share of a digit height (dots are discs)


@dataclass(frozen=True)
class Symbol:
    char: str
    parts: tuple[Part, ...]
    width: float  # digit heights
    gap: float  # 0..1: where in the condition's gap range the space before it falls
    lift: float  # baseline jitter, digit heights


@dataclass(frozen=True)
class Composed:
    """One expression's symbols and the random choices every condition shares."""

    text: str
    symbols: tuple[Symbol, ...]
    slope: float  # radians
    pen: float  # pen width as a share of a digit height
    ink: tuple[int, int, int]
    height: float  # digit height, px, on a ~1280 px photo
    small_height: float  # digit height, px, on the 2000 px page
    page: tuple[int, int]  # width, height
    place: tuple[float, float]  # where the expression sits in the free space, 0..1
    small_left: float


def compose(text: str, bank: dict[str, list[Crop]], rng: np.random.Generator) -> Composed:
    symbols = []
    for char in text:
        scale = rng.uniform(0.88, 1.12)
        if char == "=":
            bars = [_part("-", bank, rng, scale) for _ in range(2)]
            gap = rng.uniform(0.2, 0.35) * scale
            top = -0.5 - gap / 2 - bars[0][1]
            shift = rng.uniform(-0.05, 0.05)
            parts = (Part(bars[0][0], 0.0, top, 0.0),
                     Part(bars[1][0], max(0.0, shift), -0.5 + gap / 2, 0.0))
            width = max(bars[0][2], bars[1][2] + max(0.0, shift))
        else:
            field, h, w, min_width = _part(char, bank, rng, scale)
            anchor = "base" if char.isdigit() else _SYMBOLS[char][3]
            top = -h if anchor == "base" else -0.5 - h / 2
            parts, width = (Part(field, 0.0, top, min_width),), w
        symbols.append(Symbol(char, parts, width, rng.random(), rng.uniform(-0.06, 0.06)))
    landscape = rng.random() < 0.6
    page = (1280, int(rng.choice([720, 960]))) if landscape else (960, 1280)
    return Composed(text, tuple(symbols), np.radians(rng.uniform(-2, 2)),
                    rng.uniform(0.05, 0.1),
                    tuple(int(c) for c in rng.choice([(40, 40, 40), (120, 50, 30), (90, 30, 20)])),
                    rng.uniform(45, 90), rng.uniform(25, 40), page,
                    (rng.uniform(0.2, 0.8), rng.uniform(0.3, 0.7)), rng.uniform(0.05, 0.6))


def _part(char: str, bank: dict[str, list[Crop]],
          rng: np.random.Generator, scale: float) -> tuple[np.ndarray, float, float, float]:
    """A traced crop for `char`: (field, height, width in digit heights, min pen width)."""
    while True:
        if char.isdigit():
            crops, size, aspect = bank[char], (1.0, 1.0), None
        else:
            name, size, aspect, _ = _SYMBOLS[char]
            crops = bank[name]
        crop = crops[rng.integers(len(crops))]
        extent = rng.uniform(*size) * scale
        ratio = rng.uniform(*aspect) if crop.stretched and aspect else \
            crop.ink.shape[1] / crop.ink.shape[0]
        h, w = (extent / ratio, extent) if char == "-" else (extent, extent * ratio)
        if char == "-":
            h = min(h, 0.15)  # a stretched minus keeps its wobble, not its bar's height
        field = _trace(crop.ink, w, h, apart=char == "÷")
        if field is not None:
            return field, h, w, extent if char in _DOTS else 0.0


def layout(composed: Composed, wide: bool) -> tuple[list[tuple[Part, float, float]], float]:
    """Each part with its top-left in digit heights from the start of the baseline, and the
    expression's width. Digits of a number sit close, operators further; `wide` spaces all."""
    placed, x, previous = [], 0.0, ""
    for symbol in composed.symbols:
        if previous:
            tight = previous in _TIGHT and symbol.char in _TIGHT
            low, high = (0.7, 1.3) if wide else (0.04, 0.2) if tight else (0.15, 0.45)
            x += low + symbol.gap * (high - low)
        for part in symbol.parts:
            y = part.top + symbol.lift + np.tan(composed.slope) * x
            placed.append((part, x + part.left, y))
        x += symbol.width
        previous = symbol.char
    return placed, x


def render(placed: list[tuple[Part, float, float]], shape: tuple[int, int],
           origin: tuple[float, float], height: float, pen: float) -> np.ndarray:
    """Ink coverage 0..255 of the page (height, width): strokes `pen` px wide along each part's
    centre line, anti-aliased; `origin` is the start of the baseline in px."""
    mask = np.zeros(shape, np.float32)
    scale = height / REF
    for part, x, y in placed:
        fh, fw = part.field.shape
        size = (max(1, round(fw * scale)), max(1, round(fh * scale)))
        distance = cv2.resize(part.field, size, interpolation=cv2.INTER_LINEAR) * scale
        width = max(pen, part.min_width * height)
        alpha = np.clip(width / 2 + 0.5 - distance, 0, 1)
        # The layout keeps ink inside the page; clamping only guards the slicing below.
        left = max(0, round(origin[0] + x * height - PAD * scale))
        top = max(0, round(origin[1] + y * height - PAD * scale))
        region = mask[top : top + size[1], left : left + size[0]]
        np.maximum(region, alpha[: region.shape[0], : region.shape[1]], out=region)
    return (mask * 255).astype(np.uint8)


# ----------------------------------------------------------------- photographing


def photograph(composed: Composed, condition: str, rng: np.random.Generator) -> bytes:
    """JPEG bytes of the expression under `condition`, as a phone would send them."""
    effects = COMBINED.get(condition, (condition,))
    placed, span = layout(composed, wide="wide" in effects)
    if "small_on_page" in effects:
        page_w, page_h = 1500, 2000
        height = composed.small_height
        left = 80 + composed.small_left * max(0.0, page_w - 160 - span * height)
        baseline = rng.uniform(1.6, 4.0) * height + 40  # the top strip of the page
    else:
        page_w, page_h = composed.page
        height = min(composed.height, 0.85 * page_w / span)
        left = 0.07 * page_w + composed.place[0] * max(0.0, 0.86 * page_w - span * height)
        baseline = height * 1.5 + composed.place[1] * (page_h - height * 3)
    pen = max(1.5, composed.pen * height)
    ink = composed.ink
    if "thin" in effects:
        pen = rng.uniform(1.0, 2.0)
    if "faint_pencil" in effects:
        pen = rng.uniform(1.5, 2.5)
        grey = int(rng.uniform(140, 175))
        ink = (grey, grey, grey)
    mask = render(placed, (page_h, page_w), (left, baseline), height, pen)
    if "faint_pencil" in effects:  # graphite leaves grain: the stroke is patchy
        grain = cv2.GaussianBlur(rng.uniform(0.45, 1.0, mask.shape).astype(np.float32), (0, 0), 1)
        mask = (mask * grain).astype(np.uint8)
    background = next((e for e in effects if e in ("lined", "squared")), "plain")
    step = offset = None
    if "lined" in effects:  # writing on the line, as most people do
        step = round(height * rng.uniform(1.3, 1.7))
        offset = round(baseline + height * rng.uniform(-0.05, 0.2)) % step
    if "squared" in effects:
        step = round(height * rng.uniform(0.55, 0.9))
    image = draw_paper(mask, rng, background, "shadow" if "shadow" in effects else "even", ink,
                       rule_step=step, rule_offset=offset)
    if "shadow" in effects:
        image = _shade(image, (left, baseline - height, span * height, height), rng)
    if "crease" in effects:
        image = _crease(image, (left, span * height), rng)
    if "rotated" in effects:
        angle = rng.uniform(3, 8) * rng.choice([-1, 1])
        matrix = cv2.getRotationMatrix2D((page_w / 2, page_h / 2), angle, 1.0)
        image = cv2.warpAffine(image, matrix, (page_w, page_h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
    quality = 88  # about what Telegram re-encodes photos at
    if "jpeg" in effects:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.8, 1.3))
        quality = 35
    if "exif" in effects:
        orientation = int(rng.choice([6, 8]))
        stored = cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE if orientation == 6
                            else cv2.ROTATE_90_CLOCKWISE)
        return with_orientation(_jpeg(stored, quality), orientation)
    return _jpeg(image, quality)


def _shade(image: np.ndarray, text: tuple[float, float, float, float],
           rng: np.random.Generator) -> np.ndarray:
    """A hard shadow edge (a phone or hand) crossing the text, and vignetting."""
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    x0, y0, tw, th = text
    cx, cy = x0 + rng.uniform(0.2, 0.8) * tw, y0 + rng.uniform(0, 1) * th
    angle = rng.uniform(0, np.pi)
    side = (xs - cx) * np.sin(angle) - (ys - cy) * np.cos(angle)
    edge = cv2.GaussianBlur((side > 0).astype(np.float32), (0, 0), rng.uniform(2, 6))
    light = 1 - rng.uniform(0.2, 0.35) * edge
    radius = ((xs - w / 2) ** 2 + (ys - h / 2) ** 2) / ((w / 2) ** 2 + (h / 2) ** 2)
    light *= 1 - rng.uniform(0.15, 0.3) * radius
    return np.clip(image * light[..., None], 0, 255).astype(np.uint8)


def _crease(image: np.ndarray, text: tuple[float, float],
            rng: np.random.Generator) -> np.ndarray:
    """A fold across the page through the text: a thin dark line, a lit edge beside it and
    a brightness step between the two halves."""
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    x0, tw = text
    cx, cy = x0 + rng.uniform(0.15, 0.85) * tw, h / 2
    tilt = rng.uniform(-0.5, 0.5)  # radians from vertical
    side = (xs - cx) * np.cos(tilt) - (ys - cy) * np.sin(tilt)
    light = np.where(side > 0, rng.uniform(0.86, 0.94), 1.0).astype(np.float32)
    width = rng.uniform(0.8, 1.8)
    light *= 1 - rng.uniform(0.25, 0.45) * np.exp(-(side / width) ** 2)
    light *= 1 + 0.06 * np.exp(-((side + 2.5 * width) / width) ** 2)
    return np.clip(image * light[..., None], 0, 255).astype(np.uint8)


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def with_orientation(jpeg: bytes, orientation: int) -> bytes:
    """The JPEG with an EXIF APP1 segment after SOI holding only the Orientation tag (0x0112),
    as phones store portrait photos: the viewer must rotate them."""
    entry = struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)  # tag, SHORT, count 1, value
    tiff = b"MM\x00\x2a" + struct.pack(">IH", 8, 1) + entry + b"\0\0\0\0"  # one IFD, no next
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


# ----------------------------------------------------------------- running


def run(data: Path, n: int, seed: int, save: Path | None) -> dict[str, list[Outcome]]:
    bank = load_symbols(data)
    outcomes: dict[str, list[Outcome]] = defaultdict(list)
    for index in range(n):
        rng = np.random.default_rng([seed, index])
        text = random_expression(rng)
        composed = compose(text, bank, rng)
        for number, condition in enumerate(CONDITIONS):
            photo = photograph(composed, condition, np.random.default_rng([seed, index, number]))
            recognition = recognize(photo)
            case = Case(Path(f"{condition}-{index:03d}.jpg"), text, "", condition, condition)
            outcome = Outcome(case, recognition, recognition.ms)
            outcomes[condition].append(outcome)
            if save and not outcome.exact:
                save.mkdir(parents=True, exist_ok=True)
                (save / case.path.name).write_bytes(photo)
    return outcomes


def report(outcomes: dict[str, list[Outcome]], n: int, seed: int) -> None:
    print(f"machine: {machine()}")
    print(f"{n} composed expressions × {len(CONDITIONS)} conditions, seed {seed}; "
          "ms = the recognizer's own time per image, models preloaded")
    for condition in CONDITIONS:
        print(summary_line(condition, outcomes[condition]))
    print(summary_line("all", [o for c in CONDITIONS for o in outcomes[c]]))
    print("-- failures (as written → read | result or error)")
    for condition in CONDITIONS:
        for o in outcomes[condition]:
            if not o.exact:
                r = o.recognition
                print(f"{o.case.path.name:22s} {o.case.expected:14s} → "
                      f"{r.expression!s:16s} | {r.result or r.error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=40, help="expressions per condition")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", type=Path, help="write the failing JPEGs here (not the repo)")
    args = parser.parse_args()
    if not (args.data / "mnist" / "t10k-images-idx3-ubyte.gz").is_file():
        raise SystemExit(f"No symbol sets at {args.data}: the data set is absent. "
                         "Pass --data or set MATHSNAP_DATA.")
    load_models()
    report(run(args.data, args.n, args.seed, args.save), args.n, args.seed)


if __name__ == "__main__":
    main()
