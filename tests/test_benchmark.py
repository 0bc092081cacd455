"""The inference benchmark's arithmetic, driven by a fake clock (no wall-clock asserts)."""

import numpy as np
import pytest

from mnist_cnn.evaluation.timing import measure_inference, time_calls


class FakeClock:
    """Time advances only when a fake model says it worked."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeModel:
    """Takes `per_image` seconds per image plus `overhead` per call; the first `slow_calls` take 1 s more."""

    def __init__(self, clock: FakeClock, name: str, log: list, per_image: float, overhead: float,
                 slow_calls: int = 0):
        self.clock, self.name, self.log = clock, name, log
        self.per_image, self.overhead, self.slow_calls = per_image, overhead, slow_calls
        self.calls = 0

    def predict_proba(self, images):
        self.calls += 1
        self.log.append((self.name, len(images)))
        self.clock.now += self.overhead + self.per_image * len(images) + (1.0 if self.calls <= self.slow_calls else 0)
        return np.full((len(images), 10), 0.1, np.float32)


def test_time_calls_discards_the_warm_up():
    clock = FakeClock()
    durations = iter([5.0, 5.0, 1.0, 2.0, 3.0])

    def call(i):
        clock.now += next(durations)

    seconds = time_calls(call, warmup=2, repeats=3, clock=clock)
    assert seconds.tolist() == [1.0, 2.0, 3.0]


def test_latency_and_throughput_from_medians_with_slow_first_calls_ignored():
    clock, log = FakeClock(), []
    # 1 ms per call plus 0.1 ms per image; the first 5 calls (warm-up) are 1 s slower.
    model = FakeModel(clock, "a", log, per_image=1e-4, overhead=1e-3, slow_calls=5)
    images = np.zeros((3000, 28, 28), np.uint8)
    [timing] = measure_inference([model], images, latency_warmup=5, latency_repeats=20, batch_size=1000,
                                 batch_warmup=1, batch_repeats=4, rounds=2, clock=clock)
    assert timing.latency_ms_median == pytest.approx(1.1)
    assert timing.latency_ms_p95 == pytest.approx(1.1)
    assert timing.batch_images_per_second == pytest.approx(1000 / (1e-3 + 0.1))
    assert (timing.latency_repeats, timing.batch_size, timing.batch_repeats, timing.rounds) == (20, 1000, 4, 2)
    single_calls = [n for _, n in log if n == 1]
    batch_calls = [n for _, n in log if n == 1000]
    assert len(single_calls) == 5 + 20 and len(batch_calls) == 1 + 4


def test_the_95th_percentile_sees_the_slow_tail_the_median_ignores():
    clock = FakeClock()
    slow = {7, 13}  # 2 of 20 timed calls take 50 ms instead of 1 ms

    class Jittery:
        calls = 0

        def predict_proba(self, images):
            Jittery.calls += 1
            clock.now += 0.05 if len(images) == 1 and Jittery.calls - 1 in slow else 0.001
            return np.zeros((len(images), 10), np.float32)

    [timing] = measure_inference([Jittery()], np.zeros((10, 28, 28), np.uint8), latency_warmup=0,
                                 latency_repeats=20, batch_warmup=0, batch_repeats=1, rounds=1, clock=clock)
    assert timing.latency_ms_median == pytest.approx(1.0)
    expected_p95 = np.percentile([1.0] * 18 + [50.0] * 2, 95)
    assert timing.latency_ms_p95 == pytest.approx(expected_p95)
    assert timing.latency_ms_p95 > 10 * timing.latency_ms_median


def test_models_take_turns_round_by_round():
    clock, log = FakeClock(), []
    a = FakeModel(clock, "a", log, per_image=1e-4, overhead=1e-3)
    b = FakeModel(clock, "b", log, per_image=2e-4, overhead=3e-3)
    timings = measure_inference([a, b], np.zeros((100, 28, 28), np.uint8), latency_warmup=2, latency_repeats=9,
                                batch_size=50, batch_warmup=1, batch_repeats=3, rounds=3, clock=clock)
    timed = log[2 * (2 + 1):]  # after both models' warm-up
    owners = [name for name, _ in timed]
    # each round: a's 3 single calls and 1 batch, then b's
    assert owners == (["a"] * 4 + ["b"] * 4) * 3
    assert timings[0].latency_ms_median == pytest.approx(1.1)
    assert timings[1].latency_ms_median == pytest.approx(3.2)
    assert timings[1].batch_images_per_second == pytest.approx(50 / (3e-3 + 50 * 2e-4))


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="no images"):
        measure_inference([object()], np.zeros((0, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="rounds"):
        measure_inference([object()], np.zeros((5, 28, 28), np.uint8), batch_repeats=3, rounds=4)


def test_variants_take_turns_in_blocks_and_report_the_same_tail_percentile():
    from mnist_cnn.evaluation.timing import TAIL_PERCENTILE, latency_taking_turns

    class Counting:
        def __init__(self):
            self.calls = 0

        def predict_proba(self, images):
            self.calls += 1
            return np.zeros((len(images), 10), np.float32)

    models = {"a": Counting(), "b": Counting()}
    result = latency_taking_turns(models, np.zeros((5, 28, 28), np.uint8), repeats=32, warmup=3, block=20, rewarm=4)
    # 32 counted calls need two blocks of 16 counted (+4 re-warming) calls each, after 3 warm-up calls
    assert [m.calls for m in models.values()] == [3 + 2 * 20] * 2
    assert TAIL_PERCENTILE == 95
    for row in result.values():
        assert set(row) == {"latency_ms", "latency_p95_ms"} and 0 <= row["latency_ms"] <= row["latency_p95_ms"]
