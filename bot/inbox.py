"""A durable inbox: every update is written to SQLite before Telegram learns it arrived.

PTB puts each update on the application's update queue before it confirms it to Telegram (in
polling mode the next getUpdates offset, in webhook mode the 200 answer), so `InboxQueue.put`
is where an update is stored. It is marked done as soon as Telegram accepts its answer
(`bot/delivery.py` calls `answered`), or once handling ends for updates that get no answer.
At start-up the updates not done are handled again, oldest first, before new ones.

A damaged or unwritable store never stops the bot: it is moved aside and started afresh, or,
when even that fails, the bot runs without durability and says so once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Awaitable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, SimpleUpdateProcessor

from bot import replies

log = logging.getLogger(__name__)

DONE_KEPT_SECONDS = 24 * 3600  # as long as Telegram itself keeps an unconfirmed update
MOST_ENTRIES = 10_000
PRUNE_EVERY = 500  # stores between prunes: pruning costs a scan, storing must stay cheap
# Starts that may handle one update: one that crashes the bot (say, a picture that runs it out
# of memory) must not crash every start after it.
MOST_ATTEMPTS = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS updates (
    update_id INTEGER NOT NULL UNIQUE,
    received REAL NOT NULL,
    done REAL,
    attempts INTEGER NOT NULL DEFAULT 0,  -- starts that handled it again
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS updates_done ON updates (done);
CREATE TABLE IF NOT EXISTS opened (at REAL NOT NULL);
"""


class Inbox:
    """Updates as Telegram sent them (their JSON: ids, text, file_ids; never image bytes),
    each with when it was received and when it was done. Without a database (`None`) every
    method does nothing: the bot runs without durability."""

    def __init__(self, database: sqlite3.Connection | None, path: Path | None = None) -> None:
        self._database = database
        self.path = path
        self._stored_since_prune = 0

    @property
    def durable(self) -> bool:
        return self._database is not None

    def add(self, update_id: int, body: str) -> bool:
        """Store an update; False if it was stored before (Telegram sent it again)."""
        stored = self._write(
            "INSERT OR IGNORE INTO updates (update_id, received, body) VALUES (?, ?, ?)",
            (update_id, time.time(), body),
        )
        self._stored_since_prune += 1
        if self._stored_since_prune >= PRUNE_EVERY:
            self.prune()
        return stored != 0

    def done(self, update_id: int) -> None:
        self._write("UPDATE updates SET done = ? WHERE update_id = ? AND done IS NULL",
                    (time.time(), update_id))

    def pending(self) -> list[dict[str, Any]]:
        """The updates not done, oldest first, as Telegram sent them, counting this start as an
        attempt at each; those tried MOST_ATTEMPTS times already are given up (marked done)."""
        if self._database is None:
            return []
        try:
            with self._database:
                given_up = self._database.execute(
                    "UPDATE updates SET done = ? WHERE done IS NULL AND attempts >= ?",
                    (time.time(), MOST_ATTEMPTS)).rowcount
                self._database.execute(
                    "UPDATE updates SET attempts = attempts + 1 WHERE done IS NULL")
            rows = self._database.execute(
                "SELECT body FROM updates WHERE done IS NULL ORDER BY rowid"
            ).fetchall()
            pending = [json.loads(body) for (body,) in rows]
        except (sqlite3.Error, ValueError) as error:
            self._give_up("could not read it", error)
            return []
        if given_up:
            log.warning("gave up %d updates, handled at %d starts in a row without an answer",
                        given_up, MOST_ATTEMPTS)
        return pending

    def prune(self, now: float | None = None) -> None:
        """Forget done updates after a day; above MOST_ENTRIES the oldest go, done ones first."""
        self._stored_since_prune = 0
        now = time.time() if now is None else now
        self._write("DELETE FROM updates WHERE done < ?", (now - DONE_KEPT_SECONDS,))
        self._write(
            "DELETE FROM updates WHERE rowid IN (SELECT rowid FROM updates"
            " ORDER BY done IS NULL, rowid LIMIT max(0, (SELECT count(*) FROM updates) - ?))",
            (MOST_ENTRIES,),
        )

    def close(self) -> None:
        if self._database is not None:
            with contextlib.suppress(sqlite3.Error):
                self._database.close()
            self._database = None

    def _write(self, statement: str, parameters: tuple[Any, ...]) -> int:
        if self._database is None:
            return 1  # as if stored: without durability nothing counts as a repeat
        try:
            with self._database:
                return self._database.execute(statement, parameters).rowcount
        except sqlite3.Error as error:  # a full disk, or the file damaged while running
            self._give_up("could not write to it", error)
            return 1

    def _give_up(self, what: str, error: Exception) -> None:
        log.warning("update store %s %s (%s); going on WITHOUT durability: updates arriving "
                    "while the bot is down or crashing may go unanswered", self.path, what,
                    error)
        self.close()


