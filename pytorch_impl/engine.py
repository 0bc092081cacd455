"""PyTorch's own distributed engine for one process of a run: torch.distributed + DDP.

torchrun (or `mnist-cnn train --nproc N`, which drives torchrun's launcher) starts the
processes and sets RANK / WORLD_SIZE / MASTER_ADDR / MASTER_PORT; here each process joins
the process group (gloo on CPUs, NCCL on GPUs). The gradients are averaged by
DistributedDataParallel in pytorch_impl/distributed_train.py, never by hand.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Optional

import torch
import torch.distributed as dist

from mnist_cnn.runtime import DistributedError, Runtime, World, threads_per_process

from .devices import check_precision, device_label, device_name, resolve_device


class TorchEngine:
    def __init__(self, runtime: Runtime, world: World):
        self.runtime = runtime
        self.world = world

    def barrier(self) -> None:
        if self.world.distributed:
            if torch.device(self.runtime.device).type == "cuda":
                dist.barrier(device_ids=[torch.device(self.runtime.device).index])
            else:
                dist.barrier()

    def close(self) -> None:
        if self.world.distributed and dist.is_initialized():
            dist.destroy_process_group()

    @staticmethod
    def communication_failure(exc: BaseException) -> Optional[str]:
        """A one-line account of a failure to talk to the other processes, or None if it is not one."""
        text = str(exc).strip().splitlines()
        first = next((line.strip() for line in text if line.strip()), type(exc).__name__)
        if isinstance(exc, getattr(dist, "DistError", ())):
            return first
        if isinstance(exc, RuntimeError) and any(word in str(exc) for word in
                                                 ("gloo", "Gloo", "NCCL", "Connection", "connection",
                                                  "Socket", "socket", "timed out", "Timed out")):
            return first
        return None


def start_engine(device: str, precision: str, world: World = World(), timeout_s: float = 300.0,
                 local_replicas: int = 1) -> TorchEngine:
    """Resolve the device and precision; with several processes, join their process group.

    `local_replicas` is Keras' MirroredStrategy (several GPUs under one process); PyTorch runs
    one replica per process, so it takes only 1 (several: `--nproc`)."""
    if local_replicas != 1:
        raise DistributedError("PyTorch trains one replica per process: use --nproc N for N devices")
    if world.local_size > 1:
        # processes sharing a machine split its cores instead of each taking all of them
        torch.set_num_threads(threads_per_process(world))
    dev = resolve_device(device, world)
    precision = check_precision(precision, dev)
    engine_name = ""
    if world.distributed:
        if not dist.is_available():
            raise DistributedError(f"PyTorch {torch.__version__} was built without torch.distributed")
        backend = "nccl" if dev.type == "cuda" else "gloo"
        if dev.type == "cuda":
            torch.cuda.set_device(dev)
        try:
            dist.init_process_group(backend, timeout=timedelta(seconds=timeout_s),
                                    **({"device_id": dev} if dev.type == "cuda" else {}))
        except Exception as exc:  # noqa: BLE001 - any failure to connect becomes one line
            detail = TorchEngine.communication_failure(exc) or str(exc).splitlines()[0]
            raise DistributedError(f"rank {world.rank} could not join the other {world.size - 1} process(es) "
                                   f"({backend}): {detail}") from None
        engine_name = f"DistributedDataParallel ({backend})"
    runtime = Runtime(device=device_label(dev), precision=precision, rank=world.rank, processes=world.size,
                      replicas=world.size, engine=engine_name, device_name=device_name(dev))
    return TorchEngine(runtime, world)
