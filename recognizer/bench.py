"""Benchmark the recognizer on labelled whole-expression images.

    python -m recognizer.bench --data ../shared/data [--set expressions|holdout] [--repeat 3]
    python -m recognizer.bench --data ../shared/data --stages   # per-stage ms on 1280-px photos
    python -m recognizer.bench --data ../shared/data --telegram 2560  # as Telegram sends photos
    python -m recognizer.bench --data ../shared/data --telegram 640   # small pictures

Prints exact-expression and result accuracy and median/p95 milliseconds per image, per source
and per kind, then every failure. `expressions/` is the development set; run `holdout/` only to
report the final figure.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from recognizer.pipeline import Stopwatch, load_models, recognize
from recognizer.types import Recognition

_CANONICAL = str.maketrans({"×": "*", "·": "*", "÷": "/", "−": "-", "X": "x", ":": "/"})


def canonical_label(label: str) -> str:
    return label.replace(" ", "").translate(_CANONICAL)


@dataclass(frozen=True)
class Case:
    path: Path
    expected: str
    value: str
    source: str
    kind: str


@dataclass(frozen=True)
class Outcome:
    case: Case
    recognition: Recognition
    ms: float

    @property
    def exact(self) -> bool:
        return self.recognition.expression == canonical_label(self.case.expected)

    @property
    def result_ok(self) -> bool | None:
        """None when the label has no value to compare with."""
        value = self.case.value
        if value == "ZeroDivisionError":
            return "division by zero" in (self.recognition.error or "")
        if not value or self.recognition.result is None:
            return None if not value else False
        try:
            ours = Fraction(self.recognition.result)
        except ValueError:
            return False
        return abs(float(ours) - float(value)) <= 1e-6 * max(1.0, abs(float(value)))


def load_cases(folder: Path) -> list[Case]:
    with open(folder / "labels.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["in_scope"] == "1"]
    return [Case(folder / r["filename"], r["expression"], r["value"],
                 "crohme" if r["kind"] == "crohme_render" else r["filename"].split("/")[-1][:2],
                 r["kind"]) for r in rows]


def run(cases: list[Case], repeat: int, telegram_side: int | None = None) -> list[Outcome]:
    outcomes = []
    for case in cases:
        if telegram_side is None:
            data = case.path.read_bytes()
        else:
            data = as_jpeg(case.path, telegram_side)
        runs = [recognize(data) for _ in range(repeat)]
        outcomes.append(Outcome(case, runs[0], statistics.median(r.ms for r in runs)))
    return outcomes


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary_line(name: str, outcomes: list[Outcome]) -> str:
    exact = sum(o.exact for o in outcomes)
    judged = [o.result_ok for o in outcomes if o.result_ok is not None]
    ms = [o.ms for o in outcomes]
    result = f"{100 * sum(judged) / len(judged):5.1f}% of {len(judged):3d}" if judged else "   -"
    return (f"{name:18s} n={len(outcomes):3d}  exact {100 * exact / len(outcomes):5.1f}%  "
            f"result {result}  median {statistics.median(ms):6.1f} ms  "
            f"p95 {percentile(ms, 0.95):6.1f} ms  max {max(ms):6.1f} ms")


def trust_line(name: str, outcomes: list[Outcome]) -> str:
    """The trust gate's two failures, as shares of the answers given (a value, no error): a
    misreading answered as sure, and a right reading asked about as unsure."""
    answers = [o for o in outcomes if o.recognition.result is not None
               and o.recognition.error is None]
    if not answers:
        return f"{name:18s} no answers"
    wrong_sure = sum(o.recognition.sure and not o.exact for o in answers)
    right_unsure = sum(not o.recognition.sure and o.exact for o in answers)
    return (f"{name:18s} answers {len(answers):4d}  wrong but sure "
            f"{100 * wrong_sure / len(answers):5.1f}%  right but unsure "
            f"{100 * right_unsure / len(answers):5.1f}%")


def report(outcomes: list[Outcome]) -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; ms = median of repeats per image, models preloaded")
    print(summary_line("all", outcomes))
    for key in ("kind", "source"):
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for o in outcomes:
            groups[getattr(o.case, key)].append(o)
        print(f"-- per {key}")
        for name in sorted(groups):
            print(summary_line(name, groups[name]))
    photos = [o for o in outcomes if o.case.kind != "crohme_render"]
    if photos:
        print(summary_line("photos (non-CROHME)", photos))
    print("-- trust (recognizer.trust): shares of the answers given")
    for name, group in (("all", outcomes), ("photos (non-CROHME)", photos),
                        ("crohme_render", [o for o in outcomes if o not in photos])):
        if group:
            print(trust_line(name, group))
    print("-- failures (expected → read | result or error)")
    for o in outcomes:
        if not o.exact or o.result_ok is False:
            r = o.recognition
            print(f"{o.case.path.name:48s} {canonical_label(o.case.expected):24s} → "
                  f"{r.expression!s:24s} | {r.result or r.error}")


STAGES = ("jpeg floor", "decode", "clean", "segment", "classify", "layout", "grammar", "solve",
          "trust", "total")


def as_jpeg(path: Path, side: int, enlarge: bool = False) -> bytes:
    """The photo as Telegram delivers it: long side at most `side` px (exactly, if `enlarge`), JPEG.

    Telegram never enlarges; the stage timings do, so that every photo costs a 1280 px decode.
    """
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    scale = side / max(image.shape[:2])
    if scale < 1 or enlarge:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


def time_stages(data: bytes) -> dict[str, float]:
    """Milliseconds of each pipeline stage for one image, and of a plain JPEG decode."""
    started = time.perf_counter()
    cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    floor = (time.perf_counter() - started) * 1000
    watch = Stopwatch()
    recognize(data, watch)
    return {"jpeg floor": floor, **watch.ms, "total": watch.total}


def stage_report(cases: list[Case], repeat: int) -> None:
    photos = [c for c in cases if c.kind != "crohme_render"]
    per_stage: dict[str, list[float]] = defaultdict(list)
    ratios = []
    for case in photos:
        data = as_jpeg(case.path, 1280, enlarge=True)
        runs = [time_stages(data) for _ in range(max(repeat, 3))]
        medians = {name: statistics.median(r.get(name, 0.0) for r in runs) for name in STAGES}
        for name in STAGES:
            per_stage[name].append(medians[name])
        ratios.append(medians["total"] / medians["jpeg floor"])
    print(f"{len(photos)} photos re-encoded at 1280 px (JPEG q90); per image the median of "
          f"{max(repeat, 3)} runs; one thread; {platform.machine()}, {os.cpu_count()} cores")
    for name in STAGES:
        print(f"{name:12s} median {statistics.median(per_stage[name]):6.2f} ms   "
              f"p95 {percentile(per_stage[name], 0.95):6.2f} ms")
    print(f"end to end / JPEG decode: median {statistics.median(ratios):.2f}×, "
          f"p95 {percentile(ratios, 0.95):.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path,
                        default=Path(os.environ.get("MATHSNAP_DATA", "../shared/data")))
    parser.add_argument("--set", choices=("expressions", "holdout"), default="expressions")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--telegram", type=int, choices=(640, 800, 1280, 2560), metavar="SIDE",
                        help="read each image re-encoded as Telegram sends a photo: JPEG, long "
                             "side at most SIDE px (1280 or 2560; 640 and 800 as forwarded or "
                             "resized pictures arrive)")
    parser.add_argument("--stages", action="store_true",
                        help="time each stage on the photos re-encoded at 1280 px")
    args = parser.parse_args()
    folder = args.data / args.set
    if not (folder / "labels.csv").is_file():
        raise SystemExit(f"No labelled images at {folder}: the data set is absent. "
                         "Pass --data or set MATHSNAP_DATA.")
    load_models()
    if args.stages:
        stage_report(load_cases(folder), args.repeat)
    else:
        report(run(load_cases(folder), args.repeat, args.telegram))


if __name__ == "__main__":
    main()
