"""Pure logic of the composed-expression benchmark: no data folder needed."""

import cv2
import numpy as np
import pytest

from benchmarks.composed import random_expression, thin, with_orientation
from recognizer.bench import canonical_label
from recognizer.decode import decode_image
from recognizer.grammar import canonical, parse, tokenize


def test_random_expressions_are_short_and_parse_to_their_canonical_label() -> None:
    for seed in range(300):
        text = random_expression(np.random.default_rng(seed))
        assert 3 <= len(text) <= 12, text
        tokens = tokenize(canonical_label(text))
        assert canonical(tokens) == canonical_label(text)
        parse(tokens)  # raises if the expression is not valid


@pytest.mark.parametrize(("orientation", "stored_as"),
                         [(6, cv2.ROTATE_90_COUNTERCLOCKWISE), (8, cv2.ROTATE_90_CLOCKWISE)])
def test_exif_orientation_written_here_is_undone_by_the_decoder(orientation, stored_as) -> None:
    upright = np.full((120, 200, 3), 255, np.uint8)
    upright[:40, :60] = 0  # a dark top-left corner tells the four rotations apart
    stored = cv2.rotate(upright, stored_as)
    jpeg = cv2.imencode(".jpg", stored, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    decoded = decode_image(with_orientation(jpeg, orientation), grey=True)
    assert decoded.shape == (120, 200)
    assert decoded[:40, :60].mean() < 60 and decoded[80:, 140:].mean() > 200


def test_thinning_leaves_a_one_pixel_centre_line() -> None:
    bar = np.zeros((20, 40), bool)
    bar[7:13, 5:35] = True
    line = thin(bar)
    assert line[10, 10:30].sum() + line[9, 10:30].sum() == 20  # one row through the middle
    assert line.sum(axis=0).max() == 1
