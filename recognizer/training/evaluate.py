"""Accuracy per set and class, confusion matrices and speed of the shipped models.

    python -m recognizer.training.evaluate --data ../shared/data [--cards] [--float]

Test splits only: MNIST t10k, BHMSDS ids 1200-1499, MDAS test, UNIPEN's test writers (drawn
at a fixed size and pen), the two unlicensed sets (simepavlic, sagyamthapa) whose writers
the models never saw, and radicals drawn with a seed training never uses. The letter y is
reported apart (bhmsds_test_y, unipen_test_y), so the other sets compare with models from
before it. Uses the runtime (LiteRT), not
TensorFlow, so it measures exactly what ships.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from recognizer.classify import MODELS_DIR, SymbolClassifier, _Model
from recognizer.labels import DIGITS, SYMBOLS
from recognizer.normalize import normalize_symbol
from recognizer.training import datasets
from recognizer.training.glyphs import draw_glyph

# Classes added after the first shipped models: sets of their own keep the others comparable.
NEW_CLASSES = ("y", "sqrt")
SQRT_SEED = 10_000  # training seeds its generators from --seed (7 as shipped), never this
SQRT_SAMPLES = 1000


def test_sets(data: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name → (normalised images, class indices into SYMBOLS)."""
    images, labels = datasets.mnist(data, "t10k")
    sets = {"mnist_t10k": (np.stack([normalize_symbol(i) for i in images]), labels.astype(int))}
    for name, samples in (("bhmsds_test", datasets.bhmsds(data, test=True)),
                          ("mdas_test", datasets.mdas(data, ("test",))),
                          ("simepavlic_unseen", datasets.simepavlic(data)),
                          ("sagyamthapa_unseen", datasets.sagyamthapa(data))):
        inks, names = datasets.collect(samples)
        _add(sets, name, np.stack([normalize_symbol(i) for i in inks]),
             np.array([SYMBOLS.index(n) for n in names]))
    if (data / datasets.UNIPEN_PATH).is_file():
        strokes = list(datasets.unipen(data, "test"))
        _add(sets, "unipen_test",
             np.stack([normalize_symbol(datasets.render_strokes(s, 48, 3)) for s, _, _ in strokes]),
             np.array([SYMBOLS.index(name) for _, name, _ in strokes]))
    # Drawn as training draws them (digit heights 24-72 px, pens 1-5 px), from another seed.
    rng = np.random.default_rng(SQRT_SEED)
    radicals = [draw_glyph("sqrt", int(rng.integers(24, 72)), int(rng.integers(1, 6)), rng)
                for _ in range(SQRT_SAMPLES)]
    sets["sqrt_drawn"] = (np.stack([normalize_symbol(ink) for ink in radicals]),
                          np.full(SQRT_SAMPLES, SYMBOLS.index("sqrt")))
    return sets


def _add(sets: dict, name: str, images: np.ndarray, truth: np.ndarray) -> None:
    """sets[name], its samples of each new class split off into a set named after the class."""
    new = np.isin(truth, [SYMBOLS.index(c) for c in NEW_CLASSES])
    sets[name] = (images[~new], truth[~new])
    for c in NEW_CLASSES:
        mine = truth == SYMBOLS.index(c)
        if mine.any():
            sets[f"{name}_{c}"] = (images[mine], truth[mine])


def accuracy(predicted: np.ndarray, truth: np.ndarray) -> float:
    return float((predicted == truth).mean()) if len(truth) else float("nan")


def evaluate(classifier: SymbolClassifier, sets: dict) -> dict[str, dict[str, float]]:
    report: dict[str, dict[str, float]] = {}
    digit_count = len(DIGITS)
    for name, (images, truth) in sets.items():
        combined = classifier.classify(images).argmax(axis=1)
        alone = classifier.symbols.predict(images).argmax(axis=1)
        digits = truth < digit_count
        operators = ~digits
        row = {"samples": len(truth),
               "combined_all": accuracy(combined, truth),
               "symbol_model_all": accuracy(alone, truth)}
        if digits.any():
            digit_alone = classifier.digits.predict(images[digits]).argmax(axis=1)
            row |= {"digits_combined": accuracy(combined[digits], truth[digits]),
                    "digits_symbol_model": accuracy(alone[digits], truth[digits]),
                    "digits_digit_model": accuracy(digit_alone, truth[digits])}
        if operators.any():
            row |= {"operators_combined": accuracy(combined[operators], truth[operators])}
        report[name] = row
        print(f"\n== {name}: {len(truth)} symbols")
        for key, value in row.items():
            if key != "samples":
                print(f"  {key:22s} {100 * value:6.2f}%")
        _per_class(combined, truth)
    return report


