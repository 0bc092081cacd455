"""Classification metrics in NumPy: the same numbers for every backend and every model format."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"labels and predictions differ in shape: {y_true.shape} vs {y_pred.shape}")
    if y_true.size == 0:
        raise ValueError("no samples")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """cm[i, j] = number of samples of true class i predicted as j."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    return np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes)


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    # A class never predicted (or never present) has precision (or recall) 0 by convention,
    # as scikit-learn's zero_division=0.
    out = np.zeros_like(numerator, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


@dataclass
class PerClass:
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray

    @property
    def macro(self) -> dict[str, float]:
        return {"precision": float(self.precision.mean()), "recall": float(self.recall.mean()),
                "f1": float(self.f1.mean())}


def per_class(cm: np.ndarray) -> PerClass:
    true_positive = np.diag(cm).astype(np.float64)
    predicted = cm.sum(axis=0).astype(np.float64)
    actual = cm.sum(axis=1).astype(np.float64)
    precision = _safe_divide(true_positive, predicted)
    recall = _safe_divide(true_positive, actual)
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    return PerClass(precision, recall, f1, cm.sum(axis=1))


def top_confusions(cm: np.ndarray, k: int = 5) -> list[tuple[int, int, int]]:
    """The k most frequent (true, predicted, count) mistakes, largest first, ties by class order."""
    off = cm.copy()
    np.fill_diagonal(off, 0)
    pairs = [(int(i), int(j), int(off[i, j])) for i in range(cm.shape[0]) for j in range(cm.shape[1])
             if off[i, j] > 0]
    pairs.sort(key=lambda item: (-item[2], item[0], item[1]))
    return pairs[:k]


def misclassified_by_confidence(y_true: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Indices of wrong predictions, the most confidently wrong first."""
    y_true = np.asarray(y_true)
    predicted = proba.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y_true)
    confidence = proba[wrong, predicted[wrong]]
    # stable sort on -confidence: equal confidences keep index order
    return wrong[np.argsort(-confidence, kind="stable")]


def log_loss(y_true: np.ndarray, proba: np.ndarray, eps: float = 1e-7) -> float:
    """Mean cross-entropy of the true class (probabilities clipped as Keras does)."""
    picked = proba[np.arange(len(y_true)), np.asarray(y_true, dtype=np.int64)]
    return float(-np.mean(np.log(np.clip(picked, eps, 1.0))))


@dataclass
class Report:
    """Everything `evaluate` prints, computed from labels and probabilities."""
    accuracy: float
    correct: int
    total: int
    loss: float
    confusion: np.ndarray
    per_class: PerClass
    top_confusions: list[tuple[int, int, int]]
    misclassified: np.ndarray
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "correct": self.correct,
            "total": self.total,
            "loss": self.loss,
            "per_class": {
                "precision": self.per_class.precision.tolist(),
                "recall": self.per_class.recall.tolist(),
                "f1": self.per_class.f1.tolist(),
                "support": self.per_class.support.tolist(),
            },
            "macro": self.per_class.macro,
            "confusion_matrix": self.confusion.tolist(),
            "top_confusions": [{"true": t, "predicted": p, "count": c} for t, p, c in self.top_confusions],
            "misclassified_most_confident": self.misclassified[:20].tolist(),
            **self.extra,
        }


def report(y_true: np.ndarray, proba: np.ndarray, num_classes: int = 10) -> Report:
    y_true = np.asarray(y_true, dtype=np.int64)
    predicted = proba.argmax(axis=1)
    cm = confusion_matrix(y_true, predicted, num_classes)
    correct = int(np.trace(cm))
    return Report(
        accuracy=correct / len(y_true),
        correct=correct,
        total=len(y_true),
        loss=log_loss(y_true, proba),
        confusion=cm,
        per_class=per_class(cm),
        top_confusions=top_confusions(cm),
        misclassified=misclassified_by_confidence(y_true, proba),
    )
