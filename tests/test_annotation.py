"""The annotated picture ("Show what I saw"): labels as the replies show symbols, never on top of
each other."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from recognizer import annotate, annotation
from recognizer.training.glyphs import draw_expression
from recognizer.types import SymbolRead


def intersect(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def photo_640(text: str) -> bytes:
    """Small writing in the middle of a 640 × 480 photo, as Telegram's photos are read."""
    writing = draw_expression(text, 1, height=20)
    page = np.full((480, 640, 3), writing[:8, :8].mean(axis=(0, 1)), np.uint8)
    h, w = writing.shape[:2]
    page[(480 - h) // 2 : (480 - h) // 2 + h, (640 - w) // 2 : (640 - w) // 2 + w] = writing
    return cv2.imencode(".png", page)[1].tobytes()


@pytest.mark.parametrize("text", ["7^2+4^2=65", "2^3+1^1", "11+11+11=33"])
def test_labels_drawn_at_640_px_do_not_overlap(text, monkeypatch):
    drawn: list[tuple[tuple[int, ...], tuple[int, int, int, int]]] = []
    put_text = cv2.putText

    def recording(image, label, origin, font, scale, colour, thickness, *rest):
        (w, h), baseline = cv2.getTextSize(label, font, scale, thickness)
        drawn.append((image.shape, (origin[0], origin[1] - h, w, h + baseline)))
        return put_text(image, label, origin, font, scale, colour, thickness, *rest)

    monkeypatch.setattr(cv2, "putText", recording)
    picture = cv2.imdecode(np.frombuffer(annotate(photo_640(text)), np.uint8), cv2.IMREAD_COLOR)
    boxes = [box for shape, box in drawn if shape == picture.shape]
    assert len(boxes) == len(text) - text.count("^")
    for a, b in itertools.combinations(boxes, 2):
        assert not intersect(a, b), (a, b)
    height, width = picture.shape[:2]
    for x, y, w, h in boxes:
        assert x >= 0 and x + w <= width and y >= 0 and y + h <= height


def test_crowded_labels_find_free_places_clear_of_every_symbol():
    # 40 thin strokes 3 px apart with raised marks over every other one: far less room than
    # the labels need beside their symbols.
    symbols = [(10 + 7 * i, 40, 4, 20) for i in range(40)]
    symbols += [(14 + 14 * i, 28, 4, 8) for i in range(20)]
    sizes = [(12, 16)] * len(symbols)
    places = annotation.place_labels(symbols, sizes, 2, 320, 100)
    for a, b in itertools.combinations(places, 2):
        assert not intersect(a, b), (a, b)
    for place in places:
        assert not any(intersect(place, symbol) for symbol in symbols)
        assert place[0] >= 0 and place[0] + place[2] <= 320


def read(label: str, box: tuple[int, int, int, int], confidence: float = 0.99) -> SymbolRead:
    return SymbolRead(label, label, box, confidence)


def test_labels_use_the_symbols_replies_use():
    picture = np.full((200, 400, 3), 235, np.uint8)
    reads = [read("*", (40, 100, 30, 30)), read("/", (120, 100, 30, 30)),
             read("-", (200, 110, 30, 8)), read("7", (280, 95, 20, 40))]
    canvas, labels = annotation.annotated(picture, reads)
    assert [label.text for label in labels] == ["×", "÷", "−", "7"]
    for label in labels:  # every label, drawn in strokes or in the font, has ink
        x, y, w, h = label.box
        assert (canvas[y : y + h, x : x + w] != 235).any(axis=2).sum() > 5, label


def test_orange_marks_the_symbols_the_reply_lists_as_unsure():
    picture = np.full((200, 300, 3), 235, np.uint8)
    reads = [read("7", (40, 100, 20, 40), 0.7), read("1", (120, 100, 20, 40), 0.5)]
    _, labels = annotation.annotated(picture, reads)
    assert [label.colour for label in labels] == [annotation.SURE, annotation.UNSURE]


def test_the_picture_grows_a_margin_when_the_writing_leaves_no_room():
    picture = np.full((30, 100, 3), 235, np.uint8)
    reads = [read("1", (5 + 12 * i, 2, 8, 26)) for i in range(8)]
    canvas, labels = annotation.annotated(picture, reads)
    assert canvas.shape[0] > 30 and canvas.shape[1] == 100
    for a, b in itertools.combinations([label.box for label in labels], 2):
        assert not intersect(a, b)
    for _, y, _, h in (label.box for label in labels):
        assert y >= 0 and y + h <= canvas.shape[0]


def test_a_pages_problems_are_numbered_left_of_their_lines():
    picture = np.full((300, 400, 3), 255, np.uint8)
    reads = [read("2", (20, 40, 30, 40)), read("3", (20, 160, 30, 40))]
    numbers = [("1)", (20, 40, 30, 40)), ("b)", (20, 160, 30, 40))]
    canvas, labels = annotation.annotated(picture, reads, numbers)
    shown = [label for label in labels if label.colour == annotation.NUMBER]
    assert [label.text for label in shown] == ["1)", "b)"]
    grown = canvas.shape[1] - picture.shape[1]  # no room left of x = 20: a margin was added
    assert grown > 0
    for label, (_, (x, y, _, h)) in zip(shown, numbers, strict=True):
        lx, ly, lw, lh = label.box
        assert lx + lw < x + grown and ly < y + h and y < ly + lh  # left of it, level with it


def test_a_photographed_page_is_annotated_with_its_numbers():
    _, jpeg = cv2.imencode(".jpg", draw_expression("1) 2+3\n2) 6-1", 4))
    png = cv2.imdecode(np.frombuffer(annotate(jpeg.tobytes()), np.uint8), cv2.IMREAD_COLOR)
    assert np.any(np.all(png == annotation.NUMBER, axis=2))
