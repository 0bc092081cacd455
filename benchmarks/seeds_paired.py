"""The paired statistics of compare --seeds applied to an earlier seeds benchmark (benchmarks/seeds.py).

    python -m benchmarks.seeds_paired --recipe fast

Reads benchmarks/results/seeds_RECIPE.json (each framework trained with the same seeds by
`mnist-cnn train --seed S`) and writes seeds_RECIPE_paired.json: per framework mean ± sd and
min/max of test accuracy, loss and training seconds, and the PyTorch − Keras difference with the
paired t-test and the exact Wilcoxon signed-rank test of mnist_cnn/seed_stats.py. Nothing is
trained: it is the same analysis `compare --seeds` makes, on runs that were already measured.
"""

from __future__ import annotations

import argparse
import json

from mnist_cnn.evaluation import seed_stats

from .common import RESULTS, write_result

MEASURES = [("test_accuracy", 100.0), ("test_loss", 1.0), ("train_seconds", 1.0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="fast")
    args = parser.parse_args()
    source = json.loads((RESULTS / f"seeds_{args.recipe}.json").read_text())
    rows = {fw: sorted((r for r in source["rows"] if r["framework"] == fw), key=lambda r: r["seed"])
            for fw in ("torch", "keras")}
    if [r["seed"] for r in rows["torch"]] != [r["seed"] for r in rows["keras"]]:
        raise SystemExit("the two frameworks were not trained with the same seeds")
    summary = {fw: {key: seed_stats.spread([scale * r[key] for r in rows[fw]]) for key, scale in MEASURES}
               for fw in rows}
    differences = {}
    for key, scale in MEASURES:
        a, b = [scale * r[key] for r in rows["torch"]], [scale * r[key] for r in rows["keras"]]
        differences[key] = {"paired_t": seed_stats.paired_t(a, b), "wilcoxon": seed_stats.wilcoxon_signed_rank(a, b)}
    path = write_result(f"seeds_{args.recipe}_paired", {
        "source": f"seeds_{args.recipe}.json", "source_when": source["when"], "source_machine": source["machine"],
        "seeds": [r["seed"] for r in rows["torch"]], "per_framework": summary, "differences": differences})
    for key, _ in MEASURES:
        t, w = differences[key]["paired_t"], differences[key]["wilcoxon"]
        print(f"{key}: PyTorch {summary['torch'][key]['mean']:.4f} ± {summary['torch'][key]['sd']:.4f}, "
              f"Keras {summary['keras'][key]['mean']:.4f} ± {summary['keras'][key]['sd']:.4f}; "
              f"difference {t['mean_difference']:+.4f} ± {t['sd_difference']:.4f}, paired t p = {t['p']:.3g}, "
              f"Wilcoxon p = {w['p']:.3g}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
