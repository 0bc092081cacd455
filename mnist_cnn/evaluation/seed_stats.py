"""Statistics across seeds: spread of a figure, and paired tests of a difference between frameworks.

`compare --seeds N` trains both frameworks with the same N seeds, so the runs pair up by
seed (same split, batch order and initial weights): the difference within each pair
removes what the seed does to both alike. Two paired tests, in NumPy alone (SciPy is not a
dependency):

- the paired t-test: t = mean(d) / (sd(d) / sqrt(n)) with n - 1 degrees of freedom, its
  two-sided p from Student's t distribution through the regularised incomplete beta function;
- the Wilcoxon signed-rank test, exact: every one of the 2^n sign patterns of the ranked
  differences is counted (n up to 20), so no normal approximation. Zero differences are
  dropped (Wilcoxon's rule), ties share their mean rank. With 5 pairs its smallest possible
  two-sided p is 2/32 = 0.0625: five seeds can never make it "significant" at 0.05.
"""

from __future__ import annotations

import itertools
import math
from typing import Sequence

import numpy as np

MAX_EXACT_PAIRS = 20


def spread(values: Sequence[float]) -> dict:
    """mean, sample standard deviation (n - 1), min, max and n of `values`."""
    x = np.asarray(values, dtype=np.float64)
    return {"mean": float(x.mean()), "sd": float(x.std(ddof=1)) if len(x) > 1 else 0.0,
            "min": float(x.min()), "max": float(x.max()), "n": int(len(x))}


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz; Numerical Recipes 6.4)."""
    tiny, eps = 1e-300, 3e-16
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        for numerator in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                          -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with df degrees of freedom."""
    if math.isinf(t):
        return 0.0
    return betainc(df / 2.0, 0.5, df / (df + t * t))


def paired_t(a: Sequence[float], b: Sequence[float]) -> dict:
    """Paired t-test of a - b: mean difference, its sd, t, degrees of freedom, two-sided p."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    n = len(d)
    if n < 2:
        return {"test": "paired t", "n": n, "mean_difference": float(d.mean()) if n else math.nan,
                "sd_difference": math.nan, "t": math.nan, "df": n - 1, "p": math.nan}
    sd = float(d.std(ddof=1))
    mean = float(d.mean())
    if sd == 0.0:
        t = 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
    else:
        t = mean / (sd / math.sqrt(n))
    return {"test": "paired t", "n": n, "mean_difference": mean, "sd_difference": sd, "t": t, "df": n - 1,
            "p": 1.0 if t == 0.0 else t_two_sided_p(t, n - 1)}


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing their mean rank."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start:end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    return ranks


def wilcoxon_signed_rank(a: Sequence[float], b: Sequence[float], decimals: int = 12) -> dict:
    """Exact two-sided Wilcoxon signed-rank test of a - b (differences rounded to `decimals`, so
    that equal accuracies stored as floats count as ties and zeros)."""
    d = np.round(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64), decimals)
    d = d[d != 0]
    n = len(d)
    result = {"test": "Wilcoxon signed-rank (exact)", "n_nonzero": n}
    if n == 0:
        return {**result, "w_plus": 0.0, "p": 1.0}
    if n > MAX_EXACT_PAIRS:
        return {**result, "w_plus": math.nan, "p": math.nan}
    ranks = _ranks(np.abs(d))
    w_plus = float(ranks[d > 0].sum())
    total = ranks.sum()
    centre = total / 2.0
    observed = abs(w_plus - centre)
    # the null distribution: each rank carries a + or a - with equal chance
    signs = np.array(list(itertools.product((0.0, 1.0), repeat=n)))
    sums = signs @ ranks
    p = float(np.mean(np.abs(sums - centre) >= observed - 1e-9))
    return {**result, "w_plus": w_plus, "p": min(1.0, p),
            "smallest_possible_p": float(np.mean(np.abs(sums - centre) >= centre - 1e-9))}
