"""Images sent by the browser (or a script): capped, sniffed from their bytes, then decoded.

An upload is trusted for nothing: its name and declared type are ignored, its format is
read from its first bytes, and its width and height are read from its header *before*
anything is decoded, so a small file that claims to be 50,000 x 50,000 pixels (a
decompression bomb) is refused without allocating the image. Only the formats every
OpenCV build decodes and every browser sends are accepted.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from ..reading.images import to_bgr8

MAX_BYTES = 8 * 1024 * 1024      # a phone photo as JPEG is 2-5 MB
MAX_PIXELS = 24_000_000          # 6000 x 4000, a 24-megapixel camera
MAX_SIDE = 8192
ACCEPTED = "PNG, JPEG, BMP or WebP"


@dataclass
class UploadError(Exception):
    """A request the server refuses; `status` is the HTTP status the client gets."""

    status: int
    message: str

    def __str__(self) -> str:
        return self.message


def sniff_format(data: bytes) -> Optional[str]:
    """"png", "jpeg", "bmp", "webp" from the first bytes, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"BM") and len(data) >= 26:
        return "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _jpeg_size(data: bytes) -> Optional[tuple[int, int]]:
    """Width and height from the first start-of-frame marker."""
    at, end = 2, len(data)
    while at + 4 <= end:
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2:at + 4])
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            if at + 9 > end:
                return None
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return width, height
        at += 2 + length
    return None


def _webp_size(data: bytes) -> Optional[tuple[int, int]]:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        b0, b1, b2, b3 = data[21:25]
        return 1 + (((b1 & 0x3F) << 8) | b0), 1 + (((b3 & 0x0F) << 10) | (b2 << 2) | ((b1 & 0xC0) >> 6))
    if chunk == b"VP8X" and len(data) >= 30:
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    return None


def header_size(data: bytes, fmt: str) -> Optional[tuple[int, int]]:
    """(width, height) as the file's header declares it, without decoding the pixels."""
    try:
        if fmt == "png" and len(data) >= 24 and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if fmt == "jpeg":
            return _jpeg_size(data)
        if fmt == "bmp":
            width, height = struct.unpack("<ii", data[18:26])
            return abs(width), abs(height)
        if fmt == "webp":
            return _webp_size(data)
    except struct.error:
        return None
    return None


def check_size(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise UploadError(400, f"the image declares {width}x{height} pixels")
    if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise UploadError(413, f"the image is {width}x{height} pixels; the limit is {MAX_PIXELS // 1_000_000} "
                               f"megapixels and {MAX_SIDE} pixels a side (make it smaller first)")


def decode_image(data: bytes) -> np.ndarray:
    """Upload bytes -> 8-bit BGR image, or UploadError (4xx) saying what is wrong."""
    if not data:
        raise UploadError(400, f"no image in the request body (send the bytes of a {ACCEPTED} file)")
    if len(data) > MAX_BYTES:
        raise UploadError(413, f"the upload is {len(data):,} bytes; the limit is {MAX_BYTES:,}")
    fmt = sniff_format(data)
    if fmt is None:
        raise UploadError(415, f"not an image this server reads (expected {ACCEPTED}; the format is "
                               f"read from the bytes, not the name)")
    size = header_size(data, fmt)
    if size is None:
        raise UploadError(400, f"a damaged {fmt.upper()} file: its width and height cannot be read")
    check_size(*size)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise UploadError(400, f"a damaged {fmt.upper()} file: it cannot be decoded")
    check_size(image.shape[1], image.shape[0])  # the decoder's word, not only the header's
    return to_bgr8(image)
