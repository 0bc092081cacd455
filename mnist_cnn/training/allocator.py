"""Keep freed memory inside the process during training, instead of returning it to the OS.

Why: a training step allocates and frees the same few activation buffers every time (the
`fast` net's second convolution alone outputs 128 x 32 x 14 x 14 floats, 3.2 MB). With its
default settings glibc's malloc hands much of that memory back to the kernel on free
(unmapping large blocks, trimming the top of the heap), so the next step gets it back as
fresh zeroed pages, one page fault per 4 kB: about 1,200 faults per step of the `fast` net,
measured over whole runs, and 0.78x the training time once they are gone
(benchmarks/results/allocator.json). (glibc adapts its threshold to freed blocks, so some
runs settle down after a while on their own; many do not, and when they do is not in our hands.)
Raising glibc's mmap threshold (and the size of free memory it keeps before trimming the
heap) makes malloc reuse those blocks.

Nothing changes in what is computed: only where the memory comes from. The process keeps
at most TRIM_THRESHOLD of free memory for reuse; blocks larger than MMAP_THRESHOLD (a
whole test set at once, say) are still mapped and unmapped as before.

Set MNIST_CNN_SYSTEM_MALLOC=1 to leave glibc's defaults alone (benchmarks/allocator.py
measures both ways).
"""

from __future__ import annotations

import ctypes
import os
import platform

# glibc's mallopt parameter numbers (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 * 1024 * 1024   # glibc's documented maximum on 64-bit systems
TRIM_THRESHOLD = 256 * 1024 * 1024

OPT_OUT_VARIABLE = "MNIST_CNN_SYSTEM_MALLOC"

_applied = False


def on_glibc() -> bool:
    """True where the C library is glibc, the only one this tuning speaks to."""
    return platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def keep_freed_memory() -> bool:
    """Tune glibc's malloc for repeated large allocations; True if it is (now or already) tuned.

    A no-op returning False on other C libraries (macOS, Windows, musl) and when the user
    opted out.
    """
    global _applied
    if _applied:
        return True
    if os.environ.get(OPT_OUT_VARIABLE, "").strip() not in ("", "0"):
        return False
    if not on_glibc():
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
        ok = libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    except (OSError, AttributeError):
        return False
    _applied = ok
    return ok
