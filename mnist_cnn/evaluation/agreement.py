"""How two models agree on the same test images, and whether their accuracies really differ.

Two accuracies such as 99.21% and 99.27% on the same 10,000 images are not independent
samples: most images are right (or wrong) for both models. What decides whether the
difference is real is only the images on which exactly one model is right. McNemar's test
looks at those: if the models were equally good, each such image would be equally likely
to favour either model, so the split b : c follows a Binomial(b + c, 1/2). The exact
(binomial) version is used because b + c is small for good MNIST models, where the
chi-squared approximation is poor.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from math import comb

import numpy as np


@dataclass(frozen=True)
class Agreement:
    total: int
    same_prediction: int   # both models predict the same digit (right or wrong)
    both_right: int
    only_a_right: int      # McNemar's b
    only_b_right: int      # McNemar's c
    both_wrong: int
    mcnemar_p: float       # two-sided exact p-value of "equally accurate"

    def to_dict(self) -> dict:
        return asdict(self)


def mcnemar_exact(only_a_right: int, only_b_right: int) -> float:
    """Two-sided exact McNemar p-value from the two discordant counts.

    p = 2 * P(X <= min(b, c)) for X ~ Binomial(b + c, 1/2), capped at 1; 1.0 when there is
    no discordant image at all (nothing speaks for either model).
    """
    if only_a_right < 0 or only_b_right < 0:
        raise ValueError("discordant counts cannot be negative")
    n = only_a_right + only_b_right
    if n == 0:
        return 1.0
    smaller = min(only_a_right, only_b_right)
    # Exact integers throughout; int / int is correctly rounded even for huge numbers.
    tail = sum(comb(n, k) for k in range(smaller + 1))
    return min(1.0, 2 * tail / 2 ** n)


def agreement(y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray) -> Agreement:
    """Agreement counts of two models' predicted digits on the same labelled images."""
    y_true, pred_a, pred_b = (np.asarray(v).astype(np.int64) for v in (y_true, pred_a, pred_b))
    if not y_true.shape == pred_a.shape == pred_b.shape or y_true.ndim != 1:
        raise ValueError(f"labels and predictions must be 1-D and equal in length: "
                         f"{y_true.shape}, {pred_a.shape}, {pred_b.shape}")
    right_a, right_b = pred_a == y_true, pred_b == y_true
    only_a = int(np.sum(right_a & ~right_b))
    only_b = int(np.sum(~right_a & right_b))
    return Agreement(
        total=int(y_true.size),
        same_prediction=int(np.sum(pred_a == pred_b)),
        both_right=int(np.sum(right_a & right_b)),
        only_a_right=only_a,
        only_b_right=only_b,
        both_wrong=int(np.sum(~right_a & ~right_b)),
        mcnemar_p=mcnemar_exact(only_a, only_b),
    )
