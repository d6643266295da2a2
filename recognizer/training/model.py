"""The symbol CNN and its conversion to a full-integer int8 TFLite model."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import tensorflow as tf

keras = tf.keras


def build_model(num_classes: int, width: int = 32) -> keras.Model:
    """A small CNN for 28×28 symbols: three conv blocks, global pooling, one dense layer.

    Kept to a few million multiply-adds so int8 inference stays in tens of microseconds a symbol.
    """
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = _conv(x, width // 2, stride=2)  # 14×14
    x = _conv(x, width)
    x = _conv(x, width * 2, stride=2)  # 7×7
    x = _conv(x, width * 2)
    x = _conv(x, width * 4, stride=2)  # 4×4
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.25)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def _conv(x: tf.Tensor, filters: int, stride: int = 1) -> tf.Tensor:
    x = keras.layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    return keras.layers.ReLU()(x)


def to_float_tflite(model: keras.Model) -> bytes:
    """The same network unquantised: the reference the int8 model is compared with."""
    return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def to_int8_tflite(model: keras.Model, calibration: np.ndarray) -> bytes:
    """Full-integer quantisation: int8 weights, activations, input and output."""

    def representative() -> Iterator[list[np.ndarray]]:
        for image in calibration[:500]:
            yield [image[None, :, :, None].astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()
