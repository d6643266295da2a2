"""The one symbol normalisation, shared by training and inference.

MNIST's convention: crop to the ink, scale the longer side to 20 px keeping the aspect ratio,
paste into 28×28 with the centre of mass in the middle, white ink on black.
"""

from __future__ import annotations

import cv2
import numpy as np

SIZE = 28
BOX = 20
INK_LEVEL = 64  # pixels at least this bright count as ink when cropping
STROKE = 2.0  # stroke width, in pixels of the 20-pixel box, below which strokes are thickened
_MAX_GROWTH = 16  # px: symbols whose strokes would need more thickening are max-pooled first


def normalize_symbol(ink: np.ndarray) -> np.ndarray:
    """Return a 28×28 uint8 image (white ink on black) for one symbol.

    `ink` is a 2-D array where ink is bright (a 0/255 mask or a grayscale image with white ink).
    An image without ink gives an all-black square.
    """
    ink = np.asarray(ink)
    if ink.dtype != np.uint8:
        ink = np.clip(ink, 0, 255).astype(np.uint8)
    out = np.zeros((SIZE, SIZE), np.uint8)
    inked = (ink >= INK_LEVEL).view(np.uint8)
    # The box of a mask's non-zero pixels, without listing them as findNonZero does (4× faster).
    x, y, w, h = cv2.boundingRect(inked)
    if w == 0:
        return out
    crop, inked = ink[y : y + h, x : x + w], inked[y : y + h, x : x + w]
    # Hairline strokes on a symbol hundreds of pixels across (a long line left in the mask)
    # would need a dilation tens of pixels wide, costing hundreds of ms. Max-pooled first, the
    # strokes keep their brightness and the picture at 20 px is the same.
    pool = int(STROKE * max(h, w) / BOX) // _MAX_GROWTH
    if pool > 1:
        crop, inked = max_pooled(crop, pool), max_pooled(inked, pool)
        h, w = crop.shape
    scale = BOX / max(h, w)
    crop = _thicken(crop, inked, STROKE / scale)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    # INTER_AREA anti-aliases when shrinking; INTER_LINEAR keeps thin strokes visible when growing.
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    glyph = cv2.resize(crop, (new_w, new_h), interpolation=interpolation)
    # Centre by mass, as MNIST does, but keep the whole glyph inside the frame.
    moments = cv2.moments(glyph)
    mass = moments["m00"]
    cx = moments["m10"] / mass if mass else new_w / 2
    cy = moments["m01"] / mass if mass else new_h / 2
    top = min(max(round(SIZE / 2 - cy), 0), SIZE - new_h)
    left = min(max(round(SIZE / 2 - cx), 0), SIZE - new_w)
    out[top : top + new_h, left : left + new_w] = glyph
    return out


def max_pooled(image: np.ndarray, factor: int) -> np.ndarray:
    """Each output pixel is the brightest of a factor×factor block: thin bright strokes are
    never lost (`clean` pools the lightest pixels of a photo with it too)."""
    block_max = cv2.dilate(image, np.ones((factor, factor), np.uint8), anchor=(0, 0))
    return np.ascontiguousarray(block_max[::factor, ::factor])


def _thicken(crop: np.ndarray, inked: np.ndarray, target: float) -> np.ndarray:
    """Widen hairline strokes (pen-tablet renders, fine pencil) towards MNIST's stroke width.

    ``inked`` is non-zero where ``crop`` counts as ink. The stroke width is estimated as twice
    the mean distance from ink to background along the stroke's middle; thicker strokes are
    left as they are.
    """
    binary = cv2.copyMakeBorder(inked, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    distance = cv2.distanceTransform(binary, cv2.DIST_L2, 3)
    _, deepest, _, _ = cv2.minMaxLoc(distance)
    width = 2 * cv2.mean(distance, (distance >= 0.5 * deepest).view(np.uint8))[0]
    grow = round(target - width)
    if grow < 1:
        return crop
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow + 1, grow + 1))
    return cv2.dilate(crop, kernel)
