"""Reply texts and keyboards: pure functions, checked without Telegram."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from bot import replies
from recognizer.solve import solve_text
from recognizer.types import Alternative, Problem, Recognition, Solution, SymbolRead


def symbol(label: str, confidence: float, *alternatives: str) -> SymbolRead:
    others = tuple(Alternative(other, 0.1) for other in alternatives)
    return SymbolRead(label, label, (0, 0, 10, 10), confidence, others)


class _TelegramHtml(HTMLParser):
    """Fails on tags Telegram does not know and on unbalanced tags."""

    allowed = frozenset({"b", "i", "u", "s", "code", "pre", "a", "tg-spoiler"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)  # see the raw text, entities not decoded
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        assert tag in self.allowed, tag
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open.pop() == tag

    def handle_data(self, data: str) -> None:
        assert "<" not in data and ">" not in data, data  # must have been escaped


def assert_valid_html(text: str) -> None:
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    assert parser.open == []


@pytest.mark.parametrize(
    ("solution", "answer"),
    [
        (Solution("2+3", "5"), "= <b>5</b>"),
        (Solution("7/2", "7/2", "3.5"), "= <b>7/2</b> ≈ 3.5"),
        (Solution("2x=8", "x = 4"), "<b>x = 4</b>"),
        (Solution("x^2=2", "x = -sqrt(2), x = sqrt(2)", "x ≈ -1.414, x ≈ 1.414"),
         "<b>x = ±√2</b>\nx ≈ ±1.414"),
        (Solution("10/3", "10/3", "3.333333333"), "= <b>10/3</b> ≈ 3.333333333"),
        (Solution("2+2=4", "true"), "<b>✅ true</b>"),
        (Solution("2+2=5", "false"), "<b>❌ false</b>"),
        (Solution("1/0", None, error="division by zero"), "⚠️ Division by zero"),
        (Solution(None, None, error="use < & >"), "⚠️ Use &lt; &amp; &gt;"),
    ],
)
def test_format_answer(solution: Solution, answer: str) -> None:
    assert replies.format_answer(solution) == answer
    assert_valid_html(answer)


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("0.1+0.2", "= <b>0.3</b>"),
        ("0.5x=0.1", "<b>x = 0.2</b>"),
        ("1.5*3", "= <b>4.5</b>"),
        ("0.5/1.5", "≈ <b>0.3333333333</b> (exactly 1/3)"),
        ("2^0.5", "≈ <b>1.414213562</b> (exactly √2)"),
        ("x^2=0.5", "<b>x ≈ ±0.7071067812</b>\n(exactly x = ±√2/2)"),
        ("1/3", "= <b>1/3</b> ≈ 0.3333333333"),  # no decimals asked: exact first
        ("x^2=2", "<b>x = ±√2</b>\nx ≈ ±1.414213562"),
    ],
)
def test_a_question_with_decimals_is_answered_with_a_decimal_first(typed, answer) -> None:
    assert replies.format_answer(solve_text(typed)) == answer


def test_recognition_lists_unsure_symbols_once_with_their_alternative() -> None:
    recognition = Recognition(
        "17*1", "17", symbols=(symbol("1", 0.4, "7"), symbol("7", 0.99), symbol("*", 0.5, "+"),
                               symbol("1", 0.3, "7")), sure=True,
    )
    text = replies.format_recognition(recognition)
    assert text.startswith("📷 I read: <b>17 × 1</b>")
    assert ("I'm not sure about: <code>1</code> might be <code>7</code>, "
            "<code>×</code> might be <code>+</code>\n") in text
    assert "= <b>17</b>" in text
    assert "Correct it" in text
    assert_valid_html(text)


def test_unsure_symbols_are_named_as_written() -> None:
    recognition = Recognition("2/(3-1)", "1", symbols=(symbol("/", 0.3, "("), symbol("-", 0.5)),
                              sure=True)
    text = replies.format_recognition(recognition)
    assert ("I'm not sure about: <code>÷</code> might be <code>(</code>, <code>−</code>\n"
            in text)
    assert_valid_html(text)


def test_confident_recognition_has_no_warning() -> None:
    recognition = Recognition("2+2", "4", symbols=(symbol("2", 0.9), symbol("+", 0.95)),
                              sure=True)
    text = replies.format_recognition(recognition)
    assert text == "📷 I read: <b>2 + 2</b>\n= <b>4</b>"


def test_a_doubtful_reading_is_asked_about_never_answered_plainly() -> None:
    """`4 × (7 − +6⁷⁸)` from a photo of 4×(2+2): the answer is only given as conditional."""
    recognition = Recognition("17*1", "17", symbols=(symbol("1", 0.9), symbol("7", 0.9)),
                              doubt=0.6, sure=False)
    text = replies.format_recognition(recognition)
    assert text.startswith("🤔 I'm not sure I read this right. I read: <b>17 × 1</b> — is that it?")
    assert "\nIf so: = <b>17</b>\n" in text
    assert "📷" not in text and "Correct it" in text
    assert_valid_html(text)


def test_recognition_without_expression_gives_the_error_and_photo_tips() -> None:
    text = replies.format_recognition(Recognition(None, None, error="no expression found"))
    assert text == f"⚠️ No expression found\n\n{replies.PHOTO_TIPS}"


def test_recognition_that_cannot_be_solved_shows_what_was_read() -> None:
    recognition = Recognition("5/0", None, error="division by zero", symbols=(symbol("5", 0.9),),
                              written="5÷0")
    text = replies.format_recognition(recognition)
    assert "I read: <b>5 ÷ 0</b>" in text
    assert "⚠️ Division by zero" in text
    assert "Correct it" in text


def test_format_typed() -> None:
    assert replies.format_typed(Solution("12/4", "3")) == "🧮 <b>12⁄4</b>\n= <b>3</b>"
    unreadable = replies.format_typed(Solution(None, None, error="I can only read digits"))
    assert unreadable.startswith("⚠️ I can only read digits\nType it like")
    assert_valid_html(unreadable)


@pytest.mark.parametrize(
    ("typed", "heading"),
    [("1/3+1/6", "1⁄3 + 1⁄6"), ("7×8÷4", "7 × 8 ÷ 4"), ("10:4", "10 ÷ 4"),
     ("6÷3+1/3", "6 ÷ 3 + 1⁄3")],
)
def test_typed_fractions_stay_fractions_and_a_typed_division_sign_stays(typed, heading) -> None:
    assert replies.format_typed(solve_text(typed)).startswith(f"🧮 <b>{heading}</b>\n")


def test_user_text_is_escaped() -> None:
    text = replies.format_typed(Solution("<b>", None, error="bad <tag>"))
    assert "&lt;b&gt;" in text
    assert "Bad &lt;tag&gt;" in text
    assert_valid_html(text)


def test_correction_data_fits_telegram_limit_and_round_trips() -> None:
    data = replies.correction_data("2x+3=11")
    assert data == "fix:2x+3=11"
    assert replies.expression_from_correction_data(data) == "2x+3=11"
    long = "1+" * 40 + "1"
    assert replies.correction_data(long) == replies.CORRECT_PREFIX
    assert replies.expression_from_correction_data(replies.CORRECT_PREFIX) is None
    fitting = "1" * (replies.CALLBACK_DATA_BYTES - len("fix:"))
    assert len(replies.correction_data(fitting).encode()) == replies.CALLBACK_DATA_BYTES


@pytest.mark.parametrize(
    ("expression", "shown"),
    [("2*3-1", "2 × 3 − 1"), ("2^3^2", "2^(3²)"), ("8÷2+1/3", "8 ÷ 2 + 1⁄3"), ("x/2=3", "x⁄2 = 3")],
)
def test_correction_prompt_shows_the_expression_as_replies_do(expression, shown) -> None:
    prompt = replies.format_correction_prompt(expression)
    assert f"<code>{shown}</code>" in prompt
    assert replies.correction_placeholder(expression) == shown
    assert solve_text(shown).result == solve_text(expression).result  # can be typed back


def test_correction_placeholder_fits_telegram_limit() -> None:
    assert len(replies.correction_placeholder("1+" * 100 + "1")) == 64
    assert replies.correction_placeholder(None) == "2x + 3 = 11"


def test_annotation_caption_explains_the_colours() -> None:
    assert "Green" in replies.ANNOTATION_CAPTION and "Orange" in replies.ANNOTATION_CAPTION


def test_answer_keyboard_offers_what_makes_sense() -> None:
    both = replies.answer_keyboard("1+2", can_show=True)
    assert [b.callback_data for b in both.inline_keyboard[0]] == ["fix:1+2", "show"]
    no_symbols = replies.answer_keyboard("1+2", can_show=False)
    assert [b.callback_data for b in no_symbols.inline_keyboard[0]] == ["fix:1+2"]
    assert replies.answer_keyboard(None, can_show=False) is None


def test_without_show_button_keeps_the_rest() -> None:
    keyboard = replies.answer_keyboard("1+2", can_show=True)
    remaining = replies.without_show_button(keyboard)
    assert [b.callback_data for b in remaining.inline_keyboard[0]] == ["fix:1+2"]
    only_show = replies.InlineKeyboardMarkup([[keyboard.inline_keyboard[0][1]]])
    assert replies.without_show_button(only_show) is None
    assert replies.without_show_button(None) is None


def test_rate_limit_note_rounds_the_wait_up() -> None:
    assert replies.format_rate_limited(12.2).endswith("Try again in 13 s.")
    assert replies.format_rate_limited(0.01).endswith("Try again in 1 s.")


@pytest.mark.parametrize(
    "text",
    [replies.HELP_TEXT, replies.START_TEXT, replies.NOT_MATH_HINT, replies.UNSUPPORTED_MESSAGE,
     replies.UNSUPPORTED_DOCUMENT, replies.FILE_TOO_BIG, replies.TOO_MANY_PIXELS,
     replies.GENERIC_APOLOGY, replies.format_correction_prompt("2x+3=11"),
     replies.format_correction_prompt(None), replies.format_queued(48.2),
     replies.format_queue_full(20), replies.format_unread_at_restart(1),
     replies.format_unread_at_restart(3)],
)
def test_fixed_texts_are_valid_telegram_html(text: str) -> None:
    assert_valid_html(text)
    assert len(text) < 4096


def test_steps_button_rides_on_a_row_of_its_own() -> None:
    keyboard = replies.answer_keyboard("1+2", can_show=True)
    assert [[b.callback_data for b in row] for row in keyboard.inline_keyboard] == \
        [["fix:1+2", "show"], ["steps:1+2"]]
    assert replies.steps_keyboard("x" * 70).inline_keyboard[0][0].callback_data == "steps"
    assert replies.steps_keyboard(None) is None
    assert replies.has_steps_button(keyboard)
    without = replies.without_steps_button(keyboard)
    assert not replies.has_steps_button(without)
    assert replies.without_steps_button(replies.steps_keyboard("1+2")) is None


def test_steps_are_rendered_like_answers() -> None:
    text = replies.format_steps("(-3)^2 - 2/4")
    assert text.splitlines()[0] == "📝 <b>(−3)² − 2⁄4</b>"
    assert "= 9 − 1⁄2  <i>(divide first: 2⁄4 = 1⁄2 (divide the numerator and the denominator " \
        "by 2))</i>" in text
    assert replies.format_steps("x^3=1").startswith("⚠️ I can show the steps of")
    assert replies.format_steps("2 <b> 3").startswith("⚠️ ")  # escaped, never markup


def test_long_steps_are_cut_at_a_step_boundary() -> None:
    parts = ["📝 <b>first</b>", *(f"line {n} " + "·" * 500 for n in range(1, 12))]
    text = replies._cut_at_step(parts)
    assert len(text.encode("utf-16-le")) // 2 <= replies.MESSAGE_CHARS
    kept = text.splitlines()
    assert kept[-1] == f"… ({len(parts) - len(kept) + 1} more steps)"
    assert all(line in parts for line in kept[:-1])
    assert replies._cut_at_step(parts[:3]) == "\n".join(parts[:3])


def test_a_page_lists_each_problem_with_its_doubts():
    sure = Problem("2+3", "5", symbols=(SymbolRead("2", "2", (0, 0, 1, 1), 0.99),), sure=True,
                   line=1, label="1)")
    doubtful = Problem("7-2", "5", symbols=(
        SymbolRead("7", "7", (0, 0, 1, 1), 0.4, (Alternative("1", 0.3),)),), sure=False,
        line=2, label="2)")
    unread = Problem(None, None, error="there is nothing to solve", line=3)
    text = replies.format_recognition(Recognition(
        "2+3", "5", sure=True, problems=(sure, doubtful, unread)))
    assert text.splitlines()[:5] == [
        "📷 I read 3 problems:",
        "1) <b>2 + 3</b> = <b>5</b>",
        "2) 🤔 <b>7 − 2</b> — is that it? If so: = <b>5</b>",
        "      check: <code>7</code> might be <code>1</code>",
        "3. ⚠️ There is nothing to solve",
    ]


def test_a_long_page_is_cut_to_fit_a_message():
    problems = [(None, Solution("1" * 300, "1" * 300))] * 30
    text = replies.format_typed_page(problems)
    assert len(text) <= replies.MESSAGE_CHARS and text.endswith("more lines)")


def test_a_page_gets_a_steps_button_per_problem_that_fits():
    numbered = [("1)", "2+3"), ("2)", None), ("3)", "9" * 70), ("4)", "x=1"), ("5)", "1"),
                ("6)", "2"), ("7)", "3")]
    keyboard = replies.answer_keyboard("2+3\nx=1", can_show=True, numbered=numbered)
    rows = [[b.callback_data for b in row] for row in keyboard.inline_keyboard]
    assert rows == [["fix:2+3\nx=1", "show"], ["steps:2+3", "steps:x=1", "steps:1", "steps:2"],
                    ["steps:3"]]
    pressed = replies.without_steps_button(keyboard, "steps:x=1")
    assert replies.has_steps_button(pressed, "steps:2+3")
    assert not replies.has_steps_button(pressed, "steps:x=1")


def test_a_pages_correction_prompt_shows_its_lines():
    prompt = replies.format_correction_prompt("2+3*4\nx+y=2;x-y=0")
    assert "<code>2 + 3 × 4\nx + y = 2;  x − y = 0</code>" in prompt
    assert "one per line" in prompt
    assert replies.correction_placeholder("2+3\n4-1") == "2 + 3 | 4 − 1"
