"""The whole recognizer: image bytes → symbols → expression → exact answer."""

from __future__ import annotations

import time

import cv2
import numpy as np

from recognizer.classify import default_classifier
from recognizer.clean import clean, deskewed
from recognizer.decode import decode_image
from recognizer.grammar import decode
from recognizer.labels import GLYPH
from recognizer.layout import Slot, arrange
from recognizer.normalize import normalize_symbol
from recognizer.segment import Segment, segment
from recognizer.solve import solve_tokens
from recognizer.types import Alternative, Recognition, RecognizerError, SymbolRead

MAX_SYMBOLS = 200
# Long side the photo is decoded to: Telegram sends 1280 px; larger photos are decoded at 1/2
# or 1/4 scale straight from the JPEG, which is what keeps decoding cheap.
MAX_SIDE = 1280


def load_models() -> None:
    """Load the classifier now (at start-up) rather than on the first photo.

    Also keeps OpenCV to one thread per image: the bot runs images in parallel in its worker
    pool, and OpenCV's own threads would only compete with those (measured slower on 2 cores).
    """
    cv2.setNumThreads(1)
    default_classifier().classify(np.zeros((1, 28, 28), np.uint8))


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
        grey = decode_image(image_bytes, max_side=MAX_SIDE, grey=True)
        watch.lap("decode")
        cleaned = clean(grey)
        watch.lap("clean")
        segments = find_symbols(cleaned.ink)
        watch.lap("segment")
        slots = classify_and_arrange(segments, watch)
        tokens, unparsable = _tokens(slots)
        watch.lap("grammar")
        symbols = _reads(segments, slots, tokens)
        if unparsable:
            raise unparsable
        solution = solve_tokens(tokens)
        watch.lap("solve")
    except RecognizerError as error:
        watch.lap("error")
        return Recognition(expression=None, result=None, error=str(error), symbols=symbols,
                           ms=watch.total)
    confidence = float(np.prod([s.confidence for s in symbols])) if symbols else 0.0
    return Recognition(expression=solution.expression, result=solution.result,
                       approximation=solution.approximation, error=solution.error,
                       confidence=round(confidence, 4), symbols=symbols, ms=watch.total)


def find_symbols(ink: np.ndarray) -> list[Segment]:
    segments = segment(ink)
    if not segments:
        raise RecognizerError("I couldn't find any handwriting in this picture.")
    if len(segments) > MAX_SYMBOLS:
        raise RecognizerError(f"That is more than {MAX_SYMBOLS} symbols; "
                              "please send one expression at a time.")
    return segments


def classify_and_arrange(segments: list[Segment], watch: Stopwatch) -> list[Slot]:
    images = np.stack([normalize_symbol(s.ink) for s in segments])
    probs = default_classifier().classify(images)
    watch.lap("classify")
    slots = arrange(segments, probs)
    watch.lap("layout")
    return slots


def _tokens(slots: list[Slot]) -> tuple[list[str], RecognizerError | None]:
    """The most probable sequence that parses; if none does, each symbol's best guess and why."""
    try:
        return decode([slot.candidates for slot in slots]), None
    except RecognizerError as error:
        return [slot.candidates[0][0] for slot in slots], error


def _reads(segments: list[Segment], slots: list[Slot], tokens: list[str]) -> tuple[SymbolRead, ...]:
    reads = []
    for slot, token in zip(slots, tokens, strict=True):
        if slot.symbol is None:
            continue
        probability = dict(slot.candidates).get(token, 0.0)
        alternatives = tuple(Alternative(t, round(p, 4)) for t, p in slot.candidates if t != token)
        reads.append(SymbolRead(label=token, glyph=_glyph(token, segments[slot.symbol], slot),
                                box=segments[slot.symbol].box, confidence=round(probability, 4),
                                alternatives=alternatives, role=slot.role))
    return tuple(reads)


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
    image = decode_image(image_bytes, max_side=MAX_SIDE)
    cleaned = clean(image)
    segments = find_symbols(cleaned.ink)
    slots = classify_and_arrange(segments, Stopwatch())
    tokens, _ = _tokens(slots)
    canvas = deskewed(image, cleaned.angle).copy()
    scale = max(canvas.shape[:2]) / 1000
    for read in _reads(segments, slots, tokens):
        x, y, w, h = read.box
        colour = (40, 160, 40) if read.confidence >= 0.8 else (0, 140, 255)
        cv2.rectangle(canvas, (x, y), (x + w, y + h), colour, max(1, round(2 * scale)))
        cv2.putText(canvas, read.label, (x, max(12, y - round(6 * scale))),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale + 0.3, colour,
                    max(1, round(2 * scale)), cv2.LINE_AA)
    ok, png = cv2.imencode(".png", canvas)
    if not ok:
        raise RecognizerError("I couldn't draw the annotated picture.")
    return png.tobytes()
