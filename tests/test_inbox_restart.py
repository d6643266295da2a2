"""Nothing lost: `python -m bot` processes stopped mid-burst, by SIGTERM or SIGKILL, and started
again on the same STATE_DIR, against the fake Bot API, polling or as a webhook. Also updates
killed mid-answer, 500 stored updates, and a damaged or unusable store."""

from __future__ import annotations

import collections
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import replies
from bot.app import IMAGES_PER_MINUTE
from bot.inbox import open_inbox
from tests.fake_telegram import Call, FakeTelegram
from tests.test_bot_e2e import BOT_USERNAME, TOKEN, encoded
from tests.webhook_replicas import (
    REPO,
    START_TIMEOUT,
    WEBHOOK_SECRET,
    WEBHOOK_URL,
    bot_env,
    free_ports,
    wait_until_listening,
)

USERS = 10
PHOTOS_PER_USER = 4
STOP_AFTER = 0.4  # seconds after the burst, as in issue 19's measurement
STORE = "inbox-123456.sqlite3"


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN, BOT_USERNAME).start()
    yield fake
    fake.stop()


@contextlib.contextmanager
def bot_process(
    telegram: FakeTelegram, state: Path, log: Path, webhook_port: int | None = None
) -> Iterator[subprocess.Popen]:
    """`python -m bot` long polling `telegram` (or, with a port, serving its webhook there),
    once its models are loaded; stopped with SIGTERM at the end unless the test stopped it."""
    started = len(telegram.calls_to("setMyCommands"))
    mode = {} if webhook_port is None else {
        "BOT_MODE": "webhook", "WEBHOOK_URL": WEBHOOK_URL, "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PORT": str(webhook_port)}
    with log.open("ab") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=REPO,
                                   env=bot_env(telegram, STATE_DIR=str(state), **mode),
                                   stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        telegram.wait_for("setMyCommands", count=started + 1, timeout=START_TIMEOUT)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(30)


def answers_to(telegram: FakeTelegram, message: dict[str, Any]) -> list[Call]:
    return [call for call in telegram.calls_to("sendMessage", message["chat"]["id"])
            if call.reply_to == message["message_id"] and call.status == 200]


def wait_for_answers(
    telegram: FakeTelegram, messages: list[dict[str, Any]], timeout: float = 120
) -> None:
    for message in messages:
        telegram.wait_for_reply(message, timeout=timeout)


def burst(telegram: FakeTelegram) -> list[dict[str, Any]]:
    photos = [encoded(f"{n}+{n + 1}") for n in range(PHOTOS_PER_USER)]
    return [telegram.send_photo(5000 + user, photos[n])
            for n in range(PHOTOS_PER_USER) for user in range(USERS)]


@pytest.mark.parametrize("mode", ["polling", "webhook"])
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_burst_is_answered_across_a_stop_and_a_restart(
    telegram: FakeTelegram, tmp_path: Path, stop: signal.Signals, mode: str
) -> None:
    log = tmp_path / "bot.log"
    port = free_ports(1)[0] if mode == "webhook" else None
    if port is not None:  # Telegram posts each update, and again until it is answered 200
        telegram.push_updates_to(f"http://127.0.0.1:{port}/telegram", WEBHOOK_SECRET)
    with bot_process(telegram, tmp_path, log, port) as process:
        if port is not None:
            wait_until_listening(port, timeout=30)
        messages = burst(telegram)
        time.sleep(STOP_AFTER)
        process.send_signal(stop)
        process.wait(60)
    before_restart = sum(bool(answers_to(telegram, m)) for m in messages)
    with bot_process(telegram, tmp_path, log, port):
        wait_for_answers(telegram, messages)
        time.sleep(2)  # time for any second answer to show
    counts = collections.Counter(len(answers_to(telegram, m)) for m in messages)
    print(f"\n{mode}, {stop.name}: {before_restart} of {len(messages)} answered before the "
          f"restart; answers per photo: {dict(counts)}")
    assert 0 not in counts
    if stop == signal.SIGKILL:
        # Only answers Telegram accepted in the last moment before the kill, before the bot
        # read the acceptance and marked their updates done, are sent again: over 19 kills
        # 0 to 3 of 40, mostly 1 (accepted 2-12 ms before the kill, several in flight at once
        # early in a burst). Issue 19 asks for at most 1; see docs/scale-out.md, "Delivery".
        assert sum(n - 1 for n in counts.elements()) <= 4
    else:
        assert set(counts) == {1}
    assert TOKEN not in log.read_text()
    assert TOKEN.encode() not in (tmp_path / STORE).read_bytes()


