"""Bad input: a corpus of broken, hostile and absurd pictures and texts, all generated here.

Every case must get a clear error (or the right answer, where one exists) within 5 s, through
the recognizer API and, for a representative subset, through the real bot over the fake Bot
API; afterwards the process is alive and its memory is back to normal.
"""

from __future__ import annotations

import functools
import gc
import logging
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import pytest

from bot import replies
from recognizer import annotate, recognize, solve_text
from recognizer.decode import MAX_BYTES
from recognizer.training.glyphs import draw_expression
from recognizer.types import RecognizerError
from tests import test_bot_e2e
from tests.fake_telegram import FakeTelegram
from tests.test_bot_e2e import encoded, new_chat
from tests.test_decode import _png_chunk

# The module-scoped fake Bot API server and the real bot polling it, from the e2e tests.
telegram = test_bot_e2e.telegram
application = test_bot_e2e.application
pytestmark = test_bot_e2e.pytestmark

SECONDS_PER_CASE = 5.0
MAX_RSS_GROWTH_MB = 100


@dataclass(frozen=True)
class ImageCase:
    data: bytes
    answer: str | None  # the right result when the picture holds a readable expression
    file_name: str = "photo.png"  # what the bot is told (mislabelled on purpose in some cases)
    mime_type: str = "image/png"


# ---------------------------------------------------------------------------- image builders


def _encode(extension: str, image: np.ndarray, params: tuple[int, ...] = ()) -> bytes:
    ok, buffer = cv2.imencode(extension, image, list(params))
    assert ok
    return buffer.tobytes()


def _grey(text: str, seed: int = 0, height: int = 60) -> np.ndarray:
    return cv2.cvtColor(draw_expression(text, seed, height=height), cv2.COLOR_BGR2GRAY)


def _png_file(ihdr: bytes, idat: bytes, *extra_chunks: bytes) -> bytes:
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + b"".join(extra_chunks)
            + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b""))


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height 8-bit RGB pixels."""
    return _png_file(struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0),
                     zlib.compress(b"\0" * 1000))


def _jpeg_declaring(width: int, height: int) -> bytes:
    jpeg = bytearray(encoded("1+1"))
    frame = jpeg.index(b"\xff\xc0")
    jpeg[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(jpeg)


def _webp_declaring_largest() -> bytes:
    """A lossless WebP whose VP8L header is patched to 16384 × 16384, the format's maximum."""
    lossless = (cv2.IMWRITE_WEBP_QUALITY, 101)
    webp = bytearray(_encode(".webp", np.zeros((16, 16, 3), np.uint8), lossless))
    assert webp[12:16] == b"VP8L"
    (bits,) = struct.unpack_from("<I", webp, 21)
    struct.pack_into("<I", webp, 21, bits & ~0x0FFFFFFF | 16383 | 16383 << 14)
    return bytes(webp)


def _bmp_declaring(width: int, height: int) -> bytes:
    bmp = bytearray(_encode(".bmp", np.zeros((16, 16, 3), np.uint8)))
    struct.pack_into("<ii", bmp, 18, width, height)
    return bytes(bmp)


def _with_png_text_chunk(png: bytes, size: int) -> bytes:
    """Insert a tEXt chunk of `size` bytes right after IHDR (metadata the decoder must skip)."""
    chunk = _png_chunk(b"tEXt", b"Comment\0" + b"a" * size)
    return png[:33] + chunk + png[33:]


def _jpeg_with_comment_and_bad_exif(jpeg: bytes) -> bytes:
    comment = b"\xff\xfe" + struct.pack(">H", 60_002) + b"c" * 60_000
    entry = struct.pack(">HHIHH", 0x0112, 3, 1, 9, 0)  # orientation 9 does not exist
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry + b"\0\0\0\0"
    exif = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    return jpeg[:2] + app1 + comment + jpeg[2:]


def _corrupt_png_data(png: bytes) -> bytes:
    corrupted = bytearray(png)
    idat = png.index(b"IDAT") + 4
    for offset in range(idat + 10, min(idat + 400, len(png) - 12), 7):
        corrupted[offset] ^= 0x5A
    return bytes(corrupted)


