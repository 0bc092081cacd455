"""Predicting many images and scoring them: the one evaluation path.

Training's validation and final test score, `evaluate`, `report` and `compare` all predict
through `predict_proba_batched`, so a figure never depends on who asked for it.
"""

from __future__ import annotations

import numpy as np

from ..backends import Classifier
from . import metrics

PREDICT_BATCH = 1000


def predict_proba_batched(classifier: Classifier, images: np.ndarray, batch: int = PREDICT_BATCH) -> np.ndarray:
    """Probabilities for many images, in fixed-size batches so results never depend on N."""
    parts = [classifier.predict_proba(images[start:start + batch]) for start in range(0, len(images), batch)]
    return np.concatenate(parts) if parts else np.zeros((0, 10), np.float32)


def evaluate_classifier(classifier: Classifier, images: np.ndarray, labels: np.ndarray) -> metrics.Report:
    """The one evaluation path: training's final test score and `evaluate` both use it."""
    return metrics.report(labels, predict_proba_batched(classifier, images))
