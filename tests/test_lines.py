"""Lines of a page from symbol boxes, and the labels that number them."""

from recognizer.lines import Line, digit_height, find_lines, label_length

H = 40  # digit height of the drawn boxes


def row(y: int, xs: list[int], height: int = H) -> list[tuple[int, int, int, int]]:
    """Digit-sized boxes standing on one line whose top is y."""
    return [(x, y, 25, height) for x in xs]


def members(lines: list[Line], boxes: list) -> list[list[tuple]]:
    return [[boxes[i] for i in line.members] for line in lines]


def test_three_lines_top_to_bottom():
    first, second, third = row(10, [10, 50, 90]), row(80, [10, 50]), row(150, [30, 70, 110, 150])
    boxes = third + first + second  # any order in, reading order out
    assert members(find_lines(boxes), boxes) == [first, second, third]


def test_close_lines_whose_tails_touch_stay_apart():
    # A 7's tail reaching a little into the line below does not join the lines.
    first = [*row(10, [10, 50]), (90, 10, 25, int(1.3 * H))]
    second = row(10 + H + 8, [10, 50, 90])
    assert len(find_lines(first + second)) == 2


def test_a_fraction_is_one_line_with_what_stands_beside_it():
    numerator, bar, denominator = (60, 10, 25, H), (50, 56, 50, 4), (60, 66, 25, H)
    beside = [(130, 40, 25, 25), *row(38, [170])]  # `+ 3` at the bar's height
    boxes = [numerator, bar, denominator, *beside]
    assert [len(line.members) for line in find_lines(boxes)] == [5]


def test_a_fraction_inside_a_fraction_is_one_line():
    boxes = [(60, 0, 25, H), (50, 44, 50, 4), (60, 52, 25, H),  # ½ as the numerator
             (30, 100, 110, 5),  # the main bar
             (70, 110, 25, H)]
    assert [len(line.members) for line in find_lines(boxes)] == [5]


def test_an_exponent_floating_above_its_base_stays_on_its_line():
    boxes = [*row(50, [10, 50]), (80, 20, 15, 20), *row(50, [110, 150])]
    assert [len(line.members) for line in find_lines(boxes)] == [5]


def test_stray_marks_far_from_the_writing_are_not_a_line():
    boxes = [*row(10, [10, 50, 90]), (600, 400, 30, 30), (20, 300, 3, 3)]
    assert members(find_lines(boxes), boxes) == [row(10, [10, 50, 90])]


def test_a_line_far_to_the_side_keeps_its_main_writing():
    label = [(10, 10, 20, H), (35, 10, 12, H)]  # `1)`, far from the problem
    problem = row(10, [300, 340, 380])
    lines = find_lines(label + problem)
    assert len(lines) == 1 and lines[0].aside == (0, 1) and len(lines[0].members) == 5


def test_a_brace_over_two_lines_makes_them_a_system():
    brace = (0, 10, 15, 2 * H + 30)
    boxes = [brace, *row(10, [30, 70, 110]), *row(10 + H + 30, [30, 70, 110]),
             *row(250, [30, 70, 110])]
    lines = find_lines(boxes)
    assert [line.braced for line in lines] == [True, False, False]
    assert all(0 not in line.members for line in lines)  # the brace is no symbol


def test_a_tall_bracket_around_a_fraction_stays_with_it():
    boxes = [(10, 0, 15, 100), (60, 5, 25, H), (50, 48, 50, 4), (60, 56, 25, H),
             (110, 0, 15, 100), *row(30, [140, 180])]
    assert [len(line.members) for line in find_lines(boxes)] == [7]


