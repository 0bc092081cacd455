"""`--device` and `--precision` as PyTorch sees them: what is really there, or a one-line why not."""

from __future__ import annotations

from typing import ContextManager, Optional

import torch

from mnist_cnn.runtime import DeviceError, Runtime, World, parse_device, parse_precision

AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _no_cuda_message(requested: str) -> str:
    if torch.version.cuda is None and getattr(torch.version, "hip", None) is None:
        why = f"PyTorch {torch.__version__} is a CPU-only build"
    else:
        why = f"PyTorch {torch.__version__} sees no GPU (check the driver and CUDA_VISIBLE_DEVICES)"
    return f"--device {requested}: no CUDA device is available ({why}); use --device cpu or auto"


def resolve_device(requested: str, world: World = World()) -> torch.device:
    """auto -> CUDA, then MPS, then CPU. With several processes on a machine, each takes
    the GPU of its local rank, as torchrun and NCCL expect."""
    wanted = parse_device(requested)
    cuda_count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if wanted == "auto":
        wanted = "cuda" if cuda_count else ("mps" if _mps_available() and not world.distributed else "cpu")
    if wanted == "cpu":
        return torch.device("cpu")
    if wanted == "mps":
        if not _mps_available():
            raise DeviceError("--device mps: Apple MPS is not available here (it needs an Apple-silicon Mac and a "
                              "PyTorch built with MPS); use --device cpu or auto")
        if world.distributed:
            raise DeviceError("several processes train on CPUs (gloo) or CUDA GPUs (NCCL), not on Apple MPS; "
                              "use --device cpu")
        return torch.device("mps")
    if not cuda_count:
        raise DeviceError(_no_cuda_message(requested))
    if wanted == "cuda":
        if world.distributed:
            if world.local_size > cuda_count:
                raise DeviceError(f"{world.local_size} processes on this machine but PyTorch sees {cuda_count} "
                                  f"CUDA device(s): NCCL needs one GPU per process; start fewer processes")
            return torch.device("cuda", world.local_rank)
        return torch.device("cuda", 0)
    index = int(wanted.split(":")[1])
    if index >= cuda_count:
        raise DeviceError(f"--device {requested}: PyTorch sees {cuda_count} CUDA device(s) "
                          f"(cuda:0 to cuda:{cuda_count - 1})")
    if world.local_size > 1:
        raise DeviceError(f"--device {requested} with {world.local_size} processes on one machine: give "
                          f"--device cuda and each process takes the GPU of its local rank")
    return torch.device("cuda", index)


def check_precision(precision: str, device: torch.device) -> str:
    """fp32 anywhere; bf16 / fp16 autocast only where the device computes them natively."""
    precision = parse_precision(precision)
    if precision == "fp32":
        return precision
    if device.type == "cuda":
        if precision == "bf16" and not torch.cuda.is_bf16_supported():
            raise DeviceError(f"--precision bf16: {torch.cuda.get_device_name(device)} has no bfloat16 support "
                              f"(it needs compute capability 8.0 or newer); use --precision fp16")
        return precision
    if device.type == "mps":
        try:
            torch.zeros(1, device=device, dtype=AUTOCAST_DTYPES[precision])
        except (RuntimeError, TypeError) as exc:
            raise DeviceError(f"--precision {precision}: not supported on Apple MPS here "
                              f"({str(exc).splitlines()[0]}); use --precision fp32") from None
        return precision
    if precision == "fp16":
        raise DeviceError("--precision fp16: mixed precision in float16 needs a GPU; on the CPU use "
                          "--precision bf16 (where the CPU supports it) or fp32")
    if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        raise DeviceError("--precision bf16: this CPU has no bfloat16 support (it needs AVX-512 or AMX); "
                          "use --precision fp32")
    return precision


def device_label(device: torch.device) -> str:
    """The resolved device as the user would type it: "cpu", "cuda:0", "mps"."""
    return f"cuda:{device.index or 0}" if device.type == "cuda" else device.type


def device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else ""


def autocast(runtime: Runtime) -> Optional[ContextManager]:
    """The autocast context of a mixed-precision runtime; None for fp32 (nothing to enter)."""
    if runtime.precision == "fp32":
        return None
    device_type = torch.device(runtime.device).type
    return torch.autocast(device_type=device_type, dtype=AUTOCAST_DTYPES[runtime.precision])


def grad_scaler(runtime: Runtime):
    """float16 gradients underflow without loss scaling; bfloat16 has float32's range and needs none."""
    if runtime.precision != "fp16":
        return None
    return torch.amp.GradScaler(torch.device(runtime.device).type)
