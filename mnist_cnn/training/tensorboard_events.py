"""TensorBoard event files, written by the core for both frameworks alike, without a framework.

The training loop lives in the core, so the curves are written here once: neither torch's
SummaryWriter nor tf.summary is needed (importing either would load a framework the run may
not use). The format is small and stable:

- a file `events.out.tfevents.<time>.<host>` is a sequence of TFRecords: the data's length
  as uint64 little-endian, the masked CRC-32C of those 8 bytes, the data, the masked
  CRC-32C of the data;
- each record is an `Event` protocol buffer: wall_time (1, double), step (2, int64),
  file_version (3, string; the first event says "brain.Event:2"), summary (5, message);
- a `Summary` holds repeated values (1), each a tag (1, string) with a simple_value
  (2, float) or an image (4: height 1, width 2, colorspace 3, encoded PNG 4).

The few protobuf fields are encoded by hand below; `read_events` decodes them again (the
tests also read the files with TensorFlow's own reader).
"""

from __future__ import annotations

import socket
import struct
import time
from pathlib import Path
from typing import Iterator, Optional, Sequence

import numpy as np

FILE_VERSION = "brain.Event:2"
MISCLASSIFIED_SHOWN = 36  # the most confident mistakes, in one image grid


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1  # Castagnoli, reflected
        table.append(crc)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data: bytes) -> bytes:
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc(length)) + data + struct.pack("<I", masked_crc(data))


# --- protobuf encoding of the few fields used -------------------------------------------------------

def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64s as ten-byte two's complement, as protobuf does
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _bytes_field(field: int, data: bytes) -> bytes:
    return _key(field, 2) + _varint(len(data)) + data


def scalar_value(tag: str, value: float) -> bytes:
    return _bytes_field(1, tag.encode()) + _key(2, 5) + struct.pack("<f", float(value))


def image_value(tag: str, png: bytes, height: int, width: int, colorspace: int = 1) -> bytes:
    image = (_key(1, 0) + _varint(height) + _key(2, 0) + _varint(width) + _key(3, 0) + _varint(colorspace)
             + _bytes_field(4, png))
    return _bytes_field(1, tag.encode()) + _bytes_field(4, image)


def event(step: int, wall_time: float, values: Sequence[bytes] = (), file_version: Optional[str] = None) -> bytes:
    data = _key(1, 1) + struct.pack("<d", wall_time) + _key(2, 0) + _varint(step)
    if file_version is not None:
        data += _bytes_field(3, file_version.encode())
    if values:
        data += _bytes_field(5, b"".join(_bytes_field(1, v) for v in values))
    return data


class EventWriter:
    """Appends events to one new event file in `folder` (created); close() or use as a context."""

    def __init__(self, folder: Path, suffix: str = ""):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}{suffix}"
        self._file = open(self.path, "wb")
        self._file.write(record(event(0, time.time(), file_version=FILE_VERSION)))

    def scalars(self, step: int, values: dict, wall_time: Optional[float] = None) -> None:
        self._file.write(record(event(step, wall_time or time.time(),
                                      [scalar_value(tag, v) for tag, v in values.items()])))

    def image(self, step: int, tag: str, pixels: np.ndarray) -> None:
        """A grey uint8 image (H, W), stored as PNG."""
        import cv2  # lazy, as everywhere in the core

        ok, png = cv2.imencode(".png", np.ascontiguousarray(pixels, dtype=np.uint8))
        if not ok:
            raise ValueError(f"could not encode the image for {tag}")
        self._file.write(record(event(step, time.time(), [image_value(tag, png.tobytes(), *pixels.shape[:2])])))

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "EventWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- reading back (tests, and a check that a file is whole) -----------------------------------------

def read_records(path: Path) -> Iterator[bytes]:
    data = Path(path).read_bytes()
    offset = 0
    while offset < len(data):
        header = data[offset:offset + 8]
        (length,) = struct.unpack("<Q", header)
        if struct.unpack("<I", data[offset + 8:offset + 12])[0] != masked_crc(header):
            raise ValueError(f"{path}: bad length checksum at byte {offset}")
        body = data[offset + 12:offset + 12 + length]
        if struct.unpack("<I", data[offset + 12 + length:offset + 16 + length])[0] != masked_crc(body):
            raise ValueError(f"{path}: bad data checksum at byte {offset}")
        yield body
        offset += 16 + length


