"""Train recipes with both frameworks exactly as `mnist-cnn train` does; record accuracy and seconds.

    python -m benchmarks.recipes --recipes fast kids lab7 --frameworks torch keras

Writes benchmarks/results/recipes.json and prints a Markdown table. Each (recipe, framework)
runs in its own process (through the real CLI), so peak memory is that framework's alone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from .common import write_result


def train_once(recipe: str, framework: str, extra: list[str], env: dict[str, str] | None = None,
               keep: str | None = None) -> dict:
    """One `mnist-cnn train` in its own process; `env`: its whole environment (default: this one's).
    With `keep` (a folder), the run folder is kept there (to measure the model further)."""
    with tempfile.TemporaryDirectory() as runs:
        cmd = [sys.executable, "-m", "mnist_cnn", "train", "--framework", framework, "--recipe", recipe,
               "--runs-dir", runs, *extra]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
        run = next(p for p in Path(runs).iterdir() if not p.name.startswith("."))
        summary = json.loads((run / "metrics.json").read_text())
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            kept = Path(keep) / run.name
            shutil.copytree(run, kept)
            summary["run"] = str(kept)
    summary.pop("test", None)
    return {"recipe": recipe, "framework": framework, "command": " ".join(["mnist-cnn", *cmd[3:-2]]), **summary}


def median_run(runs: list[dict]) -> dict:
    """One row for repeated runs: the seed fixes the accuracy, the seconds are their median."""
    row = dict(runs[0])
    for key in ("train_seconds", "train_images_per_second", "peak_memory_mb"):
        if all(key in r for r in runs):
            row[key] = statistics.median(r[key] for r in runs)
            row[f"{key}_runs"] = [r[key] for r in runs]
    row["test_accuracy_runs"] = [r["test_accuracy"] for r in runs]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=["fast", "kids", "lab7"])
    parser.add_argument("--frameworks", nargs="+", default=["torch", "keras"])
    parser.add_argument("--name", default="recipes", help="result file name (benchmarks/results/NAME.json)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per (recipe, framework); seconds are their median (this machine is noisy)")
    parser.add_argument("--keep", default=None, help="keep the run folders in this folder")
    parser.add_argument("extra", nargs="*", help="more options for mnist-cnn train (after --)")
    args = parser.parse_args()
    rows = []
    for recipe in args.recipes:
        for framework in args.frameworks:
            runs = [train_once(recipe, framework, args.extra, keep=args.keep) for _ in range(max(1, args.repeat))]
            row = median_run(runs)
            rows.append(row)
            print(f"{recipe:9} {framework:6} {100 * row['test_accuracy']:.2f}%  {row['train_seconds']:.1f} s",
                  flush=True)
    path = write_result(args.name, {"rows": rows})
    print("\n| recipe | framework | test accuracy | training s | images/s | peak memory MB |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['recipe']} | {row['framework']} | {100 * row['test_accuracy']:.2f}% | "
              f"{row['train_seconds']:.1f} | {row['train_images_per_second']:,.0f} | {row['peak_memory_mb']:.0f} |")
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
