"""`mnist-cnn train` inside one process: alone on a device, or as one rank of a data-parallel run.

A rank is started by torchrun (PyTorch) or with a TF_CONFIG (Keras), by hand or by
`mnist-cnn train --nproc N` (launch.py). Every rank trains on its share of each global
batch through its framework's engine; only rank 0, the chief, loads the run into a run
folder and prints. The others print nothing but errors, and wait at the end until the
chief has published the run, so no process leaves while another still needs it.
"""

from __future__ import annotations

import os
import signal
from typing import Optional

from rich.console import Console

from .backends import get_backend
from .config import TrainConfig
from .runtime import DistributedError, World
from .training.loop import TrainOutcome, train_model

_stop_requested = False


def _stop_on_sigterm() -> None:
    """A launcher stops the other ranks with SIGTERM when one fails: unwind like Ctrl-C, so
    a half-assembled run folder is removed, and exit quietly (the launcher says why)."""
    def stop(signum, frame):
        global _stop_requested
        _stop_requested = True
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def train_single(framework: str, config: TrainConfig, console: Console, data_dir: Optional[str],
                 runs_dir: Optional[str], ensemble: int, device: str, precision: str,
                 local_replicas: int = 1, tensorboard: bool = False) -> TrainOutcome:
    """One process: resolve the device (a one-line DeviceError if it is not there), then train."""
    from . import workflows

    backend = get_backend(framework)
    engine = backend.start_engine(device, precision, local_replicas=local_replicas)
    runtime = engine.runtime
    if (runtime.device, runtime.precision, runtime.replicas) != ("cpu", "fp32", 1):
        console.print(f"Training {runtime.describe()}")
    try:
        return workflows.train(framework, config, console, data_dir, runs_dir, ensemble=ensemble, runtime=runtime,
                               tensorboard=tensorboard)
    finally:
        engine.close()


def train_as_rank(framework: str, config: TrainConfig, console: Console, data_dir: Optional[str],
                  runs_dir: Optional[str], device: str, precision: str, world: World,
                  timeout_s: float) -> Optional[TrainOutcome]:
    """One rank of a multi-process run; returns the outcome on the chief, None elsewhere."""
    from . import workflows
    from .data.mnist import load_mnist

    if framework == "keras":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # a lost peer is reported once, in Python
    backend = get_backend(framework)
    engine = backend.start_engine(device, precision, world, timeout_s)
    _stop_on_sigterm()  # from now on there can be a run folder to clean up; before, SIGTERM just ends it
    runtime = engine.runtime
    outcome = None
    try:
        if world.is_chief:
            console.print(f"Training {runtime.describe()}")
            outcome = workflows.train(framework, config, console, data_dir, runs_dir, runtime=runtime)
        else:
            train_model(config, framework, load_mnist(data_dir), None, runtime=runtime)
        engine.barrier()  # the others wait here until the chief has published the run
    except Exception as exc:
        if _stop_requested:
            # The SystemExit raised by the handler can land inside TensorFlow's C++ (pybind11 then
            # turns it into a RuntimeError with a native stack); the run folder is already removed
            # on the way here, so leave as quietly as the handler meant to.
            raise SystemExit(128 + signal.SIGTERM) from None
        line = engine.communication_failure(exc)
        if line is None:
            raise
        raise DistributedError(f"rank {world.rank} of {world.size} lost contact with the other processes: "
                               f"{line}") from None
    finally:
        # Training is over, done or failed: a SIGTERM from the launcher must no longer raise, or it
        # lands in exit-time cleanup (an atexit callback), which Python prints as a traceback.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    engine.close()
    return outcome
