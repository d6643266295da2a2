"""Load and scale-out against the fake Bot API: bursts, a flooding user, Telegram failing for a
while, and several webhook replicas behind a round-robin proxy.

Latency figures are printed (run with -s); the bounds asserted are generous so the tests are not
flaky on a busy 2-core machine. benchmarks/load.py runs a bigger version; docs/benchmarks.md has
the measured numbers.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import numpy as np
import pytest
from telegram.ext import Application

from bot import replies
from bot.app import IMAGES_PER_MINUTE, WAITING_IMAGES
from bot.limits import SlidingWindowLimiter
from tests import test_bot_e2e
from tests.fake_telegram import SECRET_HEADER, Call, FakeTelegram
from tests.test_bot_e2e import BOT_USERNAME, TOKEN, encoded, new_chat, use_image_limiter
from tests.webhook_replicas import (
    REPO,
    WEBHOOK_SECRET,
    WEBHOOK_URL,
    RoundRobinProxy,
    free_ports,
    webhook_replicas,
)

# The module-scoped fake Bot API server and the real bot polling it, from the e2e tests.
telegram = test_bot_e2e.telegram
application = test_bot_e2e.application
pytestmark = test_bot_e2e.pytestmark

EXPRESSIONS = {"12+7": "19", "3×4": "12", "9-5": "4", "8÷2": "4", "6+6": "12"}


@pytest.fixture(scope="module")
def photos() -> list[tuple[bytes, str]]:
    """(jpeg, expected result) for a few different drawn expressions."""
    return [(encoded(text, seed=seed), result)
            for seed, (text, result) in enumerate(EXPRESSIONS.items())]


def successful_sends(telegram: FakeTelegram, chat_id: int) -> list[Call]:
    return [call for call in telegram.calls_to("sendMessage", chat_id) if call.status == 200]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def latency_summary(latencies: list[float]) -> str:
    return (f"n={len(latencies)} p50={percentile(latencies, 50):.2f}s "
            f"p95={percentile(latencies, 95):.2f}s max={max(latencies):.2f}s")


def wait_for_answers(
    telegram: FakeTelegram, sent: list[tuple[dict, float]], timeout: float
) -> list[tuple[Call, float]]:
    """The reply to each sent message and its latency in seconds (from sending to the reply)."""
    return [(reply := telegram.wait_for_reply(message, timeout=timeout), reply.at - at)
            for message, at in sent]


def assert_exactly_one_reply_each(telegram: FakeTelegram, chats: set[int], settle: float = 0.5):
    time.sleep(settle)  # a duplicate would arrive late
    for chat in chats:
        sends = successful_sends(telegram, chat)
        assert len({call.reply_to for call in sends}) == len(sends), "duplicate answer"


# ---------------------------------------------------------------------------- bursts


def test_20_users_sending_10_photos_each_at_once_are_all_answered(
    telegram: FakeTelegram, photos: list[tuple[bytes, str]]
) -> None:
    users = [new_chat() for _ in range(20)]
    sent, expected = [], {}
    started = time.monotonic()
    for n in range(10):
        for user in users:
            data, result = photos[(n + user) % len(photos)]
            message = telegram.send_photo(user, data)
            sent.append((message, time.monotonic()))
            expected[(user, message["message_id"])] = result
    answers = wait_for_answers(telegram, sent, timeout=90)
    elapsed = time.monotonic() - started
    latencies = [latency for _, latency in answers]
    print(f"\n20 users x 10 photos: {latency_summary(latencies)}; all answered in {elapsed:.1f}s "
          f"({len(sent) / elapsed:.1f} photos/s)")
    for call, _ in answers:
        assert f"= <b>{expected[(call.chat_id, call.reply_to)]}</b>" in call.params["text"]
    assert_exactly_one_reply_each(telegram, set(users))
    for user in users:
        assert len(successful_sends(telegram, user)) == 10
    # Telegram allows a bot about 30 messages/s in all, so the 190th answer cannot leave before
    # about 5 s however fast recognition is; the bound is generous for a busy CI machine.
    assert percentile(latencies, 95) < 45


def test_a_flooding_user_waits_while_others_are_answered(
    telegram: FakeTelegram, application: Application, monkeypatch: pytest.MonkeyPatch,
    photos: list[tuple[bytes, str]],
) -> None:
    # The real limit and waiting room, per 5 s rather than a minute, so that the waiting photos
    # are answered (competing with the other users) within the test.
    use_image_limiter(application, monkeypatch, SlidingWindowLimiter(
        IMAGES_PER_MINUTE, 5.0, most_waiting=WAITING_IMAGES))
    data, result = photos[0]
    baseline = []
    for _ in range(3):
        at = time.monotonic()
        baseline.append(telegram.wait_for_reply(telegram.send_photo(new_chat(), data)).at - at)

    flooder, others = new_chat(), [new_chat() for _ in range(5)]
    for _ in range(50):
        telegram.send_photo(flooder, data)
    others_sent = [(telegram.send_photo(user, data), time.monotonic()) for user in others]
    for _ in range(50):
        telegram.send_photo(flooder, data)

    others_latency = [latency for _, latency in wait_for_answers(telegram, others_sent, 60)]
    answerable = IMAGES_PER_MINUTE + WAITING_IMAGES
    telegram.wait_for("sendMessage", flooder, count=answerable + 2, timeout=90)
    print(f"\nidle photo latency {latency_summary(baseline)}; other users during a 100-photo "
          f"flood: {latency_summary(others_latency)}")
    assert_exactly_one_reply_each(telegram, set(others))
    flood_replies = telegram.calls_to("sendMessage", flooder)
    answered = [c for c in flood_replies if f"= <b>{result}</b>" in c.params["text"]]
    waiting = [c for c in flood_replies if c.params["text"].startswith("⏳")]
    skipped = [c for c in flood_replies if c.params["text"] == replies.format_queue_full(
        WAITING_IMAGES)]
    # Told once that photos wait and once that no more can, so the 70 skipped photos cost no
    # messages from the bot's 30/s budget.
    assert (len(answered), len(waiting), len(skipped)) == (answerable, 1, 1)
    assert len({call.reply_to for call in answered}) == answerable  # no photo answered twice
    assert len(flood_replies) == answerable + 2
    assert max(others_latency) < 20


# ---------------------------------------------------------------------------- Telegram failing


def test_polling_survives_dropped_connections_500_and_429(
    telegram: FakeTelegram, photos: list[tuple[bytes, str]]
) -> None:
    # PTB waits 1 s after the first error and 1.5 times longer after each further one, and
    # retry_after + 0.5 s after a 429: about 4 s without updates here.
    telegram.fail_next("getUpdates", None)
    telegram.fail_next("getUpdates", 500)
    telegram.fail_next("getUpdates", 429, retry_after=1)
    sent, expected = [], {}
    for n in range(12):
        chat = new_chat()
        if n % 2:
            message, result = telegram.send_text(chat, f"{n}*{n}"), str(n * n)
        else:
            data, result = photos[n % len(photos)]
            message = telegram.send_photo(chat, data)
        sent.append((message, time.monotonic()))
        expected[chat] = result
        time.sleep(0.1)  # spread over the failing polls
    answers = wait_for_answers(telegram, sent, timeout=60)
    print(f"\nanswers while getUpdates failed: {latency_summary([lat for _, lat in answers])}")
    for call, _ in answers:
        assert f"= <b>{expected[call.chat_id]}</b>" in call.params["text"]
    assert_exactly_one_reply_each(telegram, set(expected))
    assert all(len(successful_sends(telegram, chat)) == 1 for chat in expected)


def test_flood_waits_on_sending_are_retried_without_duplicates(telegram: FakeTelegram) -> None:
    telegram.fail_next("sendMessage", 429, times=3, retry_after=1)
    chats = [new_chat() for _ in range(6)]
    sent = [(telegram.send_text(chat, f"{n}+{n}"), time.monotonic())
            for n, chat in enumerate(chats)]
    answers = wait_for_answers(telegram, sent, timeout=60)
    for n, (call, _) in enumerate(answers):
        assert f"= <b>{2 * n}</b>" in call.params["text"]
    assert_exactly_one_reply_each(telegram, set(chats))
    refused = [call for chat in chats for call in telegram.calls_to("sendMessage", chat)
               if call.status == 429]
    assert len(refused) == 3
    assert all(len(successful_sends(telegram, chat)) == 1 for chat in chats)


@pytest.mark.parametrize("failure", [500, None], ids=["500", "dropped connection"])
def test_a_failed_send_costs_one_apology_never_a_duplicate(
    telegram: FakeTelegram, failure: int | None
) -> None:
    # One failure at a time: the apology is sent once, best effort, so a second failure right
    # after the first (hitting the apology itself) leaves that user without any reply.
    telegram.fail_next("sendMessage", failure)
    chats = [new_chat() for _ in range(4)]
    for n, chat in enumerate(chats):
        telegram.send_text(chat, f"{n}*3")
    for chat in chats:
        telegram.wait_for("sendMessage", chat, where=lambda c: c.status == 200, timeout=30)
    assert_exactly_one_reply_each(telegram, set(chats))
    texts = [successful_sends(telegram, chat)[0].params["text"] for chat in chats]
    assert all(len(successful_sends(telegram, chat)) == 1 for chat in chats)
    assert texts.count(replies.GENERIC_APOLOGY) == 1  # Bot API errors on sending are not retried
    assert sum("= <b>" in text for text in texts) == 3


# ---------------------------------------------------------------------------- webhook replicas


@pytest.fixture
def webhook_telegram() -> Iterator[FakeTelegram]:
    """A second fake Bot API for the replicas: nobody polls it, updates are posted to them."""
    fake = FakeTelegram(TOKEN, BOT_USERNAME).start()
    yield fake
    fake.stop()


@pytest.fixture
def replicas(webhook_telegram: FakeTelegram) -> Iterator[list[int]]:
    """Three `python -m bot` processes in webhook mode; yields their ports."""
    with webhook_replicas(webhook_telegram, 3) as started:
        yield [replica.port for replica in started]
    for replica in started:
        assert b"Traceback" not in replica.stderr, replica.stderr.decode()[-2000:]


def post_update(proxy_port: int, update: dict, secret: str | None = WEBHOOK_SECRET) -> int:
    headers = {"Content-Type": "application/json"} | ({SECRET_HEADER: secret} if secret else {})
    request = urllib.request.Request(f"http://127.0.0.1:{proxy_port}/telegram",
                                     data=json.dumps(update).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_webhook_replicas_behind_a_round_robin_proxy_answer_every_update_once(
    webhook_telegram: FakeTelegram, replicas: list[int], photos: list[tuple[bytes, str]]
) -> None:
    fake = webhook_telegram
    registrations = fake.calls_to("setWebhook")
    assert {(c.params["url"], c.params["secret_token"]) for c in registrations} == {
        (WEBHOOK_URL, WEBHOOK_SECRET)
    }
    update_ids = itertools.count(1)

    def deliver(message: dict, secret: str | None = WEBHOOK_SECRET) -> int:
        return post_update(proxy.port, {"update_id": next(update_ids), "message": message}, secret)

    with RoundRobinProxy(replicas) as proxy:
        # Without the secret a replica refuses the update (and does not answer it).
        intruder_chat = new_chat()
        assert deliver(fake.send_text(intruder_chat, "1+1"), secret=None) == 403

        expected = {}
        for n in range(9):
            chat = new_chat()
            if n % 3 == 0:
                data, result = photos[n % len(photos)]
                message = fake.send_photo(chat, data)
            else:
                message, result = fake.send_text(chat, f"{n}*7"), str(n * 7)
            assert deliver(message) == 200
            expected[chat] = (message, result)
        for message, result in expected.values():
            assert f"= <b>{result}</b>" in fake.wait_for_reply(message, timeout=30).params["text"]

        # The correction flow across replicas: the photo goes to one, the correction to the next,
        # the "show what I saw" button to the third.
        flow_chat = new_chat()
        photo_update = next(update_ids)
        photo = fake.send_photo(flow_chat, encoded("3+5"))
        assert post_update(proxy.port, {"update_id": photo_update, "message": photo}) == 200
        answer = fake.sent_message(fake.wait_for_reply(photo, timeout=30))
        correction_update = next(update_ids)
        correction = fake.send_text(flow_chat, "3+6", reply_to=answer)
        assert post_update(
            proxy.port, {"update_id": correction_update, "message": correction}
        ) == 200
        assert "= <b>9</b>" in fake.wait_for_reply(correction, timeout=30).params["text"]
        button_update = next(update_ids)
        query = {"id": "query-show", "from": {"id": flow_chat, "is_bot": False, "first_name": "U"},
                 "chat_instance": f"instance-{flow_chat}", "data": replies.SHOW_CALLBACK,
                 "message": fake.message(flow_chat, answer["message_id"])}
        assert post_update(proxy.port, {"update_id": button_update, "callback_query": query}) == 200
        assert fake.wait_for("sendPhoto", flow_chat, timeout=30)[0].reply_to == answer["message_id"]

        time.sleep(0.5)  # a duplicate would arrive late
        routed = dict(proxy.routed)

    served = {routed[photo_update], routed[correction_update], routed[button_update]}
    assert len(served) == 3  # three different processes handled the three steps
    assert set(routed.values()) == set(replicas)  # every replica got (and so answered) some
    assert fake.calls_to("sendMessage", intruder_chat) == []
    for chat in [*expected, flow_chat]:
        sends = successful_sends(fake, chat)
        assert len({call.reply_to for call in sends}) == len(sends), "duplicate answer"
    assert all(len(successful_sends(fake, chat)) == 1 for chat in expected)


def test_the_container_health_check_passes_on_a_replica_and_fails_on_a_closed_port(
    replicas: list[int],
) -> None:
    def health(port: int) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "BOT_MODE": "webhook", "WEBHOOK_URL": WEBHOOK_URL,
                       "PORT": str(port)}
        return subprocess.run([sys.executable, "-m", "bot.health"], env=environment,
                              capture_output=True, text=True, timeout=30, cwd=REPO)

    assert health(replicas[0]).returncode == 0
    closed = health(free_ports(1)[0])
    assert closed.returncode == 1
    assert "nothing answers" in closed.stderr
