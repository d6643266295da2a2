"""Texts and keyboards the bot sends: pure functions, HTML parse mode, everything escaped."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from recognizer.display import (
    UNSURE_BELOW,
    render_expression,
    show_answer,
    show_expression,
    symbol_text,
)
from recognizer.steps import shown_steps, steps
from recognizer.types import Problem, Recognition, RecognizerError, Solution

CALLBACK_DATA_BYTES = 64  # Telegram's limit for inline button callback data
MESSAGE_CHARS = 4096  # Telegram's limit for a message's text, in UTF-16 code units
CORRECT_PREFIX = "fix"
SHOW_CALLBACK = "show"
STEPS_PREFIX = "steps"

_VERDICTS = {"true": "✅ true", "false": "❌ false"}

HELP_TEXT = (
    "<b>Send me a photo of handwritten math and I will solve it.</b>\n\n"
    "I read digits, <code>+ − × ÷</code>, brackets, powers like x², stacked fractions, "
    "decimals, square roots <code>√</code> and the unknowns <code>x</code> and <code>y</code>. "
    "A page of problems, one per line (<code>1)</code>, <code>a)</code> or <code>3.</code> in "
    "front is fine), gets an answer for each; two equations in x and y on two lines are "
    "solved together.\n\n"
    "<b>Examples</b> (you can also type them, one per line):\n"
    "<code>12/4</code>   <code>2x+3=11</code>   <code>(1+2)^3</code>   <code>√8</code>   "
    "<code>x+y=10</code> / <code>x-y=4</code>\n\n"
    "<b>Tips for a good photo</b>\n"
    "• written large, dark pen on plain light paper, one problem per line\n"
    "• good light, no shadow across the writing, photo taken straight on\n"
    "• send it <i>as a file</i> (📎 → File) to keep full quality; JPEG, PNG and WebP work\n\n"
    "<b>Misread?</b> Tap ✏️ <i>Correct it</i> or reply to my answer with the right expression "
    "(a page: one problem per line). 🔍 <i>Show what I saw</i> draws the symbols I found on "
    "your photo.\n\n"
    "📝 <i>Steps</i> under an answer, or <code>/steps 2x+3=11</code>, shows the worked "
    "solution.\n\n"
    "In groups, mention me in the photo caption or reply to my messages."
)
START_TEXT = "👋 Hi! I solve handwritten math.\n\n" + HELP_TEXT
NOT_MATH_HINT = (
    "I solve math 🙂 Send a photo of an expression or type one, like <code>12/4</code> or "
    "<code>2x+3=11</code>. /help shows more."
)
UNSUPPORTED_MESSAGE = (
    "I can only read photos and typed expressions. Send a photo 📷 of the math, or type it "
    "like <code>12/4</code>."
)
UNSUPPORTED_DOCUMENT = (
    "I can't read that kind of file. Send a photo, or an image file in JPEG, PNG or WebP."
)
FILE_TOO_BIG = (
    "That file is too big for me: bots can download files up to 20 MB. "
    "Send a smaller image or a normal photo."
)
TOO_MANY_PIXELS = "That image has too many pixels for me. Send a smaller image or a normal photo."
GENERIC_APOLOGY = "😕 Sorry, something went wrong on my side. Please try again in a moment."
ORIGINAL_GONE = "I can't find your original photo any more. Send it again, please."
# To a photo that arrived while the bot was down, once Telegram no longer has the file.
SEND_AGAIN = "🔁 I was restarting when this arrived and can't open it now. Please send it again."
ANNOTATION_CAPTION = (
    "🔍 What I saw: a box around each symbol I found, labelled with what I read. "
    "Green: I'm sure. Orange: I'm not sure, please check it."
)
STEPS_USAGE = (
    "📝 Type the problem after the command, like <code>/steps 2x+3=11</code>, or send /steps "
    "in reply to one of my answers or to a photo."
)
STEPS_GONE = "I can't find that expression any more. Type it, like <code>/steps 2x+3=11</code>."
PHOTO_TIPS = ("Tip: one problem per line, written large and dark on plain paper, photographed "
              "straight on.")


def unsure_symbols(recognition: Recognition) -> list[tuple[str, str | None]]:
    """Low-confidence symbols with their likeliest alternative, as written ("×", not "*"), in
    reading order, without repeats."""
    notes: list[tuple[str, str | None]] = []
    for symbol in recognition.symbols:
        if symbol.confidence >= UNSURE_BELOW:
            continue
        alternative = symbol.alternatives[0].label if symbol.alternatives else None
        note = (symbol_text(symbol.label), alternative and symbol_text(alternative))
        if note not in notes:
            notes.append(note)
    return notes


def _unsure_note(symbol: str, alternative: str | None) -> str:
    """`(` might be `÷`: single symbols in code stand out from the sentence around them."""
    note = f"<code>{escape(symbol)}</code>"
    return f"{note} might be <code>{escape(alternative)}</code>" if alternative else note


def format_answer(solution: Solution) -> str:
    """The answer line(s): '= 7/2 ≈ 3.5', 'x = 4', '= 0.3', or the error sentence."""
    if solution.error or solution.result is None:
        return format_error(solution.error or "I could not solve this.")
    shown = show_answer(solution)
    line = f"<b>{escape(_VERDICTS.get(shown.main, shown.main))}</b>"
    if shown.lead:
        line = f"{shown.lead} {line}"
    if shown.note:
        separator = " " if shown.lead else "\n"  # an equation's note lists every root
        line += f"{separator}{escape(shown.note)}"
    return line


def format_error(error: str) -> str:
    """A recognizer error sentence, as a warning line."""
    return f"⚠️ {escape(error[:1].upper() + error[1:])}"


def format_recognition(recognition: Recognition) -> str:
    """Reply to a photo: what was read, which symbols to check, and the answer; for a page of
    several problems, one line each."""
    if len(recognition.problems) > 1:
        return format_page(recognition.problems)
    if recognition.expression is None:
        return f"{format_answer(recognition)}\n\n{PHOTO_TIPS}"
    read = f"<b>{escape(show_expression(recognition))}</b>"
    unsure = unsure_symbols(recognition)
    notes = ", ".join(_unsure_note(symbol, alternative) for symbol, alternative in unsure)
    if not recognition.sure and recognition.error is None:
        # Never a plain answer to a doubtful reading: ask first, answer only conditionally.
        lines = [f"🤔 I'm not sure I read this right. I read: {read} — is that it?"]
        if notes:
            lines.append(f"Check: {notes}")
        lines.append(f"If so: {format_answer(recognition)}")
        lines.append("\nIf not, tap ✏️ <i>Correct it</i>, or 🔍 to see what I saw.")
        return "\n".join(lines)
    lines = [f"📷 I read: {read}"]
    if notes:
        lines.append(f"🤔 I'm not sure about: {notes}")
    lines.append(format_answer(recognition))
    if unsure or recognition.error:
        lines.append("\nIf I misread something, tap ✏️ <i>Correct it</i>.")
    return "\n".join(lines)


def format_page(problems: Sequence[Problem]) -> str:
    """Reply to a page: each problem numbered as the page numbers it (else in order), what was
    read and its answer, the symbols to check, and a doubtful reading asked about."""
    lines = [f"📷 I read {len(problems)} problems:"]
    for index, problem in enumerate(problems, 1):
        lines.append(_page_line(problem.label or f"{index}.", problem, problem.sure))
        notes = ", ".join(_unsure_note(s, a) for s, a in unsure_symbols(problem))
        if notes:
            lines.append(f"      check: {notes}")
    lines.append("\nIf I misread something, tap ✏️ <i>Correct it</i> and send the problems, one "
                 "per line.")
    return _fitted(lines)


def format_typed_page(problems: Sequence[tuple[str | None, Solution]]) -> str:
    """Reply to several typed problems, one per line."""
    return _fitted([f"🧮 {len(problems)} problems:", *(
        _page_line(label or f"{index}.", solution, sure=True)
        for index, (label, solution) in enumerate(problems, 1))])


def _page_line(number: str, solution: Solution, sure: bool) -> str:
    """`1) 2 + 3 × 4 = 14`, `2) 2x + 3 = 11 → x = 4`, `3) 🤔 7 − 2 — is that it? If so: = 5`."""
    number = escape(number)
    if solution.expression is None:
        return f"{number} {format_error(solution.error or 'I could not read this line.')}"
    read = f"<b>{escape(show_expression(solution))}</b>"
    if solution.error or solution.result is None:
        return f"{number} {read} {format_answer(solution)}"
    shown = show_answer(solution)
    answer = f"{shown.lead or '→'} <b>{escape(_VERDICTS.get(shown.main, shown.main))}</b>"
    if shown.note:  # `= 7/2 ≈ 3.5`, but `x = 11/2 (x ≈ 5.5)`
        answer += f" {escape(shown.note)}" if shown.lead else f" ({escape(shown.note)})"
    if not sure:
        return f"{number} 🤔 {read} — is that it? If so: {answer}"
    return f"{number} {read} {answer}"


def _fitted(lines: list[str]) -> str:
    """The lines joined, those past Telegram's limit left out and counted."""
    text = lines[0]
    for index, line in enumerate(lines[1:], 1):
        longer = f"{text}\n{line}"
        if _utf16_length(longer) + 40 > MESSAGE_CHARS:
            return f"{text}\n… ({len(lines) - index} more lines)"
        text = longer
    return text


