"""The real OpenCV camera window, driven like a user would: under Xvfb, xdotool presses SPACE,
drags a region with the mouse, confirms, cancels and quits, and `mnist-cnn camera` prints
what it read from a generated video.

Needs the `xvfb` and `xdotool` packages (apt). Without them the tests skip on a developer's
machine but fail under CI=true: CI must run the real window.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.camera_like import write_video

from .conftest import ROOT
from .photos import clear_digits, compose

pytestmark = pytest.mark.mnist

WINDOW = "mnist-cnn camera"


@pytest.fixture(scope="module")
def display():
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        message = f"{' and '.join(missing)} not installed (apt-get install xvfb xdotool)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " (CI=true: the camera window test must run)")
        pytest.skip(message)
    read_end, write_end = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1024x768x24", "-nolisten", "tcp",
                               "-noreset"],
                              pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    # Xvfb writes its display number and a newline when it is ready; the pipe stays open while
    # it runs (Xvfb stops with "cannot write display number" if it is closed too early).
    number, deadline = b"", time.monotonic() + 20
    while not number.endswith(b"\n") and time.monotonic() < deadline:
        if select.select([read_end], [], [], 1)[0]:
            chunk = os.read(read_end, 16)
            if not chunk:
                break
            number += chunk
    if not number.strip().isdigit():
        server.kill()
        os.close(read_end)
        pytest.fail("Xvfb did not start")
    yield f":{number.decode().strip()}"
    server.terminate()
    server.wait(10)
    os.close(read_end)


class Camera:
    """`mnist-cnn camera` running in its own process on the virtual display."""

    def __init__(self, display: str, log: Path, *args: str):
        self.env = {**os.environ, "DISPLAY": display, "PYTHONUNBUFFERED": "1"}
        self.log = log
        self.out = open(log, "w")
        self.process = subprocess.Popen([sys.executable, "-m", "mnist_cnn", "camera", *args], cwd=ROOT,
                                        env=self.env, stdout=self.out, stderr=subprocess.STDOUT, text=True)

    def output(self) -> str:
        return self.log.read_text()

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return self.output()
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never came; output so far:\n{self.output()}")

    def xdo(self, *args: str) -> str:
        done = subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def window(self, size: tuple[int, int] = (640, 480), timeout: float = 90) -> tuple[int, int, int, int]:
        """The preview window's position and size on the screen, once it shows a frame.

        The window appears (once the model is loaded) before its first frame, at a small default
        size, and takes the frame's size when the frame is shown: wait for `size`. If it never
        comes, the last geometry seen is returned, for the caller's assertion to show."""
        deadline = time.monotonic() + timeout
        geometry = None
        while time.monotonic() < deadline:
            found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", f"^{WINDOW}$"], env=self.env,
                                   capture_output=True, text=True, timeout=30).stdout.split()
            if found:
                shell = dict(line.split("=", 1) for line in self.xdo("getwindowgeometry", "--shell", found[0]).split())
                geometry = int(shell["X"]), int(shell["Y"]), int(shell["WIDTH"]), int(shell["HEIGHT"])
                if geometry[2:] == size:
                    return geometry
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        if geometry is not None:
            return geometry
        raise AssertionError(f"no window; output:\n{self.output()}")

    def drag(self, start: tuple[int, int], end: tuple[int, int]) -> None:
        self.xdo("mousemove", str(start[0]), str(start[1]))
        self.xdo("mousedown", "1")
        for k in range(1, 6):  # move in steps, as a hand does: the selector follows mouse moves
            x = start[0] + (end[0] - start[0]) * k // 5
            y = start[1] + (end[1] - start[1]) * k // 5
            self.xdo("mousemove", str(x), str(y))
            time.sleep(0.05)
        self.xdo("mouseup", "1")

    def finish(self, timeout: float = 30) -> int | None:
        """The exit code, or None when it had to be killed after `timeout` seconds."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None
        finally:
            self.out.close()


@pytest.fixture(scope="module")
def scene(tmp_path_factory, mnist, torch_run, keep_torch_threads):
    """A short 640x480 video of three digits the model reads directly."""
    from mnist_cnn.reading.commands import load_model

    model = load_model(str(torch_run), None, None)[0]
    images, labels = clear_digits(mnist, model, count=3, seed=21)
    photo = compose(images, labels, [(150, 150, 110), (265, 160, 110), (380, 150, 110)], gradient=0.3, seed=21)
    path = tmp_path_factory.mktemp("window") / "scene.avi"
    write_video(path, [photo.image] * 10)
    return path, photo


def test_snapshot_drag_a_region_confirm_and_quit(display, scene, torch_run, tmp_path):
    video, photo = scene
    cam = Camera(display, tmp_path / "out.txt", "--source", str(video), "--model", str(torch_run))
    try:
        wx, wy, ww, wh = cam.window()
        assert (ww, wh) == (640, 480)  # the image fills the window: no toolbar to offset clicks
        cam.xdo("mousemove", str(wx + ww // 2), str(wy + wh // 2))  # keys go where the pointer is
        cam.wait_for("end of the video")
        cam.xdo("key", "space")
        cam.wait_for("snapshot taken")
        time.sleep(1.5)  # the line comes just before the selector takes the mouse: let it start
        left = min(b[0] for b in photo.boxes) - 20
        top = min(b[1] for b in photo.boxes) - 20
        right = max(b[0] + b[2] for b in photo.boxes) + 20
        bottom = max(b[1] + b[3] for b in photo.boxes) + 20
        cam.drag((wx + left, wy + top), (wx + right, wy + bottom))
        time.sleep(0.5)
        cam.xdo("key", "Return")
        out = cam.wait_for(f": {photo.text} ")
        cam.xdo("key", "q")
        assert cam.finish() == 0, cam.output()
    finally:
        cam.finish(5)
    line = next(line for line in out.splitlines() if line.startswith("snapshot ") and "taken" not in line)
    x, y, w, h = (int(v) for v in line.split()[1].rstrip(":").split(","))
    assert abs(x - left) <= 3 and abs(y - top) <= 3 and abs(x + w - right) <= 3 and abs(y + h - bottom) <= 3


def test_cancel_the_region_then_quit_with_escape(display, scene, torch_run, tmp_path):
    video, _ = scene
    cam = Camera(display, tmp_path / "out.txt", "--source", str(video), "--model", str(torch_run))
    try:
        wx, wy, ww, wh = cam.window()
        cam.xdo("mousemove", str(wx + ww // 2), str(wy + wh // 2))
        cam.xdo("key", "space")
        cam.wait_for("snapshot taken")
        time.sleep(1.5)
        cam.xdo("key", "c")
        cam.wait_for("region selection cancelled: back to the camera")
        cam.xdo("key", "Escape")
        assert cam.finish() == 0, cam.output()
    finally:
        cam.finish(5)
    assert "Traceback" not in cam.output()


def test_live_mode_shows_and_prints_the_digits(display, scene, torch_run, tmp_path):
    video, photo = scene
    cam = Camera(display, tmp_path / "out.txt", "--source", str(video), "--model", str(torch_run), "--live")
    try:
        wx, wy, ww, wh = cam.window()
        cam.xdo("mousemove", str(wx + ww // 2), str(wy + wh // 2))
        cam.wait_for(f"live: {photo.text} ")
        cam.xdo("key", "q")
        assert cam.finish() == 0, cam.output()
    finally:
        cam.finish(5)
