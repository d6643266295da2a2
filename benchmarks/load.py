"""Load on the real bot process, long polling the in-repo fake Bot API over loopback HTTP.

    python -m benchmarks.load [--data ../shared/data] [--users 50] [--photos 10] [--runs 3]
                              [--rates 5 10 15] [--seconds 10] [--texts 0] [--replicas 0]
                              [--no-inbox]

Starts `python -m bot` as a child process (so its memory and CPU are its own), or with
--replicas N, N of them in webhook mode behind a round-robin proxy that the fake Bot API posts
each update to (docs/scale-out.md), then
1. bursts: `users` × `photos` photos sent at once (each user within the 10/min limit);
2. steady load: photos arriving at each of `rates` per second for `seconds` seconds;
3. with --texts N: N different typed expressions sent at once (each user within 30/min), which
   is what fills sympy's caches.
Prints reply latency (from the update being available to the answer reaching the API),
throughput, the bot's CPU seconds per photo (all processes together), this process's (the fake
Bot API's and the proxy's, which share the machine) and each bot process's resident memory (now
and peak). First it measures the update inbox alone: the CPU time to store a photo's update
and mark it done (bot/inbox.py); --no-inbox runs the bot without its inbox, to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from telegram import Update

from benchmarks.common import DEFAULT_DATA, machine, memory_mb, telegram_photos
from bot.inbox import InboxQueue, open_inbox
from tests.fake_telegram import FakeTelegram
from tests.webhook_replicas import (
    REPO,
    START_TIMEOUT,
    WEBHOOK_SECRET,
    RoundRobinProxy,
    bot_env,
    webhook_replicas,
)

TOKEN = "123456:BENCH-fake-token"
_chat_ids = itertools.count(10_000)


@contextmanager
def bot_processes(
    telegram: FakeTelegram, replicas: int, inbox: bool = True
) -> Iterator[list[subprocess.Popen]]:
    """One bot process long polling (replicas=0), or `replicas` webhook processes behind a
    round-robin proxy that `telegram` pushes the updates to. Without `inbox` (polling only)
    STATE_DIR is a folder that cannot be made, so the bot runs without its update inbox."""
    if replicas:
        # Their logs go nowhere: a pipe would fill up and block them.
        with (webhook_replicas(telegram, replicas, stderr=subprocess.DEVNULL) as started,
              RoundRobinProxy([replica.port for replica in started]) as proxy):
            telegram.push_updates_to(proxy.url, WEBHOOK_SECRET)
            yield [replica.process for replica in started]
        return
    state = {} if inbox else {"STATE_DIR": "/dev/null/no-inbox"}
    process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=REPO,
                               env=bot_env(telegram, BOT_MODE="polling", **state),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        telegram.wait_for("setMyCommands", timeout=START_TIMEOUT)  # models are loaded
        yield [process]
    finally:
        process.terminate()
        process.wait(30)


def inbox_cpu_ms(count: int = 2000) -> float:
    """CPU milliseconds per update to store a photo's update as it is queued and mark it done,
    on a fresh store in a temporary folder."""
    telegram = FakeTelegram(TOKEN)  # not started: only to build updates as Telegram sends them
    for n in range(count):
        telegram.send_photo(20_000 + n % 50, b"")
    updates = [Update.de_json(data, None) for data in telegram.take_updates()]

    async def store_all() -> float:
        with tempfile.TemporaryDirectory() as state:
            store = open_inbox(state, TOKEN)
            queue = InboxQueue(store)
            started = time.process_time()
            for update in updates:
                await queue.put(update)
                queue.get_nowait()
                store.done(update.update_id)
            elapsed = time.process_time() - started
            store.close()
        return elapsed

    return asyncio.run(store_all()) / count * 1000


def memory_report(processes: list[subprocess.Popen]) -> str:
    """Each process's resident memory now and at its peak."""
    return ", ".join("{:.0f} MB now, {:.0f} MB peak".format(*memory_mb(process.pid))
                     for process in processes)


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def send_and_time(
    telegram: FakeTelegram, schedule: Sequence[tuple[float, int, bytes | str]]
) -> tuple[list[float], float]:
    """Send photos (bytes) or typed text (str) at their offsets (seconds from now) and return
    each reply's latency and the wall time until the last reply."""
    started = time.monotonic()
    sent = []
    for offset, chat, content in schedule:
        time.sleep(max(0.0, started + offset - time.monotonic()))
        message = (telegram.send_text(chat, content) if isinstance(content, str)
                   else telegram.send_photo(chat, content))
        sent.append((message, time.monotonic()))
    latencies = [telegram.wait_for_reply(message, timeout=300).at - at for message, at in sent]
    return latencies, time.monotonic() - started


