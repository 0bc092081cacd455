"""What a model variant costs and gives: test accuracy, agreement with the float model,
single-image latency and batch throughput, all through `Classifier.predict_proba` (the same
call evaluate, predict and camera make, preprocessing included). The timing itself is
mnist_cnn/evaluation/timing.py's, which explains it.

The models being compared take turns: batch 1 of every model, then batch 2 of every model,
and so on; a few single images through one model, then through the next. On a shared
machine the load changes from second to second, and measuring one model after the other
turned that into differences between the models (the int8 model measured 1.1 ms after a
float model measured 0.75 ms; taking turns, 0.6 against 0.85). The first calls pay one-off costs (kernel
selection, memory planning, tracing) and are discarded; medians, not means, summarise.
"""

from __future__ import annotations

from typing import Mapping, Optional

import numpy as np

from ..backends import Classifier
from ..evaluation import metrics
from ..evaluation.timing import TURN_LATENCY_REPEATS, latency_taking_turns, predict_taking_turns, throughput

def accuracy_row(proba: np.ndarray, labels: np.ndarray, reference: Optional[np.ndarray] = None) -> dict:
    """Test accuracy and loss; with the float model's probabilities, how far this one departs."""
    report = metrics.report(labels, proba)
    row = {"test_accuracy": report.accuracy, "test_correct": report.correct, "test_loss": report.loss}
    if reference is not None:
        row["agreement"] = float(np.mean(proba.argmax(axis=1) == reference.argmax(axis=1)))
        row["max_probability_difference"] = float(np.max(np.abs(proba - reference)))
    return row


def measure_together(classifiers: Mapping[str, Classifier], images: np.ndarray, labels: np.ndarray,
                     reference_name: Optional[str] = None, latency_repeats: int = TURN_LATENCY_REPEATS) -> dict[str, dict]:
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
