"""The real photos read by several models: how far apart trainings of one recipe read them.

    python -m benchmarks.real_photos_models ../shared/realphotos --models RUN [RUN ...] --name NAME

Each model (a run folder or model file) reads every photo as benchmarks.real_photos does. One
line per model: digits right, numbers exact, missed / extra / wrong, and the MNIST test
accuracy from its run's metrics.json, then the spread (least, mean, most). The runs of one
recipe with different seeds (`mnist-cnn compare --seeds N`, or `train --seed S`) show how much
of a difference in digits right is the seed's. Writes benchmarks/results/NAME.json
(default real_photos_models).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .common import write_result
from .real_photos import run

SUMMARY = ("per_digit_accuracy", "digits_right", "numbers_exact", "missed_digits", "extra_digits", "wrong_digits")


def mnist_accuracy(model_path: Path) -> float | None:
    """The MNIST test accuracy recorded in the run folder beside the model, if there is one."""
    metrics = Path(model_path).parent / "metrics.json"
    try:
        return float(json.loads(metrics.read_text())["test_accuracy"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="folder of photos with truth.json (e.g. ../shared/realphotos)")
    parser.add_argument("--models", nargs="+", required=True, help="run folders or model files")
    parser.add_argument("--name", default="real_photos_models", help="results file: benchmarks/results/NAME.json")
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    if not (folder / "truth.json").is_file():
        print(f"Error: {folder}: no truth.json there", file=sys.stderr)
        return 1

    from mnist_cnn.errors import MnistCnnError
    from mnist_cnn.reading.commands import load_model

    try:  # every model is loaded before any is read: a wrong path fails at once
        models = [load_model(model, None, None) for model in args.models]
    except MnistCnnError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    rows = []
    for classifier, path in models:
        result = run(classifier, folder)
        row = {"model": str(path), "framework": getattr(classifier, "framework", "model"),
               "mnist_test_accuracy": mnist_accuracy(path), **{key: result[key] for key in SUMMARY}}
        rows.append(row)
        mnist = f"{100 * row['mnist_test_accuracy']:.2f}%" if row["mnist_test_accuracy"] is not None else "?"
        print(f"{row['digits_right']}/{result['digits']} digits ({100 * row['per_digit_accuracy']:.1f}%), "
              f"{row['numbers_exact']}/{result['images']} exact, {row['missed_digits']}/{row['extra_digits']}/"
              f"{row['wrong_digits']} missed/extra/wrong, MNIST {mnist}: {path}")
    right = np.array([row["digits_right"] for row in rows])
    exact = np.array([row["numbers_exact"] for row in rows])
    spread = {"digits_right": [int(right.min()), float(right.mean()), int(right.max())],
              "numbers_exact": [int(exact.min()), float(exact.mean()), int(exact.max())]}
    print(f"digits right: least {spread['digits_right'][0]}, mean {spread['digits_right'][1]:.1f}, "
          f"most {spread['digits_right'][2]}; numbers exact: {spread['numbers_exact'][0]} to {spread['numbers_exact'][2]}")
    out = write_result(args.name, {"folder": str(folder), "models": rows, "spread": spread,
                                   "command": "python -m benchmarks.real_photos_models "
                                              + " ".join(sys.argv[1:] if argv is None else argv)})
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