def _per_class(predicted: np.ndarray, truth: np.ndarray) -> None:
    present = sorted(set(truth.tolist()) | set(predicted.tolist()))
    names = [SYMBOLS[i][:5] for i in present]
    print("  per class: " + ", ".join(
        f"{SYMBOLS[c]} {100 * accuracy(predicted[truth == c], truth[truth == c]):.1f}%"
        for c in sorted(set(truth.tolist()))))
    print("  confusion (rows truth, columns predicted):")
    print("        " + " ".join(f"{n:>5s}" for n in names))
    for c in sorted(set(truth.tolist())):
        counts = [int(((truth == c) & (predicted == p)).sum()) for p in present]
        print(f"  {SYMBOLS[c][:5]:>5s} " + " ".join(f"{n:5d}" for n in counts))


def microseconds_per_symbol(model: _Model, batch: np.ndarray, runs: int = 30) -> float:
    """Median over `runs` timed batches (after one warm-up), one thread."""
    model.predict(batch)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        model.predict(batch)
        times.append((time.perf_counter() - started) / len(batch) * 1e6)
    return float(np.median(times))


def speed(classifier: SymbolClassifier, images: np.ndarray, batch: int = 128) -> dict:
    """Median µs per symbol over several runs, one thread, batches of `batch`."""
    chunk = images[:batch]
    result = {}
    for name, model in (("symbol_model", classifier.symbols), ("digit_model", classifier.digits)):
        result[name] = microseconds_per_symbol(model, chunk)
        print(f"{name}: {result[name]:.1f} µs/symbol (median of 30 batches of {len(chunk)}, "
              f"1 thread, {platform.processor() or platform.machine()}, {os.cpu_count()} cores)")
    return result


def compare_float(models: Path, sets: dict) -> None:
    """int8 against the float network it was quantised from, where training left one beside it."""
    for stem, columns in (("symbols", SYMBOLS), ("digits", DIGITS)):
        reference = models / f"{stem}.float.tflite"
        if not reference.is_file():
            print(f"{stem}: no {reference.name} (written by training, not shipped): skipped")
            continue
        pair = {"int8": _Model(models / f"{stem}.tflite"), "float": _Model(reference)}
        for name, (images, truth) in sets.items():
            keep = truth < len(columns)
            if not keep.any():
                continue
            scores = {kind: accuracy(m.predict(images[keep]).argmax(axis=1), truth[keep])
                      for kind, m in pair.items()}
            print(f"{stem} on {name}: int8 {100 * scores['int8']:.2f}%  "
                  f"float {100 * scores['float']:.2f}%")
        probe = next(iter(sets.values()))[0][:128]
        for kind, model in pair.items():
            print(f"{stem} {kind}: {microseconds_per_symbol(model, probe):.1f} µs/symbol, "
                  f"{model.path.stat().st_size // 1024} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path,
                        default=Path(os.environ.get("MATHSNAP_DATA", "../shared/data")))
    parser.add_argument("--models", type=Path, default=MODELS_DIR)
    parser.add_argument("--cards", action="store_true",
                        help="write the figures into the models' JSON cards")
    parser.add_argument("--float", action="store_true",
                        help="also compare each int8 model with its float original")
    args = parser.parse_args()
    if not (args.data / "mnist").is_dir():
        raise SystemExit(f"No data at {args.data}: pass --data or set MATHSNAP_DATA.")
    classifier = SymbolClassifier(args.models)
    sets = test_sets(args.data)
    report = evaluate(classifier, sets)
    timing = speed(classifier, sets["mnist_t10k"][0])
    if args.float:
        compare_float(args.models, sets)
    if args.cards:
        for stem, model in (("symbols", "symbol_model"), ("digits", "digit_model")):
            path = args.models / f"{stem}.json"
            card = json.loads(path.read_text())
            card["test_accuracy"] = report
            card["microseconds_per_symbol_batch128_one_core"] = round(timing[model], 1)
            path.write_text(json.dumps(card, indent=2) + "\n")


if __name__ == "__main__":
    main()