def test_a_correction_a_button_press_and_a_typed_expression_are_answered_after_a_kill(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    chat = 5050
    with bot_process(telegram, tmp_path, log) as process:
        photo = telegram.send_photo(chat, encoded("2+3"))
        answer = telegram.sent_message(telegram.wait_for_reply(photo, timeout=30))
        # Telegram holds the answers back for a while; the bot is killed as it waits.
        telegram.fail_next("sendMessage", 429, times=3, retry_after=30)
        correction = telegram.send_text(chat, "3+6", reply_to=answer)
        telegram.press_button(answer, answer["reply_markup"]["inline_keyboard"][0][0]
                              ["callback_data"])
        typed = telegram.send_text(chat + 1, "6*7")
        telegram.wait_for("sendMessage", count=3, where=lambda call: call.status == 429,
                          timeout=30)
        process.send_signal(signal.SIGKILL)
        process.wait(60)
    telegram.fail_next("answerCallbackQuery", 400)  # Telegram: "query is too old"
    with bot_process(telegram, tmp_path, log):
        assert "= <b>9</b>" in telegram.wait_for_reply(correction, timeout=30).params["text"]
        assert "= <b>42</b>" in telegram.wait_for_reply(typed, timeout=30).params["text"]
        prompt = telegram.wait_for(
            "sendMessage", chat, timeout=30,
            where=lambda call: call.status == 200 and "force_reply" in call.params.get(
                "reply_markup", {}),
        )
        assert len(prompt) == 1 and prompt[0].reply_to == photo["message_id"]


def test_500_updates_stored_before_a_stop_are_handled_in_order_within_the_flood_limit(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    flooder = 5999
    messages = [telegram.send_text(5400 + n % 45, f"{n}+1") for n in range(450)]
    for n in range(50):
        telegram.send_text(flooder, f"{n}*2")
    store = open_inbox(str(tmp_path), TOKEN)
    for update in telegram.take_updates():  # stored, then confirmed, then the bot stopped
        store.add(update["update_id"], json.dumps(update))
    store.close()
    with bot_process(telegram, tmp_path, tmp_path / "bot.log"):
        wait_for_answers(telegram, messages)
        telegram.wait_for("sendMessage", flooder, count=31, timeout=30)
        time.sleep(1)
    answered = sorted(
        (call for message in messages for call in answers_to(telegram, message)),
        key=lambda call: call.at,
    )
    order = [int(call.params["text"].split("<b>")[1].split(" ")[0]) for call in answered]
    assert sorted(order) == list(range(450))
    # Updates are handled 16 at a time, so each answer comes within 16 places of its turn.
    assert max(abs(place - n) for place, n in enumerate(order)) <= 16
    to_flooder = [call.params["text"] for call in telegram.calls_to("sendMessage", flooder)]
    assert len(to_flooder) == 31 and sum("Easy there" in text for text in to_flooder) == 1


def test_photos_waiting_their_turn_at_a_graceful_stop_are_answered_after_the_restart(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    chat = 5070
    photos = [encoded(f"{n}+1") for n in range(IMAGES_PER_MINUTE + 2)]
    with bot_process(telegram, tmp_path, log) as process:
        messages = [telegram.send_photo(chat, photo) for photo in photos]
        telegram.wait_for("sendMessage", chat, count=IMAGES_PER_MINUTE + 1, timeout=60)
        process.terminate()  # two photos still wait for a slot a minute away
        process.wait(60)
    with bot_process(telegram, tmp_path, log):
        telegram.wait_for("sendMessage", chat, count=len(messages), timeout=60,
                          where=lambda call: "I read" in call.params["text"])
        time.sleep(1)
    readings = collections.Counter(
        call.reply_to for call in telegram.calls_to("sendMessage", chat)
        if "I read" in call.params["text"])
    assert readings == collections.Counter(message["message_id"] for message in messages)
    texts = [call.params["text"] for call in telegram.calls_to("sendMessage", chat)]
    assert not [text for text in texts if "send it again" in text]


def test_a_stored_photo_telegram_no_longer_has_is_asked_for_again_once(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    gone = telegram.send_photo(5080, encoded("2+2"))
    kept = telegram.send_photo(5080, encoded("3+3"))
    telegram.expire_file(gone["photo"][-1]["file_id"])
    store = open_inbox(str(tmp_path), TOKEN)
    for update in telegram.take_updates():
        store.add(update["update_id"], json.dumps(update))
    store.close()
    with bot_process(telegram, tmp_path, tmp_path / "bot.log"):
        assert "I read" in telegram.wait_for_reply(kept, timeout=30).params["text"]
        time.sleep(1)
    assert [call.params["text"] for call in answers_to(telegram, gone)] == [replies.SEND_AGAIN]


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_store_is_replaced_and_the_bot_answers(
    telegram: FakeTelegram, tmp_path: Path, damage: str
) -> None:
    log = tmp_path / "bot.log"
    with bot_process(telegram, tmp_path, log):
        telegram.wait_for_reply(telegram.send_text(5100, "6*7"), timeout=30)
    store = tmp_path / STORE
    data = store.read_bytes()
    store.write_bytes(b"\x13garbage" * 1000 if damage == "garbage" else data[: len(data) // 2])
    with bot_process(telegram, tmp_path, log):
        reply = telegram.wait_for_reply(telegram.send_text(5101, "6*7"), timeout=30)
        assert "= <b>42</b>" in reply.params["text"]
    warnings = [line for line in log.read_text().splitlines() if "WARNING bot.inbox" in line]
    assert len(warnings) == 1 and "moved it to" in warnings[0]
    assert list(tmp_path.glob(f"{STORE}.damaged-*"))


def test_an_unwritable_folder_means_answering_without_durability(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    log = tmp_path / "bot.log"
    with bot_process(telegram, blocker / "state", log):
        reply = telegram.wait_for_reply(telegram.send_text(5200, "6*7"), timeout=30)
        assert "= <b>42</b>" in reply.params["text"]
    warnings = [line for line in log.read_text().splitlines() if "WARNING bot.inbox" in line]
    assert len(warnings) == 1 and "WITHOUT durability" in warnings[0]


def test_a_disk_filling_up_while_running_means_one_warning_and_answers_go_on(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    def small_files() -> None:  # in the bot process: no file of it may grow past 64 kB
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, 64_000))

    environment = bot_env(telegram, STATE_DIR=str(tmp_path))
    process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=REPO, env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               preexec_fn=small_files)
    try:
        telegram.wait_for("setMyCommands", timeout=START_TIMEOUT)
        messages = [telegram.send_text(5500 + n % 10, f"{n}*3") for n in range(60)]
        wait_for_answers(telegram, messages, timeout=60)
    finally:
        process.terminate()
        _, log = process.communicate(timeout=30)
    warnings = [line for line in log.decode().splitlines() if "WARNING bot.inbox" in line]
    assert len(warnings) == 1 and "could not write to it" in warnings[0]
    assert all(answers_to(telegram, message) for message in messages)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files")
def test_a_read_only_store_is_replaced_and_the_bot_answers(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    with bot_process(telegram, tmp_path, log):
        telegram.wait_for_reply(telegram.send_text(5300, "6*7"), timeout=30)
    for part in tmp_path.glob(f"{STORE}*"):
        part.chmod(0o444)
    with bot_process(telegram, tmp_path, log):
        reply = telegram.wait_for_reply(telegram.send_text(5301, "6*7"), timeout=30)
        assert "= <b>42</b>" in reply.params["text"]
