import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from recognizer.__main__ import as_line, main, package_version
from recognizer.training.glyphs import draw_expression
from recognizer.types import Recognition

KEYS = {"file", "expression", "result", "error", "confidence", "sure", "symbols", "problems",
        "ms"}


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
    assert records[0]["sure"] is True  # a clear drawing: no other reading comes close
    symbol = records[0]["symbols"][0]
    assert set(symbol) == {"label", "box", "confidence"} and len(symbol["box"]) == 4


def test_readable_line_shows_what_replies_show(photos, capsys):
    assert main([str(photos / "a.png")]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == f"{photos / 'a.png'}: 2 + 3 × 4 = 14"
    assert captured.err == ""


def test_readable_line_for_a_tower_and_an_equation(tmp_path, capsys):
    cv2.imwrite(str(tmp_path / "eq.png"), draw_expression("2x+3=11", 1))
    assert main([str(tmp_path / "eq.png")]) == 0
    assert capsys.readouterr().out.strip() == f"{tmp_path / 'eq.png'}: 2x + 3 = 11 → x = 4"
    assert as_line(Path("t.png"), Recognition("2^3^2", "512", sure=True)) == \
        "t.png: 2^(3²) = 512"
    decimal = Recognition("1/3", "1/3", "0.3333333333", sure=True)
    assert as_line(Path("d.png"), decimal) == "d.png: 1⁄3 = 1/3 ≈ 0.3333333333"
    root = Recognition("x^2=2", "x = -sqrt(2), x = sqrt(2)", "x ≈ -1.414213562, x ≈ 1.414213562",
                       sure=True)
    assert as_line(Path("r.png"), root) == \
        "r.png: x² = 2 → x = −√2, x = √2 (x ≈ −1.414213562, x ≈ 1.414213562)"
    doubtful = Recognition("17*1", "17", doubt=0.5)
    assert as_line(Path("u.png"), doubtful) == "u.png: 17 × 1 = 17  (not sure: check the reading)"


def test_bad_file_is_reported_not_raised(tmp_path, capsys):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"garbage")
    missing = tmp_path / "missing.png"
    assert main(["--json", str(bad), str(missing)]) == 1
    first, second = (json.loads(x) for x in capsys.readouterr().out.splitlines())
    assert set(first) == set(second) == KEYS
    assert first["expression"] is None and first["error"]
    assert second["error"].startswith("cannot read the file")


@pytest.mark.parametrize("as_json", [False, True])
def test_an_unreadable_image_alone_fails_the_run(tmp_path, capsys, as_json):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"garbage")
    assert main([*(["--json"] if as_json else []), str(bad)]) == 1
    captured = capsys.readouterr()
    if as_json:
        assert json.loads(captured.out)["error"]
    else:
        assert captured.out == ""
        assert captured.err.startswith(f"{bad}: error: ")


def test_an_unsolvable_expression_fails_the_run_with_its_error_on_stderr(tmp_path, capsys):
    cv2.imwrite(str(tmp_path / "zero.png"), draw_expression("7÷0", 4))
    cv2.imwrite(str(tmp_path / "fine.png"), draw_expression("9-5", 2))
    assert main([str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out.strip() == f"{tmp_path / 'fine.png'}: 9 − 5 = 4"
    assert captured.err.strip() == f"{tmp_path / 'zero.png'}: 7 ÷ 0 → error: division by zero"


@pytest.mark.parametrize("as_json", [False, True])
def test_an_empty_folder_is_an_error(tmp_path, capsys, as_json):
    (tmp_path / "notes.txt").write_text("no images here")
    assert main([*(["--json"] if as_json else []), str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{tmp_path}: error: no images in this folder")


def test_help_describes_path(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "an image file (.bmp, .jpeg, .jpg, .png, .webp) or a folder of images" in text
    assert "Exit status" in text


def test_version(capsys, monkeypatch):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"mathsnap {importlib.metadata.version('mathsnap')}"

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert package_version() == "unknown (not installed)"


def test_module_entry_point_prints_no_runtime_notices(photos):
    run = subprocess.run([sys.executable, "-m", "recognizer", str(photos / "b.jpg")],
                         capture_output=True, text=True, timeout=120, check=True)
    assert run.stdout.strip().endswith("9 − 5 = 4")
    assert run.stderr == ""  # no "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."


def test_typed_text_with_steps(capsys):
    assert main(["--text", "2x+3=11", "--steps"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "2x+3=11: 2x + 3 = 11 → x = 4"
    assert [line.strip().split("   ")[0] for line in lines[1:]] == \
        ["2x + 3 = 11", "2x = 8", "x = 4"]
    assert lines[2].endswith("subtract 3 from both sides")


def test_typed_text_as_json_with_steps(capsys):
    assert main(["--json", "--steps", "--text", "2+3*4", "--text", "5÷0"]) == 1
    solved, failed = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert solved["result"] == "14" and solved["error"] is None
    assert solved["steps"] == [
        {"expression": "2+3*4", "why": "the problem"},
        {"expression": "2+12", "why": "multiply first: 3 × 4 = 12"},
        {"expression": "14", "why": "2 + 12 = 14"},
    ]
    assert failed["error"] == "division by zero"
    assert failed["steps"][-1]["expression"] == "undefined"


def test_steps_under_each_photo_answer_and_json_keys_only_added(photos, capsys):
    assert main(["--steps", str(photos / "a.png")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{photos / 'a.png'}: 2 + 3 × 4 = 14"
    assert lines[2].strip().split("   ")[0] == "= 2 + 12"
    assert main(["--json", "--steps", str(photos / "a.png")]) == 0
    record = json.loads(capsys.readouterr().out)
    assert set(record) == KEYS | {"steps"}
    assert record["steps"][0]["expression"] == "2+3*4" and record["steps"][-1]["expression"] == "14"


def test_steps_out_of_scope_say_so(capsys):
    assert main(["--steps", "--text", "2x+1"]) == 0
    assert "(no steps: I can show the steps of" in capsys.readouterr().out


def test_neither_path_nor_text_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2
    assert "give an image PATH or --text" in capsys.readouterr().err
