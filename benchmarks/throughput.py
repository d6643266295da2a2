"""Recognition throughput with the bot's worker pool: images per second with 1 and 2 workers.

    python -m benchmarks.throughput [--data ../shared/data] [--runs 5] [--images 40] [--workers 2]

The photos are the development photos re-encoded at 1280 px (what Telegram delivers), or drawn
expressions when the data folder is absent. Each run pushes every image through a
ThreadPoolExecutor of the given size, as bot/app.py does; the median of the runs is printed,
and the process's resident memory (recognition alone, without the bot).
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.common import DEFAULT_DATA, machine, memory_mb, telegram_photos
from recognizer import load_models, recognize


def images_per_second(pool: ThreadPoolExecutor, photos: list[bytes]) -> float:
    started = time.perf_counter()
    list(pool.map(recognize, photos))
    return len(photos) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    photos, source = telegram_photos(args.data, args.images)
    load_models()
    print(f"machine: {machine()}")
    print(f"input: {source}, 1280 px JPEG; {args.runs} runs each, median shown")
    single = None
    for workers in args.workers:
        with ThreadPoolExecutor(workers) as pool:
            images_per_second(pool, photos)  # warm-up: per-thread interpreters are created
            rates = [images_per_second(pool, photos) for _ in range(args.runs)]
        median = statistics.median(rates)
        single = single or median
        print(f"{workers} worker(s): {median:6.1f} images/s  (runs: "
              f"{', '.join(f'{rate:.1f}' for rate in rates)}; {1000 / median:.0f} ms per image "
              f"of pool time; speed-up {median / single:.2f}x)")
    # The peak covers every run: with --workers 2 alone, that of the bot's pool of two.
    print("resident memory: {:.0f} MB now, {:.0f} MB peak".format(*memory_mb()))
    print(f"machine at the end: {machine()}")


if __name__ == "__main__":
    main()
