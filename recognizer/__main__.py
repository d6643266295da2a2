"""Command line: read and solve the handwritten expressions in image files.

    python -m recognizer [--json] PATH...

PATH is an image file or a folder of images. Models load once for the whole run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from recognizer.pipeline import load_models, recognize
from recognizer.types import Recognition

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}


def image_paths(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            yield path


def as_json(path: Path, recognition: Recognition) -> str:
    symbols = [{"label": s.label, "box": list(s.box), "confidence": s.confidence}
               for s in recognition.symbols]
    record = {"file": str(path), "expression": recognition.expression,
              "result": recognition.result, "error": recognition.error,
              "confidence": recognition.confidence, "symbols": symbols, "ms": recognition.ms}
    return json.dumps(record, ensure_ascii=False)


def as_line(path: Path, recognition: Recognition) -> str:
    """`photo.jpg: 2+3×4 = 14`, `eq.jpg: 2x+3=11 → x = 4`, or the error."""
    if recognition.expression is None:
        return f"{path}: {recognition.error}"
    shown = recognition.expression.replace("*", "×")
    if recognition.error is not None:
        return f"{path}: {shown} → {recognition.error}"
    answer = recognition.result
    if recognition.approximation:
        answer = f"{answer} ≈ {recognition.approximation}"
    joiner = "→" if "=" in recognition.expression or "x" in recognition.expression else "="
    return f"{path}: {shown} {joiner} {answer}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recognizer",
                                     description="Read and solve handwritten math in images.")
    parser.add_argument("--json", action="store_true", help="one JSON object per line per image")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    args = parser.parse_args(argv)
    load_models()
    status = 0
    for path in image_paths(args.paths):
        try:
            data = path.read_bytes()
        except OSError as error:
            recognition = Recognition(expression=None, result=None,
                                      error=f"cannot read the file: {error.strerror}")
            status = 1
        else:
            recognition = recognize(data)
        print(as_json(path, recognition) if args.json else as_line(path, recognition), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())

