"""The worksheet benchmark's pages and line matching: no data folder needed (the symbol bank is
drawn with recognizer.training.glyphs, see conftest)."""

import dataclasses
import itertools
import sys

import cv2
import numpy as np
import pytest

import benchmarks.pages as pages
from benchmarks.composed import expected_label, glyph_count, parse_notation
from benchmarks.pages import (
    LINES,
    MIN_GAP,
    PAPERS,
    ROOT_FORMS,
    Page,
    Photo,
    Row,
    baselines,
    draw_page,
    framed,
    label_text,
    match_lines,
    match_page,
    photograph_page,
)
from recognizer.decode import decode_image
from recognizer.solve import is_system


@pytest.fixture(scope="module")
def drawn(bank) -> list[Page]:
    # Seeds whose pages have every numbering: none, 1), 1., a).
    return [draw_page(index, bank, np.random.default_rng([index, 300]))
            for index in (0, 1, 2, 3, 4, 14)]


@pytest.fixture(scope="module")
def photos(drawn) -> list[Photo]:
    return [photograph_page(page, paper, np.random.default_rng([page.index, number]))
            for page in drawn[:3] for number, paper in enumerate(PAPERS)]


def test_pages_hold_2_to_8_problems_numbered_in_order_or_not_at_all(drawn) -> None:
    styles = set()
    for page in drawn:
        assert LINES[0] <= len(page.problems) <= LINES[1]
        labels = [problem.label for problem in page.problems]
        style = "" if labels[0] is None else ("a" if labels[0][0] == "a" else "1") + labels[0][1:]
        assert labels == [label_text(style, k + 1) for k in range(len(labels))]
        styles.add(style)
    assert styles == {"", "1)", "1.", "a)"}  # these seeds draw every numbering


def test_a_label_is_drawn_before_its_expression_and_left_out_of_the_truth(drawn) -> None:
    labelled = [p for page in drawn for p in page.problems if p.label]
    assert {p.label[0].isalpha() for p in labelled} == {True, False}
    for problem in labelled:
        assert problem.expected == expected_label(problem.text)
        (row,) = problem.rows
        chars = [part.char for part, _, _ in row.parts]
        assert chars[: len(problem.label)] == list(problem.label)
        # The rest is the expression alone, two bars for each `=`, the first well to the right
        # of the label.
        assert len(chars) - len(problem.label) == glyph_count(problem.text) + \
            problem.text.count("=")
        label_right = max(x + part.size[0] for part, x, _ in row.parts[: len(problem.label)])
        assert row.parts[len(problem.label)][1] - label_right > 0.5
    unlabelled = [p for page in drawn for p in page.problems if not p.label]
    assert unlabelled
    for problem in unlabelled:
        parse_notation(problem.text)
        assert problem.expected == expected_label(problem.text)


def test_photos_are_1280_px_long_and_truth_boxes_are_apart_top_to_bottom(photos) -> None:
    for photo in photos:
        image = decode_image(photo.jpeg)
        assert max(image.shape[:2]) == 1280
        assert image.shape[1::-1] == photo.page.size
        # Turned pages: the boxes as the recognizer levels them (about the same turn back).
        boxes = photo.boxes(_turn(photo)) if photo.paper == "rotated" else photo.boxes()
        assert len(boxes) == len(photo.page.problems)
        for above, below in itertools.pairwise(boxes):
            assert above[1] + above[3] < below[1], (photo.paper, photo.page.index)
        if photo.paper != "rotated":
            width, height = photo.page.size
            assert all(x >= 0 and y >= 0 and x + w <= width and y + h <= height
                       for x, y, w, h in boxes)
        # Ink is where the boxes are: darker than the paper around.
        x, y, w, h = photo.boxes()[0]
        assert image[y : y + h, x : x + w].min() < image.mean() - 40


def _turn(photo: Photo) -> float:
    """The page's turn in degrees, from its first box's top edge."""
    (x0, y0), (x1, y1) = photo.corners[0][:2]
    return float(np.degrees(np.arctan2(y1 - y0, x1 - x0)))


def _row(top: float, bottom: float, gap: float, sit: float = 0.0) -> Row:
    return Row((), 5.0, top, bottom, 0.0, gap, sit)


def test_rows_are_their_gap_apart_or_on_the_rules_of_lined_paper() -> None:
    rows = [_row(-1.0, 0.0, 0.8, 0.1), _row(-2.3, 1.4, 0.5, 0.0), _row(-1.3, 0.1, 1.5, 0.15)]
    plain = baselines(rows, None)
    for k in (1, 2):
        assert plain[k] + rows[k].top - (plain[k - 1] + rows[k - 1].bottom) == \
            pytest.approx(rows[k].gap)
    step = 1.6
    lined = baselines(rows, step)
    for k in (1, 2):
        rules = (lined[k] + rows[k].sit - rows[0].sit) / step
        assert rules == pytest.approx(round(rules)), "the writing sits on a rule"
        assert lined[k] + rows[k].top - (lined[k - 1] + rows[k - 1].bottom) >= MIN_GAP


# Three lines of writing 40 px tall, 30 px apart.
_TRUTH = [(100, 100, 600, 40), (100, 170, 400, 40), (160, 240, 500, 40)]


