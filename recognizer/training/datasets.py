"""Loaders for the symbol sets in ../shared/data, mapped to our classes as ink masks.

Every loader yields (ink, class name) with ink bright on dark, before normalisation, so that
augmentation and `normalize_symbol` treat every source the same way.
"""

from __future__ import annotations

import gzip
import json
import re
import tarfile
import zipfile
from collections.abc import Collection, Iterator
from pathlib import Path

import cv2
import numpy as np

Sample = tuple[np.ndarray, str]

BHMSDS_CLASSES = {**{d: d for d in "0123456789"}, "dot": "dot", "minus": "minus",
                  "plus": "plus", "slash": "slash", "x": "cross", "y": "y"}
MDAS_CLASSES = {"addition_plus": "plus", "division_obelus": "obelus", "division_slash": "slash",
                "multiplication_cross": "cross", "multiplication_dot": "dot",
                "subtraction_minus": "minus"}
SIMEPAVLIC_CLASSES = {"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4",
                      "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
                      "plus": "plus", "minus": "minus", "multiply": "asterisk", "divide": "slash",
                      "left_bracket": "lparen", "right_bracket": "rparen"}
SAGYAMTHAPA_CLASSES = {"add": "plus", "sub": "minus", "mul": "cross", "div": "slash"}
# UNIPEN labels we have classes for. Its `x` is the letter (often looped), our "cross" class;
# `.` is left out: normalised alone to 28×28, a pen's dot is a scribble (the layout decides dots
# by size). Only the lowercase `y`: most of its `Y`s are capitals, a stem under a fork.
UNIPEN_CLASSES = {**{d: d for d in "0123456789"}, "+": "plus", "-": "minus", "*": "asterisk",
                  "/": "slash", "(": "lparen", ")": "rparen", "=": "equals", "x": "cross",
                  "y": "y"}
UNIPEN_PATH = Path("symbols") / "unipen" / "unipen_symbols.ndjson.gz"
Strokes = list[np.ndarray]  # each (points, 2) float x, y (y down), in the tablet's units


