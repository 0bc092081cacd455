"""PyTorch training steps on a GPU, in mixed precision, or as one replica of a DDP run.

The plain CPU trainer (train.py) stays as it is: a run that needs none of this pays
nothing for it. Here the same steps run with three additions:

- the model and the whole training set live on the device (a batch is an index lookup there);
- bf16 / fp16 autocast, with a gradient scaler for fp16;
- DistributedDataParallel: each replica takes its share of the core's global batch and
  DDP averages the gradients. The loss is each replica's *sum* over its share, scaled by
  replicas / global batch size, so the average DDP computes is exactly the gradient of the
  mean over the global batch, even when the shares differ by one image.

At the end of an epoch the replicas agree on the batch-norm running statistics (their mean)
and on the epoch's loss and accuracy (over all shares), so every process validates the same
model and a plateau schedule takes the same decision everywhere.
"""

from __future__ import annotations

import inspect
from contextlib import nullcontext
from typing import Callable, Iterable

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.parallel import DistributedDataParallel

from mnist_cnn.config import TrainConfig
from mnist_cnn.models.weights import NeutralWeights
from mnist_cnn.runtime import Runtime, shard

from .devices import autocast, grad_scaler
from .test import TorchClassifier
from .train import TorchTrainer, make_optimizer

_DDP_PARAMETERS = inspect.signature(DistributedDataParallel.__init__).parameters


class PlacedTorchTrainer(TorchTrainer):
    def __init__(self, config: TrainConfig, images: np.ndarray, labels: np.ndarray, initial: NeutralWeights,
                 runtime: Runtime):
        super().__init__(config, images, labels, initial)
        torch.manual_seed(config.seed + runtime.rank)  # each replica its own dropout masks
        self.runtime = runtime
        self.device = torch.device(runtime.device)
        self.model = self.model.to(self.device, memory_format=torch.channels_last)
        self.optimizer = make_optimizer(config, self.model.parameters())  # over the moved parameters
        on_cpu = self.device.type == "cpu"
        self.x_dev = self.x if on_cpu else self.x.to(self.device)
        self.y_dev = self.y if on_cpu else self.y.to(self.device)
        self.net: torch.nn.Module = self.model
        if runtime.distributed:
            # No buffer sync in forward: each replica keeps its own batch-norm statistics during
            # an epoch (as Keras replicas do); they are averaged at the end of the epoch.
            # (forward_sync_buffers replaces broadcast_buffers in newer PyTorch.)
            no_sync = ({"forward_sync_buffers": False} if "forward_sync_buffers" in _DDP_PARAMETERS
                       else {"broadcast_buffers": False})
            self.net = DistributedDataParallel(self.model, device_ids=None if on_cpu else [self.device.index],
                                               **no_sync)
        self._autocast = autocast(runtime)
        self.scaler = grad_scaler(runtime)

    def train_epoch(self, batches: Iterable[np.ndarray], lr_at: Callable[[int], float],
                    on_step: Callable[[int, float, float], None]) -> tuple[float, float]:
        self.net.train()
        replicas, rank = self.runtime.replicas, self.runtime.rank
        loss_sum, correct, seen = 0.0, 0, 0
        for step, index in enumerate(batches):
            for group in self.optimizer.param_groups:
                group["lr"] = lr_at(step)
            mine = shard(index, rank, replicas)
            index_t = torch.from_numpy(mine).to(self.device, non_blocking=True)
            xb = self.x_dev[index_t].contiguous(memory_format=torch.channels_last)
            yb = self.y_dev[index_t]
            with self._autocast or nullcontext():
                logits = self.net(xb)
            summed = F.cross_entropy(logits.float(), yb, label_smoothing=self.config.label_smoothing,
                                     reduction="sum")
            loss = summed * (replicas / len(index))
            self.optimizer.zero_grad(set_to_none=True)
            if self.scaler is not None:
                self.scaler.scale(loss).backward()
                self.scaler.step(self.optimizer)
                self.scaler.update()
            else:
                loss.backward()
                self.optimizer.step()
            loss_sum += summed.item()
            correct += int((logits.argmax(dim=1) == yb).sum())
            seen += len(mine)
            on_step(step, loss_sum / seen, correct / seen)
        if self.runtime.distributed:
            loss_sum, correct, seen = self._agree(loss_sum, correct, seen)
        return loss_sum / seen, correct / seen

    def _agree(self, loss_sum: float, correct: int, seen: int) -> tuple[float, int, int]:
        """One all-reduce: the mean batch-norm statistics and the epoch's totals over all replicas."""
        stats = [b for m in self.model.modules() if isinstance(m, _BatchNorm)
                 for b in (m.running_mean, m.running_var) if b is not None]
        totals = torch.tensor([loss_sum, correct, seen], dtype=torch.float64, device=self.device)
        flat = torch.cat([totals] + [s.detach().double().flatten() for s in stats])
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        offset = 3
        with torch.no_grad():
            for s in stats:
                s.copy_((flat[offset:offset + s.numel()] / self.runtime.replicas).view_as(s).to(s.dtype))
                offset += s.numel()
        loss_sum, correct, seen = flat[:3].tolist()
        return loss_sum, int(round(correct)), int(round(seen))

    def replace_images(self, images: np.ndarray) -> None:
        super().replace_images(images)
        if self.x_dev is not self.x:
            self.x_dev.copy_(self.x, non_blocking=True)

    def classifier(self) -> TorchClassifier:
        return TorchClassifier(self.model, self.config.spec, device=self.device)
