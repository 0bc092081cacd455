"""`mnist-cnn compare --seeds N`: both frameworks trained with the same N seeds, compared with their spread.

One seed per framework says little: identical runs differ by tenths of a point overall and by
more per class. So each framework trains once per seed (seeds S, S+1, ..., the same for
both, taking turns so that a change in the machine's load falls on both alike), each run a
real run folder under `<compare folder>/runs/` (`report` works on each). The comparison
gives per framework the mean ± sd, min and max of test accuracy, loss, training time and
per-class recall; the framework difference next to the seed-to-seed spread, with paired
tests across seeds (seed_stats.py); per-class differences; compare.md, compare.json, a
figure of every seed's accuracy (seeds.png) and the training curves as mean and band
(curves.png).

The test figures are each run's metrics.json, written by the process that trained it with
the same evaluation `evaluate` uses: no model is loaded again here.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from rich.console import Console
from rich.table import Table

from .reports import figures

from .evaluation import seed_stats
from .backends import FRAMEWORKS, display_name
from .config import get_recipe
from .runs import atomic_write_text, new_run, read_csv, runs_root, write_json
from .reports.step_history import read_steps

RUNS_FOLDER = "runs"
SEEDS_FIGURE = "seeds.png"
CURVES_FIGURE = "curves.png"
# (key, label, scale, decimals): the figures summarised per framework
MEASURES = [("test_accuracy", "test accuracy (%)", 100.0, 2),
            ("test_loss", "test loss", 1.0, 4),
            ("train_seconds", "training time (s)", 1.0, 1)]


def seeds_for(recipe: str, overrides: dict, count: int) -> list[int]:
    first = overrides.get("seed")
    first = get_recipe(recipe).seed if first is None else first
    return [first + n for n in range(count)]


def run_figures(run_dir: Path) -> dict:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    config = json.loads((run_dir / "config.json").read_text())
    return {"seed": config.get("seed"), "test_accuracy": metrics["test_accuracy"], "test_loss": metrics["test_loss"],
            "train_seconds": metrics["train_seconds"], "recall": metrics["test"]["per_class"]["recall"],
            "epochs": metrics["epochs"], "recipe": metrics["recipe"]}


def summarise(pairs: Sequence[tuple[Path, Path]], folder: Path) -> dict:
    """compare.json of a multi-seed comparison from (PyTorch run, Keras run) pairs of equal seed."""
    rows = {fw: [run_figures(pair[i]) for pair in pairs] for i, fw in enumerate(FRAMEWORKS)}
    for i, fw in enumerate(FRAMEWORKS):
        for row, pair in zip(rows[fw], pairs):
            row["run"] = os.path.relpath(pair[i], folder)  # relative: the folder is renamed when complete
    seeds = [row["seed"] for row in rows["torch"]]
    if seeds != [row["seed"] for row in rows["keras"]]:
        raise ValueError("the runs of the two frameworks do not pair up by seed")
    per_framework = {}
    for fw in FRAMEWORKS:
        recall = np.array([row["recall"] for row in rows[fw]])
        per_framework[fw] = {
            "label": display_name(fw),
            **{key: seed_stats.spread([scale * row[key] for row in rows[fw]]) for key, _, scale, _ in MEASURES},
            "recall_percent": [seed_stats.spread(100 * recall[:, digit]) for digit in range(recall.shape[1])],
        }
    differences = {}
    for key, _, scale, _ in MEASURES:
        a = [scale * row[key] for row in rows["torch"]]
        b = [scale * row[key] for row in rows["keras"]]
        differences[key] = {"paired_t": seed_stats.paired_t(a, b), "wilcoxon": seed_stats.wilcoxon_signed_rank(a, b)}
    per_class = []
    for digit in range(10):
        a = [100 * row["recall"][digit] for row in rows["torch"]]
        b = [100 * row["recall"][digit] for row in rows["keras"]]
        test = seed_stats.paired_t(a, b)
        per_class.append({"digit": digit, "torch_mean": float(np.mean(a)), "keras_mean": float(np.mean(b)),
                          "mean_difference": test["mean_difference"], "sd_difference": test["sd_difference"],
                          "p": test["p"]})
    first = rows["torch"][0]
    return {
        "title": f"PyTorch vs TensorFlow/Keras, recipe {first['recipe']}, {len(seeds)} seeds",
        "recipe": first["recipe"], "epochs": first["epochs"], "seeds": seeds,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "runs": rows, "frameworks": per_framework, "differences": differences, "per_class": per_class,
        "figures": [SEEDS_FIGURE, CURVES_FIGURE],
    }


def _pm(spread: dict, decimals: int) -> str:
    return f"{spread['mean']:.{decimals}f} ± {spread['sd']:.{decimals}f}"


def _range(spread: dict, decimals: int) -> str:
    return f"{spread['min']:.{decimals}f} – {spread['max']:.{decimals}f}"


def _p(p: float) -> str:
    return "n/a" if p != p else f"{p:.3g}"


def difference_sentence(result: dict) -> str:
    """The accuracy difference, its spread and the paired tests, in words."""
    diff = result["differences"]["test_accuracy"]
    t, w = diff["paired_t"], diff["wilcoxon"]
    sd = {fw: result["frameworks"][fw]["test_accuracy"]["sd"] for fw in FRAMEWORKS}
    text = (f"PyTorch − Keras test accuracy over {t['n']} seeds: {t['mean_difference']:+.3f} points "
            f"(sd of the per-seed differences {t['sd_difference']:.3f}); seed-to-seed sd within a framework: "
            f"PyTorch {sd['torch']:.3f}, Keras {sd['keras']:.3f}. Paired t-test: t = {t['t']:.2f}, "
            f"df = {t['df']}, p = {_p(t['p'])}; Wilcoxon signed-rank (exact): p = {_p(w['p'])}")
    if "smallest_possible_p" in w:
        text += f" (the smallest p {w['n_nonzero']} non-zero pairs allow is {w['smallest_possible_p']:.3g})"
    if t["p"] == t["p"] and t["p"] < 0.05:
        better = "PyTorch" if t["mean_difference"] > 0 else "Keras"
        return text + f". The difference is larger than the seeds explain: {better} is more accurate here."
    return text + ". The difference is within what the seeds alone produce: no framework is shown more accurate."


def to_markdown(result: dict) -> str:
    fws = result["frameworks"]
    lines = [f"# {result['title']}", "",
             f"Each framework trained recipe `{result['recipe']}` ({result['epochs']} epoch(s)) once per seed "
             f"{', '.join(str(s) for s in result['seeds'])}, the same seeds for both (same split, batch order, "
             "initial weights), taking turns, each run in a process of its own. The runs are in `runs/`.", "",
             "| | PyTorch mean ± sd | PyTorch min – max | Keras mean ± sd | Keras min – max | "
             "PyTorch − Keras (mean ± sd over seeds) | paired t p | Wilcoxon p |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for key, label, _, decimals in MEASURES:
        t, w = result["differences"][key]["paired_t"], result["differences"][key]["wilcoxon"]
        lines.append(f"| {label} | {_pm(fws['torch'][key], decimals)} | {_range(fws['torch'][key], decimals)} | "
                     f"{_pm(fws['keras'][key], decimals)} | {_range(fws['keras'][key], decimals)} | "
                     f"{t['mean_difference']:+.{decimals}f} ± {t['sd_difference']:.{decimals}f} | {_p(t['p'])} | "
                     f"{_p(w['p'])} |")
    lines += ["", difference_sentence(result), "",
              "## Every seed", "", "| seed | PyTorch accuracy (%) | Keras accuracy (%) | difference | "
              "PyTorch time (s) | Keras time (s) |", "|---:|---:|---:|---:|---:|---:|"]
    for a, b in zip(result["runs"]["torch"], result["runs"]["keras"]):
        lines.append(f"| {a['seed']} | {100 * a['test_accuracy']:.2f} | {100 * b['test_accuracy']:.2f} | "
                     f"{100 * (a['test_accuracy'] - b['test_accuracy']):+.2f} | {a['train_seconds']:.1f} | "
                     f"{b['train_seconds']:.1f} |")
    lines += ["", "## Recall per digit (%)", "",
              "| digit | PyTorch mean ± sd | Keras mean ± sd | PyTorch − Keras (mean ± sd) | paired t p |",
              "|---:|---:|---:|---:|---:|"]
    for row in result["per_class"]:
        d = row["digit"]
        lines.append(f"| {d} | {_pm(fws['torch']['recall_percent'][d], 2)} | {_pm(fws['keras']['recall_percent'][d], 2)}"
                     f" | {row['mean_difference']:+.2f} ± {row['sd_difference']:.2f} | {_p(row['p'])} |")
    lines += ["", "Ten digits tested at once: about one p below 0.05 is expected by chance alone.", "",
              "## Figures", "", f"![Every seed's test accuracy]({SEEDS_FIGURE})", "",
              f"![Training curves, mean and band of ± 1 sd over the seeds]({CURVES_FIGURE})", "",
              "Training time depends on what else the machine was doing; the runs' config.json record the "
              "machine (CPU model, vector extensions, threads, library versions).", ""]
    return "\n".join(lines)


def seeds_figure(result: dict, path: Path) -> Path:
    """Every seed's test accuracy for both frameworks, pairs joined, with each framework's mean ± sd."""
    figure = figures.new_figure(8, 4.5)
    axes = figure.subplots()
    seeds = result["seeds"]
    accuracy = {fw: [100 * row["test_accuracy"] for row in result["runs"][fw]] for fw in FRAMEWORKS}
    for x, a, b in zip(seeds, accuracy["torch"], accuracy["keras"]):
        axes.plot([x, x], [a, b], color="#999999", linewidth=1, zorder=1)
    for fw, colour, offset in zip(FRAMEWORKS, figures.MODEL_COLOURS, (-0.06, 0.06)):
        spread = result["frameworks"][fw]["test_accuracy"]
        axes.axhspan(spread["mean"] - spread["sd"], spread["mean"] + spread["sd"], color=colour, alpha=0.12)
        axes.axhline(spread["mean"], color=colour, linewidth=1, linestyle="--")
        axes.scatter(np.array(seeds) + offset, accuracy[fw], color=colour, zorder=2,
                     label=f"{display_name(fw)}: {spread['mean']:.2f} ± {spread['sd']:.2f}%")
    axes.set_xticks(seeds)
    axes.set_xlabel("seed")
    axes.set_ylabel("test accuracy (%)")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small")
    axes.set_title(f"Test accuracy of every seed, recipe {result['recipe']} (band: mean ± sd)")
    return figures.save_png(figure, path)


def _band(axes, x: np.ndarray, values: np.ndarray, colour: str, label: str, style: str = "-") -> None:
    mean, sd = values.mean(axis=0), values.std(axis=0, ddof=1) if len(values) > 1 else np.zeros(values.shape[1])
    # markers on the per-epoch points, so a 1-epoch run still shows its single point
    axes.plot(x, mean, style, color=colour, label=label, marker="o" if style == "--" else None)
    axes.fill_between(x, mean - sd, mean + sd, color=colour, alpha=0.2, linewidth=0)


def curves_figure(runs: dict[str, list[Path]], path: Path, recipe: str) -> Path:
    """Training loss (within the epoch where recorded) and validation accuracy per epoch (training
    accuracy when the recipe holds out no validation images): mean line and ± sd band over seeds."""
    figure = figures.new_figure(11, 4.5)
    axes_loss, axes_acc = figure.subplots(1, 2)
    for fw, colour in zip(FRAMEWORKS, figures.MODEL_COLOURS):
        histories = [read_csv(run / "history.csv") for run in runs[fw]]
        steps = [read_steps(run) for run in runs[fw]]
        name = display_name(fw)
        if all(steps) and len({len(s) for s in steps}) == 1:
            x = figures.history_column(steps[0], "epoch")
            _band(axes_loss, x, np.array([figures.history_column(s, "train_loss") for s in steps]), colour,
                  f"{name} training")
        else:
            x = figures.history_column(histories[0], "epoch")
            _band(axes_loss, x, np.array([figures.history_column(h, "train_loss") for h in histories]), colour,
                  f"{name} training")
        epochs = figures.history_column(histories[0], "epoch")
        val = np.array([figures.history_column(h, "val_accuracy") for h in histories])
        if not np.all(np.isnan(val)):
            val_loss = np.array([figures.history_column(h, "val_loss") for h in histories])
            _band(axes_loss, epochs, val_loss, colour, f"{name} validation", "--")
            _band(axes_acc, epochs, 100 * val, colour, f"{name} validation", "--")
            axes_acc.set_title("Validation accuracy after each epoch")
        elif all(steps):
            _band(axes_acc, figures.history_column(steps[0], "epoch"),
                  100 * np.array([figures.history_column(s, "train_accuracy") for s in steps]), colour,
                  f"{name} training")
            axes_acc.set_title("Training accuracy (no validation images in this recipe)")
    for axes, ylabel in ((axes_loss, "loss (cross-entropy)"), (axes_acc, "accuracy (%)")):
        axes.set_xlabel("epoch")
        axes.set_ylabel(ylabel)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize="small")
    axes_loss.set_title("Loss")
    figure.suptitle(f"Training curves over {len(runs['torch'])} seeds, recipe {recipe}: mean and ± 1 sd band")
    return figures.save_png(figure, path)


def result_table(result: dict) -> Table:
    table = Table(title=result["title"], show_edge=False)
    for heading in ("", "PyTorch mean ± sd", "Keras mean ± sd", "PyTorch − Keras", "paired t p"):
        table.add_column(heading, justify="right" if heading else "left")
    for key, label, _, decimals in MEASURES:
        t = result["differences"][key]["paired_t"]
        table.add_row(label, _pm(result["frameworks"]["torch"][key], decimals),
                      _pm(result["frameworks"]["keras"][key], decimals),
                      f"{t['mean_difference']:+.{decimals}f} ± {t['sd_difference']:.{decimals}f}", _p(t["p"]))
    return table


def write_seed_comparison(result: dict, folder: Path) -> None:
    runs = {fw: [folder / row["run"] for row in result["runs"][fw]] for fw in FRAMEWORKS}
    seeds_figure(result, folder / SEEDS_FIGURE)
    curves_figure(runs, folder / CURVES_FIGURE, result["recipe"])
    write_json(folder / "compare.json", result)
    atomic_write_text(folder / "compare.md", to_markdown(result))


def compare_seeds(console: Console, recipe: str, overrides: dict, count: int, out: Optional[str] = None,
                  data_dir: Optional[str] = None, runs_dir: Optional[str] = None,
                  tensorboard: bool = False) -> Path:
    """Train both frameworks with `count` seeds, write the comparison folder (runs inside); return it."""
    from .reports import comparison
    from .side_by_side import train_in_child

    root = runs_root(runs_dir)
    seeds = seeds_for(recipe, overrides, count)
    config = get_recipe(recipe).with_overrides(**overrides)  # bad values fail before any training
    started = time.perf_counter()

    def train_all(folder: Path) -> list[tuple[Path, Path]]:
        pairs = []
        for n, seed in enumerate(seeds, start=1):
            console.print(f"[bold]Seed {seed}[/] ({n} of {len(seeds)})")
            seeded = config.with_overrides(seed=seed)
            pair = tuple(train_in_child(fw, seeded, data_dir, folder / RUNS_FOLDER, console,
                                        tensorboard=tensorboard) for fw in FRAMEWORKS)
            pairs.append(pair)
        return pairs

    if out is not None:
        folder = Path(out).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        result = summarise(train_all(folder), folder)
        result["wall_seconds"] = time.perf_counter() - started
        write_seed_comparison(result, folder)
    else:
        # assembled in a hidden folder, renamed when complete, like a run
        with new_run(root, "compare", recipe) as staging:
            result = summarise(train_all(staging), staging)
            result["wall_seconds"] = time.perf_counter() - started
            write_seed_comparison(result, staging)
            folder = comparison.publish_compare_folder(staging, root, f"{recipe}-seeds{count}")
    console.rule("[bold]Comparison over seeds[/]")
    console.print(result_table(result))
    console.print(difference_sentence(result))
    console.print(f"Comparison written to [bold]{folder}[/]: compare.md, compare.json, {SEEDS_FIGURE}, "
                  f"{CURVES_FIGURE}; runs in {folder / RUNS_FOLDER}")
    return folder
