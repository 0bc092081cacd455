"""Metrics against cases worked out by hand."""

import numpy as np
import pytest

from mnist_cnn import metrics

# 3 classes, 9 samples, chosen so that no class has as many true samples as predictions:
# precision (column totals) and recall (row totals), true and predicted counts, and macro
# precision and recall all differ, so swapping any of them changes a number below.
#   true: 0 0 0 0 1 1 2 2 2
#   pred: 0 1 2 2 1 2 1 2 2
# confusion [[1,1,2],[0,1,1],[0,1,2]]: row totals (support) 4 2 3, column totals 1 3 5
Y_TRUE = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2])
Y_PRED = np.array([0, 1, 2, 2, 1, 2, 1, 2, 2])


def test_accuracy_and_confusion_by_hand():
    assert metrics.accuracy(Y_TRUE, Y_PRED) == pytest.approx(4 / 9)
    assert metrics.confusion_matrix(Y_TRUE, Y_PRED, 3).tolist() == [[1, 1, 2], [0, 1, 1], [0, 1, 2]]


def test_precision_recall_f1_by_hand():
    pc = metrics.per_class(metrics.confusion_matrix(Y_TRUE, Y_PRED, 3))
    # precision = diagonal / column total: 1/1, 1/3, 2/5; recall = diagonal / row total: 1/4, 1/2, 2/3
    assert pc.precision == pytest.approx([1, 1 / 3, 2 / 5])
    assert pc.recall == pytest.approx([1 / 4, 1 / 2, 2 / 3])
    # f1 = 2pr / (p + r): 0.5/1.25, (1/3)/(5/6), (8/15)/(16/15)
    assert pc.f1 == pytest.approx([2 / 5, 2 / 5, 1 / 2])
    # support counts the TRUE labels (row totals 4 2 3), not the predictions (1 3 5)
    assert pc.support.tolist() == [4, 2, 3]
    assert pc.macro == pytest.approx({"precision": 26 / 45, "recall": 17 / 36, "f1": 13 / 30})


def test_report_dict_carries_the_per_class_figures_under_their_names():
    proba = np.eye(3)[Y_PRED] * 0.7 + 0.1  # rows sum to 1, argmax = Y_PRED
    data = metrics.report(Y_TRUE, proba, num_classes=3).to_dict()
    assert (data["correct"], data["total"]) == (4, 9) and data["accuracy"] == pytest.approx(4 / 9)
    assert data["per_class"]["support"] == [4, 2, 3]
    assert data["per_class"]["precision"] == pytest.approx([1, 1 / 3, 2 / 5])
    assert data["per_class"]["recall"] == pytest.approx([1 / 4, 1 / 2, 2 / 3])
    assert data["macro"]["precision"] == pytest.approx(26 / 45)
    assert data["macro"]["recall"] == pytest.approx(17 / 36)
    assert data["macro"]["f1"] == pytest.approx(13 / 30)
    assert data["loss"] == pytest.approx(-np.log(0.1) * 5 / 9 - np.log(0.8) * 4 / 9)
    # mistakes, largest first: (0 -> 2) twice, then single ones in class order
    assert data["top_confusions"][:2] == [{"true": 0, "predicted": 2, "count": 2},
                                          {"true": 0, "predicted": 1, "count": 1}]
    assert data["misclassified_most_confident"] == [1, 2, 3, 5, 6]


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
