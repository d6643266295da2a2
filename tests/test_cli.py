import json
import subprocess
import sys

import cv2
import pytest

from recognizer.__main__ import main
from recognizer.training.glyphs import draw_expression

KEYS = {"file", "expression", "result", "error", "confidence", "symbols", "ms"}


@pytest.fixture
def photos(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), draw_expression("2+3×4", 1))
    cv2.imwrite(str(tmp_path / "b.jpg"), draw_expression("9-5", 2))
    (tmp_path / "notes.txt").write_text("not an image, and not listed")
    return tmp_path


def test_json_lines_for_a_folder(photos, capsys):
    assert main(["--json", str(photos)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 2 and all(set(r) == KEYS for r in records)
    assert records[0]["expression"] == "2+3*4" and records[0]["result"] == "14"
    assert records[1]["result"] == "4" and records[1]["error"] is None
    symbol = records[0]["symbols"][0]
    assert set(symbol) == {"label", "box", "confidence"} and len(symbol["box"]) == 4


def test_readable_line(photos, capsys):
    main([str(photos / "a.png")])
    assert capsys.readouterr().out.strip() == f"{photos / 'a.png'}: 2+3×4 = 14"


def test_bad_file_is_reported_not_raised(tmp_path, capsys):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"garbage")
    missing = tmp_path / "missing.png"
    assert main(["--json", str(bad), str(missing)]) == 1
    first, second = (json.loads(x) for x in capsys.readouterr().out.splitlines())
    assert first["expression"] is None and first["error"]
    assert second["error"].startswith("cannot read the file")


def test_module_entry_point_prints_no_runtime_notices(photos):
    run = subprocess.run([sys.executable, "-m", "recognizer", str(photos / "b.jpg")],
                         capture_output=True, text=True, timeout=120, check=True)
    assert run.stdout.strip().endswith("9-5 = 4")
    assert run.stderr == ""  # no "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
