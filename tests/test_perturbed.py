"""Pure logic of the perturbed-photo benchmark: no data folder needed."""

import cv2
import numpy as np
import pytest

from benchmarks.perturbed import PERTURBATIONS, perturbed
from recognizer.training.glyphs import draw_expression


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    drawn = draw_expression("2+3×4", 0, height=90, background="plain")
    return cv2.copyMakeBorder(drawn, 200, 200, 150, 150, cv2.BORDER_REPLICATE)


@pytest.mark.parametrize("name", list(PERTURBATIONS))
def test_every_perturbation_gives_a_photo_of_telegram_size(photo, name) -> None:
    image = cv2.imdecode(np.frombuffer(perturbed(photo, name), np.uint8), cv2.IMREAD_COLOR)
    assert max(image.shape[:2]) == (800 if name == "800 px" else 1280)


def test_exposure_moves_the_ink_and_keeps_the_paper(photo) -> None:
    def grey(name: str) -> np.ndarray:
        return cv2.imdecode(np.frombuffer(perturbed(photo, name), np.uint8), cv2.IMREAD_GRAYSCALE)

    sent, over, under = grey("as sent"), grey("overexposed"), grey("underexposed")
    ink = sent < 100
    assert over[ink].mean() > sent[ink].mean() + 40 > under[ink].mean() + 40
    assert abs(float(np.median(over)) - float(np.median(sent))) < 15


def test_a_turned_photo_has_no_flat_corners(photo) -> None:
    """The corners are the page mirrored, not a fill whose edge would read as a stroke."""
    turned = cv2.imdecode(np.frombuffer(perturbed(photo, "turned -6°"), np.uint8),
                          cv2.IMREAD_GRAYSCALE)
    edges = cv2.Canny(turned, 50, 150)
    assert np.count_nonzero(edges[:, :20]) == 0 and np.count_nonzero(edges[:, -20:]) == 0