def mnist(data: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """MNIST images (N, 28, 28) white on black and labels, split "train" or "t10k"."""
    with gzip.open(data / "mnist" / f"{split}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(data / "mnist" / f"{split}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return images, labels


def bhmsds(data: Path, test: bool) -> Iterator[Sample]:
    """BHMSDS: ids 0–1199 for training, 1200–1499 the test split. Dark ink on light paper."""
    with tarfile.open(data / "symbols" / "bhmsds.tar.gz") as tar:
        for member in tar:
            match = re.search(r"symbols/(\w+)-(\d+)\.png$", member.name)
            if not match or match[1] not in BHMSDS_CLASSES:
                continue
            if (int(match[2]) >= 1200) != test or int(match[2]) >= 1500:
                continue
            yield _ink(tar.extractfile(member).read(), dark_ink=True), BHMSDS_CLASSES[match[1]]


def mdas(data: Path, splits: tuple[str, ...]) -> Iterator[Sample]:
    """MDAS symbols_partitioned/{train,val,test}. White ink on black."""
    with zipfile.ZipFile(data / "symbols" / "mdas" / "mdas_symbols_v1.zip") as archive:
        for name in archive.namelist():
            match = re.search(r"symbols_partitioned/(\w+)/(\w+)/[^/]+\.png$", name)
            if match and match[1] in splits and match[2] in MDAS_CLASSES:
                yield _ink(archive.read(name), dark_ink=False), MDAS_CLASSES[match[2]]


def simepavlic(data: Path) -> Iterator[Sample]:
    """Photo crops of one writer (evaluation only: no licence). White on black."""
    yield from _tar_folders(data / "symbols" / "simepavlic_photo_symbols.tar.gz",
                            SIMEPAVLIC_CLASSES, dark_ink=False)


def sagyamthapa(data: Path) -> Iterator[Sample]:
    """Kaggle operators of many writers (evaluation only: no licence). Dark on light."""
    yield from _tar_folders(data / "symbols" / "sagyamthapa_operators.tar.gz",
                            SAGYAMTHAPA_CLASSES, dark_ink=True)


def unipen(data: Path, split: str,
           classes: Collection[str] | None = None) -> Iterator[tuple[Strokes, str, str]]:
    """UNIPEN pen strokes as (strokes, class name, writer); split "train" or "test" (60 writers
    none of whose samples is in "train"), only of `classes` if given. Render them with
    `render_strokes`."""
    with gzip.open(data / UNIPEN_PATH, "rt", encoding="utf-8") as lines:
        for line in lines:
            sample = json.loads(line)
            name = UNIPEN_CLASSES.get(sample["label"])
            wanted = name is not None and (classes is None or name in classes)
            if sample["split"] != split or not wanted:
                continue
            strokes = [np.asarray(s, np.float32).reshape(-1, 2) for s in sample["strokes"] if s]
            if strokes and _plausible(strokes, name):
                yield strokes, name, sample["writer"]


def _plausible(strokes: Strokes, name: str) -> bool:
    """Drops the label noise a contact sheet shows: an asterisk or plus missing strokes (left a
    lone bar that would teach `1` or `-` to be an operator), a minus or `=` that is not flat, a
    slash or bracket wider than tall."""
    points = np.concatenate(strokes)
    width, height = np.ptp(points[:, 0]) + 1, np.ptp(points[:, 1]) + 1
    if name in ("asterisk", "plus"):
        return len(strokes) >= 2 and 0.4 <= height / width <= 2.5
    if name == "minus":
        return height <= 0.4 * width
    if name == "equals":
        return height <= width
    if name == "slash":
        return height >= 0.8 * width
    if name in ("lparen", "rparen"):
        return height >= 1.5 * width
    return True


def render_strokes(strokes: Strokes, side: float, pen: int) -> np.ndarray:
    """Ink mask (bright on black) of pen strokes scaled so their longer side is `side` px,
    aspect ratio kept, drawn `pen` px wide with anti-aliasing."""
    points = np.concatenate(strokes)
    low = points.min(axis=0)
    extent = float(max(np.ptp(points[:, 0]), np.ptp(points[:, 1]), 1.0))
    scale = side / extent
    margin = pen + 2
    size = np.ceil((points.max(axis=0) - low) * scale).astype(int) + 2 * margin + 1
    canvas = np.zeros((size[1], size[0]), np.uint8)
    shift = 4  # cv2 draws with sub-pixel precision in 1/16 px
    for stroke in strokes:
        line = np.round(((stroke - low) * scale + margin) * (1 << shift)).astype(np.int32)
        if len(line) == 1 or np.ptp(line, axis=0).max() == 0:
            cv2.circle(canvas, tuple(int(v) for v in line[0]), max(1, pen // 2) << shift, 255,
                       -1, cv2.LINE_AA, shift)
        else:
            cv2.polylines(canvas, [line], False, 255, pen, cv2.LINE_AA, shift)
    return canvas


def _tar_folders(path: Path, classes: dict[str, str], dark_ink: bool) -> Iterator[Sample]:
    with tarfile.open(path) as tar:
        for member in tar:
            parts = member.name.split("/")
            if member.isfile() and len(parts) >= 3 and parts[-2] in classes:
                yield _ink(tar.extractfile(member).read(), dark_ink), classes[parts[-2]]


def _ink(blob: bytes, dark_ink: bool) -> np.ndarray:
    """Decode an image file to a binarised ink mask (bright ink), transparency as paper."""
    image = cv2.imdecode(np.frombuffer(blob, np.uint8), cv2.IMREAD_UNCHANGED)
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = image[..., 3:4].astype(np.float32) / 255
        image = (image[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if dark_ink:
        image = 255 - image
    _, mask = cv2.threshold(image, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return mask


def collect(samples: Iterator[Sample]) -> tuple[list[np.ndarray], list[str]]:
    inks, names = [], []
    for ink, name in samples:
        inks.append(ink)
        names.append(name)
    return inks, names