def _animation(extension: str, texts: tuple[str, ...]) -> bytes:
    frames = [draw_expression(text, 4) for text in texts]
    height = max(frame.shape[0] for frame in frames)
    width = max(frame.shape[1] for frame in frames)
    animation = cv2.Animation()
    animation.frames = [cv2.copyMakeBorder(f, 0, height - f.shape[0], 0, width - f.shape[1],
                                           cv2.BORDER_REPLICATE) for f in frames]
    animation.durations = [200] * len(frames)
    ok, buffer = cv2.imencodeanimation(extension, animation)
    assert ok
    return buffer.tobytes()


def _cmyk_jpeg(grey: np.ndarray) -> bytes:
    """An Adobe CMYK baseline JPEG with one flat 8×8 block per pixel of `grey` (OpenCV cannot
    write CMYK). Adobe CMYK is stored inverted (255 = no ink): C, M and Y stay 255 and K carries
    the picture; every block is a DC coefficient followed by end-of-block."""

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    rows, cols = grey.shape
    adobe = b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 0)
    quantisation = b"\x00" + b"\x01" * 64
    components = b"".join(bytes([i, 0x11, 0]) for i in range(1, 5))
    frame = struct.pack(">BHHB", 8, rows * 8, cols * 8, 4) + components
    dc_table = b"\x00" + bytes([0, 0, 0, 12] + [0] * 12) + bytes(range(12))  # 4-bit codes 0-11
    ac_table = b"\x10" + bytes([1] + [0] * 15) + b"\x00"  # end-of-block is the 1-bit code "0"
    scan = bytes([4]) + b"".join(bytes([i, 0x00]) for i in range(1, 5)) + b"\x00\x3f\x00"
    bits, previous = [], [0, 0, 0, 0]
    for value in grey.ravel():
        for component, level in enumerate((255, 255, 255, int(value))):
            dc = 8 * (level - 128)
            diff, previous[component] = dc - previous[component], dc
            size = abs(diff).bit_length()
            bits.append(format(size, "04b"))
            if size:
                bits.append(format(diff if diff > 0 else diff + (1 << size) - 1, f"0{size}b"))
            bits.append("0")
    stream = "".join(bits)
    stream += "1" * (-len(stream) % 8)
    entropy = int(stream, 2).to_bytes(len(stream) // 8, "big").replace(b"\xff", b"\xff\x00")
    return (b"\xff\xd8" + segment(0xEE, adobe) + segment(0xDB, quantisation)
            + segment(0xC0, frame) + segment(0xC4, dc_table) + segment(0xC4, ac_table)
            + segment(0xDA, scan) + entropy + b"\xff\xd9")


def _cmyk_expression() -> bytes:
    grey = _grey("12+7", 3, height=200)
    size = (grey.shape[1] // 8, grey.shape[0] // 8)
    blocks = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    return _cmyk_jpeg(blocks)


def _sixteen_bit(text: str, with_alpha: bool) -> bytes:
    grey = _grey(text, 5).astype(np.uint16) * 257
    if not with_alpha:
        return _encode(".png", cv2.merge([grey] * 3))
    # Ink in the alpha channel only, as canvas apps export: black everywhere, opaque strokes.
    alpha = (65535 - grey).astype(np.uint16)
    black = np.zeros_like(grey)
    return _encode(".png", cv2.merge([black, black, black, alpha]))


def _transparent(text: str) -> bytes:
    ink = 255 - _grey(text, 6)
    black = np.zeros_like(ink)
    return _encode(".png", cv2.merge([black, black, black, ink]))


def _thousand_symbols() -> np.ndarray:
    """1000 small digits in rows close enough to form one block of writing."""
    page = np.full((1000, 1600), 255, np.uint8)
    for n in range(1000):
        row, column = divmod(n, 60)
        cv2.putText(page, str(n % 10), (5 + column * 26, 25 + row * 31),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
    return page


def _large_legal_photo() -> bytes:
    """36 megapixels (under the 40 MP limit) with a normal expression in the middle."""
    page = np.full((6000, 6000), 235, np.uint8)
    expression = _grey("8+6", 2, height=400)
    h, w = expression.shape
    page[3000 : 3000 + h, 2000 : 2000 + w] = expression
    return _encode(".jpg", page, (cv2.IMWRITE_JPEG_QUALITY, 80))


def _page(value: float | np.ndarray, shape: tuple[int, int] = (600, 800)) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, np.uint8), shape).copy()


def _vignette() -> np.ndarray:
    yy, xx = np.mgrid[:600, :800]
    distance = np.hypot(yy - 300, xx - 400) / 500
    return (250 - 120 * distance**2).clip(0, 255).astype(np.uint8)


def _blank_paper(background: str) -> np.ndarray:
    paper = draw_expression(" ", 1, background=background)
    return cv2.resize(paper, (800, 600))


def _gif_1x1() -> bytes:
    return (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00"
            b"\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


@functools.cache
def image_corpus() -> dict[str, ImageCase]:
    rng = np.random.default_rng(7)
    jpeg, png, webp = encoded("12+7"), encoded("12+7", ".png"), encoded("12+7", ".webp")
    salt_and_pepper = _page(255)
    salt_and_pepper[rng.random(salt_and_pepper.shape) < 0.05] = 0
    error = None
    return {
        # not images at all
        "empty": ImageCase(b"", error),
        "random bytes": ImageCase(rng.bytes(5000), error),
        "zeros": ImageCase(bytes(4096), error),
        "html page": ImageCase(b"<!doctype html><html><body>2+2</body></html>", error),
        "pdf": ImageCase(b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer\n%%EOF", error),
        "gif": ImageCase(_gif_1x1(), error, "photo.gif", "image/jpeg"),
        "tiff": ImageCase(_encode(".tiff", _grey("3+3")), error, "photo.tiff", "image/jpeg"),
        "over 20 MB": ImageCase(png + bytes(MAX_BYTES), error),
        # corrupt and truncated
        "jpeg header then garbage": ImageCase(b"\xff\xd8\xff" + b"garbage" * 300, error),
        "png signature then garbage": ImageCase(png[:8] + rng.bytes(3000), error),
        "riff webp then garbage": ImageCase(webp[:16] + rng.bytes(3000), error),
        "bmp header then garbage": ImageCase(b"BM" + rng.bytes(3000), error),
        "jpeg cut at a third": ImageCase(jpeg[: len(jpeg) // 3], error, "photo.jpg", "image/jpeg"),
        "jpeg cut in the header": ImageCase(jpeg[:200], error, "photo.jpg", "image/jpeg"),
        "jpeg without its end": ImageCase(jpeg[:-2], error, "photo.jpg", "image/jpeg"),
        "png cut in half": ImageCase(png[: len(png) // 2], error),
        "png without its end": ImageCase(png[:-12], error),
        "png with damaged data": ImageCase(_corrupt_png_data(png), error),
        "webp cut in half": ImageCase(webp[: len(webp) // 2], error, "photo.webp", "image/webp"),
        # decompression bombs and absurd sizes
        "png declaring 30000x30000": ImageCase(_png_declaring(30_000, 30_000), error),
        "png really 8000x8000": ImageCase(_encode(".png", _page(255, (8000, 8000))), error),
        "jpeg declaring 30000x30000": ImageCase(_jpeg_declaring(30_000, 30_000), error,
                                                "photo.jpg", "image/jpeg"),
        "webp declaring 16384x16384": ImageCase(_webp_declaring_largest(), error,
                                                "photo.webp", "image/webp"),
        "bmp declaring 30000x30000": ImageCase(_bmp_declaring(30_000, 30_000), error),
        "png 1x1": ImageCase(_encode(".png", _page(0, (1, 1))), error),
        "jpeg 1x1": ImageCase(_encode(".jpg", _page(0, (1, 1))), error, "photo.jpg", "image/jpeg"),
        "webp 1x1": ImageCase(_encode(".webp", _page(0, (1, 1))), error, "p.webp", "image/webp"),
        "strip 7 pixels high": ImageCase(_encode(".png", _page(255, (7, 3000))), error),
        "png 8x8 blank": ImageCase(_encode(".png", _page(255, (8, 8))), error),
        "legal 36 megapixels": ImageCase(_large_legal_photo(), "14", "photo.jpg", "image/jpeg"),
        # formats and layouts that must be read correctly
        "png named .jpg": ImageCase(png, "19", "photo.jpg", "image/jpeg"),
        "jpeg named .png": ImageCase(jpeg, "19", "photo.png", "image/png"),
        "webp named .jpg": ImageCase(webp, "19", "photo.jpg", "image/jpeg"),
        "bmp": ImageCase(encoded("12+7", ".bmp"), "19", "photo.bmp", "application/octet-stream"),
        "grey jpeg": ImageCase(_encode(".jpg", _grey("12+7")), "19", "photo.jpg", "image/jpeg"),
        "animated png": ImageCase(_animation(".png", ("3+4", "9-1", "2×2")), "7"),
        "animated webp": ImageCase(_animation(".webp", ("3+4", "9-1", "2×2")), "7",
                                   "photo.webp", "image/webp"),
        "cmyk jpeg": ImageCase(_cmyk_expression(), "19", "photo.jpg", "image/jpeg"),
        "16-bit png": ImageCase(_sixteen_bit("9-5", with_alpha=False), "4"),
        "16-bit png with alpha": ImageCase(_sixteen_bit("9-5", with_alpha=True), "4"),
        "transparent png": ImageCase(_transparent("6×7"), "42"),
        "png with a 5 MB text chunk": ImageCase(_with_png_text_chunk(png, 5_000_000), "19"),
        "jpeg with comment and bad exif": ImageCase(_jpeg_with_comment_and_bad_exif(jpeg), "19",
                                                    "photo.jpg", "image/jpeg"),
        # nothing to read
        "fully transparent png": ImageCase(_encode(".png", np.zeros((300, 400, 4), np.uint8)),
                                           error),
        "grey noise": ImageCase(_encode(".png", rng.integers(0, 256, (600, 800), np.uint8)), error),
        "colour noise": ImageCase(_encode(".jpg", rng.integers(0, 256, (600, 800, 3), np.uint8)),
                                  error, "photo.jpg", "image/jpeg"),
        "salt and pepper": ImageCase(_encode(".png", salt_and_pepper), error),
        "white page": ImageCase(_encode(".jpg", _page(255)), error, "photo.jpg", "image/jpeg"),
        "black page": ImageCase(_encode(".jpg", _page(0)), error, "photo.jpg", "image/jpeg"),
        "grey page": ImageCase(_encode(".jpg", _page(128)), error, "photo.jpg", "image/jpeg"),
        "shadowed page": ImageCase(_encode(".jpg", _page(np.linspace(80, 250, 800))), error,
                                   "photo.jpg", "image/jpeg"),
        "vignetted page": ImageCase(_encode(".jpg", _vignette()), error, "photo.jpg",
                                    "image/jpeg"),
        "blank lined paper": ImageCase(_encode(".jpg", _blank_paper("lined")), error,
                                       "photo.jpg", "image/jpeg"),
        "blank squared paper": ImageCase(_encode(".jpg", _blank_paper("squared")), error,
                                         "photo.jpg", "image/jpeg"),
        "1000 symbols": ImageCase(_encode(".png", _thousand_symbols()), error),
    }


IMAGE_CASES = [
    "empty", "random bytes", "zeros", "html page", "pdf", "gif", "tiff", "over 20 MB",
    "jpeg header then garbage", "png signature then garbage", "riff webp then garbage",
    "bmp header then garbage", "jpeg cut at a third", "jpeg cut in the header",
    "jpeg without its end", "png cut in half", "png without its end", "png with damaged data",
    "webp cut in half", "png declaring 30000x30000", "png really 8000x8000",
    "jpeg declaring 30000x30000", "webp declaring 16384x16384", "bmp declaring 30000x30000",
    "png 1x1", "jpeg 1x1", "webp 1x1", "strip 7 pixels high", "png 8x8 blank",
    "legal 36 megapixels", "png named .jpg", "jpeg named .png", "webp named .jpg", "bmp",
    "grey jpeg", "animated png", "animated webp", "cmyk jpeg", "16-bit png",
    "16-bit png with alpha", "transparent png", "png with a 5 MB text chunk",
    "jpeg with comment and bad exif", "fully transparent png", "grey noise", "colour noise",
    "salt and pepper", "white page", "black page", "grey page", "shadowed page",
    "vignetted page", "blank lined paper", "blank squared paper", "1000 symbols",
]

# Typed text: the exact result, or a phrase the error must contain.
TEXT_CASES: dict[str, tuple[str, str | None, str | None]] = {
    # name: (text, result, error phrase)
    "power tower 9^9^9^9": ("9^9^9^9", None, "too large"),
    "power tower 10^10^10": ("10^10^10", None, "too large"),
    "long power tower": ("2^" * 60 + "2", None, "too large"),
    "huge base and exponent": ("99999999999^99999999999", None, "too large"),
    "500 nested parentheses": ("(" * 500 + "1" + ")" * 500, None, "too long"),
    "500 open parentheses": ("(" * 500, None, "too long"),
    "50 open parentheses": ("(" * 50, None, "unbalanced"),
    "1000-digit number": ("9" * 1000, "9" * 1000, None),
    "1001-digit number": ("1" + "0" * 1000, None, "1000 digits"),
    "0/0": ("0/0", None, "division by zero"),
    "1/0": ("1/0", None, "division by zero"),
    "hidden 1/0": ("1/(3-3)", None, "division by zero"),
    "0^0": ("0^0", "1", None),
    "0^-1": ("0^-1", None, "division by zero"),
    "empty text": ("", None, "nothing to solve"),
    "only spaces": ("   \t  ", None, "nothing to solve"),
    "10 kB of sums": ("1+" * 5120 + "1", None, "too long"),
    "10 kB of digits": ("7" * 10_240, None, "1000 digits"),
    "10 kB of letters": ("abcdefghij" * 1024, None, "I can only read"),
    "nul bytes": ("2\x00+2", None, "I can only read"),
    "scientific notation": ("1e308", None, "I can only read"),
    "even root of -1": ("(-1)^0.5", None, "not a real number"),
    "x in an exponent": ("x^x=2", None, "exponent"),
    "degree 100": ("x^100=1", None, "too large"),
    "decimals": ("0.1+0.2", "3/10", None),
    "negative zero": ("-0", "0", None),
}

BOT_IMAGE_CASES = [
    "empty", "jpeg cut at a third", "png declaring 30000x30000", "png really 8000x8000",
    "png 1x1", "png named .jpg", "webp named .jpg", "animated webp", "cmyk jpeg",
    "16-bit png with alpha", "transparent png", "grey noise", "blank lined paper",
    "1000 symbols",
]
BOT_TEXT_CASES = ["power tower 9^9^9^9", "0^0", "10 kB of sums", "500 nested parentheses",
                  "1000-digit number", "0/0"]


def test_the_corpus_is_large_and_listed_in_full() -> None:
    assert sorted(IMAGE_CASES) == sorted(image_corpus())
    assert len(IMAGE_CASES) + len(TEXT_CASES) >= 50
    assert set(BOT_IMAGE_CASES) <= set(IMAGE_CASES) and set(BOT_TEXT_CASES) <= set(TEXT_CASES)


# ---------------------------------------------------------------------------- recognizer API


def _timed(function: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


@pytest.mark.parametrize("name", IMAGE_CASES)
def test_recognize_answers_every_bad_image_clearly_and_quickly(name: str) -> None:
    case = image_corpus()[name]
    recognition, seconds = _timed(lambda: recognize(case.data))
    assert seconds < SECONDS_PER_CASE
    if case.answer is None:
        assert recognition.result is None
        assert recognition.error and len(recognition.error) < 200, recognition
    else:
        assert (recognition.result, recognition.error) == (case.answer, None), recognition


@pytest.mark.parametrize("name", IMAGE_CASES)
def test_show_what_i_saw_draws_or_refuses_with_a_sentence(name: str) -> None:
    case = image_corpus()[name]
    started = time.perf_counter()
    try:
        png = annotate(case.data)
    except RecognizerError as error:
        assert case.answer is None
        assert str(error)
    else:
        assert png.startswith(b"\x89PNG")
    assert time.perf_counter() - started < SECONDS_PER_CASE


@pytest.mark.parametrize("name", list(TEXT_CASES))
def test_solve_text_answers_absurd_expressions_clearly_and_quickly(name: str) -> None:
    text, result, error_phrase = TEXT_CASES[name]
    solution, seconds = _timed(lambda: solve_text(text))
    assert seconds < SECONDS_PER_CASE
    assert solution.result == result, solution
    if error_phrase is None:
        assert solution.error is None
    else:
        assert error_phrase in solution.error


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def test_memory_returns_to_normal_after_the_whole_corpus() -> None:
    corpus = image_corpus()
    recognize(corpus["png named .jpg"].data)  # models and per-thread interpreters are loaded
    gc.collect()
    before = _rss_mb()
    for case in corpus.values():
        recognize(case.data)
    for text, _, _ in TEXT_CASES.values():
        solve_text(text)
    gc.collect()
    growth = _rss_mb() - before
    print(f"\nRSS before the corpus {before:.0f} MB, growth after it and gc {growth:+.0f} MB")
    assert growth < MAX_RSS_GROWTH_MB


# ---------------------------------------------------------------------------- through the bot


def _assert_one_clear_reply(telegram: FakeTelegram, message: dict, answer: str | None) -> str:
    sent = time.monotonic()
    call = telegram.wait_for_reply(message, timeout=SECONDS_PER_CASE + 5)
    assert call.at - sent < SECONDS_PER_CASE
    text = call.params["text"]
    if answer is None:
        assert "⚠️" in text or text in (replies.TOO_MANY_PIXELS, replies.FILE_TOO_BIG), text
        assert "= <b>" not in text
    else:
        assert f"= <b>{answer[:100]}" in text, text  # long results are shortened with "…"
    assert text != replies.GENERIC_APOLOGY
    assert len(telegram.calls_to("sendMessage", message["chat"]["id"])) == 1
    return text


@pytest.mark.parametrize("name", BOT_IMAGE_CASES)
def test_bot_answers_bad_files_once_and_clearly(
    telegram: FakeTelegram, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    case = image_corpus()[name]
    message = telegram.send_document(new_chat(), case.data, case.file_name, case.mime_type)
    _assert_one_clear_reply(telegram, message, case.answer)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_bot_refuses_a_photo_declaring_30000_pixels_square_without_downloading(
    telegram: FakeTelegram,
) -> None:
    case = image_corpus()["png declaring 30000x30000"]
    message = telegram.send_photo(new_chat(), case.data, width=30_000, height=30_000)
    assert _assert_one_clear_reply(telegram, message, None) == replies.TOO_MANY_PIXELS
    file_id = message["photo"][-1]["file_id"]
    assert all(call.params["file_id"] != file_id for call in telegram.calls_to("getFile"))


@pytest.mark.parametrize("name", BOT_TEXT_CASES)
def test_bot_answers_absurd_typed_expressions_once_and_clearly(
    telegram: FakeTelegram, name: str
) -> None:
    text, result, error_phrase = TEXT_CASES[name]
    reply = _assert_one_clear_reply(telegram, telegram.send_text(new_chat(), text), result)
    if error_phrase is not None:
        assert error_phrase.lower() in reply.lower()
    assert len(reply) <= 4096


def test_bot_is_alive_and_correct_after_the_bad_input(telegram: FakeTelegram) -> None:
    message = telegram.send_photo(new_chat(), encoded("5+4"))
    assert "= <b>9</b>" in telegram.wait_for_reply(message).params["text"]
