"""The camera's OpenCV window: live preview with a guide box, SPACE for a snapshot, a region
dragged with OpenCV's ROI selector, the reading drawn on the snapshot; q or Esc quits.

Everything but the window itself is in camera.py, so the headless loop reads exactly the
same way. Window events that end the session (q, Esc, closing the window) end it cleanly.
"""

from __future__ import annotations

import time
from typing import Callable, Optional

import cv2
import numpy as np

from ..backends import Classifier
from .annotate import digits_strip, draw_guide, draw_reading, draw_status
from .camera import Source, display_problem, guide_box, read_region
from .digits import Box
from .errors import DisplayError
from .reader import Reading, describe

WINDOW = "mnist-cnn camera"
RESULT = "mnist-cnn snapshot"
QUIT_KEYS = {ord("q"), ord("Q"), 27}
SPACE = 32
HELP = "SPACE: snapshot, then drag a region and press ENTER (c cancels)  |  q / Esc: quit"


def open_window(name: str) -> None:
    """A plain window (no Qt toolbar, so the image starts at the window's corner)."""
    problem = display_problem()
    if problem:
        raise DisplayError(f"{problem}. Use --no-window (with --roi x,y,w,h to read a region), "
                           f"or `mnist-cnn predict` on a photo")
    try:
        cv2.namedWindow(name, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
    except cv2.error as exc:
        raise DisplayError(f"this OpenCV cannot open windows ({str(exc).strip().splitlines()[-1]}); "
                           f"install opencv-python (not -headless) or use --no-window") from None


def _closed(name: str) -> bool:
    try:
        return cv2.getWindowProperty(name, cv2.WND_PROP_VISIBLE) < 1
    except cv2.error:
        return True


def _wait_key(name: str, delay_ms: int) -> Optional[int]:
    """A key (or -1), or None when the user closed the window."""
    key = cv2.waitKey(delay_ms)
    if _closed(name):
        return None
    return key & 0xFF if key != -1 else -1


def select_region(frame: np.ndarray) -> Optional[Box]:
    """Let the user drag a region on `frame` in the preview window; None if cancelled."""
    x, y, w, h = (int(v) for v in cv2.selectROI(WINDOW, frame, True, False, False))
    if w <= 0 or h <= 0:
        return None
    return x, y, w, h


def show_result(snapshot: np.ndarray, reading: Reading) -> Optional[int]:
    """The snapshot with what was read drawn on it, the 28x28 images the model was given below
    it ("?" marks an unsure digit); waits for a key (None: window closed)."""
    cv2.imshow(WINDOW, result_view(snapshot, reading))
    while True:
        key = _wait_key(WINDOW, 50)
        if key is None or key != -1:
            return key


def result_view(snapshot: np.ndarray, reading: Reading) -> np.ndarray:
    """What the window shows after a snapshot: the reading drawn on it, its status line, and
    the strip of model inputs under it."""
    shown = draw_reading(snapshot, reading)
    draw_status(shown, describe(reading) + "  |  any key: back to the camera, q: quit")
    strip = digits_strip(reading, shown.shape[1])
    return shown if strip is None else np.vstack([shown, strip])


def run_window(source: Source, classifier: Classifier, live: bool, out: Callable[[str], None],
               polarity: str = "auto") -> list[Reading]:
    """The interactive loop; returns the snapshot readings (or the live readings that changed)."""
    open_window(WINDOW)
    readings: list[Reading] = []
    last: Optional[str] = None
    frame: Optional[np.ndarray] = None
    ended = False
    rate = _FrameRate()
    try:
        while True:
            frame, ended = _next_frame(source, frame, ended, out)
            box = guide_box(frame.shape)
            text = None
            if live:
                text, last = _read_live(classifier, frame, box, polarity, last, readings, out)
            fps = rate.tick()
            status = f"{HELP}  |  {fps:.0f} fps" if live else HELP
            cv2.imshow(WINDOW, draw_guide(frame, box, text, status))
            key = _wait_key(WINDOW, 1 if not ended else 30)
            if key is None:
                out("window closed: bye")
                break
            if key in QUIT_KEYS:
                break
            if key == SPACE and not _snapshot(frame, classifier, polarity, readings, out):
                break
    finally:
        cv2.destroyAllWindows()
        cv2.waitKey(1)  # let the window system process the close
    return readings


def _next_frame(source: Source, frame: Optional[np.ndarray], ended: bool,
                out: Callable[[str], None]) -> tuple[np.ndarray, bool]:
    """The source's next frame; at the end of a video its last frame stays (ended becomes True)."""
    if not ended:
        new = source.read()
        if new is None:
            ended = True  # the video is over: keep its last frame on screen
            out("end of the video: the last frame stays on screen (SPACE: snapshot, q: quit)")
        else:
            frame = new
    if frame is None:
        raise DisplayError(f"{source.name}: no frame to show")
    return frame, ended


def _read_live(classifier: Classifier, frame: np.ndarray, box: Box, polarity: str, last: Optional[str],
               readings: list[Reading], out: Callable[[str], None]) -> tuple[str, str]:
    """Read the guide box; a reading that changed is printed and kept. Returns (text to draw, reading's text)."""
    reading = read_region(classifier, frame, box, live=True, polarity=polarity)
    text = " ".join(reading.marked_rows) if reading.digits else ""  # "?": unsure
    if reading.digits and text != last:
        out(f"live: {describe(reading)}")
        readings.append(reading)
    shown = f"{text}  {100 * min(d.confidence for d in reading.digits):.0f}%" if reading.digits else text
    return shown, text


def _snapshot(frame: np.ndarray, classifier: Classifier, polarity: str, readings: list[Reading],
              out: Callable[[str], None]) -> bool:
    """SPACE: freeze the frame, let the user drag a region, read it and show the result.
    False when the user quits or closes the window."""
    snapshot = frame.copy()
    out("snapshot taken: drag a region around the digits, then ENTER or SPACE (c cancels)")
    region = select_region(snapshot)
    if _closed(WINDOW):
        out("window closed: bye")
        return False
    if region is None:
        out("region selection cancelled: back to the camera")
        return True
    reading = read_region(classifier, snapshot, region, polarity=polarity)
    readings.append(reading)
    out(f"snapshot {region[0]},{region[1]},{region[2]},{region[3]}: {describe(reading)}")
    key = show_result(snapshot, reading)
    if key is None:
        out("window closed: bye")
        return False
    return key not in QUIT_KEYS


class _FrameRate:
    """Frames shown per second, recounted every second."""

    def __init__(self) -> None:
        self.since, self.shown, self.fps = time.perf_counter(), 0, 0.0

    def tick(self) -> float:
        self.shown += 1
        now = time.perf_counter()
        if now - self.since >= 1.0:
            self.fps, self.since, self.shown = self.shown / (now - self.since), now, 0
        return self.fps
