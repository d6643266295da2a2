"""The whole recognizer: image bytes → symbols → expression → exact answer."""

from __future__ import annotations

import math
import statistics
import time

import cv2
import numpy as np

from recognizer.annotation import annotated
from recognizer.classify import default_classifier
from recognizer.clean import Cleaned, clean, deskewed
from recognizer.decode import decode_image, read_header
from recognizer.grammar import best_reading
from recognizer.labels import GLYPH
from recognizer.layout import Slot, arrange
from recognizer.normalize import normalize_symbol
from recognizer.segment import JOIN_MIN_HEIGHT, Segment, join_arcs, segment, split_touching
from recognizer.solve import solve_tokens
from recognizer.trust import doubt, is_sure
from recognizer.types import Alternative, Recognition, RecognizerError, SymbolRead

MAX_SYMBOLS = 200
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
    """Read and solve the handwritten expression in an image. Never raises for bad input.

    Pass a Stopwatch to learn how long each stage took.
    """
    watch = stopwatch or Stopwatch()
    symbols: tuple[SymbolRead, ...] = ()
    try:
        image, _, segments = read_symbols(image_bytes, watch, grey=True)
        segments, slots = classify_and_arrange(segments, watch)
        tokens, score, unparsable = _tokens(slots)
        watch.lap("grammar")
        symbols = _reads(segments, slots, tokens, _box_scale(image_bytes, image))
        if unparsable:
            raise unparsable
        solution = solve_tokens(tokens)
        watch.lap("solve")
        rival = doubt([slot.candidates for slot in slots], tokens, score)
        watch.lap("trust")
    except RecognizerError as error:
        watch.lap("error")
        return Recognition(expression=None, result=None, error=str(error), symbols=symbols,
                           ms=watch.total)
    confidence = float(np.prod([s.confidence for s in symbols])) if symbols else 0.0
    return Recognition(expression=solution.expression, result=solution.result,
                       approximation=solution.approximation, error=solution.error,
                       written=_written(segments, slots, tokens),
                       confidence=round(confidence, 4), symbols=symbols, ms=watch.total,
                       doubt=round(rival, 4),
                       sure=is_sure(rival, solution.expression, solution.result))


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
                              "please send one expression at a time.")
    return image, cleaned, segments


def _symbol_height(segments: list[Segment]) -> float:
    """Median height of the symbols that are not flat (minus, fraction bars, `=`)."""
    heights = [s.box[3] for s in segments if s.box[2] < 2.2 * s.box[3]]
    # statistics' median: the same value as np.median's, 20× faster on a short list.
    return float(statistics.median(heights)) if heights else 0.0


def classify_and_arrange(segments: list[Segment],
                         watch: Stopwatch) -> tuple[list[Segment], list[Slot]]:
    """Classify the symbols (joining a cursive x's arcs, cutting apart touching digits) and lay
    them out in a line."""
    images = np.stack([normalize_symbol(s.ink) for s in segments])
    classify = default_classifier().classify
    probs = classify(images)
    segments, probs = join_arcs(segments, probs, classify)
    segments, probs = split_touching(segments, probs, classify)
    watch.lap("classify")
    slots = arrange(segments, probs)
    watch.lap("layout")
    return segments, slots


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
    """PNG of the picture with each symbol's box and label, to show what was read."""
    watch = Stopwatch()
    image, cleaned, segments = read_symbols(image_bytes, watch, grey=False)
    segments, slots = classify_and_arrange(segments, watch)
    tokens, _, _ = _tokens(slots)
    picture, _ = annotated(deskewed(image, cleaned.angle), _reads(segments, slots, tokens))
    ok, png = cv2.imencode(".png", picture)
    if not ok:
        raise RecognizerError("I couldn't draw the annotated picture.")
    return png.tobytes()
