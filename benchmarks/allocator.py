"""What mnist_cnn/training/allocator.py buys: the `fast` recipe with glibc's malloc tuned, and with its defaults.

    python -m benchmarks.allocator --repeat 3

Runs alternate (tuned, default, tuned, ...) so that both see the same drift of this shared
machine; each is a real `mnist-cnn train` in its own process. Writes
benchmarks/results/allocator.json: per setting the median training seconds, the accuracy
(identical: only where memory comes from changes) and the page faults of the whole process.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics

from mnist_cnn.training.allocator import OPT_OUT_VARIABLE

from .common import write_result
from .recipes import median_run, train_once

# the environment of each setting's runs: tuned is the default, glibc's defaults are the opt-out
SETTINGS = {
    "tuned": {k: v for k, v in os.environ.items() if k != OPT_OUT_VARIABLE},
    "glibc defaults": {**os.environ, OPT_OUT_VARIABLE: "1"},
}


def run_with(setting: str, framework: str, recipe: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt
    row = train_once(recipe, framework, [], env=SETTINGS[setting])
    row["page_faults"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt - before
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="fast")
    parser.add_argument("--frameworks", nargs="+", default=["torch"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows, ratios = [], {}
    for framework in args.frameworks:
        runs: dict[str, list[dict]] = {setting: [] for setting in SETTINGS}
        for _ in range(max(1, args.repeat)):
            for setting in SETTINGS:
                runs[setting].append(run_with(setting, framework, args.recipe))
        medians = {}
        for setting, done in runs.items():
            row = medians[setting] = median_run(done)
            row["allocator"] = setting
            row["page_faults"] = statistics.median(r["page_faults"] for r in done)
            rows.append(row)
            print(f"{framework:6} {setting:15} {100 * row['test_accuracy']:.2f}%  "
                  f"{row['train_seconds']:.1f} s  {row['page_faults']:,.0f} page faults", flush=True)
        ratios[framework] = medians["tuned"]["train_seconds"] / medians["glibc defaults"]["train_seconds"]
        print(f"{framework}: tuned takes {ratios[framework]:.2f}x the time of glibc's defaults")
    path = write_result("allocator", {"recipe": args.recipe, "rows": rows, "time_ratio_tuned_to_default": ratios})
    print(f"written to {path}")


if __name__ == "__main__":
    main()