def format_typed(solution: Solution) -> str:
    """Reply to a typed (or corrected) expression."""
    if solution.expression is None:
        return f"{format_answer(solution)}\nType it like <code>12/4</code> or <code>2x+3=11</code>."
    heading = f"🧮 <b>{escape(show_expression(solution))}</b>"
    return f"{heading}\n{format_answer(solution)}"


def format_rate_limited(retry_after: float) -> str:
    """Plain text (it is also used as a callback alert, which has no parse mode)."""
    seconds = _whole_seconds(retry_after)
    return f"⏳ Easy there, that is more than I can read for one person. Try again in {seconds} s."


def format_queued(wait: float) -> str:
    """Told once to a user over the image limit: their images wait their turn."""
    return (
        "⏳ Easy there, that is more than I can read for one person at once, so your photos "
        f"wait their turn. I will answer this one in about {_whole_seconds(wait)} s."
    )


def format_queue_full(waiting: int) -> str:
    """Told once to a user whose waiting images reached the bound."""
    return (
        f"✋ {waiting} of your photos are already waiting, so I skipped this one and will skip "
        "any more until I have answered those. Please send them again after that."
    )


def format_unread_at_restart(count: int) -> str:
    """Told at shutdown to a user whose images were still waiting; replies to the first."""
    if count == 1:
        return "🔁 I had to restart before reading this photo. Please send it again."
    return (
        f"🔁 I had to restart before reading this photo and the {count - 1} you sent after it. "
        "Please send them again."
    )


