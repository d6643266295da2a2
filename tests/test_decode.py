"""decode_image: safe decoding of untrusted bytes. Every picture here is drawn by the test."""

from __future__ import annotations

import struct
import time
import tracemalloc
import zlib

import cv2
import numpy as np
import pytest

from recognizer.decode import MAX_BYTES, decode_image, read_header
from recognizer.types import ImageError

RED_BGR = (0, 0, 255)


def _picture(height: int = 120, width: int = 200) -> np.ndarray:
    """White page, red block in the top-left corner, black bar along the bottom."""
    image = np.full((height, width, 3), 255, np.uint8)
    cv2.rectangle(image, (0, 0), (width // 5, height // 5), RED_BGR, -1)
    cv2.rectangle(image, (0, height - height // 10), (width - 1, height - 1), (0, 0, 0), -1)
    return image


def _encode(extension: str, image: np.ndarray, params: tuple[int, ...] = ()) -> bytes:
    ok, buffer = cv2.imencode(extension, image, list(params))
    assert ok
    return buffer.tobytes()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _exif_app1(orientation: int) -> bytes:
    """APP1 segment with a big-endian TIFF header and one IFD entry: Orientation (0x0112)."""
    entry = struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)  # tag, SHORT, count 1, value
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry + b"\0\0\0\0"
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _with_exif(jpeg: bytes, orientation: int) -> bytes:
    return jpeg[:2] + _exif_app1(orientation) + jpeg[2:]


def _red_centre(image: np.ndarray) -> tuple[float, float]:
    """Where the red block is, as fractions of height and width."""
    red = (image[:, :, 2] > 180) & (image[:, :, 1] < 90) & (image[:, :, 0] < 90)
    ys, xs = np.nonzero(red)
    assert len(xs), "no red block found"
    return ys.mean() / image.shape[0], xs.mean() / image.shape[1]


@pytest.mark.parametrize(
    ("extension", "params", "tolerance"),
    [
        (".png", (), 0),
        (".bmp", (), 0),
        (".webp", (cv2.IMWRITE_WEBP_QUALITY, 101), 0),  # lossless (VP8L)
        (".webp", (cv2.IMWRITE_WEBP_QUALITY, 90), 40),  # lossy (VP8)
        (".jpg", (cv2.IMWRITE_JPEG_QUALITY, 95), 40),
    ],
)
def test_round_trip(extension: str, params: tuple[int, ...], tolerance: int) -> None:
    original = _picture()
    decoded = decode_image(_encode(extension, original, params))
    assert decoded.dtype == np.uint8
    assert decoded.shape == original.shape
    difference = np.abs(decoded.astype(int) - original.astype(int))
    assert np.percentile(difference, 99) <= tolerance


def test_header_sizes_are_read_for_every_format() -> None:
    image = _picture(height=37, width=53)
    for extension, params in [
        (".png", ()),
        (".jpg", ()),
        (".bmp", ()),
        (".webp", (cv2.IMWRITE_WEBP_QUALITY, 101)),
        (".webp", (cv2.IMWRITE_WEBP_QUALITY, 80)),
    ]:
        header = read_header(_encode(extension, image, params))
        assert (header.width, header.height) == (53, 37), extension


@pytest.mark.parametrize("data", [b"", b"hello world, not a picture", bytes(range(256)) * 4])
def test_refuses_empty_or_unknown_bytes(data: bytes) -> None:
    with pytest.raises(ImageError):
        decode_image(data)


@pytest.mark.parametrize("extension", [".gif", ".tiff"])
def test_refuses_other_formats_with_a_sentence(extension: str) -> None:
    with pytest.raises(ImageError, match="JPEG, PNG, WebP or BMP"):
        decode_image(_encode(extension, _picture()))


def test_refuses_jpeg_header_followed_by_garbage() -> None:
    jpeg = _encode(".jpg", _picture())
    rng = np.random.default_rng(0)
    corrupt = jpeg[:200] + rng.integers(0, 256, len(jpeg) - 200, dtype=np.uint8).tobytes()
    with pytest.raises(ImageError):
        decode_image(corrupt)


@pytest.mark.parametrize("extension", [".jpg", ".png", ".webp"])
@pytest.mark.parametrize("keep", [0.3, 0.7, 0.95])
def test_refuses_truncated_files(extension: str, keep: float) -> None:
    noisy = np.random.default_rng(1).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    data = _encode(extension, noisy)
    with pytest.raises(ImageError):
        decode_image(data[: int(len(data) * keep)])


def test_refuses_tiny_pictures() -> None:
    with pytest.raises(ImageError, match="too small"):
        decode_image(_encode(".png", np.zeros((1, 1, 3), np.uint8)))
    with pytest.raises(ImageError, match="too small"):
        decode_image(_encode(".jpg", np.zeros((5, 400, 3), np.uint8)))
    assert decode_image(_encode(".png", np.zeros((8, 8, 3), np.uint8))).shape == (8, 8, 3)


def test_refuses_a_huge_declared_canvas_without_allocating_it() -> None:
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)  # 8-bit RGB, 900 megapixels
    idat = zlib.compress(b"\0" * 1000)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ImageError, match="too large"):
        decode_image(data)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1_000_000
    assert elapsed < 0.05


def test_refuses_a_huge_declared_jpeg_frame() -> None:
    jpeg = bytearray(_encode(".jpg", _picture()))
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)  # height, width
    with pytest.raises(ImageError, match="too large"):
        decode_image(bytes(jpeg))


