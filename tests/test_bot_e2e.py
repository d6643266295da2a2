"""End to end: the real Application from bot/app.py, long polling a fake Bot API over real HTTP.

One bot runs for the whole module (models load once); every test talks in chats of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import threading
import time
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from telegram.ext import Application

from bot import handlers, replies
from bot.app import build_application, configure_logging, run
from bot.config import Settings
from bot.limits import SlidingWindowLimiter
from recognizer.training.glyphs import draw_expression
from tests.fake_telegram import Call, FakeTelegram

# PTB's own AIORateLimiter reads RetryAfter.retry_after, which warns about a future type change.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)

TOKEN = "123456:TEST-fake-token"
BOT_USERNAME = "mathsnap_test_bot"
_chat_ids = itertools.count(1001)


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN, BOT_USERNAME).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module", autouse=True)
def application(telegram: FakeTelegram) -> Iterator[Application]:
    with running_bot(telegram) as application:
        yield application


@contextlib.contextmanager
def running_bot(telegram: FakeTelegram) -> Iterator[Application]:
    """The real application long polling `telegram` in a thread, from start-up (models loaded)
    until the block ends."""
    settings = Settings(
        token=TOKEN, api_base_url=telegram.base_url, file_base_url=telegram.file_base_url
    )
    configure_logging(TOKEN)
    application = build_application(settings)
    loop = asyncio.new_event_loop()
    crashed: list[BaseException] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            # A short long-poll timeout so the bot stops quickly at the end.
            run(application, settings, stop_signals=None, close_loop=False, timeout=1)
        except BaseException as error:  # e.g. models missing: fail the tests with the cause
            crashed.append(error)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    # post_init has run (models loaded) once the command menu is set.
    while not telegram.calls_to("setMyCommands") and thread.is_alive():
        assert time.monotonic() < deadline, "the bot did not start within 60 s"
        time.sleep(0.05)
    if crashed:
        raise RuntimeError("the bot failed to start") from crashed[0]
    try:
        yield application
    finally:
        loop.call_soon_threadsafe(application.stop_running)
        thread.join(30)
        loop.close()
    assert not thread.is_alive()


def use_image_limiter(
    application: Application, monkeypatch: pytest.MonkeyPatch, limiter: SlidingWindowLimiter
) -> None:
    """Count images with `limiter` for the rest of the test (a short window, or a fresh count)."""
    services = application.bot_data[handlers.SERVICES_KEY]
    monkeypatch.setitem(application.bot_data, handlers.SERVICES_KEY,
                        dataclasses.replace(services, image_limiter=limiter))


def new_chat() -> int:
    return next(_chat_ids)


def encoded(text: str, extension: str = ".jpg", seed: int = 0) -> bytes:
    ok, buffer = cv2.imencode(extension, draw_expression(text, seed))
    assert ok
    return buffer.tobytes()


def buttons(call: Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [button["callback_data"] for row in markup.get("inline_keyboard", []) for button in row]


def assert_silent(telegram: FakeTelegram, chat_id: int, seconds: float = 1.0) -> None:
    time.sleep(seconds)
    assert telegram.calls_to("sendMessage", chat_id) == []


# ---------------------------------------------------------------------------- start-up, commands


def test_start_up_sets_the_command_menu(telegram: FakeTelegram) -> None:
    assert [command["command"] for command in telegram.commands] == ["start", "help", "steps"]


@pytest.mark.parametrize("failure", [500, None], ids=["500", "dropped connection"])
def test_start_up_goes_on_without_the_command_menu_if_telegram_fails_to_set_it(
    caplog: pytest.LogCaptureFixture, failure: int | None
) -> None:
    fake = FakeTelegram(TOKEN, BOT_USERNAME).start()
    try:
        fake.fail_next("setMyCommands", failure)
        with running_bot(fake):
            message = fake.send_text(new_chat(), "6*7")
            assert "= <b>42</b>" in fake.wait_for_reply(message, timeout=10).params["text"]
    finally:
        fake.stop()
    assert [call.status for call in fake.calls_to("setMyCommands")] == [failure]
    warnings = [r for r in caplog.records if r.name == "bot.app" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "command menu" in warnings[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("command", ["/start", "/help"])
def test_start_and_help_explain_usage(telegram: FakeTelegram, command: str) -> None:
    message = telegram.send_text(new_chat(), command)
    text = telegram.wait_for_reply(message).params["text"]
    assert "Tips for a good photo" in text
    assert "as a file" in text
    assert "<code>2x+3=11</code>" in text


# ---------------------------------------------------------------------------- photos and files


def test_photo_is_answered_with_what_was_read_and_the_result(telegram: FakeTelegram) -> None:
    chat = new_chat()
    message = telegram.send_photo(chat, encoded("12+7"))
    call = telegram.wait_for_reply(message)
    assert call.params["parse_mode"] == "HTML"
    assert "I read: <b>12 + 7</b>" in call.params["text"]
    assert "= <b>19</b>" in call.params["text"]
    assert buttons(call) == [replies.correction_data("12+7"), replies.SHOW_CALLBACK, "steps:12+7"]


@pytest.mark.parametrize(
    ("extension", "mime_type"), [(".png", "image/png"), (".webp", "image/webp")]
)
def test_image_sent_as_a_file_is_answered(
    telegram: FakeTelegram, extension: str, mime_type: str
) -> None:
    data = encoded("8×3", extension)
    message = telegram.send_document(new_chat(), data, f"sum{extension}", mime_type)
    text = telegram.wait_for_reply(message).params["text"]
    assert "I read: <b>8 × 3</b>" in text
    assert "= <b>24</b>" in text


# ---------------------------------------------------------------------------- typed expressions


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12/4", "🧮 <b>12⁄4</b>\n= <b>3</b>"),
        ("2x+3=11", "<b>x = 4</b>"),
        ("(1+2)^3", "🧮 <b>(1 + 2)³</b>\n= <b>27</b>"),
        ("7×8÷4", "= <b>14</b>"),
        ("10:4", "= <b>5/2</b> ≈ 2.5"),
        ("2 * 3 ^ 2", "= <b>18</b>"),
    ],
)
def test_typed_expression_is_solved(telegram: FakeTelegram, typed: str, expected: str) -> None:
    message = telegram.send_text(new_chat(), typed)
    assert expected in telegram.wait_for_reply(message).params["text"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("z+2=5", "⚠️ I can only solve for x and y, not z"),
        ("2x+3y=5", "🧮 <b>2x + 3y = 5</b>\n⚠️ With both x and y I need two equations"),
        ("what is 2+2?", "🧮 <b>2 + 2</b>\n= <b>4</b>"),
    ],
)
def test_math_out_of_scope_is_named_and_questions_are_answered(
    telegram: FakeTelegram, typed: str, expected: str
) -> None:
    text = telegram.wait_for_reply(telegram.send_text(new_chat(), typed)).params["text"]
    assert text.startswith(expected)


def test_plain_chat_gets_a_hint_in_private_only(telegram: FakeTelegram) -> None:
    private = telegram.send_text(new_chat(), "hello")
    assert telegram.wait_for_reply(private).params["text"] == replies.NOT_MATH_HINT

    group, member = -new_chat(), new_chat()
    telegram.send_text(group, "hello", user_id=member, chat_type="supergroup")
    telegram.send_text(group, "12/4", user_id=member, chat_type="supergroup")
    assert_silent(telegram, group)


def test_in_groups_only_commands_mentions_and_replies_are_answered(
    telegram: FakeTelegram,
) -> None:
    group, member = -new_chat(), new_chat()
    in_group = {"user_id": member, "chat_type": "supergroup"}
    telegram.send_photo(group, encoded("4+4"), **in_group)
    telegram.send_photo(group, encoded("4+4"), caption="look at this", **in_group)
    assert_silent(telegram, group)

    mentioned = telegram.send_photo(group, encoded("4+4"), caption=f"@{BOT_USERNAME}", **in_group)
    answer = telegram.wait_for_reply(mentioned)
    help_request = telegram.send_text(group, f"/help@{BOT_USERNAME}", **in_group)
    telegram.wait_for_reply(help_request)
    correction = telegram.send_text(
        group, "5+5", reply_to=telegram.sent_message(answer), **in_group
    )
    assert "= <b>10</b>" in telegram.wait_for_reply(correction).params["text"]
    assert len(telegram.calls_to("sendMessage", group)) == 3


# ---------------------------------------------------------------------------- corrections


def test_replying_to_an_answer_with_a_correction_solves_it(telegram: FakeTelegram) -> None:
    chat = new_chat()
    answer = telegram.wait_for_reply(telegram.send_photo(chat, encoded("3+5")))
    correction = telegram.send_text(chat, "3+6", reply_to=telegram.sent_message(answer))
    text = telegram.wait_for_reply(correction).params["text"]
    assert text == "🧮 <b>3 + 6</b>\n= <b>9</b>"


@pytest.mark.parametrize(("written", "shown"), [("6-2", "6 − 2"), ("8÷2", "8 ÷ 2")])
def test_correct_button_asks_for_the_fix_with_force_reply(
    telegram: FakeTelegram, written: str, shown: str
) -> None:
    chat = new_chat()
    photo = telegram.send_photo(chat, encoded(written))
    answer = telegram.wait_for_reply(photo)
    correct_data = buttons(answer)[0]
    query_id = telegram.press_button(telegram.sent_message(answer), correct_data)

    telegram.wait_for(
        "answerCallbackQuery", where=lambda c: c.params["callback_query_id"] == query_id
    )
    prompt = telegram.wait_for(
        "sendMessage", chat, where=lambda c: "force_reply" in (c.params.get("reply_markup") or {})
    )[0]
    assert prompt.params["reply_markup"]["force_reply"] is True
    assert prompt.params["reply_markup"]["selective"] is True
    assert prompt.reply_to == photo["message_id"]  # so the selective ForceReply targets its sender
    assert f"<code>{shown}</code>" in prompt.params["text"]
    assert prompt.params["reply_markup"]["input_field_placeholder"] == shown

    fix = telegram.send_text(chat, "6-1", reply_to=telegram.sent_message(prompt))
    assert "= <b>5</b>" in telegram.wait_for_reply(fix).params["text"]


def test_a_worksheet_photo_is_answered_problem_by_problem(telegram: FakeTelegram) -> None:
    chat = new_chat()
    message = telegram.send_photo(chat, encoded("1) 2+3×4\n2) 7÷0\n3) 2x+3=11", seed=3))
    call = telegram.wait_for_reply(message)
    assert call.params["text"].splitlines()[:4] == [
        "📷 I read 3 problems:",
        "1) <b>2 + 3 × 4</b> = <b>14</b>",
        "2) <b>7 ÷ 0</b> ⚠️ Division by zero",
        "3) <b>2x + 3 = 11</b> → <b>x = 4</b>",
    ]
    # One correction for the page, one Steps button per problem that has steps to ask for.
    assert buttons(call) == [replies.correction_data("2+3*4\n7÷0\n2x+3=11"),
                             replies.SHOW_CALLBACK, "steps:2+3*4", "steps:7÷0", "steps:2x+3=11"]


def test_a_page_is_corrected_with_one_problem_per_line(telegram: FakeTelegram) -> None:
    chat = new_chat()
    answer = telegram.wait_for_reply(telegram.send_photo(chat, encoded("1) 2+3\n2) 6÷2", seed=11)))
    fix = telegram.send_text(chat, "1) 2+4\n2) x+y=10\nx-y=4",
                             reply_to=telegram.sent_message(answer))
    reply = telegram.wait_for_reply(fix)
    assert reply.params["text"] == ("🧮 2 problems:\n1) <b>2 + 4</b> = <b>6</b>\n"
                                    "2) <b>x + y = 10;  x − y = 4</b> → <b>x = 7, y = 3</b>")
    # Pressing one problem's Steps button leaves the other's.
    reply_message = telegram.sent_message(reply)
    telegram.press_button(reply_message, "steps:2+4")
    steps = telegram.wait_for_reply(reply_message)
    assert steps.params["text"].startswith("📝 <b>2 + 4</b>")
    time.sleep(0.3)
    remaining = telegram.message(chat, reply_message["message_id"])["reply_markup"]
    assert [b["callback_data"] for row in remaining["inline_keyboard"] for b in row] == [
        "steps:x+y=10;x-y=4"]


# ---------------------------------------------------------------------------- show what I saw


def test_show_button_sends_the_annotated_photo(telegram: FakeTelegram) -> None:
    chat = new_chat()
    answer = telegram.wait_for_reply(telegram.send_photo(chat, encoded("9-4")))
    answer_message = telegram.sent_message(answer)
    telegram.press_button(answer_message, replies.SHOW_CALLBACK)

    sent = telegram.wait_for("sendPhoto", chat)[0]
    assert sent.reply_to == answer_message["message_id"]
    png = sent.files["photo"]
    assert png.startswith(b"\x89PNG")
    assert cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR).size > 0
    edit = telegram.wait_for("editMessageReplyMarkup", chat)[0]
    assert edit.params["message_id"] == answer_message["message_id"]
    remaining = telegram.message(chat, answer_message["message_id"])["reply_markup"]
    assert [b["callback_data"] for b in remaining["inline_keyboard"][0]] == buttons(answer)[:1]


def test_show_button_without_the_original_photo_says_so(telegram: FakeTelegram) -> None:
    chat = new_chat()
    answer = telegram.wait_for_reply(telegram.send_text(chat, "1+1"))
    query_id = telegram.press_button(telegram.sent_message(answer), replies.SHOW_CALLBACK)
    alert = telegram.wait_for(
        "answerCallbackQuery", where=lambda c: c.params["callback_query_id"] == query_id
    )[0]
    assert alert.params["text"] == replies.ORIGINAL_GONE
    assert telegram.calls_to("sendPhoto", chat) == []


# ---------------------------------------------------------------------------- steps


def _steps_replies(telegram: FakeTelegram, chat: int, message_id: int) -> list[Call]:
    return [call for call in telegram.calls_to("sendMessage", chat) if call.reply_to == message_id]


def test_steps_button_under_a_typed_answer_replies_once_even_pressed_twice(
    telegram: FakeTelegram,
) -> None:
    chat = new_chat()
    answer = telegram.wait_for_reply(telegram.send_text(chat, "2x+3=11"))
    assert buttons(answer) == ["steps:2x+3=11"]
    answer_message = telegram.sent_message(answer)
    queries = [telegram.press_button(answer_message, "steps:2x+3=11") for _ in range(2)]
    telegram.wait_for("answerCallbackQuery",
                      where=lambda c: c.params["callback_query_id"] in queries, count=2)
    reply = telegram.wait_for_reply(answer_message)
    assert reply.params["text"] == (
        "📝 <b>2x + 3 = 11</b>\n"
        "2x = 8  <i>(subtract 3 from both sides)</i>\n"
        "<b>x = 4</b>  <i>(divide both sides by 2; check: 2 × 4 + 3 = 11 gives 11 = 11 ✓)</i>"
    )
    time.sleep(0.5)
    assert len(_steps_replies(telegram, chat, answer_message["message_id"])) == 1
    assert "reply_markup" not in telegram.message(chat, answer_message["message_id"])


def test_steps_button_under_a_photo_answer_works_when_the_photo_is_gone(
    telegram: FakeTelegram,
) -> None:
    chat = new_chat()
    photo = telegram.send_photo(chat, encoded("2+3×4"))
    answer = telegram.wait_for_reply(photo)
    assert buttons(answer)[-1] == "steps:2+3*4"
    telegram.delete_message(chat, photo["message_id"])
    stored = telegram.message(chat, telegram.sent_message(answer)["message_id"])
    assert "reply_to_message" not in stored
    downloads = len(telegram.calls_to("getFile"))
    telegram.press_button(stored, "steps:2+3*4")
    text = telegram.wait_for_reply(stored).params["text"]
    assert text.startswith("📝 <b>2 + 3 × 4</b>\n= 2 + 12  <i>(multiply first: 3 × 4 = 12)</i>")
    assert len(telegram.calls_to("getFile")) == downloads
    remaining = telegram.message(chat, stored["message_id"])["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for row in remaining for b in row] == buttons(answer)[:2]


def test_steps_command_with_typed_text(telegram: FakeTelegram) -> None:
    message = telegram.send_text(new_chat(), "/steps 1/2+1/3")
    text = telegram.wait_for_reply(message).params["text"]
    assert text.splitlines() == [
        "📝 <b>1⁄2 + 1⁄3</b>",
        "= 3⁄6 + 2⁄6  <i>(common denominator 6: 1⁄2 = 3⁄6, 1⁄3 = 2⁄6)</i>",
        "<b>= 5⁄6</b>  <i>(add the numerators; as a decimal ≈ 0.8333333333)</i>",
    ]


def test_steps_command_in_reply_to_an_answer_and_to_a_photo(telegram: FakeTelegram) -> None:
    chat = new_chat()
    answer = telegram.sent_message(telegram.wait_for_reply(telegram.send_text(chat, "5÷(3-3)")))
    reply = telegram.wait_for_reply(telegram.send_text(chat, "/steps", reply_to=answer))
    assert "undefined" in reply.params["text"] and "division by zero" in reply.params["text"]

    photo = telegram.send_photo(chat, encoded("9-4"))
    telegram.wait_for_reply(photo)
    reply = telegram.wait_for_reply(telegram.send_text(chat, "/steps", reply_to=photo))
    assert reply.params["text"].startswith("📝 <b>9 − 4</b>\n<b>= 5</b>")


def test_steps_command_alone_explains_itself(telegram: FakeTelegram) -> None:
    message = telegram.send_text(new_chat(), "/steps")
    assert telegram.wait_for_reply(message).params["text"] == replies.STEPS_USAGE


# ---------------------------------------------------------------------------- bad input


def test_pdf_document_is_refused_without_downloading(telegram: FakeTelegram) -> None:
    message = telegram.send_document(new_chat(), b"%PDF-1.4 ...", "homework.pdf", "application/pdf")
    assert telegram.wait_for_reply(message).params["text"] == replies.UNSUPPORTED_DOCUMENT
    assert not _downloaded(telegram, message["document"]["file_id"])


@pytest.mark.parametrize("kind", ["sticker", "voice", "video"])
def test_unreadable_media_gets_a_friendly_reply(telegram: FakeTelegram, kind: str) -> None:
    message = telegram.send_media(new_chat(), kind)
    assert telegram.wait_for_reply(message).params["text"] == replies.UNSUPPORTED_MESSAGE


def test_file_over_the_download_limit_is_refused_before_downloading(
    telegram: FakeTelegram,
) -> None:
    message = telegram.send_document(
        new_chat(), encoded("1+1", ".png"), "big.png", "image/png", size=25_000_000
    )
    assert telegram.wait_for_reply(message).params["text"] == replies.FILE_TOO_BIG
    assert not _downloaded(telegram, message["document"]["file_id"])


def test_photo_over_the_pixel_limit_is_refused_before_downloading(
    telegram: FakeTelegram,
) -> None:
    message = telegram.send_photo(new_chat(), encoded("1+1"), width=10_000, height=8_000)
    assert telegram.wait_for_reply(message).params["text"] == replies.TOO_MANY_PIXELS
    assert not _downloaded(telegram, message["photo"][-1]["file_id"])


def _problem_images() -> dict[str, bytes]:
    jpeg = encoded("12+7")
    png = encoded("1", ".png")
    # A tiny PNG whose header claims 60000 x 60000 pixels (a decompression bomb).
    bomb = png[:16] + (60_000).to_bytes(4, "big") * 2 + png[24:]
    blank = cv2.imencode(".jpg", np.full((600, 800, 3), 245, np.uint8))[1].tobytes()
    return {"corrupt": b"\xff\xd8\xff" + b"garbage" * 200, "truncated": jpeg[: len(jpeg) // 3],
            "pixel bomb": bomb, "blank page": blank, "empty": b""}


@pytest.mark.parametrize("problem", list(_problem_images()))
def test_bad_images_get_a_clear_reply(
    telegram: FakeTelegram, caplog: pytest.LogCaptureFixture, problem: str
) -> None:
    data = _problem_images()[problem]
    message = telegram.send_document(new_chat(), data, "photo.png", "image/png")
    text = telegram.wait_for_reply(message).params["text"]
    assert text.startswith("⚠️") or "⚠️" in text
    assert "= <b>" not in text
    assert text != replies.GENERIC_APOLOGY
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("5/0", "⚠️ Division by zero"), ("9^9^9^9", "too large"), ("2+", "⚠️"),
     ("1+" * 2000 + "1", "⚠️")],
)
def test_typed_nonsense_gets_a_clear_reply(
    telegram: FakeTelegram, typed: str, expected: str
) -> None:
    text = telegram.wait_for_reply(telegram.send_text(new_chat(), typed)).params["text"]
    assert expected in text
    assert len(text) <= 4096


# ---------------------------------------------------------------------------- load


def test_burst_from_many_users_is_all_answered(telegram: FakeTelegram) -> None:
    photo = encoded("7+2")
    photos = [telegram.send_photo(new_chat(), photo) for _ in range(12)]
    typed = [telegram.send_text(new_chat(), f"{n}*{n}") for n in range(12)]
    for n, message in enumerate(typed):
        assert f"= <b>{n * n}</b>" in telegram.wait_for_reply(message).params["text"]
    for message in photos:
        assert "= <b>9</b>" in telegram.wait_for_reply(message, timeout=40).params["text"]


def test_a_flood_of_photos_waits_its_turn_while_another_user_is_answered(
    telegram: FakeTelegram, application: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2 photos per 3 s and 3 more waiting, so that the waiting ones come due within the test.
    use_image_limiter(application, monkeypatch, SlidingWindowLimiter(2, 3.0, most_waiting=3))
    flooder, other = new_chat(), new_chat()
    photos = [telegram.send_photo(flooder, encoded("2+2"))["message_id"] for _ in range(7)]
    others_answer = telegram.wait_for_reply(telegram.send_photo(other, encoded("2+2")), timeout=40)
    assert "= <b>4</b>" in others_answer.params["text"]

    # Five answers, a note when the first photo has to wait and one when no more can wait.
    telegram.wait_for("sendMessage", flooder, count=7, timeout=40)
    time.sleep(0.5)  # a further message would arrive late
    sent: dict[int, list[Call]] = {photo: [] for photo in photos}
    for call in telegram.calls_to("sendMessage", flooder):
        sent[call.reply_to].append(call)
    answers = [[c for c in sent[photo] if "= <b>4</b>" in c.params["text"]] for photo in photos]
    assert [len(calls) for calls in answers] == [1, 1, 1, 1, 1, 0, 0]
    notes = [[c.params["text"] for c in sent[photo] if c not in answers[n]]
             for n, photo in enumerate(photos)]
    assert [len(texts) for texts in notes] == [0, 0, 1, 0, 0, 1, 0]
    assert "I will answer this one in about" in notes[2][0]
    assert notes[5] == [replies.format_queue_full(3)]
    # The waiting photos were answered later, and did not hold up the other user.
    assert min(calls[0].at for calls in answers[2:5]) > others_answer.at
    assert answers[4][0].at - answers[0][0].at > 2.5


def test_a_waiting_photo_that_fails_gets_the_apology(
    telegram: FakeTelegram, application: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_image_limiter(application, monkeypatch, SlidingWindowLimiter(1, 2.0, most_waiting=1))
    chat = new_chat()
    telegram.send_photo(chat, encoded("1+1"))
    telegram.send_photo(chat, encoded("1+1"))
    telegram.wait_for("sendMessage", chat, count=2)  # the first answered, the second a note
    telegram.fail_next("sendMessage", 500)  # the second's answer, once its turn comes
    sent = telegram.wait_for("sendMessage", chat, count=4, timeout=30)
    assert [call.status for call in sent[2:]] == [500, 200]
    assert sent[3].params["text"] == replies.GENERIC_APOLOGY


def test_show_button_does_not_count_against_the_image_limit(
    telegram: FakeTelegram, application: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_image_limiter(application, monkeypatch, SlidingWindowLimiter(1, 60.0))
    chat = new_chat()
    answer = telegram.wait_for_reply(telegram.send_photo(chat, encoded("9-4")))
    query_id = telegram.press_button(telegram.sent_message(answer), replies.SHOW_CALLBACK)
    assert telegram.wait_for("sendPhoto", chat)[0].files["photo"].startswith(b"\x89PNG")
    pressed = telegram.wait_for(
        "answerCallbackQuery", where=lambda c: c.params["callback_query_id"] == query_id
    )[0]
    assert "text" not in pressed.params  # no alert


def test_photos_still_waiting_at_shutdown_are_not_dropped_silently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeTelegram(TOKEN, BOT_USERNAME).start()
    chat = new_chat()
    try:
        with running_bot(fake) as bot:
            use_image_limiter(bot, monkeypatch, SlidingWindowLimiter(1, 60.0, most_waiting=5))
            photos = [fake.send_photo(chat, encoded("1+1"))["message_id"] for _ in range(3)]
            fake.wait_for("sendMessage", chat, count=2)  # the first answered, the second a note
            fake.wait_until_confirmed()  # the third is the bot's too, not still at Telegram's
    finally:
        fake.stop()
    sent = {(call.reply_to, call.params["text"]) for call in fake.calls_to("sendMessage", chat)}
    assert len(sent) == 3
    assert (photos[1], replies.format_unread_at_restart(2)) in sent


def test_slow_photo_does_not_stall_another_chat(
    telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_recognize = handlers.recognize

    def slow_recognize(image: bytes):  # bot mechanics only: the real result, 3 s late
        time.sleep(3)
        return real_recognize(image)

    monkeypatch.setattr(handlers, "recognize", slow_recognize)
    slow_chat, quick_chat = new_chat(), new_chat()
    slow = telegram.send_photo(slow_chat, encoded("1+1"))
    # Slower than a second: the user sees "typing…" until the answer comes.
    assert telegram.wait_for("sendChatAction", slow_chat)[0].params["action"] == "typing"
    quick = telegram.send_text(quick_chat, "6*7")
    assert "= <b>42</b>" in telegram.wait_for_reply(quick).params["text"]
    assert telegram.calls_to("sendMessage", slow_chat) == []  # answered while the photo waits
    telegram.wait_for_reply(slow)


# ---------------------------------------------------------------------------- Telegram failures


def test_flood_wait_from_telegram_is_retried(telegram: FakeTelegram) -> None:
    chat = new_chat()
    telegram.fail_next("sendMessage", 429, retry_after=1)
    message = telegram.send_text(chat, "2+3")
    assert "= <b>5</b>" in telegram.wait_for_reply(message).params["text"]
    first, retried = telegram.calls_to("sendMessage", chat)
    assert (first.status, retried.status) == (429, 200)
    assert first.params["text"] == retried.params["text"]
    assert retried.at - first.at >= 1.0  # waited for retry_after


def test_server_error_is_logged_and_apologised_for(
    telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    chat = new_chat()
    telegram.fail_next("sendMessage", 500)
    telegram.send_text(chat, "2+3")
    sent = telegram.wait_for("sendMessage", chat, count=2)
    assert [call.status for call in sent] == [500, 200]
    assert sent[1].params["text"] == replies.GENERIC_APOLOGY
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and errors[0].name == "bot.handlers"
    assert TOKEN not in caplog.text


@pytest.mark.parametrize("kind", ["typed", "photo"])
def test_no_apology_after_the_answer_was_sent(
    telegram: FakeTelegram, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    chat = new_chat()
    # Telegram delivers the answer, then PTB fails to read Telegram's copy of it.
    telegram.garble_next("sendMessage")
    if kind == "typed":
        message = telegram.send_text(chat, "2+3")
    else:
        message = telegram.send_photo(chat, encoded("2+3"))
    assert "= <b>5</b>" in telegram.wait_for_reply(message).params["text"]
    deadline = time.monotonic() + 10
    while not [r for r in caplog.records if r.levelno >= logging.ERROR]:  # the failure is logged
        assert time.monotonic() < deadline, "the failure was not logged"
        time.sleep(0.05)
    time.sleep(0.5)  # an apology would follow the log line at once
    assert [call.params["text"] for call in telegram.calls_to("sendMessage", chat)][1:] == []


def test_dropped_connection_while_polling_is_recovered(telegram: FakeTelegram) -> None:
    telegram.fail_next("getUpdates", None)
    message = telegram.send_text(new_chat(), "4*4")
    assert "= <b>16</b>" in telegram.wait_for_reply(message).params["text"]


# ---------------------------------------------------------------------------- logs


def test_each_request_is_logged_once_without_the_token(
    telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    chat = new_chat()
    telegram.wait_for_reply(telegram.send_photo(chat, encoded("5+1")))
    time.sleep(0.2)  # the log line is written just after the reply is sent
    lines = [r.getMessage() for r in caplog.records if f"chat={chat} " in r.getMessage()]
    assert len(lines) == 1
    assert "kind=photo" in lines[0] and "ms=" in lines[0] and "outcome=" in lines[0]
    assert TOKEN not in caplog.text


def _downloaded(telegram: FakeTelegram, file_id: str) -> bool:
    return any(call.params.get("file_id") == file_id for call in telegram.calls_to("getFile"))
