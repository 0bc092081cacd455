"""Metrics against cases worked out by hand."""

import numpy as np
import pytest

from mnist_cnn.evaluation import metrics

# 3 classes, 8 samples. Worked by hand:
#   true: 0 0 0 1 1 1 2 2
#   pred: 0 0 1 1 1 2 2 0
# confusion: [[2,1,0],[0,2,1],[1,0,1]]
Y_TRUE = np.array([0, 0, 0, 1, 1, 1, 2, 2])
Y_PRED = np.array([0, 0, 1, 1, 1, 2, 2, 0])


def test_accuracy_and_confusion_by_hand():
    assert metrics.accuracy(Y_TRUE, Y_PRED) == pytest.approx(5 / 8)
    assert metrics.confusion_matrix(Y_TRUE, Y_PRED, 3).tolist() == [[2, 1, 0], [0, 2, 1], [1, 0, 1]]


def test_precision_recall_f1_by_hand():
    pc = metrics.per_class(metrics.confusion_matrix(Y_TRUE, Y_PRED, 3))
    # precision: class 0 2/3, class 1 2/3, class 2 1/2; recall: 2/3, 2/3, 1/2
    assert pc.precision == pytest.approx([2 / 3, 2 / 3, 1 / 2])
    assert pc.recall == pytest.approx([2 / 3, 2 / 3, 1 / 2])
    assert pc.f1 == pytest.approx([2 / 3, 2 / 3, 1 / 2])
    assert pc.support.tolist() == [3, 3, 2]
    assert pc.macro["precision"] == pytest.approx((2 / 3 + 2 / 3 + 1 / 2) / 3)


def test_class_never_predicted_has_zero_precision_not_nan():
    pc = metrics.per_class(metrics.confusion_matrix(np.array([0, 1]), np.array([0, 0]), 2))
    assert pc.precision.tolist() == [0.5, 0.0] and pc.recall.tolist() == [1.0, 0.0]
    assert pc.f1[1] == 0.0 and pc.f1[0] == pytest.approx(2 / 3)


def test_top_confusions_order():
    cm = np.array([[5, 3, 1], [3, 5, 0], [0, 4, 5]])
    assert metrics.top_confusions(cm, k=3) == [(2, 1, 4), (0, 1, 3), (1, 0, 3)]


def test_misclassified_ordered_by_confidence():
    proba = np.array([
        [0.9, 0.1],   # 0 right
        [0.6, 0.4],   # wrong (true 1), conf 0.6
        [0.05, 0.95],  # wrong (true 0), conf 0.95
        [0.2, 0.8],   # right
        [0.7, 0.3],   # wrong (true 1), conf 0.7
    ])
    y = np.array([0, 1, 0, 1, 1])
    assert metrics.misclassified_by_confidence(y, proba).tolist() == [2, 4, 1]


def test_log_loss_and_report():
    proba = np.array([[0.5, 0.5], [0.25, 0.75]])
    y = np.array([0, 1])
    assert metrics.log_loss(y, proba) == pytest.approx(-(np.log(0.5) + np.log(0.75)) / 2)
    report = metrics.report(y, proba, num_classes=2)
    assert report.correct == 2 and report.accuracy == 1.0  # argmax of a tie is the first class
    data = report.to_dict()
    assert data["confusion_matrix"] == [[1, 0], [0, 1]] and data["macro"]["f1"] == 1.0


def test_mismatched_shapes_are_an_error():
    with pytest.raises(ValueError, match="differ in shape"):
        metrics.accuracy(np.zeros(3), np.zeros(4))