def format_correction_prompt(expression: str | None) -> str:
    """Text of the ForceReply message that asks for the corrected expression (a page's: the
    problems' lines)."""
    if expression is None:
        return "✏️ Reply to this message with the right expression, e.g. <code>2x+3=11</code>."
    if "\n" in expression:
        shown = "\n".join(render_expression(line) for line in expression.splitlines())
        return (f"✏️ I read:\n<code>{escape(shown)}</code>\n(tap to copy). Reply to this "
                "message with the right problems, one per line.")
    return (
        f"✏️ I read <code>{escape(render_expression(expression))}</code> (tap to copy). "
        "Reply to this message with the right expression."
    )


def correction_placeholder(expression: str | None) -> str:
    """Hint in the input field under the correction prompt (Telegram allows 64 characters)."""
    if not expression:
        return "2x + 3 = 11"
    return " | ".join(render_expression(line) for line in expression.splitlines())[:64]


def answer_keyboard(expression: str | None, can_show: bool,
                    numbered: Sequence[tuple[str, str | None]] = ()) -> InlineKeyboardMarkup | None:
    """Buttons under a photo answer; all they need travels in their callback data. A page's
    `numbered` problems (number, expression) get a 📝 button each; its `expression` is the
    problems' lines, for the correction."""
    buttons = []
    if expression is not None or can_show:
        correct = correction_data(expression)
        buttons.append(InlineKeyboardButton("✏️ Correct it", callback_data=correct))
    if can_show:
        buttons.append(InlineKeyboardButton("🔍 Show what I saw", callback_data=SHOW_CALLBACK))
    rows = [buttons, *_steps_rows(expression, numbered)]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def steps_keyboard(expression: str | None, numbered: Sequence[tuple[str, str | None]] = (),
                   ) -> InlineKeyboardMarkup | None:
    """The 📝 Steps button(s) alone, under a typed answer."""
    rows = _steps_rows(expression, numbered)
    return InlineKeyboardMarkup(rows) if rows else None


