"""The camera without a window: sources, the headless loop, and every failure as one line."""

from __future__ import annotations

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from benchmarks.camera_like import write_video
from mnist_cnn.reading import camera
from mnist_cnn.reading.errors import CameraError

from .conftest import ROOT, cli_in_one_process, help_in_fresh_process, run_cli
from .photos import clear_digits, compose

pytestmark = pytest.mark.mnist


@pytest.fixture(scope="module")
def model(torch_run, keep_torch_threads):
    from mnist_cnn.reading.commands import load_model

    return load_model(str(torch_run), None, None)[0]


def _guided_photo(mnist, classifier, seed):
    """A frame with digits the model reads directly, held inside the guide box."""
    images, labels = clear_digits(mnist, classifier, count=3, seed=seed)
    return compose(images, labels, [(150, 140, 110), (265, 150, 110), (380, 140, 110)], gradient=0.3, seed=seed)


@pytest.fixture(scope="module")
def video(tmp_path_factory, mnist, model):
    """Two scenes of 4 frames each, 640x480, digits inside the guide box."""
    scenes = [_guided_photo(mnist, model, seed) for seed in (1, 2)]
    path = tmp_path_factory.mktemp("video") / "scenes.avi"
    write_video(path, [s.image for s in scenes for _ in range(4)])
    return path, scenes


# --------------------------------------------------------------------------- sources

def test_sources_open_as_what_they_are(tmp_path, video):
    path, scenes = video
    with camera.open_source(str(path)) as source:
        assert source.kind == "video"
        frames = list(camera.frames(source))
    assert len(frames) == 8 and frames[0].shape == (480, 640, 3)
    still = tmp_path / "page.png"
    cv2.imwrite(str(still), scenes[0].image)
    with camera.open_source(str(still)) as source:
        assert source.kind == "image"
        assert len(list(camera.frames(source))) == 1


@pytest.mark.parametrize("spec, words", [
    ("7", ["camera 7", "--source"]),                    # no camera on this machine at index 7
    ("no/such/clip.mp4", ["no/such/clip.mp4", "--source 0"]),
    (".", ["folder"]),
])
def test_a_source_that_cannot_be_opened_is_named(spec, words):
    with pytest.raises(CameraError) as info:
        camera.open_source(spec)
    assert all(w in str(info.value) for w in words), str(info.value)


