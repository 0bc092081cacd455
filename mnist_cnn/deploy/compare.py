"""The two frameworks' networks with the framework taken out: both ONNX exports in one ONNX
Runtime session setup, on the same 10,000 test images.

What differs between the two then is only what training produced (weights, and the graph
each exporter wrote), so the accuracy gap, the images they disagree on and an exact McNemar
test on those images say whether the two trained networks differ, and the latency gap says
what the two exporters' graphs cost (tf2onnx keeps Keras' channels-last flatten as a
Transpose, for instance).
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Optional

import numpy as np
from rich.console import Console
from rich.table import Table

from ..backends import ModelFileError, display_name
from ..data.mnist import Mnist
from ..model_formats import sniff_exported
from ..runs import latest_run
from ..evaluation.timing import latency_taking_turns, predict_taking_turns, throughput
from .extras import require
from .measure import accuracy_row
from .onnx_runtime import load_onnx_classifier
from .threads import resolve as resolve_threads


def resolve_onnx(given: Optional[str], framework: str, root: Path) -> Path:
    """An .onnx file, a run folder holding model.onnx, or (None) the latest run of `framework`."""
    if given is None:
        run = latest_run(root, framework)
        if run is None:
            raise ModelFileError(f"no complete {framework} run in {root}: train one, or pass the .onnx files")
        path = run / "model.onnx"
    else:
        path = Path(given).expanduser()
        if path.is_dir():
            path = path / "model.onnx"
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file; export it first: mnist-cnn export {path.parent} --format onnx")
    if sniff_exported(path) != "onnx":
        raise ModelFileError(f"{path}: not an ONNX model (expected an .onnx written by `mnist-cnn export`)")
    return path


def mcnemar_exact_p(only_a_right: int, only_b_right: int) -> float:
    """Two-sided exact McNemar test: are the discordant images split 50/50?"""
    n = only_a_right + only_b_right
    if n == 0:
        return 1.0
    k = min(only_a_right, only_b_right)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def graph_ops(path: Path) -> dict[str, int]:
    import onnx

    model = onnx.load_model(str(path), load_external_data=False)
    return dict(Counter(node.op_type for node in model.graph.node))


def compare_onnx(path_a: Path, path_b: Path, mnist: Mnist, latency_repeats: int = 300, threads: int = 1) -> dict:
    """`threads`: ONNX Runtime's intra-op threads for both (0: all CPUs; see threads.py)."""
    require("onnx", "onnxruntime", "comparing ONNX models")
    threads = resolve_threads(threads)
    models = {"a": load_onnx_classifier(path_a, threads), "b": load_onnx_classifier(path_b, threads)}
    latencies = latency_taking_turns(models, mnist.test_images, latency_repeats)  # first: see deploy/measure.py
    predictions = predict_taking_turns(models, mnist.test_images)
    sides, probas = [], []
    for (name, classifier), path in zip(models.items(), (path_a, path_b)):
        proba, seconds = predictions[name]
        ops = graph_ops(path)
        sides.append({"file": str(path), "framework": classifier.framework, "runtime": classifier.runtime,
                      "bytes": path.stat().st_size, "nodes": sum(ops.values()), "ops": ops,
                      **accuracy_row(proba, mnist.test_labels), **latencies[name],
                      "images_per_second": throughput(seconds)})
        probas.append(proba)
    right_a = probas[0].argmax(axis=1) == mnist.test_labels
    right_b = probas[1].argmax(axis=1) == mnist.test_labels
    differ = probas[0].argmax(axis=1) != probas[1].argmax(axis=1)
    only_a, only_b = int(np.sum(right_a & ~right_b)), int(np.sum(right_b & ~right_a))
    return {
        "a": sides[0], "b": sides[1], "threads": threads, "images": len(mnist.test_labels),
        "agreement": float(np.mean(~differ)),
        "disagreements": int(np.sum(differ)),
        "both_right": int(np.sum(right_a & right_b)),
        "only_a_right": only_a,
        "only_b_right": only_b,
        "both_wrong": int(np.sum(~right_a & ~right_b)),
        "both_wrong_same_answer": int(np.sum(~right_a & ~right_b & ~differ)),
        "mcnemar_p": mcnemar_exact_p(only_a, only_b),
        "mean_abs_probability_difference": float(np.mean(np.abs(probas[0] - probas[1]))),
        "disagreement_indices": np.flatnonzero(differ)[:50].tolist(),
    }


def print_comparison(result: dict, console: Console) -> None:
    a, b = result["a"], result["b"]
    name_a, name_b = (f"{display_name(s['framework'])}" for s in (a, b))
    threads = f"{result['threads']} thread{'s' if result['threads'] != 1 else ''}"
    table = Table(title=f"Both ONNX exports in {a['runtime']} ({threads}), {result['images']:,} test images",
                  show_edge=False, pad_edge=False)
    table.add_column("")
    table.add_column(name_a, justify="right")
    table.add_column(name_b, justify="right")
    rows = [
        ("size", f"{a['bytes'] / 1024:.1f} KiB", f"{b['bytes'] / 1024:.1f} KiB"),
        ("graph nodes", str(a["nodes"]), str(b["nodes"])),
        ("test accuracy", f"{100 * a['test_accuracy']:.2f}%", f"{100 * b['test_accuracy']:.2f}%"),
        ("test loss", f"{a['test_loss']:.4f}", f"{b['test_loss']:.4f}"),
        ("1 image ms (median)", f"{a['latency_ms']:.3f}", f"{b['latency_ms']:.3f}"),
        ("images/s (batches of 1,000)", f"{a['images_per_second']:,.0f}", f"{b['images_per_second']:,.0f}"),
        ("right where the other is wrong", f"{result['only_a_right']}", f"{result['only_b_right']}"),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(f"  {name_a}: {a['file']}\n  {name_b}: {b['file']}")
    console.print(f"Same predicted digit on {100 * result['agreement']:.2f}% of the images "
                  f"({result['disagreements']} differ); both wrong on {result['both_wrong']} "
                  f"({result['both_wrong_same_answer']} with the same wrong answer). "
                  f"Exact McNemar p = {result['mcnemar_p']:.3g} "
                  f"({'a real difference' if result['mcnemar_p'] < 0.05 else 'no evidence the two networks differ'} "
                  f"in accuracy at the 5% level).")
