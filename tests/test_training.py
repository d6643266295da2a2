"""Training builds and converts a tiny int8 model (only where TensorFlow is installed)."""

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from recognizer.classify import _Model
from recognizer.normalize import normalize_symbol
from recognizer.training.augment import augment
from recognizer.training.glyphs import draw_glyph
from recognizer.training.train import TrainConfig, train_and_convert


def test_tiny_model_trains_converts_and_runs_in_litert(tmp_path):
    rng = np.random.default_rng(0)
    names = ["plus", "minus", "slash"] * 30
    inks = [draw_glyph(n, 40, 3, rng) for n in names]
    card = train_and_convert(inks, names, ["plus", "minus", "slash"], tmp_path / "tiny",
                             TrainConfig(epochs=2, augment=augment, width=8))
    model_file = tmp_path / "tiny.tflite"
    assert card["size_bytes"] == model_file.stat().st_size > 0
    model = _Model(model_file)
    interpreter = model._interpreter(1)
    assert interpreter.get_input_details()[0]["dtype"] == np.int8
    assert interpreter.get_output_details()[0]["dtype"] == np.int8
    probs = model.predict(np.zeros((3, 28, 28), np.uint8))
    assert probs.shape == (3, 3)
    reference = _Model(tmp_path / "tiny.float.tflite")
    assert reference._interpreter(1).get_input_details()[0]["dtype"] == np.float32
    images = np.stack([normalize_symbol(ink) for ink in inks[:6]])
    agree = reference.predict(images).argmax(axis=1) == model.predict(images).argmax(axis=1)
    assert agree.mean() >= 0.5  # int8 follows the float network it was quantised from
