"""From what the page sends to what it shows: the 28x28 inputs and both frameworks' answers.

A drawing is one digit: all its ink, however many strokes, is cropped, binarised at the
reading pipeline's working size and turned into MNIST's form by the same functions as a
photo's digits (digits.mnist_views: pen width, 20x20 fit, centre of mass, the four pen
widths averaged). A photo goes through the whole reading pipeline (digits.extract_digits)
once; every framework then answers on the very same 28x28 images, so a difference between
the columns is a difference between the models and nothing else.
"""

from __future__ import annotations

import base64
import time
from typing import Optional

import cv2
import numpy as np

from ..models.architectures import Conv
from ..backends import display_name, get_backend
from ..reading.digits import PENS, WORK_SIZE, Box, extract_digits, mnist_views
from ..reading.hypotheses import predict_views
from ..reading.ink import to_grey
from .models import Loaded

DOUBTFUL = 0.8  # below this confidence a digit is marked doubtful (as `predict` colours it)
POLARITY = {"auto": "auto", "dark": "dark-on-light", "light": "light-on-dark"}


class NothingDrawn(ValueError):
    """The drawing holds no ink."""


def drawn_views(image: np.ndarray) -> list[np.ndarray]:
    """A canvas (dark ink on light, or light on dark) -> its one digit as 28x28 views."""
    grey = to_grey(image).astype(np.float32) / 255.0
    # A canvas is mostly background: its median says which side the ink is on.
    ink = 1.0 - grey if np.median(grey) > 0.5 else grey
    ys, xs = np.nonzero(ink > 0.5)
    if len(xs) == 0:
        raise NothingDrawn("nothing drawn: no ink on the canvas")
    crop = ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    scale = WORK_SIZE / max(crop.shape)
    size = (max(1, int(round(crop.shape[1] * scale))), max(1, int(round(crop.shape[0] * scale))))
    crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    binary = (crop > 0.5).astype(np.uint8)
    ys, xs = np.nonzero(binary)
    if len(xs) == 0:
        raise NothingDrawn("nothing drawn: the ink is too faint")
    return mnist_views(binary[ys.min():ys.max() + 1, xs.min():xs.max() + 1], PENS)


def answer(framework: str, probabilities: np.ndarray, ms: float) -> dict:
    digit = int(np.argmax(probabilities))
    return {"framework": framework, "name": display_name(framework), "digit": digit,
            "confidence": round(float(probabilities[digit]), 4),
            "probabilities": [round(float(p), 4) for p in probabilities], "ms": round(ms, 2)}


def framework_answers(models: dict[str, Loaded], views: list[list[np.ndarray]]) -> dict[str, tuple[np.ndarray, float]]:
    """Each framework's probabilities (N, 10) for the digits' views, and its time in ms."""
    out = {}
    for framework, model in models.items():
        start = time.perf_counter()
        probabilities = predict_views(model.predict, views)
        out[framework] = (probabilities, 1000 * (time.perf_counter() - start))
    return out


def agreement(answers: dict[str, dict]) -> Optional[bool]:
    """True / False when two frameworks answered; None with only one."""
    digits = {a["digit"] for a in answers.values()}
    return None if len(answers) < 2 else len(digits) == 1


def png_data_url(image: np.ndarray) -> str:
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return "data:image/png;base64," + base64.b64encode(encoded.tobytes()).decode("ascii")


def tile(maps: np.ndarray) -> np.ndarray:
    """(H, W, C) feature maps -> one grey image of C tiles, each stretched to 0-255, 1 px apart."""
    h, w, count = maps.shape
    columns = int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    sheet = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), 40, np.uint8)
    for k in range(count):
        one = maps[..., k].astype(np.float32)
        low, high = float(one.min()), float(one.max())
        scaled = (one - low) / (high - low) * 255 if high > low else np.zeros_like(one)
        r, c = divmod(k, columns)
        sheet[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = scaled.astype(np.uint8)
    return sheet


def feature_maps(model: Loaded, image: np.ndarray) -> dict:
    """What each convolution layer of `model` makes of the 28x28 `image`, as tiled PNGs."""
    if not model.has_layers:
        return {"framework": model.framework, "layers": [],
                "note": f"{model.path.name} is an exported file: its layers cannot be shown"}
    backend = get_backend(model.framework)
    spec = model.classifier.spec
    with model.lock:
        outputs = backend.layer_outputs(model.classifier, image[None])
    layers = []
    for n, i in enumerate(k for k, layer in enumerate(spec.layers) if isinstance(layer, Conv)):
        maps = outputs[i][0]
        if backend.channels_first:
            maps = maps.transpose(1, 2, 0)
        layer = spec.layers[i]
        layers.append({"name": f"conv {n + 1}: {layer.filters} filters {layer.kernel}×{layer.kernel}",
                       "shape": list(maps.shape), "png": png_data_url(tile(maps))})
    return {"framework": model.framework, "name": display_name(model.framework), "layers": layers}


def read_drawing(models: dict[str, Loaded], image: np.ndarray, maps: Optional[str] = None) -> dict:
    """A drawn digit -> its 28x28 input, each framework's answer, and one framework's feature maps."""
    views = drawn_views(image)
    shown = views[len(views) // 2]  # MNIST's own pen width, as `predict --save-digits` shows it
    answers = {fw: answer(fw, p[0], ms) for fw, (p, ms) in framework_answers(models, [views]).items()}
    out = {"input": shown.tolist(), "answers": answers, "agree": agreement(answers)}
    if maps and maps in models:
        out["feature_maps"] = feature_maps(models[maps], shown)
    return out


def read_photo(models: dict[str, Loaded], image: np.ndarray, roi: Optional[Box] = None,
               ink: str = "auto") -> dict:
    """Every digit in a photo: boxes, reading order, 28x28 inputs and each framework's answers.

    Where geometry cannot tell one digit from two touching ones, the first framework's model
    settles it (as `predict` lets its model), then every framework reads the same digits.
    """
    first = next(iter(models.values()))
    extraction = extract_digits(image, roi=roi, polarity=POLARITY[ink], classify=first.predict)
    found = extraction.digits
    results = framework_answers(models, [d.views for d in found])
    digits = []
    for k, d in enumerate(found):
        answers = {fw: answer(fw, p[k], 0.0) for fw, (p, _) in results.items()}
        for a in answers.values():
            del a["ms"]
        agree = agreement(answers)
        doubtful = agree is False or any(a["confidence"] < DOUBTFUL for a in answers.values())
        digits.append({"box": list(d.box), "row": d.row, "input": d.image.tolist(), "answers": answers,
                       "agree": agree, "doubtful": doubtful})
    texts = {}
    for fw in results:
        rows: list[str] = []
        for k, d in enumerate(digits):
            if k == 0 or d["row"] != digits[k - 1]["row"]:
                rows.append("")
            rows[-1] += str(d["answers"][fw]["digit"])
        texts[fw] = {"text": "".join(rows), "rows": rows}
    return {"width": int(image.shape[1]), "height": int(image.shape[0]), "polarity": extraction.polarity,
            "roi": list(extraction.roi) if extraction.roi else None, "digits": digits, "read": texts,
            "ms": {fw: round(ms, 2) for fw, (_, ms) in results.items()}}