def _fields(data: bytes) -> Iterator[tuple[int, int, object]]:
    offset = 0
    while offset < len(data):
        key, offset = _read_varint(data, offset)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, offset = _read_varint(data, offset)
        elif wire == 1:
            value, offset = data[offset:offset + 8], offset + 8
        elif wire == 5:
            value, offset = data[offset:offset + 4], offset + 4
        elif wire == 2:
            length, offset = _read_varint(data, offset)
            value, offset = data[offset:offset + length], offset + length
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield field, wire, value


def _read_varint(data: bytes, offset: int) -> tuple[int, int]:
    result, shift = 0, 0
    while True:
        byte = data[offset]
        offset += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, offset
        shift += 7


def read_events(path: Path) -> list[dict]:
    """Every event as {"step", "wall_time", "file_version"?, "scalars": {tag: v}, "images": {tag: png}}."""
    events = []
    for body in read_records(path):
        item: dict = {"step": 0, "scalars": {}, "images": {}}
        for field, _, value in _fields(body):
            if field == 1:
                item["wall_time"] = struct.unpack("<d", value)[0]
            elif field == 2:
                item["step"] = value
            elif field == 3:
                item["file_version"] = value.decode()
            elif field == 5:
                for _, _, raw in _fields(value):
                    parts = {f: v for f, _, v in _fields(raw)}
                    tag = parts[1].decode()
                    if 2 in parts:
                        item["scalars"][tag] = struct.unpack("<f", parts[2])[0]
                    elif 4 in parts:
                        item["images"][tag] = {f: v for f, _, v in _fields(parts[4])}[4]
        events.append(item)
    return events


# --- what a run writes --------------------------------------------------------------------------------

def mistakes_grid(images: np.ndarray, indices: np.ndarray, columns: int = 6, scale: int = 3) -> np.ndarray:
    """The images at `indices` as one grey grid (white ink on black, 1-pixel gaps), enlarged."""
    shown = list(indices[:MISCLASSIFIED_SHOWN])
    rows = max(1, -(-len(shown) // columns))
    grid = np.full((rows * 29 + 1, columns * 29 + 1), 64, np.uint8)
    for n, index in enumerate(shown):
        r, c = divmod(n, columns)
        grid[1 + r * 29:1 + r * 29 + 28, 1 + c * 29:1 + c * 29 + 28] = images[index]
    return np.kron(grid, np.ones((scale, scale), np.uint8))


def write_run_events(folder: Path, history: Sequence[dict], steps_per_epoch: int, step_trace: dict,
                     test: dict, test_images: Optional[np.ndarray] = None,
                     misclassified: Optional[np.ndarray] = None) -> Path:
    """One run's event file: per step the training loss, accuracy and learning rate; per epoch the
    epoch's training and validation loss and accuracy; at the end the test loss and accuracy and
    the most confidently misclassified test images. Steps count optimisation steps from 1."""
    with EventWriter(folder) as writer:
        for step, (loss, acc, lr) in enumerate(zip(step_trace["loss"], step_trace["accuracy"], step_trace["lr"]),
                                               start=1):
            writer.scalars(step, {"step/train_loss": loss, "step/train_accuracy": acc, "step/learning_rate": lr})
        for row in history:
            values = {f"epoch/{key}": float(row[key]) for key in ("train_loss", "train_accuracy", "val_loss",
                                                                   "val_accuracy") if row.get(key, "") != ""}
            writer.scalars(int(row["epoch"]) * steps_per_epoch, values)
        last = len(history) * steps_per_epoch
        writer.scalars(last, {"test/loss": test["loss"], "test/accuracy": test["accuracy"]})
        if test_images is not None and misclassified is not None and len(misclassified):
            writer.image(last, "test/misclassified_most_confident", mistakes_grid(test_images, misclassified))
        return writer.path
