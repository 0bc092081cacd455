"""What a run records about the machine that trained it: enough to explain why two machines differ.

The same recipe and seed can give a different accuracy on another machine of "the same
kind": a different CPU model picks other oneDNN/MKL kernels (AVX2 against AVX-512 or AMX),
other thread counts sum floating-point numbers in another order. So every run folder keeps
the CPU model, its vector extensions, the thread counts and the math libraries' versions
and settings. Nothing here imports a framework: only one already loaded (by the backend that
trained) is asked about itself, so describing the machine never loads torch or tensorflow.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import numpy as np

# The CPU flags that decide which vector kernels the math libraries pick (the rest of
# /proc/cpuinfo's flags are about virtualisation, power and security, and only add noise).
VECTOR_PREFIXES = ("sse", "ssse", "avx", "fma", "amx", "f16c", "bmi", "vnni", "neon", "asimd", "sve")
# Environment variables that change threads or kernels in numpy, PyTorch or TensorFlow.
SETTINGS_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                "TF_NUM_INTEROP_THREADS", "TF_ENABLE_ONEDNN_OPTS", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA",
                "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS", "KMP_AFFINITY", "OMP_PROC_BIND", "CUDA_VISIBLE_DEVICES")


def cpu_description(cpuinfo: str) -> dict:
    """CPU model and vector extensions from the text of /proc/cpuinfo (Linux, x86 or ARM)."""
    model, flags = "", []
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if not model and key in ("model name", "hardware", "cpu model"):
            model = value.strip()
        elif not flags and key in ("flags", "features"):
            flags = value.split()
    vector = sorted(flag for flag in set(flags) if flag.startswith(VECTOR_PREFIXES))
    return {"cpu_model": model or platform.processor() or platform.machine(), "vector_extensions": vector}


def _read_cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:  # not Linux: the model comes from platform, the flags stay unknown
        return ""


def _numpy_blas() -> str:
    try:
        config = np.show_config(mode="dicts")  # numpy >= 1.26
        blas = config.get("Build Dependencies", {}).get("blas", {})
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # an older numpy prints instead of returning; the version alone then
        return "unknown"


def _torch_info() -> dict:
    torch = sys.modules["torch"]
    info = {"torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "torch_interop_threads": torch.get_num_interop_threads(),
            "torch_mkldnn": bool(torch.backends.mkldnn.is_available()),
            "torch_mkl": bool(torch.backends.mkl.is_available())}
    try:
        info["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()  # the ISA its kernels use
    except Exception:
        pass
    try:
        # The lines naming the MKL, oneDNN and OpenMP versions it was built with.
        shown = torch.__config__.show().splitlines()
        info["torch_build"] = [line.strip(" -") for line in shown if not line.strip().startswith("Build settings")
                               and any(word in line for word in ("MKL", "oneDNN", "OpenMP", "CPU capability"))]
    except Exception:
        pass
    return info


def _tensorflow_info() -> dict:
    tf = sys.modules["tensorflow"]
    # 0 threads means "TensorFlow's choice" (one per usable CPU), as tf.config reports it
    info = {"tensorflow": tf.__version__,
            "tf_intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
            "tf_inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
            # TensorFlow uses oneDNN on x86 unless TF_ENABLE_ONEDNN_OPTS=0 (the default since 2.9)
            "tf_onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0"}
    try:
        info["keras"] = sys.modules["keras"].__version__ if "keras" in sys.modules else tf.keras.__version__
    except Exception:
        pass
    return info


def describe_machine(cpuinfo: str | None = None) -> dict:
    """The machine and the math libraries as this process sees them (a dict for config.json)."""
    info = {"platform": platform.platform(), "processor": platform.machine(), "cpu_count": os.cpu_count(),
            **cpu_description(_read_cpuinfo() if cpuinfo is None else cpuinfo)}
    try:
        info["usable_cpus"] = len(os.sched_getaffinity(0))  # a container or taskset may allow fewer
    except (AttributeError, OSError):
        info["usable_cpus"] = os.cpu_count()
    info["python"] = platform.python_version()
    info["numpy"] = np.__version__
    info["numpy_blas"] = _numpy_blas()
    if "torch" in sys.modules:
        info.update(_torch_info())
    if "tensorflow" in sys.modules:
        info.update(_tensorflow_info())
    info["settings"] = {name: os.environ[name] for name in SETTINGS_ENV if name in os.environ}
    return info
