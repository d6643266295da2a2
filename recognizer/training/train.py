"""Fit one symbol model on freshly augmented data each epoch and write its int8 TFLite file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from recognizer.normalize import normalize_symbol
from recognizer.training.model import build_model, to_float_tflite, to_int8_tflite


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 12
    seed: int = 7
    batch: int = 128
    width: int = 16
    clean_fraction: float = 0.25  # share of samples shown without augmentation each epoch
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None


def train_and_convert(
    inks: Sequence[np.ndarray], names: Sequence[str], classes: Sequence[str], out_stem: Path,
    config: TrainConfig,
) -> dict:
    """Train on (ink, class name) pairs; write `out_stem`.tflite; return the model card basics."""
    tf.keras.utils.set_random_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    index = {name: i for i, name in enumerate(classes)}
    labels = np.array([index[name] for name in names], np.int32)
    clean = np.stack([normalize_symbol(ink) for ink in inks])
    order = rng.permutation(len(inks))
    val = order[: max(1, len(order) // 20)]
    train = order[len(val) :]

    model = build_model(len(classes), config.width)
    steps = config.epochs * int(np.ceil(len(train) / config.batch))
    schedule = tf.keras.optimizers.schedules.CosineDecay(3e-3, steps, alpha=0.02)
    model.compile(optimizer=tf.keras.optimizers.Adam(schedule),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])
    x_val, y_val = clean[val][..., None], labels[val]
    for epoch in range(config.epochs):
        x = np.empty((len(train), 28, 28), np.uint8)
        for row, i in enumerate(train):
            use_clean = config.augment is None or rng.random() < config.clean_fraction
            x[row] = clean[i] if use_clean else config.augment(inks[i], rng)
        history = model.fit(x[..., None], labels[train], batch_size=config.batch, epochs=1,
                            validation_data=(x_val, y_val), verbose=0, shuffle=True)
        print(f"{out_stem.name} epoch {epoch + 1}/{config.epochs}: "
              f"loss {history.history['loss'][0]:.4f} acc {history.history['accuracy'][0]:.4f} "
              f"val_acc {history.history['val_accuracy'][0]:.4f}", flush=True)

    blob = to_int8_tflite(model, clean[train][rng.permutation(len(train))[:500]])
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    out_stem.with_suffix(".tflite").write_bytes(blob)
    # Not shipped (.gitignore): kept beside it so the benchmark can compare int8 with float.
    out_stem.with_suffix(".float.tflite").write_bytes(to_float_tflite(model))
    return {
        "file": out_stem.with_suffix(".tflite").name,
        "classes": list(classes),
        "input": "int8 [N, 28, 28, 1]: recognizer.normalize.normalize_symbol output "
                 "(uint8 0-255, white ink on black) minus 128",
        "output": "int8 softmax scores, dequantise with the output scale and zero point",
        "parameters": int(model.count_params()),
        "size_bytes": len(blob),
        "training_samples": len(train),
        "validation_accuracy_float": float(history.history["val_accuracy"][0]),
    }
