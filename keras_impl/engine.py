"""TensorFlow's own distributed engine for one process of a run: a tf.distribute strategy.

- several processes or machines: MultiWorkerMirroredStrategy, configured by TF_CONFIG
  (`mnist-cnn train --nproc N` writes one per process; across machines the user does);
- several GPUs of one process: MirroredStrategy;
- one GPU, or mixed precision: OneDeviceStrategy, so every case trains through the same code.

A strategy owns collective communication process-wide and MultiWorkerMirroredStrategy must
exist before TensorFlow runs anything, so the engine is started once, before the data is
loaded, and the trainer finds it here (`active()`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Optional

import numpy as np
import tensorflow as tf

from mnist_cnn.runtime import DistributedError, Runtime, World, threads_per_process

from .devices import Placement, check_precision, resolve_device

_ACTIVE: Optional["KerasEngine"] = None


class KerasEngine:
    def __init__(self, runtime: Runtime, world: World, placement: Placement,
                 strategy: Optional[tf.distribute.Strategy]):
        self.runtime = runtime
        self.world = world
        self.placement = placement
        self.strategy = strategy
        self._sum_fn = None

    @property
    def local_replicas(self) -> int:
        return len(self.strategy.extended.worker_devices) if self.strategy is not None else 1

    def all_sum(self, values: np.ndarray) -> np.ndarray:
        """The sum over all processes of each process's `values` (float32), by the strategy's collectives."""
        values = np.asarray(values, np.float32)
        if self.strategy is None or not self.world.distributed:
            return values
        if self._sum_fn is None:
            strategy = self.strategy

            def replica_sum(part):
                # tf.identity places the input on this replica's device, which all_reduce needs to know
                return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, tf.identity(part))

            @tf.function  # collectives run eagerly are slow, TensorFlow warns
            def summed(part):
                return strategy.run(replica_sum, args=(part,))

            self._sum_fn = summed
        # every local replica gets an equal part, so the sum over all replicas is the sum over processes
        result = self._sum_fn(tf.constant(values / self.local_replicas))
        return self.strategy.experimental_local_results(result)[0].numpy()

    def barrier(self) -> None:
        self.all_sum(np.zeros(1))

    def close(self) -> None:
        global _ACTIVE
        _ACTIVE = None

    @staticmethod
    def communication_failure(exc: BaseException) -> Optional[str]:
        """A one-line account of a failure to talk to the other processes, or None if it is not one."""
        lost = (tf.errors.UnavailableError, tf.errors.DeadlineExceededError, tf.errors.CancelledError,
                tf.errors.AbortedError)
        text = str(exc)
        if isinstance(exc, lost) or (isinstance(exc, tf.errors.OpError) and "ollective" in text):
            # TensorFlow prefixes the graph node ({{function_node ...}}) and appends the op's context
            lines = [re.sub(r"\{\{[^}]*\}\}\s*", "", line).strip().rstrip(":") for line in text.splitlines()]
            lines = [line for line in lines if line]
            reason = next((line for line in lines if "aborted by" in line or "reset by peer" in line
                           or "timed out" in line.lower() or "deadline" in line.lower()), None)
            return reason or (lines[0] if lines else type(exc).__name__)
        return None


def active() -> Optional[KerasEngine]:
    return _ACTIVE


def _watchdog(seconds: float, world: World) -> subprocess.Popen:
    """MultiWorkerMirroredStrategy waits for every worker of TF_CONFIG, holding the GIL while it
    does, so no Python thread or signal handler of this process can end the wait: a separate
    little process does. SIGKILL, because TensorFlow's coordination service takes SIGTERM for a
    preemption notice; there is nothing to clean up yet."""
    message = (f"Error: rank {world.rank}: the {world.size} processes listed in TF_CONFIG did not all join within "
               f"{seconds:.0f} s; check the addresses and that every worker was started (--dist-timeout)\n")
    code = ("import os, signal, sys, time\n"
            f"time.sleep({seconds!r})\n"
            f"sys.stderr.write({message!r}); sys.stderr.flush()\n"
            f"os.kill({os.getpid()}, signal.SIGKILL)\n")
    return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def _own_address() -> str:
    try:
        config = json.loads(os.environ["TF_CONFIG"])
        return config["cluster"][config["task"]["type"]][int(config["task"]["index"])]
    except (KeyError, ValueError, TypeError, IndexError):
        return "its address"


def start_engine(device: str, precision: str, world: World = World(), timeout_s: float = 300.0,
                 local_replicas: int = 1) -> KerasEngine:
    """Resolve the device and precision and create the strategy this process trains under."""
    global _ACTIVE
    if world.local_size > 1:
        threads = threads_per_process(world)
        # processes sharing a machine split its cores instead of each taking all of them
        tf.config.threading.set_intra_op_parallelism_threads(threads)
    placement = resolve_device(device)
    precision = check_precision(precision, placement)
    on_gpu = placement.tf_device is not None and "GPU" in placement.tf_device
    strategy: Optional[tf.distribute.Strategy] = None
    engine_name = ""
    replicas = 1
    if world.distributed:
        if on_gpu and world.local_size > 1:
            gpus = tf.config.list_physical_devices("GPU")
            tf.config.set_visible_devices(gpus[world.local_rank % len(gpus)], "GPU")  # one GPU per process
        options = tf.distribute.experimental.CommunicationOptions(
            implementation=(tf.distribute.experimental.CommunicationImplementation.NCCL if on_gpu
                            else tf.distribute.experimental.CommunicationImplementation.RING),
            timeout_seconds=timeout_s)
        tf.get_logger().setLevel("ERROR")  # the strategy's notices are not for users; errors still show
        watchdog = _watchdog(timeout_s, world)
        try:
            strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
        except (tf.errors.OpError, RuntimeError, ValueError) as exc:
            first = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
            if "server" in first.lower():
                first += f" (is {_own_address()}, this process's address in TF_CONFIG, already in use?)"
            raise DistributedError(f"rank {world.rank} could not start MultiWorkerMirroredStrategy from "
                                   f"TF_CONFIG: {first}") from None
        finally:
            watchdog.kill()
            watchdog.wait()
        replicas = strategy.num_replicas_in_sync
        engine_name = "MultiWorkerMirroredStrategy"
    elif local_replicas > 1:
        gpus = tf.config.list_physical_devices("GPU")
        if len(gpus) < local_replicas:
            raise DistributedError(f"{local_replicas} replicas in one process need as many GPUs; TensorFlow "
                                   f"sees {len(gpus)}")
        strategy = tf.distribute.MirroredStrategy([f"/GPU:{i}" for i in range(local_replicas)])
        replicas = strategy.num_replicas_in_sync
        engine_name = "MirroredStrategy"
    elif placement.tf_device is not None or precision != "fp32":
        strategy = tf.distribute.OneDeviceStrategy(placement.tf_device or "/CPU:0")
    runtime = Runtime(device=placement.label, precision=precision, rank=world.rank, processes=world.size,
                      replicas=replicas, engine=engine_name, device_name=placement.name)
    _ACTIVE = KerasEngine(runtime, world, placement, strategy)
    return _ACTIVE
