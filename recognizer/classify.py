"""Classify normalised 28×28 symbols with the two int8 LiteRT models.

The symbol model knows every class and says whether a symbol is a digit at all; which digit is
decided by both models together, the digit model having seen far more digits. Interpreters are
not thread-safe, so each thread gets its own; the model files are read once per process.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from functools import cache
from pathlib import Path

import numpy as np

from recognizer.labels import DIGITS, SYMBOLS

try:  # LiteRT is the maintained runtime; tflite-runtime only as a fallback.
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # pragma: no cover - depends on the installed runtime
    from tflite_runtime.interpreter import Interpreter

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
# Batch sizes, one interpreter each per thread, so none is ever re-allocated. Symbols run in the
# largest batches they fill and the rest one by one, never padded: a symbol costs the same
# ~0.04 ms in any batch, so padding 5 symbols to 8 cost as much as 3 more. Larger batches run
# in chunks of 32: per symbol that is as fast as 128, and a 128 interpreter would hold ~0.9 MB
# more per model and thread (docs/benchmarks.md, "Memory").
_BUCKETS = (1, 8, 32)


_notice_lock = threading.Lock()
_notice_printed = False


def _allocate(interpreter: Interpreter) -> None:
    """allocate_tensors, without LiteRT's "INFO: Created TensorFlow Lite XNNPACK delegate for
    CPU." on stderr.

    LiteRT prints it from C++ once per process, at the first allocation, with no option to turn
    it off short of dropping the XNNPACK delegate (3× slower here). So the first allocation runs
    with the process's stderr (fd 2) pointed at /dev/null; later ones print nothing anyway. The
    lock keeps other threads' allocations from racing it.
    """
    global _notice_printed
    with _notice_lock:
        if not _notice_printed:
            sys.stderr.flush()
            saved = os.dup(2)
            try:
                with open(os.devnull, "wb") as devnull:
                    os.dup2(devnull.fileno(), 2)
                interpreter.allocate_tensors()
            finally:
                os.dup2(saved, 2)
                os.close(saved)
            _notice_printed = True
            return
    interpreter.allocate_tensors()


@cache
def _model_bytes(path: Path) -> bytes:
    return path.read_bytes()


class _Model:
    """One TFLite model with int8 input and output, per-thread interpreters."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        # Pixel value → the model's input (int8 when quantised, float32 for the float reference
        # models the benchmark compares), as a 256-entry table: one lookup per pixel.
        interpreter = self._interpreter(1)
        details = interpreter.get_input_details()[0]
        scale, zero = details["quantization"]
        levels = np.clip(np.round(np.arange(256) / scale + zero), -128, 127) if scale else \
            np.arange(256)
        self._to_input = levels.astype(details["dtype"])
        # Every batch size's interpreter has the same tensors: look them up once.
        self._input_index = details["index"]
        output = interpreter.get_output_details()[0]
        self._output_index = output["index"]
        self._output_quantization = output["quantization"]

    def _interpreter(self, batch: int) -> Interpreter:
        cache_ = self._local.__dict__.setdefault("by_batch", {})
        if batch not in cache_:
            interpreter = Interpreter(model_content=_model_bytes(self.path), num_threads=1)
            index = interpreter.get_input_details()[0]["index"]
            interpreter.resize_tensor_input(index, [batch, 28, 28, 1])
            _allocate(interpreter)
            cache_[batch] = interpreter
        return cache_[batch]

    def predict(self, images: np.ndarray) -> np.ndarray:
        """uint8 images (N, 28, 28) → float probabilities (N, classes)."""
        if len(images) == 0:
            return np.zeros((0, 0), np.float32)
        inputs = self._to_input[images][..., None]
        outputs = []
        start = 0
        while start < len(inputs):
            batch = next(b for b in reversed(_BUCKETS) if b <= len(inputs) - start)
            interpreter = self._interpreter(batch)
            interpreter.set_tensor(self._input_index, inputs[start : start + batch])
            interpreter.invoke()
            outputs.append(interpreter.get_tensor(self._output_index))
            start += batch
        probs = np.concatenate(outputs).astype(np.float32)
        scale, zero = self._output_quantization
        if scale:
            probs = (probs - zero) * scale
        return probs / np.maximum(probs.sum(axis=1, keepdims=True), 1e-6)


class SymbolClassifier:
    """Probabilities over `recognizer.labels.SYMBOLS` for a batch of normalised symbols.

    Classes the symbol model lacks (`y`, `sqrt`) come from `added.tflite`, a model of every
    class: its probability for them is taken from the symbol model's classes in proportion, so
    a symbol it finds ordinary reads as the symbol model reads it. Retraining the symbol model
    itself with the new classes moved every other class too (models/README.md).
    """

    def __init__(self, models_dir: Path = MODELS_DIR) -> None:
        self.symbols = _Model(models_dir / "symbols.tflite")
        self.digits = _Model(models_dir / "digits.tflite")
        # The cards name the models' classes; map them onto ours by name.
        card = json.loads((models_dir / "symbols.json").read_text())
        self._columns = [SYMBOLS.index(name) for name in card["classes"]]
        if card["classes"][: len(DIGITS)] != list(DIGITS):
            raise ValueError("the symbol model must list the digits first")
        self.added: _Model | None = None
        if (models_dir / "added.tflite").exists():
            self.added = _Model(models_dir / "added.tflite")
            added = json.loads((models_dir / "added.json").read_text())["classes"]
            # Of the added model's outputs, those of the classes the symbol model lacks.
            self._new = [k for k, name in enumerate(added) if name not in card["classes"]]
            self._new_columns = [SYMBOLS.index(added[k]) for k in self._new]

    def classify(self, images: np.ndarray) -> np.ndarray:
        probs = np.zeros((len(images), len(SYMBOLS)), np.float32)
        if len(images) == 0:
            return probs
        probs[:, self._columns] = self.symbols.predict(images)
        if self.added is not None and self._new:
            new = self.added.predict(images)[:, self._new]
            probs[:, self._columns] *= 1 - new.sum(axis=1, keepdims=True)
            probs[:, self._new_columns] = new
        digits = probs[:, : len(DIGITS)]
        is_digit = digits.sum(axis=1)
        rows = np.flatnonzero(is_digit > 0.02)  # the digit model only where it matters
        if rows.size:
            # Which digit: both models' opinions multiplied (a product of experts), scaled to
            # the symbol model's belief that this is a digit at all.
            joint = digits[rows] * self.digits.predict(images[rows])
            joint /= np.maximum(joint.sum(axis=1, keepdims=True), 1e-12)
            probs[rows, : len(DIGITS)] = is_digit[rows, None] * joint
        return probs


@cache
def default_classifier() -> SymbolClassifier:
    """The process-wide classifier over the shipped models (loaded once)."""
    return SymbolClassifier()
