"""The whole recognizer: image bytes → symbols → expression → exact answer."""

from __future__ import annotations

import itertools
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import fields, replace

import cv2
import numpy as np

from recognizer.annotation import annotated
from recognizer.classify import default_classifier
from recognizer.clean import Cleaned, clean, deskewed
from recognizer.decode import decode_image, read_header
from recognizer.grammar import best_reading
from recognizer.labels import ADDED, DIGITS, GLYPH, SYMBOLS
from recognizer.layout import Slot, arrange
from recognizer.lines import MAX_LINES, Line, find_lines, label_length
from recognizer.normalize import normalize_symbol
from recognizer.segment import (
    JOIN_MIN_HEIGHT,
    Segment,
    join_pieces,
    segment,
    split_exponents,
    split_touching,
)
from recognizer.solve import problem_lines, solve_system, solve_tokens
from recognizer.trust import doubt, is_sure
from recognizer.types import Alternative, Problem, Recognition, RecognizerError, SymbolRead

MAX_SYMBOLS = 400  # on a page
MAX_LINE_SYMBOLS = 100
_RPAREN = SYMBOLS.index("rparen")
_LABEL_CLASSES = np.array([name not in ADDED for name in SYMBOLS], np.float32)
# The probability at which a line's second symbol may close a label as `)`, or may be the
# digit a decimal point needs after it.
_LABEL_BRACKET = 0.2
# Long side the photo is read at: first WORK_SIDE, then MAX_SIDE if the writing came out smaller
# than MIN_TEXT_HEIGHT, then FULL_SIDE if it is still small (a few words in a corner of a large
# scan). Telegram sends 1280 px photos; a JPEG is decoded at 1/2, 1/4 or 1/8 scale straight
# from its DCT, so reading at half size costs a quarter of the pixels at every stage.
WORK_SIDE = 640
MAX_SIDE = 1280  # also the frame symbol boxes are reported in
FULL_SIDE = 2560
# Digits this tall are read as well as larger ones (they become 20 px in the classifier), and
# it is the photo scale at which segmentation joins strokes broken by faint ink.
MIN_TEXT_HEIGHT = JOIN_MIN_HEIGHT


def load_models() -> None:
    """Load the classifier, and let sympy set up its equation solver (about 50 ms on its first
    equation), now at start-up rather than on the first photo.

    Also keeps OpenCV to one thread per image: the bot runs images in parallel in its worker
    pool, and OpenCV's own threads would only compete with those (measured slower on 2 cores).
    """
    cv2.setNumThreads(1)
    default_classifier().classify(np.zeros((1, 28, 28), np.uint8))
    solve_tokens(list("2*x=4"))


