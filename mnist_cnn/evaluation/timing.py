"""Inference timing, the project's one way: warm-up calls, many repetitions, medians, turns.

The first calls of a model pay for one-off work (tracing a tf.function, oneDNN choosing
its kernels, caches filling), so they are run and thrown away. A single measurement on a
shared machine is noise; the median of many repetitions is what a user will see most of
the time, and the 95th percentile (TAIL_PERCENTILE, the one tail figure everywhere) what an
unlucky frame of the camera sees.

The models being compared take turns, so a change of background load hits them all alike:
`measure_inference` (compare: two models, whole rounds of turns) and, for the deploy variants,
`latency_taking_turns` (short blocks of consecutive calls per turn, each block's first calls
not counted) and `predict_taking_turns` (batch by batch).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from ..backends import Classifier
from .predict import PREDICT_BATCH

LATENCY_WARMUP = 20
LATENCY_REPEATS = 200
BATCH_SIZE = 1000
BATCH_WARMUP = 2
BATCH_REPEATS = 10
ROUNDS = 5
TAIL_PERCENTILE = 95


def time_calls(call: Callable[[int], object], warmup: int, repeats: int,
               clock: Callable[[], float] = time.perf_counter) -> np.ndarray:
    """Seconds taken by each of `repeats` calls of `call(i)`, after `warmup` untimed calls."""
    if repeats < 0 or warmup < 0:
        raise ValueError("repetitions and warm-up cannot be negative")
    for i in range(warmup):
        call(i)
    seconds = np.empty(repeats)
    for i in range(repeats):
        start = clock()
        call(warmup + i)
        seconds[i] = clock() - start
    return seconds


@dataclass(frozen=True)
class InferenceTiming:
    latency_ms_median: float        # one image per call, as the camera calls the model
    latency_ms_p95: float
    batch_images_per_second: float  # from the median time of one batch
    latency_warmup: int
    latency_repeats: int
    batch_size: int
    batch_repeats: int
    rounds: int             # the models took turns this many times

    def to_dict(self) -> dict:
        return asdict(self)


def measure_inference(classifiers: Sequence[Classifier], images: np.ndarray,
                      latency_warmup: int = LATENCY_WARMUP, latency_repeats: int = LATENCY_REPEATS,
                      batch_size: int = BATCH_SIZE, batch_warmup: int = BATCH_WARMUP,
                      batch_repeats: int = BATCH_REPEATS, rounds: int = ROUNDS,
                      clock: Callable[[], float] = time.perf_counter) -> list[InferenceTiming]:
    """Single-image latency and batch throughput of each classifier on (N, 28, 28) uint8 images.

    The repetitions are split into `rounds`, and within each round the models take turns:
    on a shared machine the background load drifts, and taking turns lets every model see
    the same drift instead of one model getting the quiet minute and another the busy one.
    """
    if len(images) == 0:
        raise ValueError("no images to time")
    if not 1 <= rounds <= min(latency_repeats, batch_repeats):
        raise ValueError(f"rounds must be between 1 and the number of repetitions (got {rounds})")
    batch = images[:batch_size]

    # A different image on each call, as a camera delivers; the calls go through
    # predict_proba, the path every user of the model takes.
    def single(classifier: Classifier) -> Callable[[int], object]:
        return lambda i: classifier.predict_proba(images[i % len(images)][None])

    def whole_batch(classifier: Classifier) -> Callable[[int], object]:
        return lambda i: classifier.predict_proba(batch)

    for classifier in classifiers:  # warm-up, untimed
        time_calls(single(classifier), latency_warmup, 0, clock)
        time_calls(whole_batch(classifier), batch_warmup, 0, clock)
    singles: list[list[np.ndarray]] = [[] for _ in classifiers]
    batches: list[list[np.ndarray]] = [[] for _ in classifiers]
    for r in range(rounds):
        for k, classifier in enumerate(classifiers):
            n_single = latency_repeats * (r + 1) // rounds - latency_repeats * r // rounds
            n_batch = batch_repeats * (r + 1) // rounds - batch_repeats * r // rounds
            singles[k].append(time_calls(single(classifier), 0, n_single, clock))
            batches[k].append(time_calls(whole_batch(classifier), 0, n_batch, clock))
    out = []
    for k in range(len(classifiers)):
        latency, batch_seconds = np.concatenate(singles[k]), np.concatenate(batches[k])
        out.append(InferenceTiming(
            latency_ms_median=float(np.median(latency) * 1000),
            latency_ms_p95=float(np.percentile(latency, TAIL_PERCENTILE) * 1000),
            batch_images_per_second=float(len(batch) / np.median(batch_seconds)),
            latency_warmup=latency_warmup,
            latency_repeats=latency_repeats,
            batch_size=len(batch),
            batch_repeats=batch_repeats,
            rounds=rounds,
        ))
    return out


# Timing several models' variants in short blocks of turns (deploy: `export`, `onnx-compare`)
TURN_LATENCY_WARMUP = 20
TURN_LATENCY_REPEATS = 300
TURN_LATENCY_BLOCK = 20   # consecutive single-image calls per turn
TURN_LATENCY_REWARM = 4   # of which the first are not counted


def predict_taking_turns(classifiers: Mapping[str, Classifier], images: np.ndarray,
                         batch: int = PREDICT_BATCH) -> dict[str, tuple[np.ndarray, list[float]]]:
    """For each model: probabilities in the batches predict_proba_batched uses, and each
    batch's seconds; the models take turns batch by batch."""
    parts: dict[str, list[np.ndarray]] = {name: [] for name in classifiers}
    seconds: dict[str, list[float]] = {name: [] for name in classifiers}
    for start in range(0, len(images), batch):
        chunk = images[start:start + batch]
        for name, classifier in classifiers.items():
            began = time.perf_counter()
            parts[name].append(classifier.predict_proba(chunk))
            seconds[name].append(time.perf_counter() - began)
    return {name: (np.concatenate(parts[name]), seconds[name]) for name in classifiers}


