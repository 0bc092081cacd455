"""Export every variant of a `fast` run of each framework and compare the ONNX files.

    python -m benchmarks.export_variants                      # trains two 1-epoch fast runs first
    python -m benchmarks.export_variants --torch-run RUN --keras-run RUN

Writes benchmarks/results/export_variants.json (both tables, as `mnist-cnn export --json`
prints them, and `mnist-cnn onnx-compare --json`) and prints Markdown tables. Every step runs
through the real CLI in its own process, so each framework's timings are its own; the runs'
folders get the exported files and their exports.json as usual.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from .common import write_result


def cli(*args: str) -> str:
    cmd = [sys.executable, "-m", "mnist_cnn", *args]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return done.stdout


def train(framework: str, runs: Path, epochs: int) -> Path:
    cli("train", "--framework", framework, "--recipe", "fast", "--epochs", str(epochs), "--runs-dir", str(runs))
    return max((p for p in runs.iterdir() if p.name.endswith(f"-{framework}-fast")), key=lambda p: p.name)


def markdown(table: dict) -> str:
    lines = ["| variant | runtime | file | size KiB | × smaller | test accuracy | Δ pp | agrees | ms / image | "
             "images / s |", "|---|---|---|---|---|---|---|---|---|---|"]
    float_row = table["float"]
    for row in (float_row, *table["variants"].values()):
        is_float = row is float_row
        lines.append(
            f"| {row['label']} | {row['runtime']} | {row['file']} | {row['bytes'] / 1024:.1f} | "
            f"{1.0 if is_float else row['smaller_than_float']:.2f} | {100 * row['test_accuracy']:.2f}% | "
            f"{'' if is_float else format(row['accuracy_change_pp'], '+.2f')} | "
            f"{'' if is_float else format(100 * row['agreement'], '.2f') + '%'} | {row['latency_ms']:.3f} | "
            f"{row['images_per_second']:,.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torch-run", type=Path, help="a fast PyTorch run folder (default: train one)")
    parser.add_argument("--keras-run", type=Path, help="a fast Keras run folder (default: train one)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs when training the runs (recipe default: 2)")
    parser.add_argument("--threads", default="1", help="CPU threads of every runtime (0: all)")
    parser.add_argument("--name", default="export_variants", help="result file name (benchmarks/results/NAME.json)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        runs = {"torch": args.torch_run or train("torch", Path(scratch), args.epochs),
                "keras": args.keras_run or train("keras", Path(scratch), args.epochs)}
        tables = {fw: json.loads(cli("export", str(run), "--json", "--threads", args.threads))
                  for fw, run in runs.items()}
        comparison = json.loads(cli("onnx-compare", str(runs["torch"]), str(runs["keras"]), "--json",
                                    "--threads", args.threads))
    for framework, table in tables.items():
        print(f"\n{table['run']} ({table['threads']} thread(s))\n")
        print(markdown(table))
    a, b = comparison["a"], comparison["b"]
    print(f"\nONNX Runtime, both networks: PyTorch {100 * a['test_accuracy']:.2f}% / {a['latency_ms']:.3f} ms / "
          f"{a['images_per_second']:,.0f} img/s, Keras {100 * b['test_accuracy']:.2f}% / {b['latency_ms']:.3f} ms / "
          f"{b['images_per_second']:,.0f} img/s; agree on {100 * comparison['agreement']:.2f}% "
          f"({comparison['disagreements']} differ), McNemar p = {comparison['mcnemar_p']:.3g}")
    path = write_result(args.name, {"tables": tables, "onnx_comparison": comparison,
                                    "commands": [f"mnist-cnn export RUN --threads {args.threads}",
                                                 f"mnist-cnn onnx-compare TORCH_RUN KERAS_RUN --threads {args.threads}"]})
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