def open_inbox(state_dir: str | None, token: str) -> Inbox:
    """The inbox in `state_dir` (None: none), one file per bot; never raises (see the module's
    doc). Only the bot's id, the public part of the token, names the file."""
    if state_dir is None:
        return Inbox(None)
    bot_id = token.partition(":")[0]
    path = Path(state_dir) / f"inbox-{bot_id if bot_id.isdigit() else 'bot'}.sqlite3"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        store = Inbox(_connect(path), path)
        store.prune()
        return store
    except (sqlite3.Error, OSError) as error:
        damage = error
    try:
        moved = _move_aside(path)
        database = _connect(path)
    except (sqlite3.Error, OSError) as error:
        log.warning("cannot keep an update store in %s (%s: %s); running WITHOUT durability: "
                    "updates arriving while the bot is down or crashing may go unanswered",
                    state_dir, type(error).__name__, error)
        return Inbox(None)
    log.warning("update store %s was unusable (%s: %s); moved it to %s and started a new one; "
                "updates it held will not be answered", path, type(damage).__name__, damage,
                moved)
    return Inbox(database, path)


def _connect(path: Path) -> sqlite3.Connection:
    database = sqlite3.connect(path)
    try:
        # WAL: a commit is one append. NORMAL: it survives the process being killed; only a
        # power cut may lose the last commits, a price worth a sync-free write per update.
        database.execute("PRAGMA journal_mode=WAL")
        database.execute("PRAGMA synchronous=NORMAL")
        if database.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("quick_check found damage")
        database.executescript(_SCHEMA)
        with database:  # proves the file can be written, now rather than at the first update
            database.execute("DELETE FROM opened")
            database.execute("INSERT INTO opened (at) VALUES (?)", (time.time(),))
    except BaseException:
        database.close()
        raise
    return database


def _move_aside(path: Path) -> Path:
    moved = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(path.name + suffix)
        if part.exists():
            part.replace(moved.with_name(moved.name + suffix))
    return moved


class InboxQueue(asyncio.Queue):
    """The application's update queue; an update is stored before it is queued, and one
    stored before (sent again by Telegram after a crash) is not queued twice."""

    def __init__(self, inbox: Inbox) -> None:
        super().__init__()
        self.inbox = inbox

    async def put(self, item: object) -> None:
        if isinstance(item, Update) and not self.inbox.add(item.update_id, item.to_json()):
            return
        await super().put(item)


@dataclass
class _Handling:
    update_id: int
    inbox: Inbox
    deferred: bool = False  # answered later, by another run of the same update


_handling: ContextVar[_Handling | None] = ContextVar("handling", default=None)


def answered() -> None:
    """Mark the update being handled done: Telegram accepted its answer. Called right after
    the send, so a crash can repeat an answer only in the moment of this one write."""
    handling = _handling.get()
    if handling is not None and not handling.deferred:
        handling.inbox.done(handling.update_id)


def defer() -> None:
    """The update being handled will be answered later (an image waiting for its slot): its
    notes to the user now do not make it done."""
    handling = _handling.get()
    if handling is not None:
        handling.deferred = True


class InboxUpdateProcessor(SimpleUpdateProcessor):
    """Runs each update with a record of it, marks it done when handling ends, and tells the
    sender of a replayed image Telegram no longer has to send it again."""

    def __init__(self, max_concurrent_updates: int, inbox: Inbox) -> None:
        super().__init__(max_concurrent_updates)
        self.inbox = inbox
        self.replayed: set[int] = set()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        handling = _Handling(update.update_id, self.inbox)
        _handling.set(handling)
        if update.update_id in self.replayed:
            self.replayed.discard(update.update_id)
            if await _file_gone(update):
                coroutine.close()  # type: ignore[attr-defined]
                return
        await coroutine
        if not handling.deferred:  # also the updates that get no answer, e.g. group chatter
            self.inbox.done(update.update_id)


async def replay(application: Application) -> None:
    """Queue the updates not done, oldest first; call before the application starts."""
    processor = application.update_processor
    queue = application.update_queue
    if not isinstance(processor, InboxUpdateProcessor):
        return
    pending = processor.inbox.pending()
    if processor.inbox.durable:
        log.info("updates are kept in %s until answered", processor.inbox.path)
    for data in pending:
        try:
            update = Update.de_json(data, application.bot)
        except Exception as error:  # e.g. stored by another PTB version: skip it, not the start
            log.warning("skipped stored update %s: %s", data.get("update_id"), error)
            processor.inbox.done(data.get("update_id", -1))
            continue
        processor.replayed.add(update.update_id)
        queue.put_nowait(update)  # stored already: not through InboxQueue.put
    if pending:
        log.info("handling %d updates received before the last stop", len(pending))


def close(application: Application) -> None:
    """Close the store; call when the application has shut down."""
    if isinstance(application.update_processor, InboxUpdateProcessor):
        application.update_processor.inbox.close()


async def _file_gone(update: Update) -> bool:
    """For a replayed photo or image file: True (and the user asked to send it again) if
    Telegram no longer has it."""
    message = update.effective_message
    file_id = _file_id(message) if message else None
    if message is None or file_id is None:
        return False
    try:
        await update.get_bot().get_file(file_id)
    except BadRequest as error:
        if "too big" in error.message.lower():  # the handler says so itself
            return False
        with contextlib.suppress(TelegramError):
            await message.reply_text(replies.SEND_AGAIN)
        return True
    except TelegramError:
        return False  # the handler will meet the same failure and apologise
    return False


def _file_id(message: Message) -> str | None:
    if message.photo:
        return message.photo[-1].file_id
    if message.document:
        return message.document.file_id
    return None