def throughput(batch_seconds: list[float], batch: int = PREDICT_BATCH) -> float:
    """Images per second of a full batch, from the median batch after the first (warm-up)."""
    timed = batch_seconds[1:] or batch_seconds
    return batch / float(np.median(timed))


def latency_taking_turns(classifiers: Mapping[str, Classifier], images: np.ndarray,
                         repeats: int = TURN_LATENCY_REPEATS, warmup: int = TURN_LATENCY_WARMUP,
                         block: int = TURN_LATENCY_BLOCK, rewarm: int = TURN_LATENCY_REWARM) -> dict[str, dict]:
    """Median and 95th percentile (TAIL_PERCENTILE) milliseconds of predict_proba on one image, per model.

    The models take turns in short blocks of consecutive calls (a few milliseconds each), so
    a change of load hits them all alike, while within a block a model runs as it would in a
    loop of its own, caches warm; the first calls of each block are not counted. (Turns of
    one call each left every model running with another's data in the caches: ONNX Runtime
    measured 0.5 ms instead of 0.2.)
    """
    names = list(classifiers)
    for name in names:
        for i in range(warmup):
            classifiers[name].predict_proba(images[i % len(images)][None])
    seconds: dict[str, list[float]] = {name: [] for name in names}
    counted = block - rewarm
    rounds = -(-repeats // counted)
    for r in range(rounds):
        for k in range(len(names)):
            name = names[(r + k) % len(names)]  # a different model starts each round
            for i in range(block):
                one = images[(r * block + i) % len(images)][None]
                began = time.perf_counter()
                classifiers[name].predict_proba(one)
                if i >= rewarm:
                    seconds[name].append(time.perf_counter() - began)
    return {name: {"latency_ms": 1000 * float(np.median(s)),
                   "latency_p95_ms": 1000 * float(np.percentile(s, TAIL_PERCENTILE))}
            for name, s in seconds.items()}