def test_a_file_that_is_neither_video_nor_image(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a video\n")
    with pytest.raises(CameraError, match="neither a video nor an image"):
        camera.open_source(str(junk))


class _Vanishing:
    """A capture that delivers `good` frames and then nothing, as an unplugged camera does."""

    def __init__(self, good: int):
        self.good = good

    def read(self):
        if self.good > 0:
            self.good -= 1
            return True, np.zeros((48, 64, 3), np.uint8)
        return False, None

    def isOpened(self):
        return True

    def release(self):
        pass


def test_a_camera_that_disappears_mid_stream_is_an_error_not_a_hang(monkeypatch):
    monkeypatch.setattr(camera.time, "sleep", lambda s: None)
    source = camera.Source("0", "camera", capture=_Vanishing(good=3))
    assert sum(1 for _ in range(3) if source.read() is not None) == 3
    with pytest.raises(CameraError, match="camera 0 stopped delivering frames after 3"):
        source.read()
    # A video simply ends.
    video_end = camera.Source("clip.avi", "video", capture=_Vanishing(good=1))
    assert video_end.read() is not None and video_end.read() is None


def test_guide_box_is_inside_the_frame():
    x, y, w, h = camera.guide_box((480, 640, 3))
    assert 0 < x and 0 < y and x + w < 640 and y + h < 480 and w > 300 and h > 250


def test_no_display_is_detected_before_opencv_touches_it(monkeypatch):
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    assert "DISPLAY is not set" in camera.display_problem()
    monkeypatch.setenv("DISPLAY", ":4789")  # no X server answers there
    assert "nothing answers" in camera.display_problem()


# --------------------------------------------------------------------------- the headless loop

def test_live_headless_reads_every_frame(video, model):
    path, scenes = video
    lines = []
    with camera.open_source(str(path)) as source:
        readings = camera.run_headless(source, model, live=True, roi=None, out=lines.append)
    assert len(readings) == 8
    assert [line.split(":")[0] for line in lines[:8]] == [f"frame {n}" for n in range(1, 9)]
    assert "frames per second" in lines[-1]
    truth = [s.text for s in scenes for _ in range(4)]
    assert sum(r.text == t for r, t in zip(readings, truth)) >= 6, [r.text for r in readings]


def test_snapshot_headless_reads_the_region(video, model):
    path, scenes = video
    lines = []
    x, y, w, h = scenes[0].boxes[1]
    with camera.open_source(str(path)) as source:
        (reading,) = camera.run_headless(source, model, live=False, roi=(x - 10, y - 10, w + 20, h + 20),
                                         out=lines.append)
    assert reading.text == str(scenes[0].labels[1])
    assert lines == [f"snapshot: {camera.describe(reading)}"]


# --------------------------------------------------------------------------- the command

def test_camera_command_headless_live(video, torch_run):
    path, scenes = video
    result = run_cli("camera", "--source", str(path), "--model", str(torch_run), "--no-window", "--live",
                     "--frames", "3", timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == ["frame 1", "frame 2", "frame 3"]
    assert lines[-1].startswith("3 frames in")


CAMERA_FAILURES = [
    (["--source", "9", "--no-window"], ["cannot open camera 9", "--source"]),
    (["--source", "missing.mp4", "--no-window"], ["missing.mp4", "--source 0"]),
    ([], ["no display", "--no-window", "--roi"]),  # the window, without a display
]


def test_camera_command_failures_are_one_line(torch_run):
    env = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "QT_QPA_PLATFORM": ""}
    results = cli_in_one_process([["camera", "--model", str(torch_run), *args] for args, _ in CAMERA_FAILURES],
                                 env=env)  # one process for the three
    for (args, words), result in zip(CAMERA_FAILURES, results):
        assert result.returncode == 1, args
        assert "Traceback" not in result.stderr
        message = result.stderr.strip()
        assert message.startswith("Error:") and len(message.splitlines()) == 1, message
        assert all(w in message for w in words), message


def test_camera_command_no_digit_in_region(tmp_path, torch_run):
    page = tmp_path / "blank.png"
    cv2.imwrite(str(page), compose([], [], [], gradient=0.4).image)
    result = run_cli("camera", "--source", str(page), "--model", str(torch_run), "--no-window",
                     "--roi", "10,10,200,200", timeout=120)
    assert result.returncode == 1
    assert "no digit found" in result.stderr and "Traceback" not in result.stderr


def test_camera_options_that_do_not_go_together():
    result = run_cli("camera", "--roi", "1,2,3,4", env={"DISPLAY": ""})
    assert result.returncode == 2 and "--roi goes with --no-window" in result.stderr
    result = run_cli("camera", "--no-window", "--roi", "1,2,0,4")
    assert result.returncode == 2 and "width and height must be positive" in result.stderr


@pytest.mark.skipif(os.name == "nt", reason="POSIX only")
def test_camera_help_does_not_import_opencv_or_frameworks():
    result = help_in_fresh_process([["camera"], ["predict"]], ("cv2", "torch", "tensorflow"))
    assert result["loaded"] == [], result


VANISHING_CAMERA = """
import sys
import numpy as np
from mnist_cnn.reading import camera

class Unplugged:
    # camera 0 delivers three blank frames, then nothing: the cable is pulled
    def __init__(self):
        self.good = 3
    def isOpened(self):
        return True
    def read(self):
        if self.good > 0:
            self.good -= 1
            return True, np.full((480, 640, 3), 200, np.uint8)
        return False, None
    def set(self, *args):
        return True
    def get(self, *args):
        return 0.0
    def release(self):
        pass

camera._open_camera = lambda index: Unplugged()
camera.time.sleep = lambda seconds: None  # the retries before giving up, without the wait
from mnist_cnn.cli import main
sys.argv = ["mnist-cnn", "camera", "--source", "0", "--model", sys.argv[1], "--no-window", "--live"]
main()
"""


def test_a_camera_vanishing_mid_stream_ends_the_command_with_one_line(tmp_path):
    """Through the real command: frames read until the camera goes, then exit 1 and one line.
    The frames are blank, so an untrained model file (no training, no data) is all it needs."""
    from mnist_cnn.backends import get_backend
    from mnist_cnn.config import get_recipe
    from mnist_cnn.models.weights import initial_weights

    spec = get_recipe("mlp").spec
    get_backend("torch").build(spec, initial_weights(spec, 0)).save(tmp_path / "untrained.pt")
    done = subprocess.run([sys.executable, "-c", VANISHING_CAMERA, str(tmp_path / "untrained.pt")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message, message
    assert message.startswith("Error:") and "camera 0 stopped delivering frames after 3" in message
    assert [line.split(":")[0] for line in done.stdout.strip().splitlines()] == ["frame 1", "frame 2", "frame 3"]
