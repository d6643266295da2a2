"""Robustness on real handwriting: the development photos taken again, as it were, a little
worse (smaller, turned, over- and underexposed, unevenly lit, blurred, compressed, noisy).

    python -m benchmarks.perturbed --data ../shared/data

The composed benchmark re-draws strokes evenly; these are real writers' strokes, with their
texture. Development photos only: the holdout is never opened. Each photo is first scaled to
1280 px (its long side, as Telegram sends it); every perturbation is deterministic. Prints
exact-expression reads per perturbation and every failure.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import DEFAULT_DATA, machine
from recognizer.bench import canonical_label, load_cases
from recognizer.pipeline import load_models, recognize

SIDE = 1280


def _turned(image: np.ndarray, degrees: float) -> np.ndarray:
    """Turned about its centre; the corners filled with the picture mirrored at its edges, so
    that the paper and its shading go on (a flat fill leaves a step that reads as a stroke)."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT_101)


def _gamma(image: np.ndarray, gamma: float) -> np.ndarray:
    """Below 1 an overexposed photo (ink washed out to grey), above 1 an underexposed one."""
    table = np.round(255 * (np.arange(256) / 255) ** gamma).astype(np.uint8)
    return cv2.LUT(image, table)


def _light_falloff(image: np.ndarray) -> np.ndarray:
    """The light falling off across the page to under half at one side."""
    ramp = np.linspace(0.45, 1.0, image.shape[1], dtype=np.float32)[None, :, None]
    return (image * ramp).astype(np.uint8)


def _noisy(image: np.ndarray) -> np.ndarray:
    noise = np.random.default_rng(0).normal(0, 8, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def _scaled(image: np.ndarray, side: int) -> np.ndarray:
    scale = side / max(image.shape[:2])
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


# name → (what it does to the 1280 px photo, JPEG quality)
PERTURBATIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], int]] = {
    "as sent": (lambda im: im, 88),
    "800 px": (lambda im: _scaled(im, 800), 88),
    "turned +4°": (lambda im: _turned(im, 4), 88),
    "turned -6°": (lambda im: _turned(im, -6), 88),
    "overexposed": (lambda im: _gamma(im, 0.6), 88),
    "underexposed": (lambda im: _gamma(im, 1.8), 88),
    "light falloff": (_light_falloff, 88),
    "blurred": (lambda im: cv2.GaussianBlur(im, (0, 0), 1.5), 88),
    "JPEG q30": (lambda im: im, 30),
    "sensor noise": (_noisy, 88),
}


def perturbed(image: np.ndarray, name: str) -> bytes:
    """JPEG bytes of a BGR photo scaled to 1280 px and then perturbed."""
    change, quality = PERTURBATIONS[name]
    picture = change(_scaled(image, SIDE))
    return cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    folder = args.data / "expressions"
    if not (folder / "labels.csv").is_file():
        raise SystemExit(f"No development photos at {folder}: the data set is absent. "
                         "Pass --data or set MATHSNAP_DATA.")
    cases = [c for c in load_cases(folder) if c.kind != "crohme_render"]
    load_models()
    print(f"machine: {machine()}")
    print(f"{len(cases)} development photos, each scaled to {SIDE} px and then perturbed")
    started = time.perf_counter()
    failures: dict[str, list[str]] = {}
    total = 0
    for name in PERTURBATIONS:
        failures[name] = []
        for case in cases:
            recognition = recognize(perturbed(cv2.imread(str(case.path)), name))
            if recognition.expression != canonical_label(case.expected):
                failures[name].append(f"{case.path.name}: {canonical_label(case.expected)} → "
                                      f"{recognition.expression or recognition.error}")
        read = len(cases) - len(failures[name])
        total += read
        print(f"{name:14s} {read:3d}/{len(cases)} read exactly ({100 * read / len(cases):5.1f}%)",
              flush=True)
    runs = len(cases) * len(PERTURBATIONS)
    print(f"{'all':14s} {total:3d}/{runs} read exactly ({100 * total / runs:5.1f}%) "
          f"in {time.perf_counter() - started:.0f} s")
    print("-- failures (expected → read or error)")
    for name, lines in failures.items():
        for line in lines:
            print(f"{name:14s} {line}")


if __name__ == "__main__":
    main()
