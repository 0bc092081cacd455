"""Inference timing measured as a benchmark would: warm-up calls, many repetitions, medians.

The first calls of a model pay for one-off work (tracing a tf.function, oneDNN choosing
its kernels, caches filling), so they are run and thrown away. A single measurement on a
shared machine is noise; the median of many repetitions is what a user will see most of
the time, and the 95th percentile what an unlucky frame of the camera sees.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Callable, Sequence

import numpy as np

from ..backends import Classifier

LATENCY_WARMUP = 20
LATENCY_REPEATS = 200
BATCH_SIZE = 1000
BATCH_WARMUP = 2
BATCH_REPEATS = 10
ROUNDS = 5


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
            latency_ms_p95=float(np.percentile(latency, 95) * 1000),
            batch_images_per_second=float(len(batch) / np.median(batch_seconds)),
            latency_warmup=latency_warmup,
            latency_repeats=latency_repeats,
            batch_size=len(batch),
            batch_repeats=batch_repeats,
            rounds=rounds,
        ))
    return out
