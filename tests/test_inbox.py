"""The update store on its own: what it keeps, for how long, and how it survives damage."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot import inbox
from bot.inbox import Inbox, InboxQueue, InboxUpdateProcessor, open_inbox, replay

TOKEN = "123456:TEST-secret-part"


def update(update_id: int) -> str:
    return json.dumps({"update_id": update_id, "message": {"message_id": update_id}})


def store_file(state: Path) -> Path:
    return state / "inbox-123456.sqlite3"


def test_updates_not_done_come_back_oldest_first(tmp_path: Path) -> None:
    store = open_inbox(str(tmp_path), TOKEN)
    assert store.durable
    for update_id in (7, 3, 9):
        assert store.add(update_id, update(update_id))
    store.done(3)
    store.close()
    again = open_inbox(str(tmp_path), TOKEN)
    assert [data["update_id"] for data in again.pending()] == [7, 9]


def test_an_update_sent_again_is_stored_once(tmp_path: Path) -> None:
    store = open_inbox(str(tmp_path), TOKEN)
    assert store.add(1, update(1))
    assert not store.add(1, update(1))
    store.done(1)
    assert not store.add(1, update(1))  # done, and still not handled again


def test_the_file_holds_neither_the_token_nor_anything_but_the_update(tmp_path: Path) -> None:
    store = open_inbox(str(tmp_path), TOKEN)
    store.add(1, update(1))
    store.close()
    assert b"secret-part" not in store_file(tmp_path).read_bytes()


def test_done_updates_are_forgotten_after_a_day(tmp_path: Path) -> None:
    store = open_inbox(str(tmp_path), TOKEN)
    store.add(1, update(1))
    store.add(2, update(2))
    store.done(1)
    store.done(2)
    store.prune(now=1e12)
    assert store.add(3, update(3))
    database = sqlite3.connect(store_file(tmp_path))
    assert database.execute("SELECT update_id FROM updates").fetchall() == [(3,)]


def test_over_the_cap_the_oldest_done_go_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox, "MOST_ENTRIES", 4)
    store = open_inbox(str(tmp_path), TOKEN)
    for update_id in range(1, 7):
        store.add(update_id, update(update_id))
    for update_id in (2, 3, 5):
        store.done(update_id)
    store.prune()
    database = sqlite3.connect(store_file(tmp_path))
    kept = [row[0] for row in database.execute("SELECT update_id FROM updates ORDER BY rowid")]
    assert kept == [1, 4, 5, 6]


def test_an_update_handled_at_three_starts_without_an_answer_is_given_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_inbox(str(tmp_path), TOKEN)
    store.add(1, update(1))
    for _ in range(inbox.MOST_ATTEMPTS):  # each start crashed while handling it
        assert [data["update_id"] for data in store.pending()] == [1]
    store.add(2, update(2))
    with caplog.at_level(logging.WARNING):
        assert [data["update_id"] for data in store.pending()] == [2]
    assert "gave up 1 updates" in caplog.records[-1].getMessage()


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_store_is_moved_aside_and_started_afresh(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    store = open_inbox(str(tmp_path), TOKEN)
    for update_id in range(200):
        store.add(update_id, update(update_id))
    store.close()
    path = store_file(tmp_path)
    data = path.read_bytes()
    path.write_bytes(b"not a database" * 500 if damage == "garbage" else data[: len(data) // 3])
    with caplog.at_level(logging.WARNING):
        fresh = open_inbox(str(tmp_path), TOKEN)
    assert fresh.durable
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "moved it to" in warnings[0].getMessage()
    assert fresh.add(1, update(1))
    assert list(tmp_path.glob("inbox-123456.sqlite3.damaged-*"))


def test_a_folder_that_cannot_be_made_means_no_durability(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with caplog.at_level(logging.WARNING):
        store = open_inbox(str(blocker / "state"), TOKEN)
    assert not store.durable
    assert "WITHOUT durability" in caplog.records[-1].getMessage()
    assert store.add(1, update(1)) and store.pending() == []


def test_a_write_failing_later_warns_once_and_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_inbox(str(tmp_path), TOKEN)
    store._database.execute("DROP TABLE updates")  # as a full disk or damage would fail it
    with caplog.at_level(logging.WARNING):
        assert store.add(1, update(1))
        store.done(1)
        store.add(2, update(2))
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    assert not store.durable


def test_a_stored_update_that_no_longer_parses_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_inbox(str(tmp_path), TOKEN)
    store.add(1, json.dumps({"update_id": 1, "message": {"message_id": "not a message"}}))
    store.add(2, json.dumps({"update_id": 2}))
    queue = InboxQueue(store)
    application = SimpleNamespace(update_processor=InboxUpdateProcessor(1, store),
                                  update_queue=queue, bot=None)
    with caplog.at_level(logging.WARNING):
        asyncio.run(replay(application))  # type: ignore[arg-type]
    assert [queue.get_nowait().update_id] == [2] and queue.empty()
    assert "skipped stored update 1" in caplog.records[-1].getMessage()
    assert [data["update_id"] for data in store.pending()] == [2]


def test_no_folder_no_store() -> None:
    store = Inbox(None)
    assert store.add(1, update(1)) and store.pending() == [] and not store.durable
