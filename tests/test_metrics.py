"""Metrics against cases worked out by hand."""

import numpy as np
import pytest

from mnist_cnn.evaluation import metrics

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


def test_one_sample_is_enough_and_none_is_an_error():
    assert metrics.accuracy(np.array([3]), np.array([3])) == 1.0
    with pytest.raises(ValueError, match="^no samples$"):
        metrics.accuracy(np.array([]), np.array([]))


def test_ten_classes_by_default_and_uint8_labels_as_mnist_stores_them():
    y_true = np.array([9, 0, 9, 3], np.uint8)
    y_pred = np.array([9, 9, 9, 3], np.uint8)
    cm = metrics.confusion_matrix(y_true, y_pred)
    assert cm.shape == (10, 10) and cm[9, 9] == 2 and cm[0, 9] == 1 and cm.sum() == 4
    report = metrics.report(y_true, np.eye(10, dtype=np.float32)[y_pred])
    assert report.confusion.shape == (10, 10) and report.per_class.support.tolist()[9] == 2


def test_a_true_class_given_probability_zero_costs_a_finite_loss():
    # clipped at 1e-7 as Keras does: -log(1e-7) ~ 16.1, not infinity
    proba = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert metrics.log_loss(np.array([0, 0]), proba) == pytest.approx(-np.log(1e-7) / 2)


def test_equally_confident_mistakes_keep_their_order_and_only_20_are_listed():
    # 60 images, every one wrong with the same confidence: a stable sort keeps index order
    # (numpy's default quicksort does not for this many equal keys)
    proba = np.tile(np.array([[0.2, 0.8]]), (60, 1))
    proba[::3] = [0.1, 0.9]  # every third more confidently wrong
    y = np.zeros(60, np.int64)
    order = metrics.misclassified_by_confidence(y, proba)
    assert order.tolist() == list(range(0, 60, 3)) + [i for i in range(60) if i % 3]
    data = metrics.report(y, proba, num_classes=2).to_dict()
    assert data["misclassified_most_confident"] == list(range(0, 60, 3))  # the 20 most confident
    assert data["per_class"]["f1"] == [0.0, 0.0]


def test_top_confusions_lists_only_real_mistakes_five_by_default():
    cm = np.diag([5, 5, 5, 5])
    cm[2, 1] = 1
    assert metrics.top_confusions(cm) == [(2, 1, 1)]
    cm = np.ones((4, 4), np.int64) + np.diag([9, 9, 9, 9])
    assert len(metrics.top_confusions(cm)) == 5 and len(metrics.top_confusions(cm, k=12)) == 12
