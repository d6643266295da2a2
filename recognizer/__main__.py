"""Command line: read and solve the handwritten expressions in image files, or typed text.

    python -m recognizer [--json] [--steps] PATH...
    python -m recognizer [--json] [--steps] --text "2x+3=11"

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
from recognizer.solve import solve_text
from recognizer.steps import shown_steps, steps
from recognizer.types import Recognition, RecognizerError, Solution

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
    """The first problem's reading at the top level (the photo's, when it holds one) and every
    problem in "problems", in reading order."""
    record = {"file": str(path), **_reading(recognition),
              "problems": [{"line": p.line, "label": p.label, "box": list(p.box),
                            **_reading(p)} for p in recognition.problems],
              "ms": recognition.ms}
    return json.dumps(record, ensure_ascii=False)


def _reading(recognition: Recognition) -> dict:
    symbols = [{"label": s.label, "box": list(s.box), "confidence": s.confidence}
               for s in recognition.symbols]
    return {"expression": recognition.expression, "result": recognition.result,
            "error": recognition.error, "confidence": recognition.confidence,
            "sure": recognition.sure, "symbols": symbols}


def text_as_json(text: str, solution: Solution) -> str:
    record = {"text": text, "expression": solution.expression, "result": solution.result,
              "error": solution.error}
    return json.dumps(record, ensure_ascii=False)


def with_steps(record: str, solution: Solution) -> str:
    """The JSON record with a "steps" key: [{"expression", "why"}...], first the expression as
    read, last the answer; null with a "steps_error" sentence when there are none to show."""
    fields = json.loads(record)
    try:
        lines = steps(list(solution.expression or ""))
    except RecognizerError as error:
        fields.update(steps=None, steps_error=str(error))
    else:
        fields["steps"] = [{"expression": line.expression, "why": line.why} for line in lines]
    return json.dumps(fields, ensure_ascii=False)


def steps_text(solution: Solution) -> str:
    """The worked solution, one indented line per step with its reason."""
    try:
        lines = shown_steps(steps(list(solution.expression or "")))
    except RecognizerError as error:
        return f"    (no steps: {error})"
    width = max(len(shown) for shown, _ in lines)
    return "\n".join(f"    {shown.ljust(width)}   {why}".rstrip() for shown, why in lines)


def failed(solution: Solution) -> bool:
    """Not read, or not solved; a page fails when one of its problems does."""
    problems = solution.problems if isinstance(solution, Recognition) else ()
    if len(problems) > 1:
        return any(failed(problem) for problem in problems)
    return solution.error is not None or solution.result is None


def as_lines(path: Path, recognition: Recognition) -> str:
    """One line for a photo of one problem (`as_line`); for a page, the file name and then
    each problem, numbered as the page numbers it: `  1) 2 + 3 × 4 = 14`."""
    if len(recognition.problems) <= 1:
        return as_line(path, recognition)
    return f"{path}:\n" + "\n".join(
        f"  {problem.label or f'{problem.line}.'} {answer_text(problem)}"
        for problem in recognition.problems)


def as_line(path: Path | str, recognition: Solution) -> str:
    """`photo.jpg: 2 + 3 × 4 = 14`, `eq.jpg: 2x + 3 = 11 → x = 4`, `bad.jpg: 5 ÷ 0 → error:
    division by zero`; a doubtful reading ends with `(not sure: check the reading)`."""
    return f"{path}: {answer_text(recognition)}"


def answer_text(recognition: Solution) -> str:
    """What was read and its answer, or the error: `2 + 3 × 4 = 14`."""
    if recognition.expression is None:
        return f"error: {recognition.error}"
    shown = show_expression(recognition)
    if recognition.error is not None or recognition.result is None:
        return f"{shown} → error: {recognition.error}"
    answer = show_answer(recognition)
    # `= 7/2 ≈ 3.5`, but `x = 11/2 (x ≈ 5.5)`: an equation's note names x again.
    note = (f" {answer.note}" if answer.lead else f" ({answer.note})") if answer.note else ""
    sure = not isinstance(recognition, Recognition) or recognition.sure  # typed text is sure
    doubt = "" if sure else "  (not sure: check the reading)"
    return f"{shown} {answer.lead or '→'} {answer.main}{note}{doubt}"


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
    parser.add_argument("--steps", action="store_true",
                        help="the worked solution under each answer (with --json: a 'steps' "
                             "key, a list of {'expression', 'why'})")
    parser.add_argument("--text", action="append", default=[], metavar="TEXT",
                        help='solve typed text, as the bot reads it, e.g. "2x+3=11" '
                             "(may be given more than once)")
    parser.add_argument("--version", action="version", version=f"mathsnap {package_version()}")
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help=f"an image file ({_SUFFIXES_SHOWN}) or a folder of images")
    args = parser.parse_args(argv)
    if not args.paths and not args.text:
        parser.error("give an image PATH or --text")
    status = 0
    for text in args.text:
        solution = solve_text(text)
        status = 1 if failed(solution) else status
        show(args, solution, text_as_json(text, solution), as_line(text, solution),
             failed(solution))
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
        status = 1 if failed(recognition) else status
        show(args, recognition, as_json(path, recognition), as_lines(path, recognition),
             failed(recognition))
    return status


def show(args: argparse.Namespace, solution: Solution, record: str, line: str,
         failed: bool) -> None:
    """One JSON record, or one line (on stderr when it failed), with the steps if asked."""
    if args.json:
        print(with_steps(record, solution) if args.steps else record, flush=True)
        return
    if args.steps and solution.expression is not None:
        line += "\n" + steps_text(solution)
    print(line, file=sys.stderr if failed else sys.stdout, flush=True)


if __name__ == "__main__":
    sys.exit(main())
