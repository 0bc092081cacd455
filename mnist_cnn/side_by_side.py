"""`mnist-cnn compare`: train one recipe in both frameworks (or take two runs) and set them side by side.

Each framework trains in a fresh Python process of its own, one after the other, so that
neither's memory (PyTorch and TensorFlow each hold hundreds of MB) counts in the other's
peak and they do not share the CPU. Linux hands a parent's peak memory on to a child
across exec, so this process starts the children before it loads any data or framework.
The core already gives both frameworks the same split, batch order, learning rates and
initial weights; the children are given the same config, resolved once here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional, Sequence

from rich.console import Console
from rich.table import Table

from .backends import display_name
from .config import TrainConfig, get_recipe
from .data.loading import load_data
from .errors import MnistCnnError
from .reports import comparison
from .runs import new_run, runs_root


class CompareError(MnistCnnError):
    """Training in a child process failed; the child has already printed why."""


# A training child is `mnist-cnn train` in all but its command line: the front door owns the
# one-line errors, so the child's entry point lives beside the command (cli/compare_cmd.py).
CHILD_ENTRY = "from mnist_cnn.cli.compare_cmd import child_main; child_main()"


def train_in_child(framework: str, config: TrainConfig, data_dir: Optional[str], root: Path,
                   console: Console, tensorboard: bool = False) -> Path:
    console.rule(f"[bold]{display_name(framework)}[/] (a process of its own)")
    with tempfile.TemporaryDirectory(prefix="mnist-cnn-compare-") as scratch:
        result_file = Path(scratch) / "run.txt"
        args = {"framework": framework, "config": config.to_dict(), "data_dir": data_dir,
                "runs_dir": str(root), "tensorboard": tensorboard}
        # The child's output goes straight to this terminal: its live progress shows as usual.
        code = subprocess.call([sys.executable, "-c", CHILD_ENTRY, str(result_file), json.dumps(args)])
        if code == 130:
            raise KeyboardInterrupt
        if code != 0 or not result_file.is_file():
            raise CompareError(f"training with {display_name(framework)} failed (exit code {code}); "
                               f"its message is above")
        return Path(result_file.read_text())


def train_both(recipe: str, overrides: dict, data_dir: Optional[str], root: Path, console: Console,
               tensorboard: bool = False) -> list[Path]:
    config = get_recipe(recipe).with_overrides(**overrides)  # bad values fail here, before any training
    return [train_in_child(framework, config, data_dir, root, console, tensorboard) for framework in ("torch", "keras")]


def result_table(result: dict) -> Table:
    a, b = result["models"]
    table = Table(title=result["title"], show_edge=False)
    table.add_column("")
    table.add_column(a["label"], justify="right")
    table.add_column(b["label"], justify="right")
    for key, label, decimals in comparison.ROWS:
        table.add_row(label, comparison.format_cell(a[key], decimals), comparison.format_cell(b[key], decimals))
    table.add_section()
    for label, count in comparison.agreement_rows(result):
        table.add_row(label, f"{count:,}", "", style="dim" if label == "test images" else None)
    return table


def compare(console: Console, recipe: str, overrides: dict, runs: Optional[Sequence[str]] = None,
            out: Optional[str] = None, data_dir: Optional[str] = None, runs_dir: Optional[str] = None,
            tensorboard: bool = False) -> Path:
    """Train both frameworks (or take `runs`), compare, write the comparison folder; return it."""
    root = runs_root(runs_dir)
    trained_here = not runs
    if trained_here:
        runs = [str(path) for path in train_both(recipe, overrides, data_dir, root, console, tensorboard)]
        console.rule("[bold]Comparison[/]")
    data = load_data(data_dir, console)
    console.print("Evaluating both models on the 10,000 test images and timing their inference…")
    a, b = (comparison.load_compared(run, root) for run in runs)
    result = comparison.compare_models(a, b, data, trained_here=trained_here)
    name = a.summary["recipe"] if a.summary["recipe"] == b.summary["recipe"] else \
        f"{a.summary['recipe']}-vs-{b.summary['recipe']}"
    if out is not None:
        folder = Path(out).expanduser()
        comparison.write_comparison(result, a, b, folder)
    else:
        # Assembled in a hidden folder and renamed when complete, like a run.
        with new_run(root, "compare", name) as staging:
            comparison.write_comparison(result, a, b, staging)
            folder = comparison.publish_compare_folder(staging, root, name)
    console.print(result_table(result))
    console.print(f"McNemar's exact test: {comparison.verdict(result)}")
    console.print(f"Comparison written to [bold]{folder}[/]: compare.md, compare.json, "
                  f"{', '.join(result['figures'])}")
    return folder
