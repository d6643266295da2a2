import cv2
import numpy as np
import pytest

from recognizer.normalize import BOX, SIZE, normalize_symbol


def bar(h: int, w: int, pad: int = 5) -> np.ndarray:
    image = np.zeros((h + 2 * pad, w + 2 * pad), np.uint8)
    image[pad : pad + h, pad : pad + w] = 255
    return image


def ink_box(image: np.ndarray) -> tuple[int, int]:
    rows = np.flatnonzero(image.max(axis=1) >= 64)
    cols = np.flatnonzero(image.max(axis=0) >= 64)
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_output_is_28x28_uint8_white_on_black():
    out = normalize_symbol(bar(50, 50))
    assert out.shape == (SIZE, SIZE) and out.dtype == np.uint8
    assert out[0, 0] == 0 and out.max() == 255


@pytest.mark.parametrize(("h", "w"), [(80, 10), (10, 80), (40, 40), (300, 60)])
def test_aspect_ratio_is_kept_and_long_side_is_20(h, w):
    out_h, out_w = ink_box(normalize_symbol(bar(h, w)))
    assert max(out_h, out_w) == BOX
    assert abs(out_h / out_w - h / w) < 0.35 * max(1, h / w)


def test_centred_by_mass():
    image = np.zeros((100, 100), np.uint8)
    image[70:90, 5:25] = 255  # off-centre blob
    out = normalize_symbol(image).astype(float)
    ys, xs = np.indices(out.shape)
    assert abs((ys * out).sum() / out.sum() - SIZE / 2) < 1
    assert abs((xs * out).sum() / out.sum() - SIZE / 2) < 1


def test_minus_stays_flat_and_one_stays_thin():
    minus_h, minus_w = ink_box(normalize_symbol(bar(6, 60)))
    one_h, one_w = ink_box(normalize_symbol(bar(60, 8)))
    assert minus_w == BOX and minus_h <= 4
    assert one_h == BOX and one_w <= 5


def test_empty_input_gives_black_square():
    assert not normalize_symbol(np.zeros((10, 10), np.uint8)).any()


def test_same_result_for_bool_and_uint8_masks():
    mask = bar(30, 12) > 0
    assert np.array_equal(normalize_symbol(mask.astype(np.uint8) * 255),
                          normalize_symbol(np.where(mask, 255, 0)))


@pytest.mark.parametrize("scale", [1.0, 4.0, 16.0])
def test_hairline_symbols_normalise_alike_at_any_size(scale: float):
    """A 2 px pen on a digit 30, 120 or 480 px tall: thickened to the same stroke in the 20 px
    box (the largest is max-pooled first, to spare a dilation tens of pixels wide)."""
    def seven(size: float) -> np.ndarray:
        image = np.zeros((round(40 * size), round(30 * size)), np.uint8)
        points = (np.array([[3, 5], [27, 5], [12, 36]]) * size).astype(np.int32)
        cv2.polylines(image, [points], False, 255, 2)
        return image

    def near(mask: np.ndarray) -> np.ndarray:  # within a pixel of the mask
        return cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0

    reference = normalize_symbol(seven(1.0)) >= 128
    out = normalize_symbol(seven(scale)) >= 128
    assert near(reference)[out].all()  # no ink where the small one has none
    assert near(out)[reference].mean() > 0.8  # and most of its ink
