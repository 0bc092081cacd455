"""Statistics across seeds: spread, the paired t-test and the exact Wilcoxon signed-rank test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mnist_cnn.evaluation import seed_stats


def test_spread_is_mean_sample_sd_min_max():
    s = seed_stats.spread([99.3, 99.4, 99.5])
    assert s == pytest.approx({"mean": 99.4, "sd": 0.1, "min": 99.3, "max": 99.5, "n": 3})
    assert seed_stats.spread([1.0])["sd"] == 0.0


@pytest.mark.parametrize("t, df, p", [(2.7764451052, 4, 0.05), (12.7062047364, 1, 0.05), (1.0, 10, 0.3408931323),
                                      (2.0, 4, 0.1161165235), (0.0, 3, 1.0), (4.6040948714, 4, 0.01),
                                      (3.1692726726, 10, 0.01)])
def test_two_sided_p_of_students_t_matches_the_tables(t, df, p):
    assert seed_stats.t_two_sided_p(t, df) == pytest.approx(p, rel=1e-5)


def test_betainc_at_known_points():
    assert seed_stats.betainc(1, 1, 0.3) == pytest.approx(0.3)  # uniform
    assert seed_stats.betainc(2, 3, 0.4) == pytest.approx(0.5248, rel=1e-9)
    assert seed_stats.betainc(0.5, 0.5, 0.5) == pytest.approx(0.5)


def test_paired_t_uses_the_differences_within_pairs():
    # a large common seed effect, a small consistent framework difference: only a paired test sees it
    seed_effect = np.array([0.0, 0.5, -0.4, 0.3, -0.2])
    a, b = 99.0 + seed_effect + 0.1 + np.array([0.01, -0.01, 0.02, 0.0, -0.02]), 99.0 + seed_effect
    test = seed_stats.paired_t(a, b)
    assert test["mean_difference"] == pytest.approx(0.1)
    assert test["df"] == 4 and test["p"] < 0.001
    assert seed_stats.paired_t(a, a)["p"] == 1.0
    assert math.isnan(seed_stats.paired_t([1.0], [2.0])["p"])


def test_wilcoxon_exact_p_values():
    five = seed_stats.wilcoxon_signed_rank([1, 2, 3, 4, 5], [0, 0, 0, 0, 0])
    assert five["p"] == pytest.approx(2 / 32) and five["smallest_possible_p"] == pytest.approx(2 / 32)
    # ranks 1..8 with only rank 1 negative: W+ = 35 of 36; 4 of 256 sign patterns are as extreme
    eight = seed_stats.wilcoxon_signed_rank([1, 2, 3, 4, 5, 6, 7, 8], [1.5, 1, 2, 3, 4, 5, 6, 7])
    assert eight["w_plus"] == 35 and eight["p"] == pytest.approx(4 / 256)
    # zero differences are dropped, floats that print alike count as equal
    ties = seed_stats.wilcoxon_signed_rank([0.1 + 0.2, 0.5, 0.7], [0.3, 0.4, 0.9])
    assert ties["n_nonzero"] == 2 and ties["p"] == pytest.approx(1.0)