def test_labels_close_with_a_bracket_or_a_set_apart_dot():
    rest = row(0, [100, 140, 180])

    def length(boxes: list, names: list[str], closes: list[bool] | None = None) -> int:
        closes = closes or [name == "rparen" for name in names]
        return label_length(boxes, names, closes, [name.isdigit() for name in names])[0]

    assert length([(0, 0, 25, H), (30, 0, 12, H), *rest], ["1", "rparen", "2", "plus", "3"]) == 2
    # A `)` the model took for a 1 still closes a label when it may be one, set apart from
    # the math; close to it, it is the math's (`55/15`).
    assert length([(0, 0, 25, H), (30, 0, 12, H), *rest], ["a", "1", "2", "plus", "3"],
                  [False, True, False, False, False]) == 2
    assert length([(0, 0, 25, H), (30, 0, 25, H), (60, 0, 15, H), (80, 0, 25, H),
                   (110, 0, 25, H)], ["5", "5", "slash", "1", "5"],
                  [False, False, True, False, False]) == 0
    assert length([(0, 0, 25, H), (30, 34, 6, 6), *rest], ["3", "dot", "2", "plus", "3"]) == 2
    # A decimal point: close to the next digit.
    assert length([(0, 0, 25, H), (30, 34, 6, 6), (44, 0, 25, H), *rest],
                  ["7", "dot", "7", "2", "plus", "3"]) == 0
    # Brackets that open before they close are math.
    assert length([(0, 0, 12, H), (20, 0, 25, H), (50, 0, 12, H), *rest],
                  ["lparen", "1", "rparen", "2", "plus", "3"]) == 0


def test_marks_alone_are_still_read_as_a_line():
    boxes = [(10, 10, 20, 20), (300, 300, 10, 10)]  # no two full-size symbols anywhere
    assert [line.members for line in find_lines(boxes)] == [(0,)]


def test_specks_along_a_margin_do_not_shrink_the_digit_height():
    specks = [(15, 150 * k, 3, 2) for k in range(8)]
    digits = [(648, 423, 20, 40), (679, 426, 37, 37), (722, 414, 29, 29)]
    assert digit_height(specks + digits) == 37
    lines = find_lines(specks + digits)  # a speck level with them, far off, is set aside
    assert [[(specks + digits)[i] for i in line.members if i not in line.aside]
            for line in lines] == [digits]


def test_a_fraction_on_a_tilted_line_keeps_its_denominator():
    # `6 + (2−4)/(6×8)` turned a few degrees: the `6 +` before the fraction sits as low as
    # its denominator.
    boxes = [(361, 375, 45, 64), (430, 374, 48, 46), (501, 275, 73, 67), (525, 403, 65, 83),
             (584, 286, 43, 10), (501, 347, 246, 34), (622, 410, 37, 41), (660, 248, 64, 71),
             (679, 381, 55, 82)]
    assert [len(line.members) for line in find_lines(boxes)] == [9]


def test_two_fractions_on_close_lines_stay_two_lines():
    def fraction(top: int) -> list[tuple[int, int, int, int]]:
        return [(60, top, 25, H), (50, top + 46, 50, 4), (60, top + 54, 25, H),
                (130, top + 30, 25, 25), *row(top + 28, [170])]

    boxes = fraction(0) + fraction(120)  # 26 px (0.65 digit heights) between the lines
    assert [len(line.members) for line in find_lines(boxes)] == [5, 5]


def test_a_dot_before_anything_but_a_digit_is_a_labels():
    boxes = [(0, 0, 25, H), (30, 34, 6, 6), (44, 10, 25, 30), *row(0, [100, 140])]
    names = ["1", "dot", "cross", "2", "plus"]
    assert label_length(boxes, names, [False] * 5, [True, False, False, True, False]) == (2,
                                                                                          False)
    # A digit read as something else is still a digit the decimal point may stand before.
    assert label_length(boxes, names, [False] * 5, [True, False, True, True, False])[0] == 0


def test_a_fraction_over_a_fraction_beside_other_terms_is_one_line():
    # 70 + (18/6)/8 − 8: the inner fraction stands on the main bar with its own denominator.
    boxes = [(0, 84, 20, H), (25, 84, 20, H), (48, 95, 20, 20),  # 70+
             (90, 0, 20, H), (120, 0, 20, H), (80, 46, 80, 4), (110, 54, 20, H),  # 18/6
             (70, 104, 100, 5), (110, 114, 20, H),  # the main bar and its 8
             (190, 104, 25, 5), (225, 84, 20, H)]  # −8
    assert [len(line.members) for line in find_lines(boxes)] == [11]
