"""`mnist-cnn train --nproc N`: start N processes of one run on this machine, and watch them.

PyTorch: torchrun's own launcher (torch.distributed.launcher, what the `torchrun` command
runs), with a c10d rendezvous on 127.0.0.1. Keras: N processes, each with a TF_CONFIG that
lists all N as workers of a MultiWorkerMirroredStrategy. Either way the processes then
find each other through their framework's engine; nothing here touches a gradient.

What this adds is a clean end: a port that is taken, or a process that dies, ends the run
with one line naming the cause. The other processes are stopped (they remove a half-made
run folder on their way out) and nothing waits for ever.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from typing import Iterator, Optional, Sequence

from .backends import get_backend
from .runtime import DistributedError, World, threads_per_process

GRACE_SECONDS = 30  # how long stopped processes get to clean up (remove a half-made run) before SIGKILL


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def require_free_ports(host: str, ports: Sequence[int]) -> None:
    taken = [p for p in ports if not port_is_free(host, p)]
    if taken:
        which = ", ".join(str(p) for p in taken)
        raise DistributedError(f"port {which} on {host} is already in use: choose another --master-port, "
                               f"or leave it out to pick free ones")


def free_ports(host: str, count: int) -> list[int]:
    """`count` distinct ports the system calls free now (held open together, so they differ)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(count)]
        for s in sockets:
            s.bind((host, 0))
        return [s.getsockname()[1] for s in sockets]


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Variables the started processes inherit, set only for the launch (setdefault: a user's win)."""
    saved = {key: os.environ.get(key) for key in values}
    for key, value in values.items():
        os.environ.setdefault(key, value)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def _quiet_logging() -> Iterator[None]:
    """torchrun's agent logs its every step, failures included; the user gets our one line instead."""
    import logging

    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def _describe_exit(rank: int, size: int, code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"process rank {rank} of {size} was killed by {name}"
    return f"process rank {rank} of {size} failed with exit code {code} (its message, if any, is above)"


def root_cause(failures: dict[int, int]) -> tuple[int, int]:
    """(rank, exit code) of the failure that started it, among those seen together.

    Processes stopped by the launcher (SIGTERM) are consequences; so, usually, is a process
    that exits with an error because a peer vanished, which is why one killed by a signal
    comes first.
    """
    stopped = (-signal.SIGTERM, 128 + signal.SIGTERM)
    causes = [r for r, code in failures.items() if code not in stopped] or list(failures)
    rank = min(causes, key=lambda r: (failures[r] >= 0, r))
    return rank, failures[rank]


def _failure(first: tuple[int, int], size: int) -> DistributedError:
    rank, code = first
    return DistributedError(f"{_describe_exit(rank, size, code)}; the other processes were stopped and no run "
                            f"folder was written")


def launch_torch(nproc: int, worker_args: list[str], host: str, port: Optional[int], timeout_s: float) -> None:
    """Run `python -m mnist_cnn <worker_args>` in `nproc` processes under torchrun's launcher."""
    if port:
        require_free_ports(host, [port])  # before torch is even imported
    from torch.distributed.elastic.multiprocessing import DefaultLogsSpecs
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    threads = threads_per_process(World(size=nproc, local_size=nproc))
    with tempfile.TemporaryDirectory(prefix="mnist-cnn-torchrun-") as logs, _quiet_logging(), \
            _environment(OMP_NUM_THREADS=str(threads), TORCH_ELASTIC_SHUTDOWN_TIMEOUT=str(GRACE_SECONDS)):
        config = LaunchConfig(
            min_nodes=1, max_nodes=1, nproc_per_node=nproc, run_id=f"mnist-cnn-{uuid.uuid4().hex[:12]}",
            rdzv_backend="c10d", rdzv_endpoint=f"{host}:{port or 0}",  # port 0: a free one, no race
            rdzv_configs={"timeout": int(timeout_s)}, max_restarts=0, monitor_interval=0.1,
            logs_specs=DefaultLogsSpecs(log_dir=logs), shutdown_timeout=GRACE_SECONDS)
        try:
            elastic_launch(config, sys.executable)("-m", "mnist_cnn", *worker_args)
        except ChildFailedError as exc:
            first_seen = min(f.timestamp for f in exc.failures.values())
            raise _failure(root_cause({rank: f.exitcode for rank, f in exc.failures.items()
                                       if f.timestamp <= first_seen + 1}), nproc) from None
        except SignalException:
            raise KeyboardInterrupt from None
        except Exception as exc:  # noqa: BLE001 - the rendezvous could not start: say why in one line
            first = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
            if "EADDRINUSE" in str(exc) or "address already in use" in str(exc).lower():
                raise DistributedError(f"port {port} on {host} is already in use: choose another --master-port, "
                                       f"or leave it out to pick a free one") from None
            raise DistributedError(f"torchrun could not start {nproc} processes on {host}: {first}") from None


def launch_keras(nproc: int, worker_args: list[str], host: str, port: Optional[int]) -> None:
    """Run `python -m mnist_cnn <worker_args>` in `nproc` processes, worker i of a shared TF_CONFIG."""
    ports = list(range(port, port + nproc)) if port else free_ports(host, nproc)
    if port:
        require_free_ports(host, ports)
    workers = [f"{host}:{p}" for p in ports]
    threads = threads_per_process(World(size=nproc, local_size=nproc))
    processes: list[subprocess.Popen] = []
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(threads))}
    if not os.environ.get("MNIST_CNN_TF_VERBOSE"):
        # a lost process is reported once, in Python, not again by TensorFlow's C++ logs
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    previous = signal.getsignal(signal.SIGTERM)

    def stop_all(signum=None, frame=None):
        for p in processes:
            if p.poll() is None:
                p.terminate()
        if signum is not None:
            raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop_all)  # a launcher stopped by SIGTERM stops its processes too
    try:
        for index in range(nproc):
            tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
            processes.append(subprocess.Popen([sys.executable, "-m", "mnist_cnn", *worker_args],
                                              env={**env, "TF_CONFIG": json.dumps(tf_config)}))
        first = _supervise(processes)
    except KeyboardInterrupt:
        stop_all()
        _wait_or_kill(processes, time.monotonic() + GRACE_SECONDS)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    if first is not None:
        raise _failure(first, nproc)


