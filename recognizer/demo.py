"""Draw a sample photo, read it, and write it beside the annotated "what I saw" picture.

    python -m recognizer.demo docs/demo.png [--text "3^2+4×(5-2)"] [--seed 0]

The photo is drawn by the project's own handwriting code (recognizer/training/glyphs.py: lined
paper, a shadow across it); the right half is the PNG the bot sends for "Show what I saw"
(`recognizer.annotate`). Prints the line the command-line reader prints for that photo.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from recognizer.display import show_answer, show_expression
from recognizer.pipeline import annotate, load_models, recognize
from recognizer.training.glyphs import draw_expression

DEFAULT_TEXT = "3^2+4×(5-2)"
GAP = 24  # px between the two pictures
CAPTION = 40  # px of room above each picture for its caption
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def sample_photo(text: str, seed: int) -> bytes:
    """A JPEG of `text` handwritten on lined paper with a shadow, as a phone might take it."""
    drawn = draw_expression(text, seed, height=56, background="lined", light="shadow")
    page = cv2.copyMakeBorder(drawn, 40, 40, 30, 30, cv2.BORDER_REFLECT)
    return cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


def side_by_side(photo: bytes, annotated_png: bytes) -> np.ndarray:
    """The photo (left) and the annotated picture (right) on one white canvas, captioned."""
    left = cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_COLOR)
    right = cv2.imdecode(np.frombuffer(annotated_png, np.uint8), cv2.IMREAD_COLOR)
    # The annotation is drawn on the picture as read (smaller than the photo): shown as large.
    scale = left.shape[0] / right.shape[0]
    right = cv2.resize(right, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    height = max(left.shape[0], right.shape[0]) + CAPTION
    width = left.shape[1] + GAP + right.shape[1]
    canvas = np.full((height, width, 3), 255, np.uint8)
    for picture, x, caption in ((left, 0, "the photo sent"),
                                (right, left.shape[1] + GAP, "Show what I saw")):
        canvas[CAPTION:CAPTION + picture.shape[0], x:x + picture.shape[1]] = picture
        cv2.putText(canvas, caption, (x + 4, CAPTION - 12), _FONT, 0.8, (60, 60, 60), 2,
                    cv2.LINE_AA)
    return canvas


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recognizer.demo",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, metavar="OUT.png", help="where to write the picture")
    parser.add_argument("--text", default=DEFAULT_TEXT,
                        help="what to write: digits, + - × ÷ / ( ) = x, ^ raises the next "
                             f"character (default {DEFAULT_TEXT})")
    parser.add_argument("--seed", type=int, default=0, help="the handwriting's random seed")
    args = parser.parse_args(argv)
    load_models()
    photo = sample_photo(args.text, args.seed)
    recognition = recognize(photo)
    if recognition.expression is None or recognition.result is None:
        print(f"error: the drawn photo was not read: {recognition.error}", file=sys.stderr)
        return 1
    if not cv2.imwrite(str(args.out), side_by_side(photo, annotate(photo)),
                       [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        print(f"error: cannot write {args.out}", file=sys.stderr)
        return 1
    answer = show_answer(recognition)
    note = f" {answer.note}" if answer.note else ""
    print(f"{show_expression(recognition)} {answer.lead or '→'} {answer.main}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
