"""Accuracy of reading camera-like photos, next to the same digits fed directly as 28x28.

    python -m benchmarks.camera_like_set --model latest --frames 600 --seed 0 [--wide 400]

Generates a seeded set of camera-like frames from MNIST test digits (camera_like.py), runs
the whole pipeline on each (frame -> digits -> prediction, as `mnist-cnn predict` does), and
reports:
  - per-digit accuracy: a true digit counts as read when the found digit that overlaps it
    best (one-to-one) has its label; a missed digit is an error;
  - whole-string accuracy: the frame's rows of digits read exactly (nothing missed, nothing
    extra, right order);
  - the accuracy of the same digits given to the model directly as their 28x28 originals
    (per digit, and per frame's string);
  - errors split into missed digits, extra detections and wrong labels, the most common
    confusions, and accuracy per condition (shadow, ruled paper, pen width, chalkboard...).
Writes benchmarks/results/camera_like.json (or NAME.json with --name).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from mnist_cnn.data.mnist import load_mnist
from mnist_cnn.reading.reader import Reading, read_image

from .camera_like import Frame, generate, generate_wide
from .common import add_model_options, write_result


def _iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = min(ax + aw, bx + bw) - max(ax, bx)
    h = min(ay + ah, by + bh) - max(ay, by)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (aw * ah + bw * bh - inter)


def score_frame(frame: Frame, reading: Reading) -> dict:
    """Match true digits to found ones (best overlap, one-to-one) and count what was read."""
    pairs = sorted(((_iou(t.box, f.box), ti, fi) for ti, t in enumerate(frame.digits)
                    for fi, f in enumerate(reading.digits)), reverse=True)
    matched_t, matched_f, correct = set(), set(), 0
    wrong = []
    for overlap, ti, fi in pairs:
        if overlap < 0.3 or ti in matched_t or fi in matched_f:
            continue
        matched_t.add(ti)
        matched_f.add(fi)
        if reading.digits[fi].digit == frame.digits[ti].label:
            correct += 1
        else:
            wrong.append((frame.digits[ti].label, reading.digits[fi].digit))
    return {"digits": len(frame.digits), "correct": correct, "missed": len(frame.digits) - len(matched_t),
            "extra": len(reading.digits) - len(matched_f), "wrong": wrong,
            "string_ok": reading.rows == frame.rows}


def run(classifier, images, labels, frames: int, seed: int, keep_failures: Path | None = None,
        wide: bool = False) -> dict:
    """Read `frames` frames of the first set (or of the wider one with `wide`) and score them."""
    totals = defaultdict(int)
    by_condition: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    indices, frame_sizes, confusions = [], [], defaultdict(int)
    seconds = 0.0
    failures = []
    frame_source = generate_wide if wide else generate
    for n, frame in enumerate(frame_source(images, labels, frames, seed=seed)):
        start = time.perf_counter()
        reading = read_image(classifier, frame.image)
        seconds += time.perf_counter() - start
        score = score_frame(frame, reading)
        for key in ("digits", "correct", "missed", "extra"):
            totals[key] += score[key]
        totals["strings"] += 1
        totals["strings_ok"] += int(score["string_ok"])
        for truth, got in score["wrong"]:
            confusions[f"{truth}->{got}"] += 1
        indices.extend(d.index for d in frame.digits)
        frame_sizes.append(len(frame.digits))
        names = [k for k in frame.conditions if k in ("shadow", "ruled", "table_edge", "specks", "chalkboard")]
        if frame.conditions.get("hazard"):
            names.append("hazard=" + frame.conditions["hazard"])
        names.append(f"pen={frame.conditions['pen']:+.3f}")
        names.append("blur>1" if frame.conditions["blur"] > 1 else "blur<=1")
        names.append(f"digits={len(frame.digits)}")
        for name in names:
            by_condition[name][0] += score["correct"]
            by_condition[name][1] += score["digits"]
        if not score["string_ok"]:
            failures.append({"frame": n, "truth": frame.rows, "read": reading.rows, **frame.conditions})
            if keep_failures is not None:
                import cv2
                keep_failures.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(keep_failures / f"frame{n:04d}-{frame.text}-{reading.text}.jpg"), frame.image)
    direct = classifier.predict_proba(images[np.array(indices)]).argmax(axis=1)
    hits = direct == labels[np.array(indices)]
    # a frame's string is read right when every one of its digits is
    ends = np.cumsum(frame_sizes)
    strings_ok = sum(bool(hits[end - size:end].all()) for size, end in zip(frame_sizes, ends))
    return {
        "frames": frames, "seed": seed, "digits": totals["digits"],
        "pipeline_per_digit_accuracy": totals["correct"] / totals["digits"],
        "pipeline_string_accuracy": totals["strings_ok"] / totals["strings"],
        "direct_28x28_accuracy": int(hits.sum()) / len(indices),
        "direct_28x28_string_accuracy": strings_ok / frames,
        "missed_digits": totals["missed"], "extra_detections": totals["extra"],
        "wrong_labels": sum(confusions.values()),
        "top_confusions": dict(sorted(confusions.items(), key=lambda kv: -kv[1])[:10]),
        "per_condition_accuracy": {k: {"accuracy": round(c / t, 4), "digits": t}
                                   for k, (c, t) in sorted(by_condition.items())},
        "pipeline_ms_per_frame": 1000 * seconds / frames,
        "failed_strings": failures[:40],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_model_options(parser)
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="camera_like", help="results file: benchmarks/results/NAME.json")
    parser.add_argument("--wide", type=int, default=0,
                        help="also read this many frames of the wider set, reported apart (default 0)")
    parser.add_argument("--keep-failures", default=None, help="write the frames read wrongly to this folder")
    args = parser.parse_args(argv)

    from mnist_cnn.reading.commands import load_model

    classifier, path = load_model(args.model, args.framework, args.runs_dir)
    mnist = load_mnist(args.data_dir, download=False)
    result = run(classifier, mnist.test_images, mnist.test_labels, args.frames, args.seed,
                 Path(args.keep_failures) if args.keep_failures else None)
    if args.wide:
        result["wide"] = run(classifier, mnist.test_images, mnist.test_labels, args.wide, args.seed, wide=True)

    argv_used = sys.argv[1:] if argv is None else list(argv)
    result.update(model=str(path), framework=getattr(classifier, "framework", "?"),
                  command="python -m benchmarks.camera_like_set " + " ".join(argv_used))
    out = write_result(args.name, result)
    print(f"{result['digits']} digits in {args.frames} frames (seed {args.seed}), model {path}")
    print(f"pipeline:     per-digit {100 * result['pipeline_per_digit_accuracy']:.2f}%  "
          f"whole-string {100 * result['pipeline_string_accuracy']:.2f}%  "
          f"({result['missed_digits']} missed, {result['extra_detections']} extra, "
          f"{result['wrong_labels']} wrong; {result['pipeline_ms_per_frame']:.1f} ms/frame)")
    print(f"direct 28x28: per-digit {100 * result['direct_28x28_accuracy']:.2f}%  "
          f"whole-string {100 * result['direct_28x28_string_accuracy']:.2f}%")
    if args.wide:
        wide = result["wide"]
        print(f"wider set:    per-digit {100 * wide['pipeline_per_digit_accuracy']:.2f}% of {wide['digits']} digits "
              f"in {args.wide} frames  whole-string {100 * wide['pipeline_string_accuracy']:.2f}%  "
              f"(direct 28x28 {100 * wide['direct_28x28_accuracy']:.2f}%; "
              + ", ".join(f"{k[7:]} {100 * v['accuracy']:.1f}%" for k, v in wide["per_condition_accuracy"].items()
                          if k.startswith("hazard=")) + ")")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
