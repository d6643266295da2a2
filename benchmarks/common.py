"""What the benchmarks share: the machine they ran on and the photos they feed the bot."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import cv2

from recognizer.bench import as_jpeg, load_cases
from recognizer.training.glyphs import draw_expression

DEFAULT_DATA = Path(os.environ.get("MATHSNAP_DATA", "../shared/data"))
DRAWN = ("2+3×4", "(7-2)÷5", "12-6/2", "3×(4+5)", "2x+3=11", "3^2+4^2", "1.5+2", "9-4×2")


def machine() -> str:
    """CPU model, cores and load: the numbers mean little without them."""
    model = platform.processor() or platform.machine()
    with open("/proc/cpuinfo") as cpuinfo:
        names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (f"{names[0] if names else model}; {len(os.sched_getaffinity(0))} cores usable; "
            f"Python {platform.python_version()}; load average {load}")


def memory_mb(pid: int | str = "self") -> tuple[float, float]:
    """(resident now, peak resident) of a process, in MB."""
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def telegram_photos(data: Path, limit: int) -> tuple[list[bytes], str]:
    """Up to `limit` JPEGs as Telegram delivers photos (long side 1280 px) and where they came
    from: the development photos when the data folder is there, else expressions drawn here."""
    folder = data / "expressions"
    if (folder / "labels.csv").is_file():
        cases = [c for c in load_cases(folder) if c.kind != "crohme_render"][:limit]
        photos = [as_jpeg(case.path, 1280, enlarge=True) for case in cases]
        return photos, f"{len(cases)} development photos"
    photos = []
    for n in range(limit):
        drawn = draw_expression(DRAWN[n % len(DRAWN)], n, height=90, background="lined")
        page = cv2.copyMakeBorder(drawn, 300, 300, 200, 200, cv2.BORDER_REPLICATE)
        scale = 1280 / max(page.shape[:2])
        page = cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        photos.append(cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())
    return photos, f"{limit} drawn expressions (no data folder)"
