"""Isolated handwritten symbols by writers no model trained on, photographed alone on a page and
read by the whole recognizer.

    python -m benchmarks.symbols --data ../shared/data [--limit N] [--seed 0]
                                 [--part digits|operators|both]

digits: every MNIST t10k digit, enlarged to 60-90 px and written in dark ink on a ~640×480 page;
the read must be the digit. operators: every usable operator crop of the test splits (BHMSDS ids
1200-1499, MDAS test) and the evaluation-only sets (simepavlic, sagyamthapa) between two random
MNIST t10k digits, `D op D`, or `(D)` for a bracket with its own mirror image as the other one.
The whole expression must be read: `D+D`, `D-D`, `D*D` (× · *), `D/D` (÷ /), `(D)`.
Unlike benchmarks.composed, the crops keep their own strokes (only enlarged and smoothed), so
this measures the writers' symbols rather than re-drawn ones. Prints accuracy per digit, source
and class, the recognizer's own median ms per image and the commonest misreadings.
"""

from __future__ import annotations

import argparse
import difflib
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import DEFAULT_DATA, machine
from benchmarks.composed import _SYMBOLS, _crop, _usable
from recognizer.pipeline import load_models, recognize
from recognizer.training import datasets
from recognizer.training.glyphs import draw_paper

PAGE = (640, 480)  # width, height: about what the recognizer reads a photo at
DIGIT_HEIGHT = (60.0, 90.0)  # px
INKS = ((40, 40, 40), (120, 50, 30), (90, 30, 20))  # BGR: black, blue and dark blue pens
GAP = (0.15, 0.4)  # space between symbols, in digit heights
PAD = 2  # px of margin around an enlarged piece, room for its blurred edge
# Class → the character composed.py sizes it as (its _SYMBOLS row) and the canonical token.
GLYPH = {"plus": "+", "minus": "-", "cross": "×", "dot": "·", "asterisk": "*", "obelus": "÷",
         "slash": "/", "lparen": "(", "rparen": ")"}
CANONICAL = {"plus": "+", "minus": "-", "cross": "*", "dot": "*", "asterisk": "*",
             "obelus": "/", "slash": "/"}
STRETCHED = ("bhmsds", "simepavlic")  # these sets stretch crops to the frame: aspect is lost
# Operator classes each source contributes: BHMSDS's `cross` is the letter x; digits are MNIST's.
SOURCES = {"bhmsds": ("plus", "minus", "slash", "dot"),
           "mdas": ("plus", "obelus", "slash", "cross", "dot", "minus"),
           "simepavlic": ("plus", "minus", "asterisk", "slash", "lparen", "rparen"),
           "sagyamthapa": ("plus", "minus", "cross", "slash")}


def expected(name: str, left: int, right: int) -> str:
    """The canonical expression for operator class `name` between digits left and right."""
    if name in ("lparen", "rparen"):
        return f"({left})"
    return f"{left}{CANONICAL[name]}{right}"


# ----------------------------------------------------------------- drawing


def enlarge(ink: np.ndarray, width: float, height: float) -> np.ndarray:
    """Ink coverage 0-255 of `ink` (bright, cropped) resized to width×height px, smoothly: a
    cubic resize blurred by the growth and cut at half leaves round strokes, not the staircase
    of the small crop's pixels; a last light blur anti-aliases the edge as a camera would."""
    size = (max(1, round(width)), max(1, round(height)))
    growth = max(size[0] / ink.shape[1], size[1] / ink.shape[0])
    grown = growth > 1
    big = cv2.resize(ink.astype(np.float32) / 255, size,
                     interpolation=cv2.INTER_CUBIC if grown else cv2.INTER_AREA)
    if grown:
        big = cv2.GaussianBlur(big, (0, 0), max(0.5, 0.3 * growth))
    # Shrinking greys thin strokes: cut lower then, or they break.
    binary = np.pad((big > (0.5 if grown else 0.3)).astype(np.float32), PAD)
    return (cv2.GaussianBlur(binary, (0, 0), 0.7) * 255).astype(np.uint8)


def digit_ink(image: np.ndarray, height: float) -> np.ndarray:
    """An MNIST digit enlarged so its 20-px normalising box becomes `height` px: a wide digit
    stays as much lower than a tall one as its writer made it."""
    crop = _crop(image)
    scale = height / max(crop.shape)
    return enlarge(crop, crop.shape[1] * scale, crop.shape[0] * scale)