class Stopwatch:
    """Milliseconds spent in each stage of one recognition."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.ms[stage] = self.ms.get(stage, 0.0) + (now - self._last) * 1000
        self._last = now

    @property
    def total(self) -> float:
        return round(sum(self.ms.values()), 2)


def recognize(image_bytes: bytes, stopwatch: Stopwatch | None = None) -> Recognition:
    """Read and solve the handwritten problems in an image, one per line. Never raises for bad
    input: a problem with the whole picture is the result's error, one with a line that
    problem's.

    Pass a Stopwatch to learn how long each stage took.
    """
    watch = stopwatch or Stopwatch()
    try:
        _, _, problems = _read_page(image_bytes, watch, grey=True)
    except RecognizerError as error:
        watch.lap("error")
        return Recognition(expression=None, result=None, error=str(error), ms=watch.total)
    first = problems[0]
    return Recognition(**{f.name: getattr(first, f.name) for f in fields(Recognition)
                          if f.name not in ("ms", "problems")},
                       ms=watch.total, problems=tuple(problems))


def _read_page(image_bytes: bytes, watch: Stopwatch,
               grey: bool) -> tuple[np.ndarray, Cleaned, list[Problem]]:
    """The picture as read, its cleaning, and its problems, numbered, top to bottom (boxes in
    the frame of the picture at up to MAX_SIDE)."""
    image, cleaned, segments = read_symbols(image_bytes, watch, grey=grey)
    lines = find_lines([s.box for s in segments])
    if len(lines) > MAX_LINES:
        raise RecognizerError(f"I found more than {MAX_LINES} lines of writing; please "
                              "send a page with fewer problems.")
    watch.lap("lines")
    scale = _box_scale(image_bytes, image)
    problems = _systems([_read_line(number, line, segments, scale, watch)
                         for number, line in enumerate(lines, 1)],
                        [line.braced for line in lines])
    return image, cleaned, _numbered(problems)


def _read_line(number: int, line: Line, segments: list[Segment], box_scale: float,
               watch: Stopwatch) -> Problem:
    """Read and solve one line; what is wrong with it goes into its error."""
    members = [segments[i] for i in line.members]
    box = _scaled(_union([s.box for s in members]), box_scale)
    symbols: tuple[SymbolRead, ...] = ()
    label = None
    try:
        if len(members) > MAX_LINE_SYMBOLS:
            raise RecognizerError(f"That line has more than {MAX_LINE_SYMBOLS} symbols; please "
                                  "write one problem per line.")
        members, slots, label = classify_and_arrange(members, watch, len(line.aside))
        tokens, score, unparsable = _tokens(slots)
        watch.lap("grammar")
        symbols = _reads(members, slots, tokens, box_scale)
        if unparsable:
            raise unparsable
        solution = solve_tokens(tokens)
        watch.lap("solve")
        rival = doubt([slot.candidates for slot in slots], tokens, score)
        watch.lap("trust")
    except RecognizerError as error:
        watch.lap("error")
        return Problem(expression=None, result=None, error=str(error), symbols=symbols,
                       line=number, label=label, box=box)
    confidence = float(np.prod([s.confidence for s in symbols])) if symbols else 0.0
    return Problem(expression=solution.expression, result=solution.result,
                   approximation=solution.approximation, error=solution.error,
                   written=_written(members, slots, tokens),
                   confidence=round(confidence, 4), symbols=symbols, doubt=round(rival, 4),
                   sure=is_sure(rival, solution.expression, solution.result),
                   line=number, label=label, box=box)


def _systems(problems: list[Problem], braced: list[bool]) -> list[Problem]:
    """Two lines that are equations in x and y, joined by a brace or one not solvable alone
    (with both unknowns), are one problem: a system, solved together."""
    joined: list[Problem] = []
    for group in problem_lines([p.expression for p in problems], braced):
        if len(group) == 1:
            joined.append(problems[group[0]])
            continue
        first, second = (problems[k] for k in group)
        solution = solve_system(first, second)
        doubt = max(first.doubt, second.doubt)
        joined.append(Problem(
            expression=solution.expression, result=solution.result,
            approximation=solution.approximation, error=solution.error,
            written=solution.written, confidence=round(first.confidence * second.confidence, 4),
            symbols=first.symbols + second.symbols, doubt=doubt,
            sure=first.sure and second.sure and is_sure(doubt, solution.expression,
                                                        solution.result),
            line=first.line, label=first.label, box=_union([first.box, second.box])))
    return joined


def _numbered(problems: list[Problem]) -> list[Problem]:
    """The page's labels, counted: when at least half of them read as numbers and those agree
    on where the count starts, they are numbered on from there (a label misread among them is
    put right); else, as no letter class exists, they are letters a, b, c... in order (`a)`
    `b)` `c)` may read as 2, 0, 0)."""
    numbers = [p.label[:-1] for p in problems if p.label]
    if not numbers:
        return problems
    starts = {int(n) - k for k, n in enumerate(numbers) if n.isdigit()}
    counted = len(starts) == 1 and 2 * sum(n.isdigit() for n in numbers) >= len(numbers)
    start = min(starts, default=1)
    names = (str(start + k) for k in itertools.count()) if counted else iter(
        "abcdefghijklmnopqrstuvwxyz")
    return [replace(p, label=next(names, "?") + p.label[-1]) if p.label else p
            for p in problems]


def _union(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return left, top, right - left, bottom - top


def read_symbols(image_bytes: bytes, watch: Stopwatch,
                 grey: bool) -> tuple[np.ndarray, Cleaned, list[Segment]]:
    """Decode, clean and segment at the smallest size where the writing is still tall enough.

    Returns the decoded picture, its cleaning and the symbols (boxes in that picture's pixels).
    """
    for side in (WORK_SIDE, MAX_SIDE, FULL_SIDE):
        image = decode_image(image_bytes, max_side=side, grey=grey)
        watch.lap("decode")
        cleaned = clean(image)
        watch.lap("clean")
        segments = segment(cleaned.ink)
        watch.lap("segment")
        header = read_header(image_bytes)  # decoding has checked it already
        if max(header.width, header.height) <= side or _symbol_height(segments) >= MIN_TEXT_HEIGHT:
            break  # no more pixels to read, or no need
    if not segments:
        raise RecognizerError("I couldn't find any handwriting in this picture.")
    if len(segments) > MAX_SYMBOLS:
        raise RecognizerError(f"That is more than {MAX_SYMBOLS} symbols; "
                              "please send fewer problems at a time.")
    return image, cleaned, segments


def _symbol_height(segments: list[Segment]) -> float:
    """Median height of the symbols that are not flat (minus, fraction bars, `=`)."""
    heights = [s.box[3] for s in segments if s.box[2] < 2.2 * s.box[3]]
    # statistics' median: the same value as np.median's, 20× faster on a short list.
    return float(statistics.median(heights)) if heights else 0.0


def classify_and_arrange(segments: list[Segment], watch: Stopwatch, aside: int = 0,
                         ) -> tuple[list[Segment], list[Slot], str | None]:
    """Classify a line's symbols (joining a cursive x's arcs, cutting apart touching digits),
    take off its label and lay out the rest.

    `aside`: how many of the line's first symbols stand far to the left of the rest
    (lines.Line.aside), dropped unless they are its label. A label closed by a bracket (`1)`)
    is one only if the rest then reads at least as well as the whole line does, with the
    label's own symbols' odds: `(1+3)²` whose `(` reads as a 1 keeps it; so is a dot before no
    digit (`13.+7`: a speck); a dot set apart is a label's by its place. Returns the symbols
    laid out, their slots and the label as read ("1)", "3.", or "?)" for a letter), if any.
    """
    images = np.stack([normalize_symbol(s.ink) for s in segments])
    classify = default_classifier().classify
    probs = classify(images)
    watch.lap("classify")
    boxes = [s.box for s in segments]
    # Labels are digits, letters the models do not know, `)` and `.`: y and √ are no part.
    known = probs * _LABEL_CLASSES
    known /= np.maximum(known.sum(axis=1, keepdims=True), 1e-12)
    names = [s.forced or SYMBOLS[int(c)]
             for s, c in zip(segments, known.argmax(axis=1), strict=True)]
    # A `)` after one or two symbols at the start of a line is a label's, even when the model
    # leans to a 1 or a 7 for it: nothing opened it.
    closes = [not s.forced and p[_RPAREN] >= _LABEL_BRACKET for s, p in zip(segments, known,
                                                                            strict=True)]
    digits = (known[:, : len(DIGITS)].sum(axis=1) >= _LABEL_BRACKET).tolist()
    length, placed = label_length(boxes, names, closes, digits)
    if not length and aside:  # far apart and no label: a stray mark
        segments, probs = segments[aside:], probs[aside:]
    whole = _laid_out(segments, probs, classify)
    watch.lap("layout")
    if not length:
        return *whole, None
    rest = _laid_out(segments[length:], probs[length:], classify)
    bracket = closes[length - 1] or names[length - 1] == "rparen"
    odds = sum(math.log(max(float(p.max()), 1e-12)) for p in probs[:length])
    # A bracket may be the math's, a dot a speck: the likelier reading wins.
    if not placed and _tokens(rest[1])[1] + odds < _tokens(whole[1])[1]:
        return *whole, None
    number = names[: length - 1]
    label = ("".join(number) if all(n.isdigit() for n in number) else "?") + (
        ")" if bracket else ".")
    return *rest, label


def _laid_out(segments: list[Segment], probs: np.ndarray,
              classify: Callable[[np.ndarray], np.ndarray]) -> tuple[list[Segment], list[Slot]]:
    if not segments:
        raise RecognizerError("There is only a label on this line.")
    segments, probs = join_pieces(segments, probs, classify)
    segments, probs = split_touching(segments, probs, classify)
    segments, probs = split_exponents(segments, probs, classify)
    return segments, arrange(segments, probs)


def _tokens(slots: list[Slot]) -> tuple[list[str], float, RecognizerError | None]:
    """The most probable sequence that parses and its log-probability; if none does, each
    symbol's best guess and why."""
    try:
        tokens, score = best_reading([slot.candidates for slot in slots])
        return tokens, score, None
    except RecognizerError as error:
        return [slot.candidates[0][0] for slot in slots], -math.inf, error


