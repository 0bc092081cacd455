"""What a model variant costs and gives: test accuracy, agreement with the float model,
single-image latency and batch throughput, all through `Classifier.predict_proba` (the same
call evaluate, predict and camera make, preprocessing included).

The models being compared take turns: batch 1 of every model, then batch 2 of every model,
and so on; a few single images through one model, then through the next. On a shared
machine the load changes from second to second, and measuring one model after the other
turned that into differences between the models (the int8 model measured 1.1 ms after a
float model measured 0.75 ms; taking turns, 0.6 against 0.85). The first calls pay one-off costs (kernel
selection, memory planning, tracing) and are discarded; medians, not means, summarise.
"""

from __future__ import annotations

import time
from typing import Mapping, Optional

import numpy as np

from ..backends import Classifier
from ..evaluation import metrics
from ..evaluation.predict import PREDICT_BATCH

LATENCY_WARMUP = 20
LATENCY_REPEATS = 300
LATENCY_BLOCK = 20   # consecutive single-image calls per turn
LATENCY_REWARM = 4   # of which the first are not counted


def predict_taking_turns(classifiers: Mapping[str, Classifier], images: np.ndarray,
                         batch: int = PREDICT_BATCH) -> dict[str, tuple[np.ndarray, list[float]]]:
    """For each model: probabilities in the batches predict_proba_batched uses, and each
    batch's seconds; the models take turns batch by batch."""
    parts: dict[str, list[np.ndarray]] = {name: [] for name in classifiers}
    seconds: dict[str, list[float]] = {name: [] for name in classifiers}
    for start in range(0, len(images), batch):
        chunk = images[start:start + batch]
        for name, classifier in classifiers.items():
            began = time.perf_counter()
            parts[name].append(classifier.predict_proba(chunk))
            seconds[name].append(time.perf_counter() - began)
    return {name: (np.concatenate(parts[name]), seconds[name]) for name in classifiers}


def throughput(batch_seconds: list[float], batch: int = PREDICT_BATCH) -> float:
    """Images per second of a full batch, from the median batch after the first (warm-up)."""
    timed = batch_seconds[1:] or batch_seconds
    return batch / float(np.median(timed))


def latency_taking_turns(classifiers: Mapping[str, Classifier], images: np.ndarray,
                         repeats: int = LATENCY_REPEATS, warmup: int = LATENCY_WARMUP,
                         block: int = LATENCY_BLOCK, rewarm: int = LATENCY_REWARM) -> dict[str, dict]:
    """Median and 90th percentile milliseconds of predict_proba on one image, for each model.

    The models take turns in short blocks of consecutive calls (a few milliseconds each), so
    a change of load hits them all alike, while within a block a model runs as it would in a
    loop of its own, caches warm; the first calls of each block are not counted. (Turns of
    one call each left every model running with another's data in the caches: ONNX Runtime
    measured 0.5 ms instead of 0.2.)
    """
    names = list(classifiers)
    for name in names:
        for i in range(warmup):
            classifiers[name].predict_proba(images[i % len(images)][None])
    seconds: dict[str, list[float]] = {name: [] for name in names}
    counted = block - rewarm
    rounds = -(-repeats // counted)
    for r in range(rounds):
        for k in range(len(names)):
            name = names[(r + k) % len(names)]  # a different model starts each round
            for i in range(block):
                one = images[(r * block + i) % len(images)][None]
                began = time.perf_counter()
                classifiers[name].predict_proba(one)
                if i >= rewarm:
                    seconds[name].append(time.perf_counter() - began)
    return {name: {"latency_ms": 1000 * float(np.median(s)), "latency_p90_ms": 1000 * float(np.percentile(s, 90))}
            for name, s in seconds.items()}


def accuracy_row(proba: np.ndarray, labels: np.ndarray, reference: Optional[np.ndarray] = None) -> dict:
    """Test accuracy and loss; with the float model's probabilities, how far this one departs."""
    report = metrics.report(labels, proba)
    row = {"test_accuracy": report.accuracy, "test_correct": report.correct, "test_loss": report.loss}
    if reference is not None:
        row["agreement"] = float(np.mean(proba.argmax(axis=1) == reference.argmax(axis=1)))
        row["max_probability_difference"] = float(np.max(np.abs(proba - reference)))
    return row


def measure_together(classifiers: Mapping[str, Classifier], images: np.ndarray, labels: np.ndarray,
                     reference_name: Optional[str] = None, latency_repeats: int = LATENCY_REPEATS) -> dict[str, dict]:
    """A row of numbers per model, all measured taking turns; `reference_name` is the model the
    others are compared with (its own row has no agreement)."""
    # Single images first: right after batches of 1,000, the int8 PyTorch model's next few
    # hundred single images ran up to 1.7x slower here (measured, cause not pinned down),
    # which is not what a camera loop, calling with one image after another, sees.
    latencies = latency_taking_turns(classifiers, images, latency_repeats)
    predictions = predict_taking_turns(classifiers, images)
    reference = predictions[reference_name][0] if reference_name else None
    rows = {}
    for name, (proba, seconds) in predictions.items():
        row = accuracy_row(proba, labels, None if name == reference_name else reference)
        row.update(latencies[name])
        row["images_per_second"] = throughput(seconds)
        rows[name] = row
    return rows
