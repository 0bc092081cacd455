"""Agreement of two models and McNemar's exact test, on constructed cases worked out by hand."""

from fractions import Fraction
from math import comb

import numpy as np
import pytest

from mnist_cnn.evaluation.agreement import agreement, mcnemar_exact


def test_counts_of_a_small_constructed_case():
    truth = np.array([0, 1, 2, 3, 4, 5])
    a = np.array([0, 1, 9, 3, 8, 6])  # right on 0, 1, 3
    b = np.array([0, 7, 2, 3, 8, 7])  # right on 0, 2, 3
    result = agreement(truth, a, b)
    assert result.total == 6
    assert result.same_prediction == 3          # indices 0, 3 (both right) and 4 (both say 8)
    assert result.both_right == 2
    assert result.only_a_right == 1
    assert result.only_b_right == 1
    assert result.both_wrong == 2               # index 4 (same wrong digit) and 5 (different wrong digits)
    assert result.mcnemar_p == 1.0              # 1 : 1 favours neither model


def test_the_four_cells_add_up_and_match_each_models_accuracy():
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 10, 5000)
    a = np.where(rng.random(5000) < 0.9, truth, rng.integers(0, 10, 5000))
    b = np.where(rng.random(5000) < 0.8, truth, rng.integers(0, 10, 5000))
    result = agreement(truth, a, b)
    assert result.both_right + result.only_a_right + result.only_b_right + result.both_wrong == 5000
    assert result.both_right + result.only_a_right == int(np.sum(a == truth))
    assert result.both_right + result.only_b_right == int(np.sum(b == truth))
    assert result.same_prediction == int(np.sum(a == b))
    assert result.mcnemar_p < 1e-6  # 90% against 80% on 5,000 images is no accident


@pytest.mark.parametrize("b, c, expected", [
    (0, 0, 1.0),                     # no discordant image: no evidence either way
    (0, 6, 2 / 64),                  # 2 * P(X=0), X ~ Bin(6, 1/2)
    (1, 5, 2 * (1 + 6) / 64),        # 2 * P(X<=1)
    (10, 1, 2 * (1 + 11) / 2048),    # order of the arguments does not matter
    (3, 3, 1.0),                     # 2 * P(X<=3) > 1 for Bin(6, 1/2): capped
    (4, 5, 1.0),
])
def test_mcnemar_exact_values_worked_by_hand(b, c, expected):
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-12)


def test_mcnemar_is_symmetric_and_exact_for_large_counts():
    b, c = 180, 240
    n = b + c
    exact = 2 * Fraction(sum(comb(n, k) for k in range(b + 1)), 2 ** n)
    assert mcnemar_exact(b, c) == pytest.approx(float(exact), rel=1e-12)
    assert mcnemar_exact(b, c) == mcnemar_exact(c, b)
    assert 0.003 < mcnemar_exact(b, c) < 0.005  # the normal approximation gives ~0.0039


def test_more_lopsided_splits_give_smaller_p_values():
    values = [mcnemar_exact(20 - k, k) for k in range(11)]
    assert values == sorted(values)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="equal in length"):
        agreement(np.array([1, 2, 3]), np.array([1, 2]), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="negative"):
        mcnemar_exact(-1, 3)


def test_negative_counts_name_the_problem_and_the_dict_has_every_count():
    with pytest.raises(ValueError, match="^discordant counts cannot be negative$"):
        mcnemar_exact(-1, 3)
    result = agreement(np.array([0, 1, 2, 3]), np.array([0, 1, 0, 0]), np.array([0, 0, 2, 1]))
    assert result.to_dict() == {"total": 4, "same_prediction": 1, "both_right": 1, "only_a_right": 1,
                                "only_b_right": 1, "both_wrong": 1, "mcnemar_p": 1.0}
