"""Augmentation that imitates what photo segmentation hands the classifier.

Works on an ink mask (bright ink) of any size and returns the normalised 28×28 symbol, so
training images pass through exactly the normalisation used at inference.
"""

from __future__ import annotations

import cv2
import numpy as np

from recognizer.normalize import normalize_symbol

WORK = 48  # longer side at which strokes are thickened, thinned and broken


def augment(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    mask = _to_work_size(ink)
    mask = _affine(mask, rng)
    mask = _thickness(mask, rng)
    if rng.random() < 0.15:
        mask = _break_strokes(mask, rng)
    if rng.random() < 0.3:
        mask = _low_resolution(mask, rng)
    if rng.random() < 0.3:
        mask = cv2.GaussianBlur(mask, (3, 3), rng.uniform(0.5, 1.2))
        _, mask = cv2.threshold(mask, int(rng.uniform(60, 180)), 255, cv2.THRESH_BINARY)
    return normalize_symbol(mask)


def _to_work_size(ink: np.ndarray) -> np.ndarray:
    points = cv2.findNonZero((ink >= 64).view(np.uint8))
    if points is None:
        return np.zeros((WORK, WORK), np.uint8)
    x, y, w, h = cv2.boundingRect(points)
    crop = ink[y : y + h, x : x + w]
    scale = WORK / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    crop = cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR)
    return cv2.copyMakeBorder(crop, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=0)


def _affine(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = mask.shape
    angle = rng.normal(0, 6)
    shear = rng.normal(0, 0.12)
    sx, sy = np.exp(rng.normal(0, 0.08, 2))
    if rng.random() < 0.2:  # writers draw the same symbol much wider or narrower
        sx *= np.exp(rng.uniform(-0.5, 0.6))
    rotation = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    matrix = rotation @ np.array([[sx, shear, 0], [0, sy, 0], [0, 0, 1]], np.float64)
    matrix[:, 2] += np.array([w / 2, h / 2]) - matrix[:, :2] @ np.array([w / 2, h / 2])
    return cv2.warpAffine(mask, matrix, (w, h), flags=cv2.INTER_LINEAR)


def _thickness(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    size = int(rng.choice([1, 1, 2, 3, 3, 5]))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    if rng.random() < 0.5:
        return cv2.dilate(mask, kernel)
    thinner = cv2.erode(mask, kernel)
    # Keep a stroke that erosion would wipe out.
    return thinner if thinner.sum() > 0.35 * mask.sum() else mask


def _break_strokes(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    points = cv2.findNonZero((mask > 127).view(np.uint8))
    if points is None:
        return mask
    out = mask.copy()
    cx, cy = points.reshape(-1, 2)[rng.integers(len(points))]
    angle = rng.uniform(0, np.pi)
    dx, dy = 8 * np.cos(angle), 8 * np.sin(angle)
    cv2.line(out, (int(cx - dx), int(cy - dy)), (int(cx + dx), int(cy + dy)), 0,
             int(rng.integers(1, 3)))
    return out


def _low_resolution(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Symbols only 10–24 px tall in a photo: shrink, binarise, and let normalisation regrow."""
    h, w = mask.shape
    scale = rng.uniform(12, 26) / max(h, w)
    small = cv2.resize(mask, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    _, binary = cv2.threshold(small, int(rng.uniform(50, 120)), 255, cv2.THRESH_BINARY)
    # Thresholding can erase thin strokes and change the symbol's identity: keep those as they were.
    return binary if binary.sum() > 0.6 * small.sum() else small