def _box_scale(image_bytes: bytes, image: np.ndarray) -> float:
    """Factor from the pixels read to the picture as decoded at up to MAX_SIDE, the frame the
    boxes are reported in whatever size the symbols were read at."""
    header = read_header(image_bytes)
    return min(max(header.width, header.height), MAX_SIDE) / max(image.shape[:2])


def _reads(segments: list[Segment], slots: list[Slot], tokens: list[str],
           box_scale: float = 1.0) -> tuple[SymbolRead, ...]:
    reads = []
    for slot, token in zip(slots, tokens, strict=True):
        if slot.symbol is None or not token:  # structural, or a speck read as nothing
            continue
        # Read as a symbol, how sure is it which one: a dot's chance of being a speck aside.
        readings = dict(slot.candidates)
        as_symbol = 1.0 - readings.pop("", 0.0)
        probability = readings.get(token, 0.0) / as_symbol
        alternatives = tuple(Alternative(t, round(p / as_symbol, 4)) for t, p in readings.items()
                             if t != token)
        reads.append(SymbolRead(label=token, glyph=_glyph(token, segments[slot.symbol], slot),
                                box=_scaled(segments[slot.symbol].box, box_scale),
                                confidence=round(probability, 4),
                                alternatives=alternatives, role=slot.role))
    return tuple(reads)