def operator_size(name: str, crop: np.ndarray, stretched: bool, height: float,
                  rng: np.random.Generator) -> tuple[float, float]:
    """(width, height) px of an operator next to digits `height` px tall, from composed.py's
    sizes; a stretched crop gets a plausible aspect back (a minus is flat whatever its crop)."""
    _, size, aspect, _ = _SYMBOLS[GLYPH[name]]
    extent = rng.uniform(*size) * height
    ratio = rng.uniform(*aspect) if stretched and aspect else crop.shape[1] / crop.shape[0]
    if name == "minus":  # the size is its width; a bar no thicker than a digit's stroke
        return extent, min(extent / ratio, 0.15 * height)
    return extent * ratio, extent


def compose(pieces: list[np.ndarray], mid: list[bool], height: float,
            rng: np.random.Generator) -> np.ndarray:
    """The pieces side by side on a PAGE mask, a fraction of a digit height apart, somewhere
    on the page: a digit stands on the baseline, a `mid` piece is centred half a digit above."""
    gaps = [rng.uniform(*GAP) * height for _ in pieces[1:]]
    span = sum(p.shape[1] for p in pieces) + sum(gaps)
    left = rng.uniform(0.1, 0.9) * (PAGE[0] - span)
    baseline = rng.uniform(0.35, 0.75) * PAGE[1]
    mask = np.zeros(PAGE[::-1], np.uint8)
    x = left
    for piece, centred, gap in zip(pieces, mid, [0.0, *gaps], strict=True):
        x += gap
        h, w = piece.shape
        top = baseline - height / 2 - h / 2 if centred else baseline - h + PAD
        region = mask[round(top) : round(top) + h, round(x) : round(x) + w]
        np.maximum(region, piece, out=region)
        x += w
    return mask


def photograph(mask: np.ndarray, rng: np.random.Generator) -> bytes:
    """JPEG bytes (q88, about Telegram's) of the mask in dark ink on plain, evenly lit paper."""
    ink = INKS[rng.integers(len(INKS))]
    image = draw_paper(mask, rng, "plain", "even", ink)
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 88])[1].tobytes()


def operator_photo(name: str, crop: np.ndarray, stretched: bool, left: np.ndarray,
                   right: np.ndarray, rng: np.random.Generator) -> tuple[bytes, np.ndarray]:
    """`left op right`, or `(left)` for a bracket drawn with its mirror image as the other
    one: the JPEG and the ink mask it was drawn from."""
    height = rng.uniform(*DIGIT_HEIGHT)
    width, tall = operator_size(name, crop, stretched, height, rng)
    op = enlarge(crop, width, tall)
    if name in ("lparen", "rparen"):
        mirror = cv2.flip(op, 1)
        opening, closing = (op, mirror) if name == "lparen" else (mirror, op)
        pieces, mid = [opening, digit_ink(left, height), closing], [True, False, True]
    else:
        pieces = [digit_ink(left, height), op, digit_ink(right, height)]
        mid = [False, True, False]
    mask = compose(pieces, mid, height, rng)
    return photograph(mask, rng), mask


# ----------------------------------------------------------------- running


@dataclass(frozen=True)
class Read:
    group: str  # digit, or source
    name: str  # digit, or operator class
    expected: str
    read: str  # the expression read, or the error
    ms: float

    @property
    def right(self) -> bool:
        return self.read == self.expected


def _read(photo: bytes) -> tuple[str, float]:
    recognition = recognize(photo)
    return recognition.expression or f"[{recognition.error}]", recognition.ms


def run_digits(data: Path, limit: int | None, seed: int) -> list[Read]:
    images, labels = datasets.mnist(data, "t10k")
    reads = []
    for index, (image, label) in enumerate(zip(images[:limit], labels[:limit], strict=True)):
        rng = np.random.default_rng([seed, index])
        ink = digit_ink(image, rng.uniform(*DIGIT_HEIGHT))
        mask = compose([ink], [False], ink.shape[0], rng)
        read, ms = _read(photograph(mask, rng))
        reads.append(Read(str(label), str(label), str(label), read, ms))
    return reads


def run_operators(data: Path, limit: int | None, seed: int) -> tuple[list[Read], int]:
    """The reads of the first `limit` usable crops of each source and class, and how many
    crops were dropped as unusable (a neighbour's stroke in the crop, a ÷ whose dots merged)."""
    images, labels = datasets.mnist(data, "t10k")
    loaders = {"bhmsds": datasets.bhmsds(data, test=True),
               "mdas": datasets.mdas(data, ("test",)),
               "simepavlic": datasets.simepavlic(data),
               "sagyamthapa": datasets.sagyamthapa(data)}
    reads, dropped = [], 0
    for number, (source, samples) in enumerate(loaders.items()):
        kept: Counter[str] = Counter()
        for index, (ink, name) in enumerate(samples):
            if name not in SOURCES[source] or (limit is not None and kept[name] >= limit):
                continue
            if not _usable(ink, name):
                dropped += 1
                continue
            kept[name] += 1
            rng = np.random.default_rng([seed, number, index])  # the same pairs with any limit
            a, b = rng.integers(len(labels), size=2)
            photo, _ = operator_photo(name, _crop(ink), source in STRETCHED, images[a],
                                      images[b], rng)
            read, ms = _read(photo)
            reads.append(Read(source, name, expected(name, labels[a], labels[b]), read, ms))
    return reads, dropped