def _steps_rows(expression: str | None, numbered: Sequence[tuple[str, str | None]],
                ) -> list[list[InlineKeyboardButton]]:
    """Rows of their own, so the other buttons stay as they were: one 📝 Steps button, or one
    per problem of a page whose expression fits in the button (four to a row)."""
    if not numbered:
        return [steps_row(expression)] if expression is not None else []
    buttons = [InlineKeyboardButton(f"📝 {number}", callback_data=data)
               for number, problem in numbered if problem
               and (data := _data(STEPS_PREFIX, problem)) != STEPS_PREFIX]
    return [buttons[k : k + 4] for k in range(0, len(buttons), 4)]


def steps_row(expression: str | None) -> list[InlineKeyboardButton]:
    if expression is None:
        return []
    return [InlineKeyboardButton("📝 Steps", callback_data=_data(STEPS_PREFIX, expression))]


def without_show_button(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The same keyboard minus "Show what I saw", once the annotated photo has been sent."""
    return _without(markup, lambda data: data == SHOW_CALLBACK)


def without_steps_button(markup: InlineKeyboardMarkup | None,
                         pressed: str | None = None) -> InlineKeyboardMarkup | None:
    """The same keyboard minus the "Steps" button pressed (any, if not said), once its steps
    have been sent."""
    return _without(markup, lambda data: data.partition(":")[0] == STEPS_PREFIX
                    and pressed in (None, data))


def has_steps_button(markup: InlineKeyboardMarkup | None, pressed: str | None = None) -> bool:
    return without_steps_button(markup, pressed) != markup


def _without(
    markup: InlineKeyboardMarkup | None, dropped: Callable[[str], bool]
) -> InlineKeyboardMarkup | None:
    if markup is None:
        return None
    rows = [
        [button for button in row if not dropped(str(button.callback_data))]
        for row in markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def correction_data(expression: str | None) -> str:
    """Callback data for "Correct it", carrying the expression when it fits in 64 bytes."""
    return _data(CORRECT_PREFIX, expression)


def _data(prefix: str, expression: str | None) -> str:
    data = f"{prefix}:{expression}" if expression else prefix
    return data if len(data.encode()) <= CALLBACK_DATA_BYTES else prefix


def expression_from_correction_data(data: str) -> str | None:
    """The expression a button's callback data carries ("fix:2+2", "steps:2+2"), if any."""
    _, _, expression = data.partition(":")
    return expression or None


def format_steps(problem: str) -> str:
    """The worked solution of a problem (typed text or canonical), one step a line, cut at a
    step boundary to fit a message; or why there is none."""
    try:
        lines = shown_steps(steps(problem))
    except RecognizerError as error:
        return format_error(str(error))
    parts = []
    for index, (shown, why) in enumerate(lines):
        why = why.removeprefix("the problem").removeprefix("; ") if index == 0 else why
        shown = f"<b>{escape(shown)}</b>" if index in (0, len(lines) - 1) else escape(shown)
        parts.append(f"{shown}  <i>({escape(why)})</i>" if why else shown)
    parts[0] = f"📝 {parts[0]}"
    return _cut_at_step(parts)


def _cut_at_step(parts: list[str]) -> str:
    """The lines joined; past Telegram's limit, those that fit and "… (N more steps)"."""
    text = parts[0]
    for index in range(1, len(parts)):
        rest = len(parts) - index - 1
        longer = f"{text}\n{parts[index]}"
        if _utf16_length(longer + (_more(rest) if rest else "")) > MESSAGE_CHARS:
            return text + _more(rest + 1)
        text = longer
    return text


def _more(count: int) -> str:
    return f"\n… ({count} more step{'s' if count > 1 else ''})"


def _utf16_length(text: str) -> int:
    # Counts the markup too, so it errs on the short side.
    return len(text.encode("utf-16-le")) // 2


def _whole_seconds(seconds: float) -> int:
    return max(1, math.ceil(seconds))