def _written(segments: list[Segment], slots: list[Slot], tokens: list[str]) -> str:
    """The expression with ÷ for each division drawn as a division sign, for display."""
    return "".join(
        "÷" if token == "/" and slot.symbol is not None
        and _glyph(token, segments[slot.symbol], slot) == "÷" else token
        for slot, token in zip(slots, tokens, strict=True)
    )


def _scaled(box: tuple[int, int, int, int], factor: float) -> tuple[int, int, int, int]:
    x, y, w, h = box
    return round(x * factor), round(y * factor), round(w * factor), round(h * factor)


def _glyph(token: str, segment: Segment, slot: Slot) -> str:
    """How the symbol was drawn: `*` may have been ×, · or *; `/` may have been ÷ or /."""
    if segment.forced:
        return segment.forced
    if token == "*":
        return GLYPH[slot.shape] if slot.shape in ("cross", "dot", "asterisk") else "×"
    if token == "/":
        return "÷" if slot.shape == "obelus" else "/"
    return "−" if token == "-" else token


def annotate(image_bytes: bytes) -> bytes:
    """PNG of the picture with each symbol's box and label, to show what was read; on a page,
    each problem's number beside it."""
    image, cleaned, problems = _read_page(image_bytes, Stopwatch(), grey=False)
    back = 1 / _box_scale(image_bytes, image)  # to the pixels of the picture drawn on
    reads = [replace(s, box=_scaled(s.box, back)) for p in problems for s in p.symbols]
    numbers = [(p.label or f"{k}.", _scaled(p.box, back)) for k, p in enumerate(problems, 1)]
    picture, _ = annotated(deskewed(image, cleaned.angle), reads,
                           numbers if len(problems) > 1 else ())
    ok, png = cv2.imencode(".png", picture)
    if not ok:
        raise RecognizerError("I couldn't draw the annotated picture.")
    return png.tobytes()
