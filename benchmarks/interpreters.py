"""Inference time of the shipped int8 models under LiteRT or tflite-runtime.

    python -m benchmarks.interpreters                      # LiteRT (ai-edge-litert), as shipped
    VENV/bin/python benchmarks/interpreters.py --runtime tflite-runtime

Only numpy and the runtime are imported, so the script also runs in a throwaway virtual
environment holding tflite-runtime (which needs numpy < 2, unlike the project). Prints, per model
and batch size, the median time of one invoke() on one thread.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time
from pathlib import Path

import numpy as np

MODELS = Path(__file__).resolve().parent.parent / "models"
RUNTIMES = {"litert": "ai_edge_litert.interpreter", "tflite-runtime": "tflite_runtime.interpreter"}


def invoke_ms(interpreter_class: type, model: Path, batch: int, runs: int) -> float:
    interpreter = interpreter_class(model_content=model.read_bytes(), num_threads=1)
    inp = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(inp["index"], [batch, 28, 28, 1])
    interpreter.allocate_tensors()
    rng = np.random.default_rng(0)
    interpreter.set_tensor(inp["index"], rng.integers(-128, 128, (batch, 28, 28, 1), np.int8))
    interpreter.invoke()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        interpreter.invoke()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtime", choices=sorted(RUNTIMES), default="litert")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    module = importlib.import_module(RUNTIMES[args.runtime])
    print(f"{args.runtime} with numpy {np.__version__}; median of {args.runs} invokes, 1 thread")
    for model in sorted(MODELS.glob("*.tflite")):
        for batch in (1, 8, 32, 128):
            ms = invoke_ms(module.Interpreter, model, batch, args.runs)
            per_symbol = ms / batch * 1000
            print(f"{model.name:16s} batch {batch:3d}: {ms:7.3f} ms ({per_symbol:6.1f} µs/symbol)")


if __name__ == "__main__":
    main()
