"""mnist_cnn.allocator: freed activation buffers are reused instead of faulted in afresh each step."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mnist_cnn.allocator import OPT_OUT_VARIABLE, on_glibc
from tests.conftest import ROOT

# In a fresh process: 13 training steps of the fast net (the first 5 to warm up), and the
# page faults they cost per step.
_FAULTS_PER_TRAINING_STEP = """
import resource
from mnist_cnn.allocator import keep_freed_memory
tuned = keep_freed_memory()
import torch
import torch.nn.functional as F
from mnist_cnn.architectures import FAST
from pytorch_impl.model_utils import build_model
model = build_model(FAST).to(memory_format=torch.channels_last)
optimizer = torch.optim.AdamW(model.parameters(), foreach=True)
x = torch.randn(128, 1, 28, 28).contiguous(memory_format=torch.channels_last)
y = torch.randint(0, 10, (128,))
def step():
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
for _ in range(5):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(8):
    step()
print(tuned, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 8)
"""

glibc_only = pytest.mark.skipif(not on_glibc(), reason="the tuning applies to glibc's malloc only")


def _faults(opt_out: bool) -> tuple[str, int]:
    env = {k: v for k, v in os.environ.items() if k != OPT_OUT_VARIABLE}
    if opt_out:
        env[OPT_OUT_VARIABLE] = "1"
    done = subprocess.run([sys.executable, "-c", _FAULTS_PER_TRAINING_STEP], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    tuned, faults = done.stdout.split()
    return tuned, int(faults)


@glibc_only
def test_a_training_step_reuses_its_buffers_and_opting_out_does_not():
    tuned, faults = _faults(opt_out=False)
    default, default_faults = _faults(opt_out=True)
    assert (tuned, default) == ("True", "False")
    # measured: 0-150 faults per step tuned, 2,000-4,000 with glibc's defaults (each a fresh zeroed page)
    assert faults < 500
    assert default_faults > 4 * max(faults, 50)
