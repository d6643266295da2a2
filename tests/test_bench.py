import subprocess
import sys

import cv2
import numpy as np

from recognizer.bench import Case, Outcome, as_jpeg, canonical_label, trust_line
from recognizer.types import Recognition


def test_missing_data_is_said_plainly(tmp_path):
    run = subprocess.run([sys.executable, "-m", "recognizer.bench", "--data", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "data set is absent" in run.stderr


def test_labels_are_compared_in_canonical_form():
    assert canonical_label("3×(4 ÷ 2)−1") == "3*(4/2)-1"


def outcome(expression, result, error=None, expected="7÷2", value="3.5"):
    case = Case(path=None, expected=expected, value=value, source="xx", kind="photo")
    return Outcome(case, Recognition(expression=expression, result=result, error=error), 1.0)


def test_exact_and_result_judgement():
    assert outcome("7/2", "7/2").exact and outcome("7/2", "7/2").result_ok
    assert not outcome("1/2", "1/2").exact and outcome("1/2", "1/2").result_ok is False
    assert outcome(None, None, "oops").result_ok is False
    assert outcome("7/0", None, "division by zero", "7÷0", "ZeroDivisionError").result_ok
    assert outcome("2x", "2*x", value="").result_ok is None


def test_trust_line_counts_the_gates_two_failures_among_answers():
    case = Case(path=None, expected="7÷2", value="3.5", source="xx", kind="photo")
    outcomes = [Outcome(case, Recognition("7/2", "7/2", sure=True), 1.0),  # right, sure
                Outcome(case, Recognition("7/2", "7/2", sure=False), 1.0),  # right, unsure
                Outcome(case, Recognition("1/2", "1/2", sure=True), 1.0),  # wrong, sure
                Outcome(case, Recognition("1/2", "1/2", sure=False), 1.0),  # wrong, unsure
                Outcome(case, Recognition(None, None, error="oops"), 1.0)]  # no answer
    line = trust_line("all", outcomes)
    assert "answers    4" in line
    assert "wrong but sure  25.0%" in line and "right but unsure  25.0%" in line


def test_telegram_copies_shrink_but_never_enlarge(tmp_path):
    def long_side(data: bytes) -> int:
        return max(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE).shape)

    big, small = tmp_path / "big.png", tmp_path / "small.png"
    cv2.imwrite(str(big), np.full((1500, 3000), 255, np.uint8))
    cv2.imwrite(str(small), np.full((300, 400), 255, np.uint8))
    assert long_side(as_jpeg(big, 1280)) == 1280
    assert long_side(as_jpeg(small, 1280)) == 400
    assert long_side(as_jpeg(small, 1280, enlarge=True)) == 1280
