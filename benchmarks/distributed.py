"""One process against two (and a GPU where there is one), both frameworks, through the real CLI.

    python -m benchmarks.distributed                       # fast, 1 epoch: 1 vs 2 processes
    python -m benchmarks.distributed --epochs 2 --repeat 2
    python -m benchmarks.distributed --gpu-recipes fast accurate   # on a machine with a GPU

Writes benchmarks/results/distributed.json and prints a Markdown table. Every row is one
`mnist-cnn train` command, run alone: "train s" is the synchronised training loop as the
run records it (metrics.json), "wall s" the whole command (start-up of every process,
data loading, the test set, writing the run). The load average at the start says how busy
the machine was: on a shared 2-core machine two processes have little to gain.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import write_result


# One process with every core, one process with one core (what each of two processes gets
# here), and two processes: the middle row separates "two processes" from "fewer threads each".
VARIANTS = [("1 process", 1, {}),
            ("1 process, 1 thread", 1, {"OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1"}),
            ("2 processes", 2, {})]


def train_once(framework: str, recipe: str, epochs: int, extra: list[str], env: dict | None = None) -> dict:
    with tempfile.TemporaryDirectory() as runs:
        cmd = [sys.executable, "-m", "mnist_cnn", "train", "--framework", framework, "--recipe", recipe,
               "--epochs", str(epochs), *extra, "--runs-dir", runs]
        start = time.perf_counter()
        load = list(os.getloadavg())
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, env={**os.environ, **(env or {})})
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
        run = next(p for p in Path(runs).iterdir() if not p.name.startswith("."))
        summary = json.loads((run / "metrics.json").read_text())
        runtime = json.loads((run / "config.json").read_text()).get("runtime", {})
    return {"framework": framework, "recipe": recipe, "epochs": epochs,
            "command": " ".join(["mnist-cnn", *cmd[3:-2]]), "processes": runtime.get("processes", 1),
            "device": runtime.get("device", "cpu"), "device_name": runtime.get("device_name", ""),
            "precision": runtime.get("precision", "fp32"), "engine": runtime.get("engine", ""),
            "test_accuracy": summary["test_accuracy"], "train_seconds": summary["train_seconds"],
            "wall_seconds": wall, "environment": env or {}, "load_average_at_start": load}


def gpus() -> dict:
    """What each framework sees, asked in a child process so this one stays light."""
    code = ("import json, torch; print(json.dumps(torch.cuda.device_count() if torch.cuda.is_available() else 0))",
            "import json, keras_impl, tensorflow as tf; print(json.dumps(len(tf.config.list_physical_devices('GPU'))))")
    seen = {}
    for framework, snippet in zip(("torch", "keras"), code):
        out = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True)
        seen[framework] = int(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else 0
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frameworks", nargs="+", default=["torch", "keras"])
    parser.add_argument("--recipe", default="fast")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each command (they take turns)")
    parser.add_argument("--gpu-recipes", nargs="*", default=["fast", "accurate"],
                        help="recipes to run with --device cuda where a GPU is seen (full epochs)")
    parser.add_argument("--name", default="distributed")
    args = parser.parse_args()

    rows = []
    for _ in range(args.repeat):
        for framework in args.frameworks:
            for label, nproc, env in VARIANTS:
                extra = ["--nproc", str(nproc)] if nproc > 1 else []
                row = {"variant": label, **train_once(framework, args.recipe, args.epochs, extra, env)}
                rows.append(row)
                print(f"{framework:6} {label:20} {100 * row['test_accuracy']:.2f}%  "
                      f"train {row['train_seconds']:.1f} s  wall {row['wall_seconds']:.1f} s  "
                      f"(load {row['load_average_at_start'][0]:.1f})", flush=True)
    seen = gpus()
    gpu_rows = []
    for framework in args.frameworks:
        if not seen.get(framework):
            continue
        for recipe in args.gpu_recipes:
            from mnist_cnn.config import get_recipe

            row = {"variant": "1 GPU", **train_once(framework, recipe, get_recipe(recipe).epochs, ["--device", "cuda"])}
            gpu_rows.append(row)
            print(f"{framework:6} {recipe} on {row['device_name'] or row['device']}: "
                  f"{100 * row['test_accuracy']:.2f}%  train {row['train_seconds']:.1f} s", flush=True)
    path = write_result(args.name, {"rows": rows, "gpus_seen": seen, "gpu_rows": gpu_rows,
                                    "gpu_note": "" if gpu_rows else "no GPU seen by either framework: no GPU figures"})
    print("\n| framework | recipe | variant | device | test accuracy | train s | wall s | load at start |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows + gpu_rows:
        print(f"| {row['framework']} | {row['recipe']} | {row['variant']} | {row['device']} | "
              f"{100 * row['test_accuracy']:.2f}% | {row['train_seconds']:.1f} | {row['wall_seconds']:.1f} | "
              f"{row['load_average_at_start'][0]:.1f} |")
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
