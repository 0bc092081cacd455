"""What the reading's own drawing of a digit costs the model, measured on MNIST's test digits.

    python -m benchmarks.redraw_cost --model RUN [--digits 10000]

A digit found in a photo reaches the model redrawn: binarised, fitted into 20x20 and centred
by its mass in 28x28 (reading.digits.to_mnist), and drawn with several pens (strokes.PENS),
the answers averaged. Here each MNIST test digit is enlarged 4x and cut at half grey (as a
photo's ink is binarised), then drawn back that way; its reading is set against the reading of
the digit as MNIST gives it. A large cost would mean the redrawing, not the writing, loses
digits on the real photos. Writes benchmarks/results/redraw_cost-FRAMEWORK.json (or NAME.json).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from .common import write_result

# MNIST's digits are enlarged this much before the cut at half grey (strokes.py measured
# MNIST's pen the same way).
ENLARGE = 4


def binarised(image28: np.ndarray) -> np.ndarray:
    """An MNIST digit as a photo's digit reaches reading.digits: enlarged, cut at half grey,
    cropped to its ink, and no larger than digits.WORK_SIZE."""
    import cv2

    from mnist_cnn.reading.digits import WORK_SIZE

    side = image28.shape[0] * ENLARGE
    big = cv2.resize(image28.astype(np.float32), (side, side), interpolation=cv2.INTER_CUBIC)
    binary = (big >= 127.5).astype(np.uint8)
    ys, xs = np.nonzero(binary)
    if len(xs) == 0:
        return binary
    binary = binary[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    factor = WORK_SIZE / max(binary.shape)
    if factor < 1:
        size = (max(1, round(binary.shape[1] * factor)), max(1, round(binary.shape[0] * factor)))
        binary = (cv2.resize(binary.astype(np.float32), size, interpolation=cv2.INTER_AREA) >= 0.5).astype(np.uint8)
    return binary


def run(classifier, images: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy on `images` as given, redrawn with each pen, and redrawn with all pens averaged."""
    from mnist_cnn.reading.digits import mnist_views
    from mnist_cnn.reading.strokes import PENS

    labels = np.asarray(labels)
    direct = np.asarray(classifier.predict_proba(images)).argmax(axis=1)
    views = np.stack([view for image in images for view in mnist_views(binarised(image), PENS)])
    # One model call for every view: (digit, pen, class); averaged over the pens as the reading does.
    probabilities = np.asarray(classifier.predict_proba(views)).reshape(len(images), len(PENS), -1)
    averaged = probabilities.mean(axis=1).argmax(axis=1)
    per_pen = {f"{pen:.4f}": float(np.mean(probabilities[:, k].argmax(axis=1) == labels))
               for k, pen in enumerate(PENS)}
    return {"digits": int(len(labels)), "as_given": float(np.mean(direct == labels)),
            "redrawn_all_pens": float(np.mean(averaged == labels)), "redrawn_each_pen": per_pen,
            "cost_points": 100 * float(np.mean(direct == labels) - np.mean(averaged == labels))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="latest", help="latest, a run folder or a model file")
    parser.add_argument("--framework", default=None, help="torch or keras (with --model latest)")
    parser.add_argument("--runs-dir", default=None)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--digits", type=int, default=10000, help="the first N test digits")
    parser.add_argument("--name", default=None, help="results file: benchmarks/results/NAME.json")
    args = parser.parse_args(argv)
    if args.digits < 1:
        print(f"Error: --digits {args.digits}: give at least 1", file=sys.stderr)
        return 1

    from mnist_cnn.data.mnist import load_mnist
    from mnist_cnn.errors import MnistCnnError
    from mnist_cnn.reading.commands import load_model

    try:
        classifier, path = load_model(args.model, args.framework, args.runs_dir)
    except MnistCnnError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    mnist = load_mnist(args.data_dir, download=False)
    result = run(classifier, mnist.test_images[:args.digits], mnist.test_labels[:args.digits])
    framework = getattr(classifier, "framework", "model")
    result.update(model=str(path), framework=framework,
                  command="python -m benchmarks.redraw_cost " + " ".join(sys.argv[1:] if argv is None else argv))
    print(f"{result['digits']} MNIST test digits, model {path}")
    print(f"as given {100 * result['as_given']:.2f}%, redrawn as the reading draws them "
          f"{100 * result['redrawn_all_pens']:.2f}% (cost {result['cost_points']:.2f} points)")
    for pen, accuracy in result["redrawn_each_pen"].items():
        print(f"  pen {pen} of the digit's size: {100 * accuracy:.2f}%")
    out = write_result(args.name or f"redraw_cost-{framework}", result)
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
