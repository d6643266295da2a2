"""Texts and keyboards the bot sends: pure functions, HTML parse mode, everything escaped."""

from __future__ import annotations

import math
import re
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from recognizer.types import Recognition, Solution

UNSURE_BELOW = 0.6  # a symbol read with less confidence than this is listed for the user to check
MAX_SHOWN_CHARS = 300  # echoed expressions are cut so a reply stays far below Telegram's 4096
CALLBACK_DATA_BYTES = 64  # Telegram's limit for inline button callback data
CORRECT_PREFIX = "fix"
SHOW_CALLBACK = "show"

_SUPERSCRIPT = str.maketrans("0123456789+-=()x", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ˣ")
_BINARY = {"+": " + ", "*": " × ", "/": " ÷ ", "=": " = "}
_SYMBOL_NAMES = {"*": "×", "/": "÷", "-": "−"}
_VERDICTS = {"true": "✅ true", "false": "❌ false"}
_CANONICAL_TOKEN = re.compile(r"[0-9.]+|[x+\-*/()=^]")

HELP_TEXT = (
    "<b>Send me a photo of a handwritten expression and I will solve it.</b>\n\n"
    "I read digits, <code>+ − × ÷</code>, brackets, powers like x², stacked fractions, "
    "decimals and one unknown <code>x</code> in an equation.\n\n"
    "<b>Examples</b> (you can also type them):\n"
    "<code>12/4</code>   <code>2x+3=11</code>   <code>(1+2)^3</code>   <code>7×8÷4</code>\n\n"
    "<b>Tips for a good photo</b>\n"
    "• one expression, written large, dark pen on plain light paper\n"
    "• good light, no shadow across the writing, photo taken straight on\n"
    "• send it <i>as a file</i> (📎 → File) to keep full quality; JPEG, PNG and WebP work\n\n"
    "<b>Misread?</b> Tap ✏️ <i>Correct it</i> or reply to my answer with the right expression. "
    "🔍 <i>Show what I saw</i> draws the symbols I found on your photo.\n\n"
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
ANNOTATION_CAPTION = "🔍 What I saw: a box around each symbol, with the label I read."
PHOTO_TIPS = "Tip: one expression, written large and dark on plain paper, photographed straight on."


def render_expression(expression: str) -> str:
    """Canonical expression -> readable text: ×, ÷, −, superscripts and fractions as a⁄b."""
    tokens = _CANONICAL_TOKEN.findall(expression)
    if "".join(tokens) != expression:  # not canonical: show it as it is
        return _shorten(expression)
    return _shorten(_render_tokens(tokens))


def render_result(result: str) -> str:
    """A sympy-printed value ("-7/2", "x = 2**(1/2)", "no solution") -> readable text."""
    text = re.sub(r"sqrt\((\d+|x)\)", r"√\1", result).replace("sqrt", "√")
    text = text.replace("**", "^").replace("*", "·").replace("-", "−")
    text = re.sub(r"\^\(([0-9+−=()x]+)\)|\^([0-9]+)", _superscript_match, text)
    return _shorten(text)


def unsure_symbols(recognition: Recognition) -> list[str]:
    """Low-confidence symbols as "7 (or 1)", in reading order, without repeats."""
    notes: list[str] = []
    for symbol in recognition.symbols:
        if symbol.confidence >= UNSURE_BELOW:
            continue
        note = _symbol_name(symbol.label)
        if symbol.alternatives:
            note += f" (or {_symbol_name(symbol.alternatives[0].label)})"
        if note not in notes:
            notes.append(note)
    return notes


def format_answer(solution: Solution) -> str:
    """The answer line(s): '= 7/2 ≈ 3.5', 'x = 4', or the error sentence."""
    if solution.error or solution.result is None:
        return format_error(solution.error or "I could not solve this.")
    value = escape(render_result(solution.result))
    if "=" not in (solution.expression or ""):
        line = f"= <b>{value}</b>"
    else:  # an equation: "x = 4", "no solution", "any x", or true/false without x
        line = f"<b>{_VERDICTS.get(solution.result, value)}</b>"
    if solution.approximation:
        approximation = escape(render_result(solution.approximation))
        # Equation decimals come as "x ≈ 1.41"; a plain value needs its own ≈.
        line += f"\n{approximation}" if "≈" in approximation else f" ≈ {approximation}"
    return line


def format_error(error: str) -> str:
    """A recognizer error sentence, as a warning line."""
    return f"⚠️ {escape(error[:1].upper() + error[1:])}"


def format_recognition(recognition: Recognition) -> str:
    """Reply to a photo: what was read, which symbols to check, and the answer."""
    if recognition.expression is None:
        return f"{format_answer(recognition)}\n\n{PHOTO_TIPS}"
    lines = [f"📷 I read: <b>{escape(render_expression(recognition.expression))}</b>"]
    unsure = unsure_symbols(recognition)
    if unsure:
        lines.append(f"🤔 I'm not sure about: {escape(', '.join(unsure))}")
    lines.append(format_answer(recognition))
    if unsure or recognition.error:
        lines.append("\nIf I misread something, tap ✏️ <i>Correct it</i>.")
    return "\n".join(lines)


def format_typed(solution: Solution) -> str:
    """Reply to a typed (or corrected) expression."""
    if solution.expression is None:
        return f"{format_answer(solution)}\nType it like <code>12/4</code> or <code>2x+3=11</code>."
    heading = f"🧮 <b>{escape(render_expression(solution.expression))}</b>"
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
    """Text of the ForceReply message that asks for the corrected expression."""
    if expression is None:
        return "✏️ Reply to this message with the right expression, e.g. <code>2x+3=11</code>."
    return (
        f"✏️ I read <code>{escape(expression)}</code> (tap to copy). "
        "Reply to this message with the right expression."
    )


def answer_keyboard(expression: str | None, can_show: bool) -> InlineKeyboardMarkup | None:
    """Buttons under a photo answer; all they need travels in their callback data."""
    buttons = []
    if expression is not None or can_show:
        correct = correction_data(expression)
        buttons.append(InlineKeyboardButton("✏️ Correct it", callback_data=correct))
    if can_show:
        buttons.append(InlineKeyboardButton("🔍 Show what I saw", callback_data=SHOW_CALLBACK))
    return InlineKeyboardMarkup([buttons]) if buttons else None


def without_show_button(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The same keyboard minus "Show what I saw", once the annotated photo has been sent."""
    if markup is None:
        return None
    rows = [
        [button for button in row if button.callback_data != SHOW_CALLBACK]
        for row in markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def correction_data(expression: str | None) -> str:
    """Callback data for "Correct it", carrying the expression when it fits in 64 bytes."""
    data = f"{CORRECT_PREFIX}:{expression}" if expression else CORRECT_PREFIX
    return data if len(data.encode()) <= CALLBACK_DATA_BYTES else CORRECT_PREFIX


def expression_from_correction_data(data: str) -> str | None:
    _, _, expression = data.partition(":")
    return expression or None


def _render_tokens(tokens: list[str]) -> str:
    parts: list[str] = []
    previous: str | None = None  # last token class, to tell unary from binary minus
    i = 0
    while i < len(tokens):
        token = tokens[i]
        close = _closing(tokens, i) if token == "(" else None
        if close is not None:
            denominator_close = _fraction_denominator(tokens, close)
            if denominator_close is not None:
                denominator = tokens[close + 3 : denominator_close]
                parts.append(_fraction(tokens[i + 1 : close], denominator))
                i = denominator_close + 1
            else:
                parts.append("(" + _render_tokens(tokens[i + 1 : close]) + ")")
                i = close + 1
            previous = "operand"
            continue
        if token == "^" and i + 1 < len(tokens):
            exponent_close = _closing(tokens, i + 1) if tokens[i + 1] == "(" else None
            if exponent_close is not None:
                parts.append(_superscript(tokens[i + 2 : exponent_close]))
                i = exponent_close + 1
            else:
                parts.append(_superscript(tokens[i + 1 : i + 2]))
                i += 2
            previous = "operand"
            continue
        if token == "-":
            parts.append("−" if previous in (None, "operator") else " − ")
            previous = "operator"
        elif token in _BINARY or token in "(^":
            parts.append(_BINARY.get(token, token))
            previous = "operator"
        else:
            parts.append(token)
            previous = "operand"
        i += 1
    return "".join(parts)


def _closing(tokens: list[str], open_index: int) -> int | None:
    depth = 0
    for index in range(open_index, len(tokens)):
        depth += {"(": 1, ")": -1}.get(tokens[index], 0)
        if depth == 0:
            return index
    return None


def _fraction_denominator(tokens: list[str], numerator_close: int) -> int | None:
    """If ')' at numerator_close starts ')/(', the index of the denominator's ')'."""
    slash, open_index = numerator_close + 1, numerator_close + 2
    if tokens[slash : open_index + 1] != ["/", "("]:
        return None
    return _closing(tokens, open_index)


def _fraction(numerator: list[str], denominator: list[str]) -> str:
    if len(numerator) == 1 and len(denominator) == 1:
        return f"{numerator[0]}⁄{denominator[0]}"  # fraction slash: fonts draw it as a fraction
    return f"{_grouped(numerator)}/{_grouped(denominator)}"


def _grouped(tokens: list[str]) -> str:
    rendered = _render_tokens(tokens)
    return rendered if len(tokens) == 1 else f"({rendered})"


def _superscript(tokens: list[str]) -> str:
    raw = "".join(tokens)
    if raw and all(c in "0123456789+-=()x" for c in raw):
        return raw.translate(_SUPERSCRIPT)
    return f"^{_grouped(tokens)}"


def _superscript_match(match: re.Match[str]) -> str:
    group = (match.group(1) or match.group(2)).replace("−", "-")
    return group.translate(_SUPERSCRIPT)


def _symbol_name(label: str) -> str:
    return _SYMBOL_NAMES.get(label, label)


def _whole_seconds(seconds: float) -> int:
    return max(1, math.ceil(seconds))


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 1] + "…"
