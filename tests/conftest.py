"""Fixtures shared by the benchmarks' tests."""

import numpy as np
import pytest

from benchmarks.composed import Crop
from recognizer.training.glyphs import draw_glyph

_CLASSES = (*"0123456789", "plus", "minus", "cross", "asterisk", "dot", "obelus", "slash",
            "lparen", "rparen", "y")


@pytest.fixture(scope="module")
def bank() -> dict[str, list[Crop]]:
    """Two drawn crops per class, standing in for the test splits (no data folder needed)."""
    rng = np.random.default_rng(0)
    drawn = {name: [Crop(draw_glyph(name, 40, 3, rng), False) for _ in range(2)]
             for name in _CLASSES}
    return {**drawn, "letter_x": drawn["cross"]}
