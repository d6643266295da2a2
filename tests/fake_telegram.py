"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests, standard library only.

It speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies, form and multipart posts) for
python-telegram-bot's httpx client, serves getUpdates long polling (or posts each update to a
webhook: `push_updates_to`) and file downloads, keeps every message in both directions so
replies and button presses carry the real reply_to_message, and records each Bot API call for
assertions. It runs its own event loop in a thread, so tests drive it with plain blocking
helpers while the bot runs elsewhere.
"""

from __future__ import annotations

import asyncio
import copy
import email.parser
import email.policy
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

# Values PTB sends as plain strings that must not be JSON-decoded ("42" stays a str).
_STRING_PARAMS = frozenset({"text", "caption", "callback_query_id", "file_id", "action", "url"})
_DOWNLOAD_LIMIT = 20_000_000  # Telegram refuses getFile above this for bots
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # on Telegram's webhook POSTs
WEBHOOK_CONNECTIONS = 40  # Telegram's default max_connections for a webhook
PUSH_ATTEMPTS = 300  # a failed webhook post is tried again, for up to about a minute
PUSH_RETRY_SECONDS = 0.2
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
            429: "Too Many Requests", 500: "Internal Server Error"}


@dataclass
class Call:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    status: int | None = 200  # the HTTP status answered; None when the connection was dropped
    message_id: int | None = None  # the message a successful send created

    @property
    def chat_id(self) -> int | None:
        return self.params.get("chat_id")

    @property
    def reply_to(self) -> int | None:
        """The message id this call replies to, if any."""
        return (self.params.get("reply_parameters") or {}).get("message_id")


@dataclass(frozen=True)
class _Webhook:
    url: str
    secret: str | None


@dataclass
class _Failure:
    status: int | None  # None: drop the connection without answering
    retry_after: int = 1


class FakeTelegram:
    """Start with `start()`, point the bot at `base_url` / `file_base_url`, stop with `stop()`."""

    def __init__(self, token: str = "123456:TEST-fake-token", username: str = "mathsnap_test_bot"):
        self.token = token
        self.bot_user = {"id": int(token.split(":")[0]), "is_bot": True,
                         "first_name": "Mathsnap test", "username": username,
                         "can_join_groups": True, "can_read_all_group_messages": False,
                         "supports_inline_queries": False}
        self.calls: list[Call] = []
        # The same calls by (method, chat id): waiting for one chat's reply must not scan every
        # call, or a long benchmark's waits grow quadratically and steal the bot's CPU.
        self._calls_by_chat: dict[tuple[str, int | None], list[Call]] = {}
        self.commands: list[dict[str, Any]] = []
        self._lock = threading.Condition()
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._files: dict[str, tuple[bytes, int, str]] = {}  # file_id -> (data, size, path)
        self._file_paths: dict[str, bytes] = {}  # path -> data, for downloads
        self._updates: list[dict[str, Any]] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._garbled: set[str] = set()
        self._ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = {}
        self._loop = asyncio.new_event_loop()
        self._new_update = asyncio.Event()
        self._webhook: _Webhook | None = None
        self._webhook_slots = asyncio.Semaphore(WEBHOOK_CONNECTIONS)
        self._pushes: set[asyncio.Task] = set()  # the loop keeps only weak references to tasks
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeTelegram:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop
        )
        self._server = future.result(5)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()
            connections = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in connections:
                task.cancel()
            await asyncio.gather(*connections, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ------------------------------------------------------------------ what users do

    def register_file(self, data: bytes, size: int | None = None, suffix: str = "jpg") -> str:
        """Store bytes under a new file_id; `size` may claim a different file_size."""
        with self._lock:
            number = next(self._ids)
            file_id = f"file-{number}"
            path = f"files/{number}.{suffix}"
            self._files[file_id] = (data, len(data) if size is None else size, path)
            self._file_paths[path] = data
        return file_id

    def expire_file(self, file_id: str) -> None:
        """Forget a file, as Telegram does some time after it was sent."""
        with self._lock:
            _, _, path = self._files.pop(file_id)
            del self._file_paths[path]

    def file_bytes(self, file_id: str) -> bytes:
        with self._lock:
            return self._files[file_id][0]

    def send_text(self, chat_id: int, text: str, **options: Any) -> dict[str, Any]:
        entities = _command_entities(text) + _mention_entities(text)
        extra = {"entities": entities} if entities else {}
        return self.send_message(chat_id, {"text": text, **extra}, **options)

    def send_photo(
        self, chat_id: int, data: bytes, *, width: int = 1280, height: int = 960,
        size: int | None = None, caption: str | None = None, **options: Any,
    ) -> dict[str, Any]:
        """A photo as Telegram delivers it: a small thumbnail first, the full size last.

        The thumbnail's bytes are not an image, so a bot that reads the wrong size fails.
        """
        thumbnail = self.register_file(b"not the largest size")
        full = self.register_file(data, size)
        sizes = [
            {"file_id": thumbnail, "file_unique_id": f"u-{thumbnail}", "width": 90,
             "height": 68, "file_size": 20},
            {"file_id": full, "file_unique_id": f"u-{full}", "width": width, "height": height,
             "file_size": self._files[full][1]},
        ]
        content: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            content |= {"caption": caption, "caption_entities": _mention_entities(caption)}
        return self.send_message(chat_id, content, **options)

    def send_document(
        self, chat_id: int, data: bytes, file_name: str, mime_type: str | None,
        *, size: int | None = None, caption: str | None = None, **options: Any,
    ) -> dict[str, Any]:
        file_id = self.register_file(data, size, suffix=file_name.rsplit(".", 1)[-1])
        document = {"file_id": file_id, "file_unique_id": f"u-{file_id}",
                    "file_name": file_name, "file_size": self._files[file_id][1]}
        if mime_type is not None:
            document["mime_type"] = mime_type
        content: dict[str, Any] = {"document": document}
        if caption is not None:
            content |= {"caption": caption, "caption_entities": _mention_entities(caption)}
        return self.send_message(chat_id, content, **options)

    def send_media(self, chat_id: int, kind: str, **options: Any) -> dict[str, Any]:
        """A sticker, voice note or video (content the bot cannot read)."""
        file_id = self.register_file(b"\x00" * 64, suffix="bin")
        media = {"file_id": file_id, "file_unique_id": f"u-{file_id}"}
        media |= {
            "sticker": {"type": "regular", "width": 512, "height": 512, "is_animated": False,
                        "is_video": False},
            "voice": {"duration": 3},
            "video": {"width": 640, "height": 480, "duration": 3},
        }[kind]
        return self.send_message(chat_id, {kind: media}, **options)

    def send_message(
        self, chat_id: int, content: dict[str, Any], *, user_id: int | None = None,
        chat_type: str = "private", reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Deliver a user's message (any content) as a new update; returns the message."""
        user = _user(user_id or chat_id)
        with self._lock:
            chat = self._chat(chat_id, chat_type, user)
            message = {"message_id": self._next_message_id(chat_id), "date": int(time.time()),
                       "chat": chat, "from": user, **content}
            if reply_to is not None:
                message["reply_to_message"] = _without_reply(reply_to)
            self._messages[(chat_id, message["message_id"])] = message
            self._queue_update({"message": message})
        return message

    def press_button(
        self, message: dict[str, Any], data: str, *, user_id: int | None = None
    ) -> str:
        """Press an inline button under one of the bot's messages; returns the query id."""
        with self._lock:
            stored = self._messages[(message["chat"]["id"], message["message_id"])]
            query_id = f"query-{next(self._ids)}"
            query = {"id": query_id, "from": _user(user_id or stored["chat"]["id"]),
                     "chat_instance": f"instance-{stored['chat']['id']}",
                     "message": copy.deepcopy(stored), "data": data}
            self._queue_update({"callback_query": query})
        return query_id

    def take_updates(self) -> list[dict[str, Any]]:
        """Remove and return the updates not yet fetched, as if a bot had confirmed them."""
        with self._lock:
            taken, self._updates = self._updates, []
        return taken

    def push_updates_to(self, url: str, secret: str | None = None) -> None:
        """From now on POST each new update to `url` (plain http), as Telegram does to a
        webhook, at most WEBHOOK_CONNECTIONS at once, instead of keeping it for getUpdates."""
        with self._lock:
            self._webhook = _Webhook(url, secret)

    def fail_next(
        self, method: str, status: int | None, *, times: int = 1, retry_after: int = 1
    ) -> None:
        """Make the next `times` calls of `method` fail: 429 (with retry_after), 500, or None
        to drop the connection without an answer."""
        with self._lock:
            self._failures.setdefault(method, []).extend(
                _Failure(status, retry_after) for _ in range(times)
            )

    def garble_next(self, method: str) -> None:
        """Carry out the next call of `method` (a send delivers its message) but answer with a
        result PTB cannot parse, so the bot fails after the user already has the message."""
        with self._lock:
            self._garbled.add(method)

    # ------------------------------------------------------------------ what tests check

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """The user deletes a message: replies to it no longer carry it, as in Telegram."""
        with self._lock:
            del self._messages[(chat_id, message_id)]
            for message in self._messages.values():
                replied = message.get("reply_to_message") or {}
                if message["chat"]["id"] == chat_id and replied.get("message_id") == message_id:
                    del message["reply_to_message"]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """The current state of a stored message (edits applied)."""
        with self._lock:
            return copy.deepcopy(self._messages[(chat_id, message_id)])

    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        with self._lock:
            if chat_id is None:
                return [call for call in self.calls if call.method == method]
            return list(self._calls_by_chat.get((method, chat_id), ()))

    def wait_for(
        self, method: str, chat_id: int | None = None, *, count: int = 1, timeout: float = 20.0,
        where: Callable[[Call], bool] = lambda call: True,
    ) -> list[Call]:
        """Block until `count` matching calls exist; returns them (raises on timeout)."""

        def matching() -> list[Call]:
            return [call for call in self.calls_to(method, chat_id) if where(call)]

        with self._lock:
            if not self._lock.wait_for(lambda: len(matching()) >= count, timeout):
                seen = [(c.method, c.chat_id) for c in self.calls[-20:]]
                raise TimeoutError(f"{count} x {method} to chat {chat_id} not seen; last: {seen}")
            return matching()

    def wait_until_confirmed(self, timeout: float = 20.0) -> None:
        """Block until the bot has confirmed every update sent so far (asked for updates past
        them), so that it holds each one."""
        with self._lock:
            if not self._lock.wait_for(lambda: not self._updates, timeout):
                raise TimeoutError(f"{len(self._updates)} updates not confirmed")

    def wait_for_reply(self, message: dict[str, Any], timeout: float = 20.0) -> Call:
        """The bot's first successful sendMessage that replies to `message`."""
        chat_id = message["chat"]["id"]

        def replies_to_it(call: Call) -> bool:
            return call.reply_to == message["message_id"] and call.status == 200

        return self.wait_for("sendMessage", chat_id, where=replies_to_it, timeout=timeout)[0]

    def sent_message(self, call: Call) -> dict[str, Any]:
        """The message a recorded send call created (as stored, with reply_to_message)."""
        with self._lock:
            return copy.deepcopy(self._messages[(call.chat_id, call.message_id)])

    # ------------------------------------------------------------------ internals

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _chat(self, chat_id: int, chat_type: str, user: dict[str, Any]) -> dict[str, Any]:
        if chat_id not in self._chats:
            chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                chat["first_name"] = user["first_name"]
            else:
                chat["title"] = f"Group {chat_id}"
            self._chats[chat_id] = chat
        return self._chats[chat_id]

    def _queue_update(self, update: dict[str, Any]) -> None:
        update = {"update_id": next(self._ids), **update}
        if self._webhook is not None:
            self._loop.call_soon_threadsafe(self._start_push, self._webhook, json.dumps(update))
            return
        self._updates.append(update)
        self._loop.call_soon_threadsafe(self._new_update.set)

    def _start_push(self, webhook: _Webhook, body: str) -> None:
        task = self._loop.create_task(self._push(webhook, body.encode()))
        self._pushes.add(task)
        task.add_done_callback(self._pushes.discard)

    async def _push(self, webhook: _Webhook, body: bytes) -> None:
        """POST one update; as Telegram does, try again a while later until it is answered 200
        (a bot that is down or restarting gets it once it is back)."""
        url = urlsplit(webhook.url)
        secret = f"{SECRET_HEADER}: {webhook.secret}\r\n" if webhook.secret else ""
        for _ in range(PUSH_ATTEMPTS):
            async with self._webhook_slots:
                try:
                    reader, writer = await asyncio.open_connection(url.hostname, url.port)
                    writer.write(f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
                                 f"Content-Type: application/json\r\n"
                                 f"Content-Length: {len(body)}\r\n"
                                 f"{secret}Connection: close\r\n\r\n".encode() + body)
                    await writer.drain()
                    answer = await reader.read()  # until the server closes the connection
                    writer.close()
                    if answer.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
                        return
                except OSError:
                    pass
            await asyncio.sleep(PUSH_RETRY_SECONDS)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    break
                _, target, _ = request_line.decode("latin-1").split(" ", 2)
                headers = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                answer = await self._route(target, headers, body)
                if answer is None:  # a simulated dropped connection
                    break
                status, content_type, payload = answer
                writer.write(
                    f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                    f"Content-Type: {content_type}\r\nContent-Length: {len(payload)}\r\n"
                    "Connection: keep-alive\r\n\r\n".encode() + payload
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _route(
        self, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, bytes] | None:
        path = urlsplit(target).path
        file_prefix = f"/file/bot{self.token}/"
        if unquote(path).startswith(file_prefix):  # PTB percent-encodes the token's colon
            return self._download(unquote(path)[len(file_prefix):])
        api_prefix = f"/bot{self.token}/"
        if not path.startswith(api_prefix):
            return _json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = path[len(api_prefix):]
        params, files = _parse_body(headers.get("content-type", ""), body)
        params |= {k: _decode(k, v[-1]) for k, v in parse_qs(urlsplit(target).query).items()}
        with self._lock:
            failures = self._failures.get(method)
            failure = failures.pop(0) if failures else None
            call = Call(method, params, files, status=failure.status if failure else 200)
            if method != "getUpdates":  # polling is not recorded: it would drown the rest
                self.calls.append(call)
                self._calls_by_chat.setdefault((method, call.chat_id), []).append(call)
            if failure is None and method != "getUpdates":
                answer = self._answer(method, call)
                if method in self._garbled:
                    self._garbled.discard(method)
                    answer = _ok({"message_id": call.message_id})  # no date, no chat
            self._lock.notify_all()
        if failure is None:
            return _ok(await self._get_updates(params)) if method == "getUpdates" else answer
        if failure.status is None:
            return None
        parameters = {"retry_after": failure.retry_after} if failure.status == 429 else {}
        return _json(failure.status, {"ok": False, "error_code": failure.status,
                                      "description": _REASONS[failure.status],
                                      "parameters": parameters})

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            self._new_update.clear()
            with self._lock:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                pending = list(self._updates[: int(params.get("limit") or 100)])
                self._lock.notify_all()  # for wait_until_confirmed
            remaining = deadline - time.monotonic()
            if pending or remaining <= 0:
                return pending
            try:
                await asyncio.wait_for(self._new_update.wait(), remaining)
            except TimeoutError:
                return []

    def _download(self, file_path: str) -> tuple[int, str, bytes]:
        with self._lock:
            data = self._file_paths.get(file_path)
        if data is None:
            return 404, "text/plain", b"Not Found"
        return 200, "application/octet-stream", data

    def _answer(self, method: str, call: Call) -> tuple[int, str, bytes]:
        """Answer an API call (the lock is held)."""
        params = call.params
        if method == "getMe":
            return _ok(self.bot_user)
        if method == "getFile":
            return self._get_file(params["file_id"])
        if method == "sendMessage":
            return _ok(self._store_sent(call, {"text": params["text"]}))
        if method == "sendPhoto":
            file_id = self.register_file(call.files.get("photo", b""), suffix="png")
            photo = [{"file_id": file_id, "file_unique_id": f"u-{file_id}", "width": 1,
                      "height": 1, "file_size": len(self._files[file_id][0])}]
            caption = {"caption": params["caption"]} if "caption" in params else {}
            return _ok(self._store_sent(call, {"photo": photo, **caption}))
        if method in ("editMessageText", "editMessageReplyMarkup"):
            stored = self._messages[(params["chat_id"], params["message_id"])]
            if params.get("text", stored.get("text")) == stored.get("text") and \
                    (params.get("reply_markup") or None) == stored.get("reply_markup"):
                return _json(400, {"ok": False, "error_code": 400, "description":
                                   "Bad Request: message is not modified: specified new message "
                                   "content and reply markup are exactly the same as a current "
                                   "content and reply markup of the message"})
            if "text" in params:
                stored["text"] = params["text"]
            stored.pop("reply_markup", None)
            if params.get("reply_markup"):
                stored["reply_markup"] = params["reply_markup"]
            return _ok(copy.deepcopy(stored))
        if method == "setMyCommands":
            self.commands = params["commands"]
        if method == "getMyCommands":
            return _ok(self.commands)
        return _ok(True)  # sendChatAction, answerCallbackQuery, deleteWebhook and the rest

    def _get_file(self, file_id: str) -> tuple[int, str, bytes]:
        if file_id not in self._files:
            return _json(400, {"ok": False, "error_code": 400,
                               "description": "Bad Request: invalid file_id"})
        _, size, path = self._files[file_id]
        if size > _DOWNLOAD_LIMIT:
            return _json(400, {"ok": False, "error_code": 400,
                               "description": "Bad Request: file is too big"})
        return _ok({"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": size,
                    "file_path": path})

    def _store_sent(self, call: Call, content: dict[str, Any]) -> dict[str, Any]:
        chat_id = call.params["chat_id"]
        message = {"message_id": self._next_message_id(chat_id), "date": int(time.time()),
                   "chat": self._chats.get(chat_id, {"id": chat_id, "type": "private"}),
                   "from": self.bot_user, **content}
        replied = self._messages.get((chat_id, call.reply_to))
        if replied is not None:
            message["reply_to_message"] = _without_reply(replied)
        if "inline_keyboard" in (call.params.get("reply_markup") or {}):
            # Messages carry only inline keyboards; a ForceReply is not echoed back.
            message["reply_markup"] = call.params["reply_markup"]
        self._messages[(chat_id, message["message_id"])] = message
        call.message_id = message["message_id"]
        return message


def _parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    if content_type.startswith("multipart/form-data"):
        parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        params, files = {}, {}
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if part.get_filename() is not None:
                files[name] = payload
            else:
                params[name] = _decode(name, payload.decode())
        return params, files
    if content_type.startswith("application/json"):
        return json.loads(body or b"{}"), {}
    form = parse_qs(body.decode(), keep_blank_values=True)
    return {name: _decode(name, values[-1]) for name, values in form.items()}, {}


def _decode(name: str, value: str) -> Any:
    """PTB JSON-encodes every non-string parameter; undo that."""
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _ok(result: Any) -> tuple[int, str, bytes]:
    return _json(200, {"ok": True, "result": result})


def _json(status: int, payload: dict[str, Any]) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(payload).encode()


def _user(user_id: int) -> dict[str, Any]:
    return {"id": abs(user_id), "is_bot": False, "first_name": f"User {abs(user_id)}"}


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    """Telegram nests reply_to_message only one level deep."""
    return {k: copy.deepcopy(v) for k, v in message.items() if k != "reply_to_message"}


def _command_entities(text: str) -> list[dict[str, Any]]:
    if not text.startswith("/"):
        return []
    return [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]


def _mention_entities(text: str) -> list[dict[str, Any]]:
    """Entities for each @username in `text` (offsets in UTF-16 units, as Telegram counts)."""
    entities = []
    for word in text.split():
        if word.startswith("@") and len(word) > 1:
            offset = len(text[: text.index(word)].encode("utf-16-le")) // 2
            entities.append({"type": "mention", "offset": offset, "length": len(word)})
    return entities