@pytest.mark.parametrize(("read", "status", "spurious"), [
    ([(98, 95, 610, 48), (100, 168, 400, 44), (150, 236, 520, 48)],
     ("found", "found", "found"), ()),
    # The first two lines read as one problem.
    ([(98, 95, 610, 118), (150, 236, 520, 48)], ("merged", "merged", "found"), ()),
    # The third line cut in two beside each other, and its exponent a problem of its own.
    ([(98, 95, 610, 48), (100, 168, 400, 44), (150, 236, 200, 48), (400, 240, 260, 40),
      (670, 226, 20, 15)], ("found", "found", "split"), (4,)),
    # The second line not read; a speck between the lines, and one below.
    ([(98, 95, 610, 48), (300, 142, 10, 20), (150, 236, 520, 48), (100, 600, 30, 30)],
     ("found", "missed", "found"), (1, 3)),
])
def test_lines_found_merged_split_missed_and_spurious_problems(read, status, spurious) -> None:
    match = match_lines(_TRUTH, read)
    assert match.status == status
    assert match.spurious == spurious
    assert [f is not None for f in match.found] == [s == "found" for s in status]
    assert match.count("found") + match.count("merged") + match.count("split") + \
        match.count("missed") == len(_TRUTH)


def test_a_line_half_covered_is_not_found() -> None:
    match = match_lines(_TRUTH[:1], [(100, 120, 600, 40)])  # its lower half and below
    assert match.status == ("missed",) and match.spurious == (0,)


def test_boxes_are_matched_in_the_frame_the_recognizer_reports_them_in(photos) -> None:
    photo = max(photos, key=lambda p: len(p.page.problems))
    assert framed(photo.corners[0], 0.0, photo.page.size) == photo.boxes()[0]
    levelled = photo.boxes(6.0)  # turned 6°, on a canvas grown to hold the photo
    assert match_lines(photo.boxes(), levelled).count("found") < len(levelled)
    match, deskew = match_page(photo, levelled)
    assert match.status == ("found",) * len(levelled)
    assert deskew > 1


def test_without_the_data_folder_the_benchmark_says_so_and_fails(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "argv", ["pages", "--data", str(tmp_path)])
    with pytest.raises(SystemExit) as exited:
        pages.main()
    assert "absent" in str(exited.value.code)  # a message: exit status 1


def test_a_system_is_one_problem_of_two_rows_whose_truth_joins_its_equations(bank) -> None:
    pages_ = [draw_page(index, bank, np.random.default_rng([index, 300]), "systems")
              for index in range(6)]
    systems = [p for page in pages_ for p in page.problems]
    assert all(1 <= len(page.problems) <= 4 for page in pages_)
    assert {p.structure for p in systems} == {"braced", "unbraced"}
    for problem in systems:
        first, second = problem.text.split(";")
        assert problem.expected == f"{expected_label(first)};{expected_label(second)}"
        assert len(problem.rows) == 2 and (problem.brace is not None) == \
            (problem.structure == "braced")
        # The recognizer joins them even without a brace: one has both unknowns.
        assert is_system(expected_label(first), expected_label(second))
        assert problem.answer is not None
        # Only the first row carries the label; the second starts under the first's equation.
        assert problem.rows[1].indent > 0 or not problem.label
    answers = [p.answer for p in systems]
    assert all(a.startswith("x = ") for a in answers[:10] if "solution" not in a)


def test_a_braced_systems_truth_box_spans_its_rows_and_brace(bank) -> None:
    page = draw_page(1, bank, np.random.default_rng([1, 300]), "systems")
    k = next(k for k, p in enumerate(page.problems) if p.brace)  # this seed has one
    photo = photograph_page(page, "clean", np.random.default_rng(0))
    x, y, w, h = photo.boxes()[k]
    ink = decode_image(photo.jpeg).min(axis=2) < 150
    # The brace: what the page without it lacks, tall and thin, as tall as the box.
    problems = list(page.problems)
    problems[k] = dataclasses.replace(problems[k], brace=None)
    bare = photograph_page(dataclasses.replace(page, problems=tuple(problems)), "clean",
                           np.random.default_rng(0))
    bx, _, bw, bh = cv2.boundingRect(cv2.findNonZero(
        (ink & ~(decode_image(bare.jpeg).min(axis=2) < 150)).astype(np.uint8)))
    assert bh > 0.9 * h and bw < 0.3 * bh and x <= bx and bx + bw < x + w
    # Right of it, two rows of writing with blank between them.
    rows = ink[y : y + h, bx + bw + 2 : x + w].any(axis=1)
    assert np.count_nonzero(np.diff(rows.astype(np.int8)) == 1) + rows[0] == 2


def test_root_pages_draw_every_form_with_its_canonical_truth(bank) -> None:
    problems = [p for index in range(6) for p in
                draw_page(index, bank, np.random.default_rng([index, 300]), "roots").problems]
    assert {p.structure for p in problems} == set(ROOT_FORMS)
    for problem in problems:
        (row,) = problem.rows
        assert problem.expected == expected_label(problem.text)
        assert problem.expected.count("√") == problem.text.count("r{") > 0
        assert [part.char for part, _, _ in row.parts].count("√") == problem.text.count("r{")
        assert problem.answer is not None
