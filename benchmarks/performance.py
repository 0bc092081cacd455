"""The performance targets, measured in one run on this machine, with the canonical peers.

    python -m benchmarks.performance                      # fast recipe, peers, inference, --help
    python -m benchmarks.performance --accurate --ensemble 3   # plus the accurate recipe (minutes)
    python -m benchmarks.performance --accurate-from benchmarks/results/performance.json   # keep them

Writes benchmarks/results/performance.json and prints the targets table in Markdown.
Training seconds are optimisation only (augmentation included, validation and the per-epoch
test scoring excluded). Ratios compare figures measured in this same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from mnist_cnn.backends import get_backend
from mnist_cnn.config import get_recipe
from mnist_cnn.data.mnist import load_mnist
from mnist_cnn.evaluation.predict import evaluate_classifier
from mnist_cnn.evaluation.timing import measure_inference
from mnist_cnn.models.architectures import FAST
from mnist_cnn.models.weights import initial_weights
from mnist_cnn.training.ensemble import EnsembleClassifier
from mnist_cnn.training.loop import train_model

from .common import RESULTS, write_result
from .recipes import train_once


def help_seconds(repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mnist_cnn", "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def inference(mnist) -> dict:
    """Single-image latency and batch throughput of the fast net in both frameworks, taking turns."""
    classifiers = [get_backend(fw).build(FAST, initial_weights(FAST, 0)) for fw in ("torch", "keras")]
    timings = measure_inference(classifiers, mnist.test_images)
    for fw, t in zip(("torch", "keras"), timings):
        print(f"inference {fw}: {t.latency_ms_median:.2f} ms median (p95 {t.latency_ms_p95:.2f}), "
              f"{t.batch_images_per_second:,.0f} images/s", flush=True)
    return {fw: t.to_dict() for fw, t in zip(("torch", "keras"), timings)}


def remeasure_inference(mnist) -> None:
    """--inference-only: new --help and inference figures into the last results file, the rest
    kept and the time of each measurement recorded."""
    path = RESULTS / "performance.json"
    result = json.loads(path.read_text())
    when = result["when"]
    for key in ("benchmark", "when", "machine"):
        result.pop(key, None)
    result.setdefault("training_measured", when)
    result["help_seconds"] = help_seconds()
    print(f"mnist-cnn --help: {result['help_seconds']:.2f} s", flush=True)
    result["inference"] = inference(mnist)
    result["inference_measured"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    written = write_result("performance", result)
    print_table(result)
    print(f"\nwritten to {written}")


def time_to_accuracy(recipe: str, framework: str, mnist, target: float, max_train_seconds: float,
                     **overrides) -> dict:
    """Train, scoring the test set after each epoch; stop at `target` or past the time cap."""
    config = get_recipe(recipe).with_overrides(**overrides)
    curve: list[dict] = []
    clock = {"train": 0.0}

    def after_epoch(epoch, classifier):
        report = evaluate_classifier(classifier, mnist.test_images, mnist.test_labels)
        curve.append({"epoch": epoch + 1, "test_accuracy": report.accuracy})
        return report.accuracy >= target or clock["train"] >= max_train_seconds

    class Listener:
        def on_start(self, info): pass
        def on_epoch_start(self, epoch): pass
        def on_step(self, step, loss, accuracy): pass
        def on_test(self): pass

        def on_epoch_end(self, row):
            clock["train"] += row["train_seconds"]
            curve_seconds.append(clock["train"])

    curve_seconds: list[float] = []
    trained = train_model(config, framework, mnist, Listener(), after_epoch)
    for point, seconds in zip(curve, curve_seconds):
        point["train_seconds"] = seconds
    reached = next((p for p in curve if p["test_accuracy"] >= target), None)
    return {"recipe": recipe, "framework": framework, "overrides": overrides, "curve": curve,
            "seconds_to_target": reached["train_seconds"] if reached else None,
            "final_accuracy": curve[-1]["test_accuracy"], "train_seconds": trained.train_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--accurate", action="store_true", help="also train the accurate recipe in both frameworks")
    parser.add_argument("--ensemble", type=int, default=0, help="also an ensemble of N accurate PyTorch models")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--keras-peer", action="store_true", help="also train the Keras example in Keras")
    parser.add_argument("--fast-from", default=None,
                        help="reuse the fast rows of a recipes benchmark JSON instead of training again")
    parser.add_argument("--accurate-from", default=None,
                        help="carry the accurate and ensemble figures of an earlier performance JSON "
                             "(when only the fast recipe changed) instead of training them again")
    parser.add_argument("--peer-cap", type=float, default=240.0, help="training seconds allowed to each peer")
    parser.add_argument("--inference-only", action="store_true",
                        help="measure --help and inference again; keep the training figures of the last results file")
    args = parser.parse_args()
    mnist = load_mnist(args.data_dir)
    if args.inference_only:
        remeasure_inference(mnist)
        return
    result: dict = {}

    result["help_seconds"] = help_seconds()
    print(f"mnist-cnn --help: {result['help_seconds']:.2f} s", flush=True)

    extra = ["--data-dir", args.data_dir] if args.data_dir else []
    if args.fast_from:
        rows = json.loads(open(args.fast_from).read())["rows"]
        result["fast"] = {r["framework"]: r for r in rows if r["recipe"] == "fast"}
        result["fast_source"] = args.fast_from
    else:
        result["fast"] = {fw: train_once("fast", fw, extra) for fw in ("torch", "keras")}
    for fw, row in result["fast"].items():
        print(f"fast {fw}: {100 * row['test_accuracy']:.2f}% in {row['train_seconds']:.1f} s, "
              f"peak {row['peak_memory_mb']:.0f} MB", flush=True)

    sprint = time_to_accuracy("fast", "torch", mnist, 0.99, 60, epochs=1)
    result["time_to_99"] = {"ours (fast, 1 epoch)": sprint}
    print(f"ours fast 1 epoch: {100 * sprint['final_accuracy']:.2f}% in {sprint['train_seconds']:.1f} s", flush=True)
    if not args.skip_peers:
        peers = [("pytorch example", "pytorch-example", "torch"), ("keras example", "keras-example", "torch")]
        if args.keras_peer:
            peers.append(("keras example (in Keras)", "keras-example", "keras"))
        for name, recipe, fw in peers:
            peer = time_to_accuracy(recipe, fw, mnist, 0.99, args.peer_cap)
            result["time_to_99"][name] = peer
            print(f"{name}: {peer['seconds_to_target']} s to 99.0% (final {100 * peer['final_accuracy']:.2f}%)",
                  flush=True)

    result["inference"] = inference(mnist)

    members, seconds = [], 0.0
    if args.accurate:
        result["accurate"] = {}
        for fw in ("torch", "keras"):
            trained = train_model(get_recipe("accurate"), fw, mnist)
            accuracy = evaluate_classifier(trained.classifier, mnist.test_images, mnist.test_labels).accuracy
            result["accurate"][fw] = {"test_accuracy": accuracy, "train_seconds": trained.train_seconds,
                                      "epochs": len(trained.history)}
            print(f"accurate {fw}: {100 * accuracy:.2f}% in {trained.train_seconds:.1f} s", flush=True)
            if fw == "torch":  # the seed-0 model is the ensemble's first member
                members.append(trained.classifier)
                seconds += trained.train_seconds
    if args.ensemble:
        for k in range(len(members), args.ensemble):
            trained = train_model(get_recipe("accurate").with_overrides(seed=k), "torch", mnist)
            members.append(trained.classifier)
            seconds += trained.train_seconds
            single = evaluate_classifier(trained.classifier, mnist.test_images, mnist.test_labels).accuracy
            print(f"ensemble member {k}: {100 * single:.2f}% in {trained.train_seconds:.1f} s", flush=True)
        report = evaluate_classifier(EnsembleClassifier(members), mnist.test_images, mnist.test_labels)
        result["ensemble"] = {"size": args.ensemble, "framework": "torch", "recipe": "accurate",
                              "test_accuracy": report.accuracy, "train_seconds": seconds}
        print(f"ensemble of {args.ensemble}: {100 * report.accuracy:.2f}%", flush=True)

    if args.accurate_from and not (args.accurate or args.ensemble):
        earlier = json.loads(Path(args.accurate_from).read_text())
        for key in ("accurate", "ensemble"):
            if key in earlier:
                result[key] = earlier[key]
        # where they come from, so the file never passes them off as measured in this run
        result["accurate_source"] = {"file": args.accurate_from, "measured": earlier.get("when")}

    path = write_result("performance", result)
    print_table(result)
    print(f"\nwritten to {path}")


def print_table(r: dict) -> None:
    fast_t, fast_k = r["fast"]["torch"], r["fast"]["keras"]
    inf_t, inf_k = r["inference"]["torch"], r["inference"]["keras"]
    sprint = r["time_to_99"]["ours (fast, 1 epoch)"]
    rows = [
        ("`fast` recipe, PyTorch", "≥99.3% in ≤20 s",
         f"{100 * fast_t['test_accuracy']:.2f}% in {fast_t['train_seconds']:.1f} s"),
        ("time to 99.0%, PyTorch", "≤8 s",
         f"{sprint['train_seconds']:.1f} s ({100 * sprint['final_accuracy']:.2f}%, `fast --epochs 1`)"),
        ("`fast` recipe, Keras", "same accuracy, ≤1.5x PyTorch's time",
         f"{100 * fast_k['test_accuracy']:.2f}% in {fast_k['train_seconds']:.1f} s "
         f"({fast_k['train_seconds'] / fast_t['train_seconds']:.2f}x)"),
        ("single-image prediction", "≤1 ms PyTorch, ≤3 ms Keras",
         f"{inf_t['latency_ms_median']:.2f} ms PyTorch, {inf_k['latency_ms_median']:.2f} ms Keras (medians)"),
        ("batch inference, PyTorch", "≥20,000 images/s",
         f"{inf_t['batch_images_per_second']:,.0f} images/s (Keras {inf_k['batch_images_per_second']:,.0f})"),
        ("`mnist-cnn --help`", "≤0.5 s", f"{r['help_seconds']:.2f} s"),
        ("peak memory, `fast` run", "report",
         f"{fast_t['peak_memory_mb']:.0f} MB PyTorch, {fast_k['peak_memory_mb']:.0f} MB Keras"),
    ]
    if "accurate" in r:
        a_t, a_k = r["accurate"]["torch"], r["accurate"]["keras"]
        rows.append(("`accurate` recipe", "≥99.65%, ≤10 min",
                     f"{100 * a_t['test_accuracy']:.2f}% in {a_t['train_seconds']:.0f} s PyTorch, "
                     f"{100 * a_k['test_accuracy']:.2f}% in {a_k['train_seconds']:.0f} s Keras"))
    if "ensemble" in r:
        e = r["ensemble"]
        rows.append((f"ensemble of {e['size']} `accurate`", "≥99.75%",
                     f"{100 * e['test_accuracy']:.2f}% ({e['train_seconds']:.0f} s of training in all)"))
    print("\n| what | target | measured |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    peers = {k: v for k, v in r["time_to_99"].items() if not k.startswith("ours")}
    if peers:
        print("\n| network (same data pipeline) | time to 99.0% | accuracy at the end | ratio to ours |\n|---|---|---|---|")
        ours = sprint["train_seconds"]
        print(f"| ours: `fast`, 1 epoch, PyTorch | {ours:.1f} s | {100 * sprint['final_accuracy']:.2f}% | 1.0 |")
        for name, p in peers.items():
            reached = p["seconds_to_target"]
            shown = f"{reached:.1f} s" if reached else f"not within {p['train_seconds']:.0f} s"
            ratio = f"{reached / ours:.1f}x" if reached else f">{p['train_seconds'] / ours:.1f}x"
            print(f"| {name} | {shown} | {100 * p['final_accuracy']:.2f}% | {ratio} |")


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
