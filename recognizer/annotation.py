"""Drawing what was read on the picture: a box around each symbol and its label beside it,
and on a page each problem's number to the left of its line.

Labels use the symbols the replies use (×, ÷, −); OpenCV's fonts have only ASCII, so those
three are drawn as strokes. Labels are placed where they cover neither another label nor a
symbol, and the picture grows a margin when the writing leaves no room for them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from recognizer.display import UNSURE_BELOW, symbol_text
from recognizer.types import SymbolRead

Box = tuple[int, int, int, int]  # x, y, w, h
SURE = (40, 160, 40)  # BGR green
UNSURE = (0, 140, 255)  # BGR orange
NUMBER = (150, 60, 0)  # BGR dark blue: a problem's number
MARGIN = (255, 255, 255)  # colour of the room added for labels
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_STROKED = ("×", "÷", "−")  # not in OpenCV's fonts


@dataclass(frozen=True)
class Label:
    text: str
    box: Box  # where the text is drawn, in the annotated picture
    colour: tuple[int, int, int]


def annotated(picture: np.ndarray, reads: Sequence[SymbolRead],
              numbers: Sequence[tuple[str, Box]] = ()) -> tuple[np.ndarray, list[Label]]:
    """A copy of the BGR picture with every symbol boxed and labelled, and the labels drawn;
    `numbers` are a page's problems, each number drawn left of its writing's box.

    Boxes are in the picture's pixels; sizes scale with the picture (as at 1000 px).
    """
    scale = max(picture.shape[:2]) / 1000
    font_scale = 0.8 * scale + 0.3
    thickness = max(1, round(2 * scale))
    gap = max(2, round(4 * scale))
    texts = [symbol_text(read.label) for read in reads]
    sizes = [_text_size(text, font_scale, thickness) for text in texts]
    symbols = [read.box for read in reads]
    height, width = picture.shape[:2]
    places = place_labels(symbols, sizes, gap, width, height)
    number_sizes = [_text_size(text, font_scale, thickness) for text, _ in numbers]
    number_places = [(x - 3 * gap - w, y + (h - nh) // 2, w, nh)
                     for (_, (x, y, _, h)), (w, nh) in zip(numbers, number_sizes, strict=True)]
    every = places + number_places
    top = max(0, -min((y for _, y, _, _ in every), default=0))
    bottom = max(0, max((y + h for _, y, _, h in every), default=0) - height)
    left = max(0, -min((x for x, _, _, _ in every), default=0))
    right = max(0, max((x + w for x, _, w, _ in every), default=0) - width)
    canvas = cv2.copyMakeBorder(picture, top, bottom, left, right, cv2.BORDER_CONSTANT,
                                value=MARGIN)
    labels = []
    for read, text, (x, y, w, h) in zip(reads, texts, places, strict=True):
        colour = SURE if read.confidence >= UNSURE_BELOW else UNSURE
        sx, sy, sw, sh = read.box
        cv2.rectangle(canvas, (sx + left, sy + top), (sx + sw + left, sy + sh + top), colour,
                      thickness)
        label = Label(text, (x + left, y + top, w, h), colour)
        _draw_text(canvas, label, font_scale, thickness)
        labels.append(label)
    for (text, _), (x, y, w, h) in zip(numbers, number_places, strict=True):
        label = Label(text, (x + left, y + top, w, h), NUMBER)
        _draw_text(canvas, label, font_scale, thickness)
        labels.append(label)
    return canvas, labels


def place_labels(symbols: Sequence[Box], sizes: Sequence[tuple[int, int]], gap: int,
                 width: int, height: int) -> list[Box]:
    """A box for each symbol's label (sizes: width, height): above the symbol, else below it,
    else further up or down, where it overlaps no other label and no symbol.

    Boxes stay inside width × height when there is room, and otherwise go above the top
    (negative y), which always ends with a free place.
    """
    # Symbols and labels placed so far, checked all at once for each candidate place.
    taken = np.array([*symbols, *((0, 0, 0, 0),) * len(symbols)], np.int64).reshape(-1, 4)
    count = len(symbols)
    places: list[Box] = []
    for (x, y, w, h), (label_w, label_h) in zip(symbols, sizes, strict=True):
        left = max(0, min(x + (w - label_w) // 2, width - label_w))
        step = label_h + gap
        for row in itertools.count():
            above = (left, y - gap - label_h - row * step, label_w, label_h)
            below = (left, y + h + gap + row * step, label_w, label_h)
            inside = [b for b in (above, below) if b[1] >= 0 and b[1] + label_h <= height]
            free = next((b for b in inside or [above] if not _overlaps(b, taken[:count])), None)
            if free is not None:
                break
        places.append(free)
        taken[count] = free
        count += 1
    return places


def _overlaps(box: Box, boxes: np.ndarray) -> bool:
    x, y, w, h = box
    return bool(np.any((boxes[:, 0] < x + w) & (x < boxes[:, 0] + boxes[:, 2])
                       & (boxes[:, 1] < y + h) & (y < boxes[:, 1] + boxes[:, 3])))


def _text_size(text: str, font_scale: float, thickness: int) -> tuple[int, int]:
    """Width and height (baseline included) of a label; stroked symbols take a digit's room."""
    (width, height), baseline = cv2.getTextSize("0" if text in _STROKED else text, _FONT,
                                                font_scale, thickness)
    return width, height + baseline


def _draw_text(canvas: np.ndarray, label: Label, font_scale: float, thickness: int) -> None:
    x, y, w, h = label.box
    if label.text not in _STROKED:
        _, baseline = cv2.getTextSize(label.text, _FONT, font_scale, thickness)
        cv2.putText(canvas, label.text, (x, y + h - baseline), _FONT, font_scale, label.colour,
                    thickness, cv2.LINE_AA)
        return
    # Centred on the middle of a digit's height, in the font's line thickness.
    _, baseline = cv2.getTextSize("0", _FONT, font_scale, thickness)
    cx, cy, r = x + w // 2, y + (h - baseline) // 2, max(2, round(w * 0.4))
    if label.text == "×":
        r = max(2, round(r * 0.75))
        cv2.line(canvas, (cx - r, cy - r), (cx + r, cy + r), label.colour, thickness, cv2.LINE_AA)
        cv2.line(canvas, (cx - r, cy + r), (cx + r, cy - r), label.colour, thickness, cv2.LINE_AA)
        return
    cv2.line(canvas, (cx - r, cy), (cx + r, cy), label.colour, thickness, cv2.LINE_AA)
    if label.text == "÷":
        for dy in (-r // 2 - thickness, r // 2 + thickness):
            cv2.circle(canvas, (cx, cy + dy), thickness, label.colour, -1, cv2.LINE_AA)