def typed_expressions(count: int) -> list[str]:
    """`count` different expressions of the kinds users type: equations, fractions, powers."""
    rng = random.Random(0)
    forms = ("{a}x+{b}={c}", "{a}/{b}+{c}/{d}", "x^2-{a}x+{b}=0", "({a}+{b})^{d}/{c}",
             "{a}^(1/{d})*{b}", "{a}x^3+{b}x={c}")
    return [forms[n % len(forms)].format(a=rng.randrange(1, 999), b=rng.randrange(1, 999),
                                         c=rng.randrange(1, 999), d=rng.randrange(2, 9))
            for n in range(count)]


def describe(latencies: list[float]) -> str:
    p50, p95 = np.percentile(latencies, [50, 95])
    return f"p50 {p50:5.2f} s  p95 {p95:5.2f} s  max {max(latencies):5.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--photos", type=int, default=10, help="per user, at most 10")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rates", type=float, nargs="*", default=[5, 10, 15])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--texts", type=int, default=0, help="typed expressions, sent at once")
    parser.add_argument("--replicas", type=int, default=0,
                        help="webhook processes behind a round-robin proxy; 0: one, polling")
    parser.add_argument("--no-inbox", dest="inbox", action="store_false",
                        help="run the bot without its update inbox (polling only), to compare")
    args = parser.parse_args()
    if args.replicas < 0:
        parser.error("--replicas must be 0 (one polling process) or more")
    if args.replicas and not args.inbox:
        parser.error("--no-inbox works with one polling process only")

    photos, source = telegram_photos(args.data, 40)
    print(f"machine: {machine()}")
    print(f"input: {source}, 1280 px JPEG, sent as Telegram photos")
    print(f"update inbox: {inbox_cpu_ms():.3f} ms CPU per photo update, stored and marked done"
          f"{'' if args.inbox else ' (the bot runs without it: --no-inbox)'}")
    telegram = FakeTelegram(TOKEN, "mathsnap_bench_bot").start()
    try:
        with bot_processes(telegram, args.replicas, args.inbox) as processes:
            mode = f"{args.replicas} webhook" if args.replicas else "1 polling"
            print(f"bot processes ({mode}) after start-up: "
                  f"{', '.join(f'{memory_mb(p.pid)[0]:.0f}' for p in processes)} MB resident")
            summaries = []
            for run in range(args.runs):
                users = [next(_chat_ids) for _ in range(args.users)]
                schedule = [(0.0, user, photos[(n * len(users) + k) % len(photos)])
                            for n in range(args.photos) for k, user in enumerate(users)]
                cpu_before = sum(cpu_seconds(process.pid) for process in processes)
                own_before = time.process_time()
                latencies, wall = send_and_time(telegram, schedule)
                cpu = (sum(cpu_seconds(p.pid) for p in processes) - cpu_before) / len(schedule)
                own = (time.process_time() - own_before) / len(schedule)
                summaries.append((np.percentile(latencies, 50), np.percentile(latencies, 95),
                                  len(schedule) / wall, cpu, own))
                print(f"burst run {run + 1}: {len(schedule)} photos from {len(users)} users at "
                      f"once: {describe(latencies)}; {len(schedule) / wall:.1f} photos/s; "
                      f"bot CPU {cpu * 1000:.0f} ms per photo, "
                      f"fake API + proxy {own * 1000:.1f} ms")
            if summaries:
                columns = zip(*summaries, strict=True)
                p50, p95, rate, cpu, own = (statistics.median(column) for column in columns)
                print(f"burst median of {args.runs} runs: p50 {p50:.2f} s, p95 {p95:.2f} s, "
                      f"{rate:.1f} photos/s, {cpu * 1000:.0f} ms bot CPU per photo, "
                      f"{own * 1000:.1f} ms fake API + proxy CPU per photo")
            for rate in args.rates:
                count = int(rate * args.seconds)
                users = [next(_chat_ids) for _ in range(max(1, count // 5))]
                schedule = [(n / rate, users[n % len(users)], photos[n % len(photos)])
                            for n in range(count)]
                latencies, _ = send_and_time(telegram, schedule)
                print(f"steady {rate:4.1f} photos/s for {args.seconds:.0f} s: "
                      f"{describe(latencies)}")
            print(f"bot process resident memory: {memory_report(processes)}")
            if args.texts:
                users = [next(_chat_ids) for _ in range(-(-args.texts // 20))]  # 20 per user
                schedule = [(0.0, users[n % len(users)], text)
                            for n, text in enumerate(typed_expressions(args.texts))]
                latencies, wall = send_and_time(telegram, schedule)
                print(f"{args.texts} typed expressions at once: {describe(latencies)}; "
                      f"{args.texts / wall:.0f} per s")
                print(f"bot process resident memory after them: {memory_report(processes)}")
    finally:
        telegram.stop()
    print(f"machine at the end: {machine()}")


if __name__ == "__main__":
    main()
