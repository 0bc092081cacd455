"""Seconds to read one photo after the model is loaded (decode + orientation + reading), as
`mnist-cnn predict` does it.

    python -m benchmarks.photo_seconds PHOTO --model RUN [--repeat 5]

The issue's budget: a 12 MP photo in at most 1 s. The machine's load average is recorded
with the result (a shared machine slows every figure). Writes benchmarks/results/photo_seconds.json.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from .common import write_result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photo")
    parser.add_argument("--model", default="latest")
    parser.add_argument("--framework", default=None)
    parser.add_argument("--runs-dir", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from mnist_cnn.reading.images import load_image
    from mnist_cnn.reading.commands import load_model
    from mnist_cnn.reading.reader import read_image

    classifier, path = load_model(args.model, args.framework, args.runs_dir)
    read_image(classifier, load_image(args.photo))  # warm-up: first calls allocate
    seconds, decode = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        image = load_image(args.photo)
        loaded = time.perf_counter()
        reading = read_image(classifier, image)
        seconds.append(time.perf_counter() - start)
        decode.append(loaded - start)
    result = {"photo": args.photo, "pixels": int(image.shape[0] * image.shape[1]), "model": str(path),
              "framework": getattr(classifier, "framework", "?"), "read": reading.text,
              "median_seconds": float(np.median(seconds)), "median_decode_seconds": float(np.median(decode)),
              "all_seconds": [round(s, 3) for s in seconds],
              "command": "python -m benchmarks.photo_seconds " + " ".join(sys.argv[1:] if argv is None else argv)}
    out = write_result("photo_seconds", result)
    print(f"{args.photo}: {result['pixels'] / 1e6:.1f} MP read in {result['median_seconds']:.2f} s "
          f"(median of {args.repeat}; decoding {result['median_decode_seconds']:.2f} s): {reading.text}")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
