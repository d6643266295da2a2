"""Training data: UNIPEN strokes are filtered for label noise and drawn to scale; drawn
radicals have the proportions of handwritten ones."""

import gzip
import json

import numpy as np

from recognizer.training import datasets
from recognizer.training.glyphs import draw_glyph


def _write_unipen(root, samples):
    path = root / datasets.UNIPEN_PATH
    path.parent.mkdir(parents=True)
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for label, split, strokes in samples:
            out.write(json.dumps({"label": label, "split": split, "writer": "w1",
                                  "strokes": strokes}) + "\n")


def test_unipen_keeps_its_split_and_our_classes_and_drops_implausible_labels(tmp_path):
    bar = [[0, 50, 100, 50]]  # one flat stroke: x0, y0, x1, y1
    upright = [[50, 0, 50, 100]]
    _write_unipen(tmp_path, [
        ("7", "train", [[0, 0, 100, 0, 40, 100]]),
        ("7", "test", [[0, 0, 100, 0, 40, 100]]),  # other split
        ("-", "train", bar),
        ("-", "train", upright),  # a "minus" standing upright: label noise
        ("+", "train", bar + upright),
        ("+", "train", bar),  # a plus missing its upright would teach "-" as plus
        ("(", "train", [[60, 0, 40, 50, 60, 100]]),
        ("(", "train", bar),  # a bracket wider than tall
        ("x", "train", [[0, 0, 100, 100], [100, 0, 0, 100]]),
        ("y", "train", [[0, 0, 50, 50], [100, 0, 20, 100]]),
        ("Y", "train", [[0, 0, 50, 50, 100, 0], [50, 50, 50, 100]]),  # a capital: not our y
        (".", "train", [[5, 5]]),  # no class of ours
    ])
    read = [(name, len(strokes)) for strokes, name, _ in datasets.unipen(tmp_path, "train")]
    assert read == [("7", 1), ("minus", 1), ("plus", 2), ("lparen", 1), ("cross", 2), ("y", 2)]
    only_y = [name for _, name, _ in datasets.unipen(tmp_path, "train", {"y"})]
    assert only_y == ["y"]


def test_render_strokes_scales_the_longer_side_and_draws_the_pen_width():
    strokes = [np.array([[0, 0], [0, 300]], np.float32), np.array([[0, 0], [100, 0]], np.float32)]
    thin = datasets.render_strokes(strokes, 40, 1)
    thick = datasets.render_strokes(strokes, 40, 5)
    rows, cols = np.nonzero(thin > 127)
    assert 38 <= np.ptp(rows) + 1 <= 42  # the longer side drawn 40 px tall
    assert 11 <= np.ptp(cols) + 1 <= 16  # aspect kept: 100/300 of it wide
    assert (thick > 127).sum() > 3 * (thin > 127).sum()
    dot = datasets.render_strokes([np.array([[3, 3]], np.float32)], 40, 4)
    assert (dot > 127).sum() > 0  # a single point is a dot, not nothing


def test_radical_is_tightly_cropped_about_a_digit_and_a_third_tall_with_a_varied_bar():
    rng = np.random.default_rng(1)
    heights, aspects = [], []
    for _ in range(200):
        ink = draw_glyph("sqrt", 40, 2, rng)
        assert ink[0].any() and ink[-1].any() and ink[:, 0].any() and ink[:, -1].any()
        heights.append(ink.shape[0] / 40)
        aspects.append(ink.shape[1] / ink.shape[0])
    assert min(heights) >= 1.05 and max(heights) <= 1.65  # 1.1-1.5 digits, plus the pen
    assert min(aspects) < 1.0 and max(aspects) > 2.0  # a bar over one digit or over several
