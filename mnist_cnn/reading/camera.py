"""Frame sources (a camera, a video file, a still image) and the camera loop without a window.

The window (camera_window.py) and the headless loop here share everything else: the source,
the guide box, reading a region, the printed lines. Imports cv2 at load time: only the
`camera` command and the menu's camera mode import this module.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

import cv2
import numpy as np

from ..backends import Classifier
from .digits import Box
from .errors import CameraError, ImageError
from .images import load_image
from .reader import Reading, describe, read_image

# A camera that returns no frame this many times in a row is gone (unplugged, taken by another
# program); a few misses in a row are normal while it starts or changes exposure.
CAMERA_MISSES = 10
# Frames a camera needs to settle its exposure before a headless snapshot is worth taking.
CAMERA_WARMUP = 5
# Analysis size for live reading: enough for digits held in the guide box, and fast.
LIVE_MAX_SIDE = 480


def _open_camera(index: int) -> cv2.VideoCapture:
    """cv2.VideoCapture(index) with OpenCV's own log silenced: its lines ("Camera index out of
    range") would only repeat, less clearly, the message we give."""
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    previous = logging.getLogLevel() if logging else None
    if logging:
        logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        return cv2.VideoCapture(index)
    finally:
        if logging:
            logging.setLogLevel(previous)


@dataclass
class Source:
    """Where frames come from. `read()` gives a BGR frame, or None at the end of a video."""

    name: str
    kind: str  # "camera", "video" or "image"
    capture: Optional[cv2.VideoCapture] = None
    still: Optional[np.ndarray] = None
    misses: int = field(default=0, init=False)
    frames: int = field(default=0, init=False)

    @property
    def is_camera(self) -> bool:
        return self.kind == "camera"

    def read(self) -> Optional[np.ndarray]:
        if self.still is not None:
            self.frames += 1
            return self.still.copy()
        assert self.capture is not None
        while True:
            ok, frame = self.capture.read()
            if ok and frame is not None and frame.size:
                self.misses = 0
                self.frames += 1
                return frame
            if not self.is_camera:
                return None  # the end of the video
            self.misses += 1
            if self.misses >= CAMERA_MISSES or not self.capture.isOpened():
                raise CameraError(f"camera {self.name} stopped delivering frames after {self.frames} "
                                  f"(unplugged, or taken by another program?)")
            time.sleep(0.05)

    def close(self) -> None:
        if self.capture is not None:
            self.capture.release()

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_source(spec: str) -> Source:
    """`--source`: a camera index (0, 1...), a video file or an image file."""
    spec = str(spec).strip()
    if spec.isdigit():
        capture = _open_camera(int(spec))
        if not capture.isOpened():
            capture.release()
            raise CameraError(f"cannot open camera {spec}: no such camera, or it is busy. "
                              f"Try another index (--source 1) or a video or image file (--source clip.mp4)")
        return Source(spec, "camera", capture=capture)
    path = Path(spec).expanduser()
    if not path.exists():
        raise CameraError(f"--source {spec}: no such file, and not a camera index. "
                          f"Use --source 0 for the first camera, or a video or image file")
    if path.is_dir():
        raise CameraError(f"--source {spec}: is a folder; give a camera index, a video or an image file")
    try:
        return Source(str(path), "image", still=load_image(path))
    except ImageError:
        pass  # not a still image: perhaps a video
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise CameraError(f"--source {spec}: neither a video nor an image OpenCV can read")
    ok, first = capture.read()
    if not ok or first is None:
        capture.release()
        raise CameraError(f"--source {spec}: a video without a single readable frame")
    capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
    return Source(str(path), "video", capture=capture)


def guide_box(shape: tuple[int, ...]) -> Box:
    """The box drawn on the preview where the digits should be held: the middle 60% by 60%."""
    h, w = shape[:2]
    bw, bh = int(w * 0.6), int(h * 0.6)
    return (w - bw) // 2, (h - bh) // 2, bw, bh


def read_region(classifier: Classifier, frame: np.ndarray, roi: Optional[Box], live: bool = False,
                polarity: str = "auto") -> Reading:
    """Read `roi` of `frame` (None: all of it). Live frames are analysed at a bounded size."""
    max_side = LIVE_MAX_SIDE if live else None
    return read_image(classifier, frame, roi=roi, polarity=polarity, max_side=max_side, upright=not live)


def frames(source: Source, limit: Optional[int] = None) -> Iterator[np.ndarray]:
    """The source's frames until it ends (or `limit`); a still image is one frame."""
    count = 0
    while limit is None or count < limit:
        frame = source.read()
        if frame is None:
            return
        count += 1
        yield frame
        if source.kind == "image":
            return


def run_headless(source: Source, classifier: Classifier, live: bool, roi: Optional[Box],
                 out: Callable[[str], None], limit: Optional[int] = None, polarity: str = "auto") -> list[Reading]:
    """The camera loop without a window, for scripts and servers.

    Live: every frame is read (the region, else the guide box) and one line is printed per
    frame, then a summary with the frame rate. Otherwise one snapshot: after a camera has
    settled (CAMERA_WARMUP frames), or the first frame of a video or image; its region (else
    the whole frame) is read and printed.
    """
    readings: list[Reading] = []
    if not live:
        frame = None
        for k, frame in enumerate(frames(source, CAMERA_WARMUP + 1 if source.is_camera else 1)):
            pass
        if frame is None:
            raise CameraError(f"{source.name}: no frame to take a snapshot from")
        reading = read_region(classifier, frame, roi, polarity=polarity)
        out(f"snapshot: {describe(reading)}")
        return [reading]
    start = time.perf_counter()
    for n, frame in enumerate(frames(source, limit), start=1):
        reading = read_region(classifier, frame, roi or guide_box(frame.shape), live=True, polarity=polarity)
        readings.append(reading)
        out(f"frame {n}: {describe(reading)}")
    seconds = time.perf_counter() - start
    if readings:
        out(f"{len(readings)} frames in {seconds:.1f} s ({len(readings) / max(seconds, 1e-9):.1f} frames per second)")
    return readings


def display_problem() -> Optional[str]:
    """Why no window can be opened here, or None. Checked before OpenCV touches the display:
    Qt would abort the whole process rather than raise an error."""
    if os.name == "nt" or os.uname().sysname == "Darwin":
        return None
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal", "vnc"):
        return None
    if os.environ.get("WAYLAND_DISPLAY"):
        return None
    display = os.environ.get("DISPLAY", "")
    if not display:
        return "no display: DISPLAY is not set (a server, SSH without -X, or a container)"
    host, _, number = display.rpartition(":")
    number = number.split(".")[0]
    if host in ("", "unix") and number.isdigit() and not _x_server_listening(number):
        return f"no display: nothing answers on DISPLAY={display}"
    return None


def _x_server_listening(number: str) -> bool:
    """Is an X server listening on local display `number`? Read from /proc/net/unix (Linux)
    rather than by connecting: a bare X server resets when its last client leaves, and a window
    opened during that reset fails."""
    paths = {f"/tmp/.X11-unix/X{number}", f"@/tmp/.X11-unix/X{number}"}
    try:
        with open("/proc/net/unix") as table:
            next(table)
            for line in table:
                fields = line.split()
                # Flags 00010000: a listening socket.
                if len(fields) >= 8 and fields[7] in paths and int(fields[3], 16) & 0x10000:
                    return True
        return False
    except (OSError, ValueError, StopIteration):
        return Path(f"/tmp/.X11-unix/X{number}").exists()