# ----------------------------------------------------------------- reporting


def edits(expected: str, read: str) -> str:
    """What turned `expected` into `read`: `*→-` (a symbol misread), `+=` (one added), `-1`
    (one lost); an error is named whole."""
    if read.startswith("["):
        return read
    matcher = difflib.SequenceMatcher(None, expected, read, autojunk=False)
    return " ".join(f"-{expected[a:b]}" if op == "delete" else f"+{read[c:d]}" if op == "insert"
                    else f"{expected[a:b]}→{read[c:d]}"
                    for op, a, b, c, d in matcher.get_opcodes() if op != "equal")


def kind(expected: str, read: str) -> str:
    """Which part of the read went wrong, most serious first."""
    if read.startswith("["):
        return "no expression (an error)"
    matcher = difflib.SequenceMatcher(None, expected, read, autojunk=False)
    kept = {i for op, a, b, _, _ in matcher.get_opcodes() if op == "equal" for i in range(a, b)}
    if any(i not in kept for i, c in enumerate(expected) if not c.isdigit()):
        return "operator or bracket misread or lost"
    if len(kept) < len(expected):
        return "digit misread or lost"
    return "a symbol added (all written ones read right)"


def _line(name: str, reads: list[Read]) -> str:
    right = sum(r.right for r in reads)
    return f"{name:14s} n={len(reads):5d}  right {right:5d}  {100 * right / len(reads):5.1f}%"


def report(title: str, reads: list[Read], keys: dict[str, str], top: int | None) -> None:
    """Accuracy overall and per group of each key (Read field → heading), and misreadings."""
    ms = [r.ms for r in reads]
    print(f"== {title}: {len(reads)} images; recognizer median {statistics.median(ms):.1f} ms "
          f"per image (p95 {sorted(ms)[int(0.95 * (len(ms) - 1))]:.1f})")
    print(_line("all", reads))
    for key, heading in keys.items():
        groups: dict[str, list[Read]] = defaultdict(list)
        for r in reads:
            groups[getattr(r, key)].append(r)
        print(f"-- per {heading}")
        for name in sorted(groups):
            print(_line(name, groups[name]))
    wrong = Counter(f"{r.expected} → {r.read}" for r in reads if not r.right)
    print(f"-- misreadings (expected → read), {sum(wrong.values())} in all"
          + (f", top {top}" if top else ""))
    for misreading, count in wrong.most_common(top):
        print(f"{count:5d}  {misreading}")
    kinds = Counter(kind(r.expected, r.read) for r in reads if not r.right)
    print("-- what went wrong: " + "; ".join(f"{k} {n}" for k, n in kinds.most_common()))
    if top:  # whole reads rarely repeat when two digits vary: group by what went wrong
        changes = Counter(f"{r.name}: {edits(r.expected, r.read)}" for r in reads if not r.right)
        print(f"-- changes (class: expected → read, `+` added, `-` lost), top {top}")
        for change, count in changes.most_common(top):
            print(f"{count:5d}  {change}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int,
                        help="only the first N digits, and N usable crops of each source's class")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--part", choices=("digits", "operators", "both"), default="both")
    args = parser.parse_args()
    if not (args.data / "mnist" / "t10k-images-idx3-ubyte.gz").is_file():
        raise SystemExit(f"No symbol sets at {args.data}: the data set is absent. "
                         "Pass --data or set MATHSNAP_DATA.")
    load_models()
    print(f"machine: {machine()}")
    print(f"seed {args.seed}, limit {args.limit or 'none'}; ms = the recognizer's own time, "
          "models preloaded")
    if args.part in ("digits", "both"):
        start = time.perf_counter()
        reads = run_digits(args.data, args.limit, args.seed)
        print(f"ran {len(reads)} MNIST t10k digits in {time.perf_counter() - start:.0f} s")
        report("digits alone on a page", reads, {"name": "digit"}, None)
    if args.part in ("operators", "both"):
        start = time.perf_counter()
        reads, dropped = run_operators(args.data, args.limit, args.seed)
        print(f"ran {len(reads)} operator crops ({dropped} dropped as unusable) in "
              f"{time.perf_counter() - start:.0f} s")
        report("operators between digits", reads, {"group": "source", "name": "class"}, 15)


if __name__ == "__main__":
    main()
