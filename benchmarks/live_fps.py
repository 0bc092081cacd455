"""Frames per second of `mnist-cnn camera --live` on a 640x480 source, predicting every frame.

    python -m benchmarks.live_fps --model latest --frames 300

A seeded 640x480 video is generated (camera_like.py: digits held inside the guide box, as a
user would), then read through the real headless live loop (camera.run_headless: decode,
find the digits in the guide box, predict them, print a line) with the model's framework
(PyTorch by default: `--framework torch` picks its newest run). Reports the loop's frames
per second, the time per frame (median and 90th percentile) of reading alone, and how often
the live reading matched the digits shown. Writes benchmarks/results/live_fps.json.

The machine is shared: its load average is recorded with the result; run it on a quiet
machine for the figure to quote.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from mnist_cnn.data.mnist import load_mnist

from .camera_like import FRAME_H, FRAME_W, generate, write_video
from .common import write_result


def make_video(path: Path, unique: int, repeat: int, seed: int, data_dir=None) -> list[list[str]]:
    """A video of `unique` frames shown `repeat` times each; returns each video frame's truth rows."""
    from mnist_cnn.reading.camera import guide_box

    mnist = load_mnist(data_dir, download=False)
    area = guide_box((FRAME_H, FRAME_W))
    frames = list(generate(mnist.test_images, mnist.test_labels, unique, seed=seed, max_digits=4, area=area))
    write_video(path, [f.image for f in frames for _ in range(repeat)])
    return [f.rows for f in frames for _ in range(repeat)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="latest")
    parser.add_argument("--framework", default="torch")
    parser.add_argument("--runs-dir", default=None)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--frames", type=int, default=300, help="frames in the video")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from mnist_cnn.reading import camera
    from mnist_cnn.reading.commands import load_model

    classifier, model_path = load_model(args.model, args.framework, args.runs_dir)
    repeat = 5
    with tempfile.TemporaryDirectory(prefix="live-fps-") as tmp:
        video = Path(tmp) / "live.avi"
        truth = make_video(video, max(1, args.frames // repeat), repeat, args.seed, args.data_dir)

        # Reading alone, frame by frame (decoded beforehand), to separate it from decoding.
        with camera.open_source(str(video)) as source:
            decoded = list(camera.frames(source))
        box = camera.guide_box(decoded[0].shape)
        camera.read_region(classifier, decoded[0], box, live=True)  # warm-up
        times = []
        for frame in decoded:
            start = time.perf_counter()
            camera.read_region(classifier, frame, box, live=True)
            times.append(time.perf_counter() - start)

        # The real loop: decode, read, print one line per frame.
        lines: list[str] = []
        with camera.open_source(str(video)) as source:
            start = time.perf_counter()
            readings = camera.run_headless(source, classifier, True, None, lines.append)
            seconds = time.perf_counter() - start

    matched = sum(r.rows == t for r, t in zip(readings, truth))
    ms = np.array(times) * 1000
    result = {
        "model": str(model_path), "framework": getattr(classifier, "framework", "?"),
        "source": f"{FRAME_W}x{FRAME_H} MJPG video, {len(readings)} frames, digits inside the guide box",
        "live_fps": len(readings) / seconds,
        "read_ms_median": float(np.median(ms)), "read_ms_p90": float(np.percentile(ms, 90)),
        "read_only_fps": 1000 / float(np.mean(ms)),
        "frames_read_exactly": matched / max(1, len(readings)),
        "command": "python -m benchmarks.live_fps " + " ".join(sys.argv[1:] if argv is None else argv),
    }
    out = write_result("live_fps", result)
    print(f"live loop: {result['live_fps']:.1f} frames per second ({len(readings)} frames of {FRAME_W}x{FRAME_H}, "
          f"{result['framework']})")
    print(f"reading alone: median {result['read_ms_median']:.1f} ms, 90th percentile {result['read_ms_p90']:.1f} ms "
          f"per frame; frames read exactly: {100 * result['frames_read_exactly']:.1f}%")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
