"""Time to 99.0% test accuracy, PyTorch: the `fast` recipe in one shorter one-cycle pass.

    python -m benchmarks.sprint                       # train limits 57000 45000 36000 30000
    python -m benchmarks.sprint --limits 36000 --repeat 3

One-cycle training cannot be stopped half-way with a good model (the rate is still high), so
"time to 99%" is found by giving the whole cycle fewer images: each row is one complete
`fast --epochs 1 --train-limit N` run, scored on the test set after it. Writes
benchmarks/results/sprint.json; the seconds are training only (medians with --repeat).
"""

from __future__ import annotations

import argparse

from mnist_cnn.config import get_recipe
from mnist_cnn.data.mnist import load_mnist
from mnist_cnn.evaluation.predict import evaluate_classifier
from mnist_cnn.training.loop import train_model

from .common import write_result
from .recipes import median_run

TARGET = 0.99


def sprint(mnist, limit: int, seed: int = 0) -> dict:
    config = get_recipe("fast").with_overrides(epochs=1, train_limit=limit, seed=seed)
    trained = train_model(config, "torch", mnist)
    accuracy = evaluate_classifier(trained.classifier, mnist.test_images, mnist.test_labels).accuracy
    return {"train_limit": limit, "test_accuracy": accuracy, "train_seconds": trained.train_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--limits", type=int, nargs="+", default=[57000, 45000, 36000, 30000])
    parser.add_argument("--repeat", type=int, default=1, help="runs per limit; seconds are their median")
    args = parser.parse_args()
    mnist = load_mnist(args.data_dir)
    rows = []
    for limit in args.limits:
        runs = [sprint(mnist, limit) for _ in range(max(1, args.repeat))]
        row = median_run(runs)
        rows.append(row)
        print(f"fast --epochs 1 --train-limit {limit}: {100 * row['test_accuracy']:.2f}% "
              f"in {row['train_seconds']:.1f} s", flush=True)
    reached = [r for r in rows if r["test_accuracy"] >= TARGET]
    best = min(reached, key=lambda r: r["train_seconds"]) if reached else None
    path = write_result("sprint", {"target": TARGET, "rows": rows, "fastest_to_target": best})
    if best:
        print(f"fastest to {100 * TARGET:.1f}%: {best['train_seconds']:.1f} s "
              f"(--train-limit {best['train_limit']}, {100 * best['test_accuracy']:.2f}%)")
    else:
        print(f"no setting reached {100 * TARGET:.1f}%")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
