"""Train the three models (digits, symbols, added) and write them, with their cards, to models/.

    python -m recognizer.training --data ../shared/data --out models/
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from recognizer.labels import ADDED, DIGITS, SYMBOLS
from recognizer.training import datasets
from recognizer.training.augment import augment
from recognizer.training.glyphs import DIGIT_VARIANTS, OPERATOR_GLYPHS, draw_glyph

DEFAULT_DATA = os.environ.get("MATHSNAP_DATA", "../shared/data")
# Drawn continental digits and looped 2s, about a quarter as many as MNIST has of each digit.
CONTINENTAL = {"flagged_one": 2500, "looped_two": 1500, "crossed_seven": 1500}

NOTES = {
    "sharing_the_work": "symbols.tflite knows every class and decides digit or not; which "
    "digit is the product of both models' digit probabilities (recognizer/classify.py)",
    "equals": "segmentation joins two stacked bars into '='; the 'equals' class catches an '=' "
    "whose bars touch",
    "obelus": "segmentation joins a bar with one dot above and one below into '÷'; the "
    "'obelus' class reads a '÷' that is one connected piece",
    "dot": "one class; the layout reads a dot on the baseline as a decimal point and a raised "
    "one as multiplication",
    "cross": "one class for × and the letter x; the layout and grammar choose by context",
    "added": "added.tflite knows every class but serves only those symbols.tflite lacks (y, "
    "sqrt): their probability is taken from the symbol model's classes in proportion "
    "(recognizer/classify.py), so retraining for new classes leaves the others as they were",
    "y": "the letter y, from BHMSDS and UNIPEN's lowercase y (not drawn: no synthetic y)",
    "sqrt": "the radical sign's own stroke (tick, V and the bar over the radicand), drawn by "
    "glyphs.py with bars 0.8-5 digits long; the radicand is not part of it",
}


def training_sets(data: Path, rng: np.random.Generator) -> dict[str, tuple[list, list[str]]]:
    """Allowed training sources only: MNIST train, BHMSDS ids < 1200 (digits, operators, x, y),
    MDAS train/val (UNIPEN's train split and synthetic strokes are added by the caller)."""
    images, labels = datasets.mnist(data, "train")
    mnist = ([*images], [str(label) for label in labels])
    bhmsds = datasets.collect(datasets.bhmsds(data, test=False))
    mdas = datasets.collect(datasets.mdas(data, ("train", "val")))
    return {"mnist": mnist, "bhmsds": bhmsds, "mdas": mdas}


def unipen(data: Path, rng: np.random.Generator,
           classes: set[str] | None = None) -> tuple[list, list[str]]:
    """UNIPEN's training writers' strokes (of `classes` if given) drawn once each, at the sizes
    symbols reach the normaliser in photos and with any pen from hairline to marker
    (augmentation varies both)."""
    inks, names = [], []
    for strokes, name, _ in datasets.unipen(data, "train", classes):
        inks.append(datasets.render_strokes(strokes, rng.uniform(24, 80), int(rng.integers(1, 6))))
        names.append(name)
    return inks, names


def synthetic(per_glyph: dict[str, int], rng: np.random.Generator) -> tuple[list, list[str]]:
    """Drawn glyphs and their class names (a digit variant is named by its digit)."""
    inks, names = [], []
    for glyph, count in per_glyph.items():
        for _ in range(count):
            inks.append(draw_glyph(glyph, int(rng.integers(24, 72)), int(rng.integers(1, 6)), rng))
            names.append(DIGIT_VARIANTS.get(glyph, glyph))
    return inks, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    parser.add_argument("--out", type=Path, default=Path("models"))
    parser.add_argument("--digit-epochs", type=int, default=20)
    parser.add_argument("--symbol-epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--width", type=int, default=16,
                        help="channels of the first full-resolution layer (the network's size)")
    parser.add_argument("--unipen", action="store_true",
                        help="add UNIPEN's training writers (drawn from their pen strokes)")
    parser.add_argument("--only", choices=("digits", "symbols", "added"),
                        help="train one model (each is seeded on its own, so this reproduces it)")
    args = parser.parse_args()
    # TensorFlow (the train extra) only once there is training to do: --help works without it.
    from recognizer.training.train import TrainConfig, train_and_convert

    rng = np.random.default_rng(args.seed)
    started = time.time()
    sets = training_sets(args.data, rng)
    mnist_inks, mnist_names = sets["mnist"]
    bh_inks, bh_names = sets["bhmsds"]
    cards = {}

    # Continental 1s and 7s, which MNIST lacks; their own generator keeps each model
    # reproducible when trained alone.
    variants = synthetic(CONTINENTAL, np.random.default_rng([args.seed, 1]))

    # Drawn with a generator of their own, so that without --unipen the rest is drawn as before.
    # Without it UNIPEN still gives its y: BHMSDS's 1,200 are one style, and y is never drawn.
    up_inks, up_names = unipen(args.data, np.random.default_rng([args.seed, 2]),
                               None if args.unipen else {"y"})
    up_digits = [k for k, n in enumerate(up_names) if n in DIGITS]
    up_operators = [k for k, n in enumerate(up_names) if n not in DIGITS]

    if args.only != "symbols":  # digit model: all MNIST train and BHMSDS (and UNIPEN) digits
        bh_digits = [i for i, n in zip(bh_inks, bh_names, strict=True) if n in DIGITS]
        digit_inks = mnist_inks + bh_digits + variants[0] + [up_inks[k] for k in up_digits]
        digit_names = (mnist_names + [n for n in bh_names if n in DIGITS] + variants[1]
                       + [up_names[k] for k in up_digits])
        cards["digits"] = train_and_convert(
            digit_inks, digit_names, DIGITS, args.out / "digits",
            TrainConfig(epochs=args.digit_epochs, seed=args.seed, augment=augment, width=args.width,
                        clean_fraction=0.5))  # the symbol model already guards against odd shapes
        print(f"digit model done in {time.time() - started:.0f} s", flush=True)

    if args.only != "digits":  # symbol and added models: every class, digits subsampled
        keep = rng.choice(len(mnist_inks), 20000, replace=False)
        some = slice(None, None, 3)  # in step with the third of MNIST kept here
        # UNIPEN: every operator, and its digits as MNIST's are, a third of them.
        up_keep = up_operators + up_digits[::3]
        op_inks = ([mnist_inks[i] for i in keep] + bh_inks + sets["mdas"][0] + variants[0][some]
                   + [up_inks[k] for k in up_keep])
        op_names = ([mnist_names[i] for i in keep] + bh_names + sets["mdas"][1]
                    + variants[1][some] + [up_names[k] for k in up_keep])
        counts = {name: op_names.count(name) for name in OPERATOR_GLYPHS}
        synth = synthetic({name: max(600, 3200 - counts[name]) for name in OPERATOR_GLYPHS}, rng)
        inks, names = op_inks + synth[0], op_names + synth[1]
        # The symbol model knows all but the added classes; the added model knows every class,
        # so that it can tell which symbols are none of its own.
        for stem, classes in (("symbols", tuple(c for c in SYMBOLS if c not in ADDED)),
                              ("added", SYMBOLS)):
            if args.only in (None, stem):
                kept = [k for k, name in enumerate(names) if name in classes]
                cards[stem] = train_and_convert(
                    [inks[k] for k in kept], [names[k] for k in kept], classes,
                    args.out / stem, TrainConfig(epochs=args.symbol_epochs, seed=args.seed,
                                                 augment=augment, width=args.width))

    minutes = (time.time() - started) / 60
    for stem, card in cards.items():
        card["command"] = (f"python -m recognizer.training --data {args.data} --out {args.out}"
                           f" --digit-epochs {args.digit_epochs}"
                           f" --symbol-epochs {args.symbol_epochs} --seed {args.seed}"
                           f" --width {args.width}" + (" --unipen" if args.unipen else ""))
        card["training_minutes"] = round(minutes, 1)
        card["notes"] = NOTES
        # Without --unipen only the symbol model gets UNIPEN, and only its y.
        up_classes = ("digits, + - * / ( ) = x y" if args.unipen
                      else "y" if stem == "added" else None)
        card["training_sets"] = [
            "MNIST train (60k)", "BHMSDS ids 0-1199", "MDAS train+val",
            *([f"UNIPEN train_r01_v07, split == train (CC BY 4.0; Guyon et al., ICPR 1994): "
               f"{up_classes}, pen strokes drawn here"] if up_classes else []),
            "synthetic strokes (recognizer/training/glyphs.py): operators, parentheses, "
            "radicals (sqrt), continental 1s and 7s, looped 2s"]
        (args.out / f"{stem}.json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"{', '.join(cards)} written to {args.out} in {minutes:.1f} min")


if __name__ == "__main__":
    main()
