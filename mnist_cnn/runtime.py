"""Where a model runs: the device, the precision, and this process's place among several.

Framework-free: the words a user types (`--device cuda:1`, `--precision bf16`) and the
environment a launcher sets (torchrun's RANK / WORLD_SIZE, TensorFlow's TF_CONFIG) are read
here; each backend resolves them against what its framework can really see
(pytorch_impl/devices.py, keras_impl/devices.py) and starts its own distributed engine.

A data-parallel run keeps the core's global batches: every replica takes `shard(batch)`,
its slice of each global batch, and the framework averages the gradients, so a run on N
replicas follows the same trajectory as one process, up to float noise.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np

from .errors import MnistCnnError

DEVICES_HELP = "auto (CUDA, then Apple MPS, then CPU), cpu, cuda, cuda:N or mps"
PRECISIONS = ("fp32", "bf16", "fp16")
_DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


class DeviceError(MnistCnnError):
    """The device or precision asked for is not available here; the message says what is."""


class DistributedError(MnistCnnError):
    """A multi-process run could not start or lost a process; the message says which and why."""


def parse_device(text: str) -> str:
    """Normalise a `--device` value ("CUDA:0" -> "cuda:0"); ValueError for anything else."""
    value = str(text).strip().lower()
    if not _DEVICE_PATTERN.match(value):
        raise ValueError(f"unknown device {text!r}; choose {DEVICES_HELP}")
    return value


def parse_precision(text: str) -> str:
    value = str(text).strip().lower()
    if value not in PRECISIONS:
        raise ValueError(f"unknown precision {text!r}; choose one of {', '.join(PRECISIONS)}")
    return value


@dataclass(frozen=True)
class World:
    """This process's place in a data-parallel run: rank 0 of 1 for an ordinary run."""

    rank: int = 0
    size: int = 1              # processes in the run
    local_rank: int = 0        # index among the processes of this machine (picks a GPU)
    local_size: int = 1        # processes on this machine (shares its CPU cores)
    launcher: str = ""         # "torchrun" | "TF_CONFIG" | ""

    @property
    def is_chief(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def torch_world(environ: Optional[dict] = None) -> World:
    """The world torchrun describes (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE)."""
    env = os.environ if environ is None else environ
    if "WORLD_SIZE" not in env or "RANK" not in env:
        return World()
    try:
        size, rank = int(env["WORLD_SIZE"]), int(env["RANK"])
        local_rank = int(env.get("LOCAL_RANK", rank))
        local_size = int(env.get("LOCAL_WORLD_SIZE", size))
    except ValueError:
        raise DistributedError(f"RANK / WORLD_SIZE are not numbers (RANK={env.get('RANK')!r}, "
                               f"WORLD_SIZE={env.get('WORLD_SIZE')!r})") from None
    if not 0 <= rank < size:
        raise DistributedError(f"RANK={rank} is outside WORLD_SIZE={size}")
    return World(rank, size, local_rank, local_size, "torchrun")


def keras_world(environ: Optional[dict] = None) -> World:
    """The world TF_CONFIG describes: workers (and an optional chief), this task's index.

    The chief (or worker 0 without one) is rank 0, the one that writes the run folder.
    """
    env = os.environ if environ is None else environ
    raw = env.get("TF_CONFIG", "").strip()
    if not raw:
        return World()
    try:
        config = json.loads(raw)
        cluster, task = config["cluster"], config["task"]
        kind, index = str(task["type"]), int(task["index"])
    except (ValueError, KeyError, TypeError) as exc:
        raise DistributedError(f"TF_CONFIG is not valid: expected {{\"cluster\": {{\"worker\": [\"host:port\", "
                               f"...]}}, \"task\": {{\"type\": \"worker\", \"index\": 0}}}} ({exc})") from None
    unsupported = sorted(set(cluster) - {"chief", "worker"})
    if unsupported:
        raise DistributedError(f"TF_CONFIG lists {', '.join(unsupported)}: mnist-cnn trains with "
                               f"MultiWorkerMirroredStrategy, which takes only 'chief' and 'worker' tasks")
    order = [("chief", i) for i in range(len(cluster.get("chief", [])))] + \
            [("worker", i) for i in range(len(cluster.get("worker", [])))]
    if (kind, index) not in order:
        raise DistributedError(f"TF_CONFIG's task {kind} {index} is not in its cluster")
    hosts = [cluster[k][i].rsplit(":", 1)[0] for k, i in order]
    mine = hosts[order.index((kind, index))]
    rank = order.index((kind, index))
    same_machine = [r for r, host in enumerate(hosts) if host == mine]
    return World(rank, len(order), same_machine.index(rank), len(same_machine), "TF_CONFIG")


def world_for(framework: str, environ: Optional[dict] = None) -> World:
    """The world this process belongs to, as the framework's own launcher describes it."""
    return torch_world(environ) if framework == "torch" else keras_world(environ)


def threads_per_process(world: World, cpu_count: Optional[int] = None) -> int:
    """Processes sharing a machine split its cores, so they do not fight over them."""
    cores = cpu_count or os.cpu_count() or 1
    return max(1, cores // max(1, world.local_size))


@dataclass(frozen=True)
class Runtime:
    """How a model is trained or run, as resolved by a backend (recorded in config.json)."""

    device: str = "cpu"          # resolved: "cpu", "cuda:0", "mps"
    precision: str = "fp32"
    rank: int = 0
    processes: int = 1
    replicas: int = 1            # data-parallel replicas in all (several GPUs of one process count)
    engine: str = ""             # e.g. "DistributedDataParallel (gloo)", "MultiWorkerMirroredStrategy"
    device_name: str = ""        # what the framework calls it, e.g. "NVIDIA H100 80GB HBM3"

    @property
    def is_chief(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.replicas > 1

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        where = self.device + (f" ({self.device_name})" if self.device_name else "")
        text = f"on {where}, {self.precision}"
        if self.distributed:
            text += f", {self.replicas} replicas in {self.processes} process(es) · {self.engine}"
        return text


def shard(batch: np.ndarray, replica: int, replicas: int) -> np.ndarray:
    """A replica's share of one global batch: every `replicas`-th index, starting at its own."""
    return batch[replica::replicas]


def check_shardable(n_train: int, batch_size: int, replicas: int) -> None:
    """Every replica needs at least one image of every global batch (batch norm, all-reduce)."""
    if replicas <= 1:
        return
    if batch_size < replicas:
        raise ValueError(f"batch size {batch_size} is smaller than the {replicas} replicas: "
                         f"each replica needs a share of every batch")
    last = n_train % batch_size
    if n_train < replicas or 0 < last < replicas:
        raise ValueError(f"the last batch of each epoch holds {last or n_train} image(s) for {replicas} replicas "
                         f"({n_train:,} training images in batches of {batch_size}): change --train-limit "
                         f"or --batch-size so that each replica gets at least one")