def _supervise(processes: list[subprocess.Popen]) -> Optional[tuple[int, int]]:
    """Wait for all; on the first failure stop the rest. Returns (rank, exit code) of that failure."""
    first: Optional[tuple[int, int]] = None
    deadline = None
    while True:
        codes = [p.poll() for p in processes]
        if first is None:
            failed = {rank: code for rank, code in enumerate(codes) if code not in (None, 0)}
            if failed:
                first = root_cause(failed)
                for p in processes:
                    if p.poll() is None:
                        p.terminate()
                deadline = time.monotonic() + GRACE_SECONDS
        if all(code is not None for code in codes):
            return first
        if deadline is not None and time.monotonic() > deadline:
            _wait_or_kill(processes, deadline)
            return first
        time.sleep(0.1)


def _wait_or_kill(processes: list[subprocess.Popen], deadline: float) -> None:
    for p in processes:
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


MNIST_TRAIN_IMAGES = 60_000  # the training set the split is cut from (data.py checks every file's size)


def launch_training(framework: str, nproc: int, worker_args: list[str], console, *, config, data_dir: Optional[str],
                    device: str, host: str = "127.0.0.1", port: Optional[int] = None,
                    timeout_s: float = 300.0) -> Optional[int]:
    """Check everything that can be checked once, here, then start the processes.

    Returns the number of GPUs when Keras should rather train in this very process under a
    MirroredStrategy (one replica per GPU); None once the processes have run.
    """
    from .data import mnist as data_module
    from .runtime import check_shardable
    from .training.loop import split_indices

    # Options every process would reject are rejected once, before any process starts.
    n_train = len(split_indices(MNIST_TRAIN_IMAGES, config.val_split, config.seed, config.train_limit).train_index)
    check_shardable(n_train, config.batch_size, nproc)
    if framework == "torch":
        if port:
            require_free_ports(host, [port])
        get_backend("torch").check_device(device, World(size=nproc, local_size=nproc))  # one DeviceError now
    else:
        if port:
            require_free_ports(host, range(port, port + nproc))
        if device != "cpu":
            gpus = get_backend("keras").check_device(device)
            if gpus >= nproc:
                return nproc
            if gpus:
                raise DistributedError(f"--nproc {nproc} with Keras on GPUs needs {nproc} GPUs (one replica "
                                       f"each); TensorFlow sees {gpus}: use --nproc {gpus} or --device cpu")
    if data_module.locate(data_dir) is None:  # download once here, not once per process
        from .data.loading import load_data

        load_data(data_dir, console)
    if framework == "torch":
        launch_torch(nproc, worker_args, host, port, timeout_s)
    else:
        launch_keras(nproc, worker_args, host, port)
    return None

