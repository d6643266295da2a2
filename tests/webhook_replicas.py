"""Several `python -m bot` processes in webhook mode behind a round-robin reverse proxy, all on
loopback and pointing at a FakeTelegram: the scale-out set-up of docs/scale-out.md, shared by
tests/test_load.py and benchmarks/load.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.fake_telegram import FakeTelegram

REPO = Path(__file__).resolve().parent.parent
WEBHOOK_URL = "https://mathsnap.example/telegram"  # Telegram never calls it here
WEBHOOK_SECRET = "load-test-secret_42"
START_TIMEOUT = 120  # seconds for processes to load the models, on two busy cores


class RoundRobinProxy:
    """A tiny HTTP reverse proxy on 127.0.0.1: each request goes to the next backend port.

    It records which backend received each update_id. One request per connection, as urllib
    sends them (Connection: close).
    """

    def __init__(self, backend_ports: list[int]) -> None:
        self.backends = backend_ports
        self.routed: dict[int, int] = {}  # update_id -> backend port
        self._next = itertools.cycle(backend_ports)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    def __enter__(self) -> RoundRobinProxy:
        self._thread.start()
        server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._relay, "127.0.0.1", 0), self._loop
        ).result(5)
        self._server = server
        self.port = server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        body = await reader.readexactly(length)
        port = next(self._next)
        with contextlib.suppress(ValueError):
            self.routed[json.loads(body)["update_id"]] = port
        backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", port)
        backend_writer.write(head + body)
        await backend_writer.drain()
        writer.write(await backend_reader.read())  # the backend closes after its answer
        await writer.drain()
        backend_writer.close()
        writer.close()


@dataclass
class Replica:
    port: int
    process: subprocess.Popen
    stderr: bytes = b""  # what it wrote, once stopped (with stderr=PIPE)


def bot_env(telegram: FakeTelegram, **settings: str) -> dict[str, str]:
    """The environment for `python -m bot` against `telegram`, plus `settings`; a fresh
    STATE_DIR unless given, since the fake's update ids start again at 1."""
    return {**os.environ, "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
            "TELEGRAM_FILE_BASE_URL": telegram.file_base_url,
            "STATE_DIR": fresh_state_dir(), **settings}


# Removed with its contents when the test or benchmark process exits.
_STATE_DIRS = tempfile.TemporaryDirectory(prefix="mathsnap-state-")


def fresh_state_dir() -> str:
    """An empty folder for one bot process's update inbox."""
    return tempfile.mkdtemp(dir=_STATE_DIRS.name)


@contextlib.contextmanager
def webhook_replicas(
    telegram: FakeTelegram, count: int, stderr: int = subprocess.PIPE
) -> Iterator[list[Replica]]:
    """Start `count` webhook processes on free loopback ports; yields them once each has
    registered its webhook and listens. Stops them with SIGTERM (each shuts down cleanly).

    With stderr=PIPE their logs are kept in memory: only for a few dozen updates, since a
    process blocks once the pipe is full.
    """
    replicas = []
    for port in free_ports(count):
        env = bot_env(telegram, BOT_MODE="webhook", WEBHOOK_URL=WEBHOOK_URL,
                      WEBHOOK_SECRET=WEBHOOK_SECRET, PORT=str(port))
        process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=REPO, env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
        replicas.append(Replica(port, process))
    try:
        telegram.wait_for("setWebhook", count=count, timeout=START_TIMEOUT)
        for replica in replicas:
            wait_until_listening(replica.port, timeout=30)
        yield replicas
    finally:
        for replica in replicas:
            replica.process.terminate()
        for replica in replicas:
            try:
                _, replica.stderr = replica.process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                replica.process.kill()
                _, replica.stderr = replica.process.communicate()
            replica.stderr = replica.stderr or b""


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def wait_until_listening(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert time.monotonic() < deadline, f"replica on port {port} is not listening"
        time.sleep(0.1)
