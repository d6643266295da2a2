"""Command line: read and solve the handwritten expressions in image files.

    python -m recognizer [--json] PATH...

PATH is an image file or a folder of images. Models load once for the whole run.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from recognizer.display import show_answer, show_expression
from recognizer.pipeline import load_models, recognize
from recognizer.types import Recognition

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}
_SUFFIXES_SHOWN = ", ".join(sorted(IMAGE_SUFFIXES))


def image_paths(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            yield path


def empty_folders(paths: list[Path]) -> list[Path]:
    return [path for path in paths if path.is_dir() and next(image_paths([path]), None) is None]


def as_json(path: Path, recognition: Recognition) -> str:
    symbols = [{"label": s.label, "box": list(s.box), "confidence": s.confidence}
               for s in recognition.symbols]
    record = {"file": str(path), "expression": recognition.expression,
              "result": recognition.result, "error": recognition.error,
              "confidence": recognition.confidence, "sure": recognition.sure,
              "symbols": symbols, "ms": recognition.ms}
    return json.dumps(record, ensure_ascii=False)


def as_line(path: Path, recognition: Recognition) -> str:
    """`photo.jpg: 2 + 3 × 4 = 14`, `eq.jpg: 2x + 3 = 11 → x = 4`, `bad.jpg: 5 ÷ 0 → error:
    division by zero`; a doubtful reading ends with `(not sure: check the reading)`."""
    if recognition.expression is None:
        return f"{path}: error: {recognition.error}"
    shown = show_expression(recognition)
    if recognition.error is not None or recognition.result is None:
        return f"{path}: {shown} → error: {recognition.error}"
    answer = show_answer(recognition)
    note = f" {answer.note}" if answer.note else ""
    doubt = "" if recognition.sure else "  (not sure: check the reading)"
    return f"{path}: {shown} {answer.lead or '→'} {answer.main}{note}{doubt}"


def package_version() -> str:
    try:
        return importlib.metadata.version("mathsnap")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        return "unknown (not installed)"


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 when every image was read and solved, 1 when one was not or a folder had
    no images (argparse exits with 2 on a usage error)."""
    parser = argparse.ArgumentParser(
        prog="python -m recognizer",
        description="Read and solve the handwritten math in images: one line per image, "
                    "problems on stderr.",
        epilog="Exit status: 0 when every image was read and solved; 1 when one could not be "
               "read or solved, or a folder has no images; 2 for wrong arguments.",
    )
    parser.add_argument("--json", action="store_true",
                        help="one JSON object per line per image, errors in its 'error' key")
    parser.add_argument("--version", action="version", version=f"mathsnap {package_version()}")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                        help=f"an image file ({_SUFFIXES_SHOWN}) or a folder of images")
    args = parser.parse_args(argv)
    status = 0
    for folder in empty_folders(args.paths):
        print(f"{folder}: error: no images in this folder (looked for {_SUFFIXES_SHOWN})",
              file=sys.stderr)
        status = 1
    paths = list(image_paths(args.paths))
    if paths:
        load_models()
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as error:
            recognition = Recognition(expression=None, result=None,
                                      error=f"cannot read the file: {error.strerror}")
        else:
            recognition = recognize(data)
        failed = recognition.error is not None or recognition.result is None
        if failed:
            status = 1
        if args.json:
            print(as_json(path, recognition), flush=True)
        else:
            print(as_line(path, recognition), file=sys.stderr if failed else sys.stdout,
                  flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
