"""How much a recipe's test accuracy owes to its seed: the same recipe trained with several seeds.

    python -m benchmarks.seeds --recipe fast --seeds 0 1 2

Each run is a real `mnist-cnn train --seed S` in its own process. Writes
benchmarks/results/seeds_RECIPE.json with every run and, per framework, the mean, lowest and
highest accuracy: the README's figures come from seed 0, and this says how typical it is.
"""

from __future__ import annotations

import argparse
import statistics

from .common import write_result
from .recipes import train_once


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="fast")
    parser.add_argument("--frameworks", nargs="+", default=["torch", "keras"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    rows, summary = [], {}
    for framework in args.frameworks:
        runs = []
        for seed in args.seeds:
            row = {"seed": seed, **train_once(args.recipe, framework, ["--seed", str(seed)])}
            runs.append(row)
            print(f"{args.recipe} {framework:6} seed {seed}: {100 * row['test_accuracy']:.2f}% "
                  f"in {row['train_seconds']:.1f} s", flush=True)
        accuracies = [r["test_accuracy"] for r in runs]
        summary[framework] = {"mean_accuracy": statistics.mean(accuracies), "lowest_accuracy": min(accuracies),
                              "highest_accuracy": max(accuracies),
                              "median_train_seconds": statistics.median(r["train_seconds"] for r in runs)}
        print(f"{framework}: mean {100 * summary[framework]['mean_accuracy']:.2f}% "
              f"({100 * min(accuracies):.2f}-{100 * max(accuracies):.2f}%)", flush=True)
        rows.extend(runs)
    path = write_result(f"seeds_{args.recipe}", {"recipe": args.recipe, "seeds": args.seeds, "rows": rows,
                                                 "summary": summary})
    print(f"written to {path}")


if __name__ == "__main__":
    main()