def test_refuses_more_than_20_mb() -> None:
    data = _encode(".png", _picture()) + bytes(MAX_BYTES)
    with pytest.raises(ImageError, match="20 MB"):
        decode_image(data)


def test_transparent_png_reads_as_black_on_white() -> None:
    rgba = np.zeros((60, 90, 4), np.uint8)  # fully transparent black
    cv2.line(rgba, (10, 30), (80, 30), (0, 0, 0, 255), 5)  # opaque black stroke
    decoded = decode_image(_encode(".png", rgba))
    assert decoded.shape == (60, 90, 3)
    assert decoded[30, 45].max() < 10
    assert decoded[5, 5].min() > 245


def test_half_transparent_grey_alpha_png_is_blended_with_white() -> None:
    grey_alpha = np.zeros((20, 20, 4), np.uint8)
    grey_alpha[:, :, 3] = 128  # black at half opacity
    decoded = decode_image(_encode(".png", grey_alpha))
    assert np.all(np.abs(decoded.astype(int) - 127) <= 2)


def test_palette_png_with_transparency_chunk() -> None:
    """Palette PNGs get their transparency from tRNS, which cv2 cannot write: build one by hand."""
    height, width = 16, 24
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)  # 8-bit palette
    palette = bytes([0, 0, 0, 255, 0, 0])  # index 0 black, index 1 red
    transparency = bytes([255, 0])  # index 0 opaque, index 1 fully transparent
    rows = b"".join(
        b"\0" + bytes([0 if x < width // 2 else 1 for x in range(width)]) for _ in range(height)
    )
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"PLTE", palette)
        + _png_chunk(b"tRNS", transparency)
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )
    decoded = decode_image(data)
    assert decoded.shape == (height, width, 3)
    assert decoded[:, : width // 2].max() < 10  # opaque black half
    assert decoded[:, width // 2 :].min() > 245  # transparent red half becomes white paper


def test_sixteen_bit_png_becomes_eight_bit() -> None:
    deep = np.zeros((32, 32, 3), np.uint16)
    deep[:, 16:] = 65535
    deep[:, :16] = 32896  # 128 * 257
    decoded = decode_image(_encode(".png", deep))
    assert decoded.dtype == np.uint8
    assert np.all(decoded[:, 16:] == 255)
    assert np.all(np.abs(decoded[:, :16].astype(int) - 128) <= 1)


def test_sixteen_bit_png_with_alpha_becomes_eight_bit_on_white() -> None:
    deep = np.zeros((32, 32, 4), np.uint16)
    deep[:, :16, 3] = 65535  # left half opaque black, right half transparent
    decoded = decode_image(_encode(".png", deep))
    assert decoded.dtype == np.uint8
    assert decoded[:, :16].max() == 0
    assert decoded[:, 16:].min() == 255


def test_grayscale_png_becomes_bgr() -> None:
    grey = np.full((30, 40), 77, np.uint8)
    decoded = decode_image(_encode(".png", grey))
    assert decoded.shape == (30, 40, 3)
    assert np.all(decoded == 77)


def test_cmyk_jpeg_decodes() -> None:
    """A 16×16 four-component (Adobe CMYK) baseline JPEG, every block flat: written by hand."""

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    adobe = b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 0)  # transform 0: plain CMYK
    quantisation = b"\x00" + b"\x01" * 64
    frame = struct.pack(">BHHB", 8, 16, 16, 4) + b"".join(bytes([i, 0x11, 0]) for i in range(1, 5))
    # One Huffman code of length 1 ("0"): category 0 in the DC table, end-of-block in the AC one.
    dc_table = b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00"
    ac_table = b"\x10" + b"\x01" + b"\x00" * 15 + b"\x00"
    scan = bytes([4]) + b"".join(bytes([i, 0x00]) for i in range(1, 5)) + b"\x00\x3f\x00"
    entropy = b"\x00" * 4  # 4 MCUs × 4 components × ("0" DC + "0" EOB) = 32 zero bits
    data = (
        b"\xff\xd8"
        + segment(0xEE, adobe)
        + segment(0xDB, quantisation)
        + segment(0xC0, frame)
        + segment(0xC4, dc_table)
        + segment(0xC4, ac_table)
        + segment(0xDA, scan)
        + entropy
        + b"\xff\xd9"
    )
    decoded = decode_image(data)
    assert decoded.shape == (16, 16, 3)
    assert decoded.dtype == np.uint8
    assert np.ptp(decoded.reshape(-1, 3), axis=0).max() <= 1  # flat colour, as encoded


@pytest.mark.parametrize(
    ("orientation", "expected_shape", "expected_red"),
    [
        (1, (120, 200), (0.1, 0.1)),
        (3, (120, 200), (0.9, 0.9)),  # rotated 180°
        (6, (200, 120), (0.1, 0.9)),  # rotated 90° clockwise to display
        (8, (200, 120), (0.9, 0.1)),  # rotated 90° counter-clockwise to display
    ],
)
def test_exif_orientation_is_applied(
    orientation: int, expected_shape: tuple[int, int], expected_red: tuple[float, float]
) -> None:
    data = _with_exif(_encode(".jpg", _picture()), orientation)
    decoded = decode_image(data)
    assert decoded.shape[:2] == expected_shape
    assert np.allclose(_red_centre(decoded), expected_red, atol=0.05)


@pytest.mark.parametrize("max_side", [1000, 500, 250])  # reduced by 2, 4 and 8 in the decoder
def test_exif_orientation_survives_reduced_decoding(max_side: int) -> None:
    data = _with_exif(_encode(".jpg", _picture(1200, 2000)), 6)
    decoded = decode_image(data, max_side=max_side)
    assert decoded.shape[:2] == (max_side, max_side * 3 // 5)
    assert np.allclose(_red_centre(decoded), (0.1, 0.9), atol=0.05)


def test_large_jpeg_is_decoded_reduced_to_max_side(monkeypatch) -> None:
    large = _picture(3000, 4000)
    cv2.putText(large, "12+7", (500, 2000), cv2.FONT_HERSHEY_SIMPLEX, 30, (0, 0, 0), 60)
    data = _encode(".jpg", large)

    flags = []
    real_imdecode = cv2.imdecode

    def recording_imdecode(buffer, flag):
        flags.append(flag)
        return real_imdecode(buffer, flag)

    monkeypatch.setattr(cv2, "imdecode", recording_imdecode)
    decoded = decode_image(data, max_side=1600)
    assert decoded.shape == (1200, 1600, 3)
    assert np.allclose(_red_centre(decoded), (0.1, 0.1), atol=0.03)
    # Decoded at half size straight from the JPEG, not at full size and then shrunk.
    assert flags == [cv2.IMREAD_REDUCED_COLOR_2]


def test_large_png_is_shrunk_to_max_side() -> None:
    decoded = decode_image(_encode(".png", _picture(900, 2400)), max_side=800)
    assert decoded.shape == (300, 800, 3)


def test_small_pictures_are_not_enlarged() -> None:
    assert decode_image(_encode(".png", _picture(50, 70))).shape == (50, 70, 3)


@pytest.mark.skipif(not hasattr(cv2, "imencodeanimation"), reason="OpenCV without animation API")
@pytest.mark.parametrize("extension", [".webp", ".png"])
def test_animation_gives_its_first_frame(extension: str) -> None:
    animation = cv2.Animation()
    animation.frames = [np.full((40, 50, 3), value, np.uint8) for value in (20, 128, 230)]
    animation.durations = [100, 100, 100]
    ok, buffer = cv2.imencodeanimation(extension, animation)
    assert ok
    decoded = decode_image(buffer.tobytes())
    assert decoded.shape == (40, 50, 3)
    assert abs(int(np.median(decoded)) - 20) <= 3


@pytest.mark.parametrize("extension", [".jpg", ".png", ".webp", ".bmp"])
def test_grey_decoding_gives_the_luminance_of_the_colour_picture(extension: str) -> None:
    data = _encode(extension, _picture())
    grey = decode_image(data, grey=True)
    luminance = cv2.cvtColor(decode_image(data), cv2.COLOR_BGR2GRAY)
    assert grey.shape == luminance.shape
    assert np.percentile(np.abs(grey.astype(int) - luminance), 99) <= 3


def test_grey_decoding_puts_transparent_pixels_on_white_paper() -> None:
    rgba = np.zeros((60, 90, 4), np.uint8)
    cv2.line(rgba, (10, 30), (80, 30), (0, 0, 0, 255), 5)
    grey = decode_image(_encode(".png", rgba), grey=True)
    assert grey.shape == (60, 90)
    assert grey[30, 45] < 10 and grey[5, 45] > 245


@pytest.mark.parametrize("max_side", [2000, 1000, 250])
def test_grey_decoding_applies_exif_orientation_and_reduces(max_side: int) -> None:
    data = _with_exif(_encode(".jpg", _picture(1200, 2000)), 6)
    grey = decode_image(data, max_side=max_side, grey=True)
    assert grey.shape == (max_side, max_side * 3 // 5)
    rows, cols = np.nonzero((grey > 40) & (grey < 120))  # red is mid-grey, the black bar is 0
    assert abs(cols.mean() / grey.shape[1] - 0.9) < 0.05
    assert abs(rows.mean() / grey.shape[0] - 0.1) < 0.05
