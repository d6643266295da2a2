import cv2
import numpy as np
import pytest

from recognizer.classify import MODELS_DIR, SymbolClassifier, default_classifier
from recognizer.labels import DIGITS, SYMBOLS
from recognizer.normalize import normalize_symbol


def drawn(name: str, thickness: int = 5) -> np.ndarray:
    """A symbol drawn here with plain OpenCV lines, as a photo's ink mask would look."""
    ink = np.zeros((120, 120), np.uint8)
    if name == "1":
        cv2.line(ink, (62, 15), (58, 105), 255, thickness)
        cv2.line(ink, (62, 15), (45, 32), 255, thickness)
    elif name == "plus":
        cv2.line(ink, (30, 60), (90, 62), 255, thickness)
        cv2.line(ink, (60, 30), (61, 90), 255, thickness)
    elif name == "minus":
        cv2.line(ink, (25, 60), (95, 58), 255, thickness)
    elif name == "lparen":
        cv2.ellipse(ink, (80, 60), (30, 50), 0, 120, 240, 255, thickness)
    elif name == "7":
        cv2.line(ink, (30, 15), (90, 15), 255, thickness)
        cv2.line(ink, (90, 15), (50, 105), 255, thickness)
    elif name == "sqrt":  # tick, V and a bar
        cv2.polylines(ink, [np.int32([(10, 70), (22, 62), (40, 105), (58, 15), (112, 15)])],
                      False, 255, thickness)
    return ink


def test_models_ship_with_cards():
    for stem in ("symbols", "digits", "added"):
        assert (MODELS_DIR / f"{stem}.tflite").stat().st_size < 150_000
        assert (MODELS_DIR / f"{stem}.json").is_file()


@pytest.mark.parametrize("name", ["1", "plus", "minus", "lparen", "7", "sqrt"])
@pytest.mark.parametrize("thickness", [3, 7])
def test_drawn_symbols_are_classified(name, thickness):
    probs = default_classifier().classify(normalize_symbol(drawn(name, thickness))[None])
    assert probs.shape == (1, len(SYMBOLS))
    assert SYMBOLS[int(probs[0].argmax())] == name


def test_probabilities_are_a_distribution_for_a_batch():
    batch = np.stack([normalize_symbol(drawn(n)) for n in ("1", "plus", "minus")] * 20)
    probs = default_classifier().classify(batch)
    assert probs.shape == (60, len(SYMBOLS))
    assert np.allclose(probs.sum(axis=1), 1, atol=0.02)
    assert (probs >= 0).all()


def test_digit_model_refines_only_digits():
    classifier = SymbolClassifier()
    digit_probs = classifier.digits.predict(normalize_symbol(drawn("7"))[None])
    assert digit_probs.shape == (1, len(DIGITS)) and DIGITS[int(digit_probs.argmax())] == "7"


def test_empty_batch():
    assert default_classifier().classify(np.zeros((0, 28, 28), np.uint8)).shape == (0, len(SYMBOLS))


def test_batch_larger_than_the_largest_bucket_matches_one_by_one():
    # 70 symbols run as chunks of 32, 32 and 6 (padded to 8); each row must be what the symbol
    # alone gets, so the chunking neither drops, shifts nor mixes rows.
    names = ("1", "plus", "minus", "lparen", "7")
    batch = np.stack([normalize_symbol(drawn(names[k % 5], 3 + k % 5)) for k in range(70)])
    classifier = default_classifier()
    together = classifier.classify(batch)
    alone = np.concatenate([classifier.classify(image[None]) for image in batch])
    assert together.shape == (70, len(SYMBOLS))
    assert np.allclose(together, alone, atol=1e-5)


def test_the_added_model_only_adds_its_classes(tmp_path):
    # The same models without added.tflite: the symbol model's classes keep their odds to
    # one another, whatever share the added classes take.
    for name in ("symbols.tflite", "symbols.json", "digits.tflite", "digits.json"):
        (tmp_path / name).write_bytes((MODELS_DIR / name).read_bytes())
    batch = np.stack([normalize_symbol(drawn(n)) for n in ("1", "plus", "7", "sqrt")])
    alone = SymbolClassifier(tmp_path).classify(batch)
    both = default_classifier().classify(batch)
    added = [SYMBOLS.index(name) for name in ("y", "sqrt")]
    assert not alone[:, added].any()
    kept = [k for k in range(len(SYMBOLS)) if k not in added]
    share = 1 - both[:, added].sum(axis=1, keepdims=True)
    assert np.allclose(both[:, kept], alone[:, kept] * share, atol=1e-5)
