"""Reading the digits in a real image: find them (digits.py), predict them, report them.

One function, `read_image`, serves `mnist-cnn predict`, the camera snapshot and live modes,
the menu and the benchmark, so all of them read a photo the same way. The model is any
`Classifier`, called with batches: one for all digits of an image, plus one per doubtful
blob (one digit or two?), never one call per digit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..backends import Classifier
from .digits import Box, extract_digits
from .hypotheses import predict_views


@dataclass
class ReadDigit:
    digit: int
    confidence: float
    top3: list[tuple[int, float]]
    box: Box
    row: int
    image: np.ndarray  # the 28x28 the model saw

    def to_dict(self) -> dict:
        return {"digit": self.digit, "confidence": round(self.confidence, 4),
                "top3": [{"digit": d, "probability": round(p, 4)} for d, p in self.top3],
                "box": list(self.box), "row": self.row}


@dataclass
class Reading:
    digits: list[ReadDigit] = field(default_factory=list)
    polarity: str = "dark-on-light"
    roi: Optional[Box] = None

    @property
    def rows(self) -> list[str]:
        rows: list[str] = []
        last = None
        for d in self.digits:
            if d.row != last:
                rows.append("")
                last = d.row
            rows[-1] += str(d.digit)
        return rows

    @property
    def text(self) -> str:
        return "".join(self.rows)

    def to_dict(self) -> dict:
        return {"text": self.text, "rows": self.rows, "polarity": self.polarity,
                "roi": list(self.roi) if self.roi else None,
                "digits": [d.to_dict() for d in self.digits]}


def read_image(classifier: Classifier, image: np.ndarray, roi: Optional[Box] = None,
               polarity: str = "auto", max_side: Optional[int] = None) -> Reading:
    """Find, normalise and predict every digit in `image` (or in its `roi`), in reading order."""
    extraction = extract_digits(image, roi=roi, polarity=polarity, classify=classifier.predict_proba,
                                max_side=max_side)
    probabilities = predict_views(classifier.predict_proba, [d.views for d in extraction.digits])
    digits = []
    for found, p in zip(extraction.digits, probabilities):
        ranked = np.argsort(-p)[:3]
        digits.append(ReadDigit(int(ranked[0]), float(p[ranked[0]]),
                                [(int(k), float(p[k])) for k in ranked], found.box, found.row, found.image))
    return Reading(digits, extraction.polarity, extraction.roi)


def describe(reading: Reading) -> str:
    """One line for a terminal: the digits read, each with its confidence."""
    if not reading.digits:
        return "no digit found"
    parts = " ".join(f"{d.digit}({100 * d.confidence:.0f}%)" for d in reading.digits)
    rows = " / ".join(reading.rows)
    return f"{rows}   [{parts}]"
