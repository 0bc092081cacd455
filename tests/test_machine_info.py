"""What each run records about the machine."""

from __future__ import annotations

import json
import subprocess
import sys

from mnist_cnn.training.machine_info import cpu_description, describe_machine

X86 = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu vme sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma avx512f avx512bw avx512_vnni amx_tile hypervisor
processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu vme sse sse2
"""
ARM = """processor\t: 0
Features\t: fp asimd evtstrm aes sve
CPU implementer\t: 0x41
"""


def test_cpu_model_and_only_the_vector_extensions_are_kept():
    info = cpu_description(X86)
    assert info["cpu_model"] == "Intel(R) Xeon(R) Platinum 8480+"
    assert info["vector_extensions"] == ["amx_tile", "avx", "avx2", "avx512_vnni", "avx512bw", "avx512f", "fma",
                                         "sse", "sse2", "sse4_1", "sse4_2", "ssse3"]
    assert cpu_description(ARM)["vector_extensions"] == ["asimd", "sve"]


def test_the_description_has_threads_and_library_versions(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    info = describe_machine(X86)
    assert info["cpu_model"].startswith("Intel") and info["usable_cpus"] >= 1
    assert info["numpy"] and info["numpy_blas"]
    assert info["settings"]["OMP_NUM_THREADS"] == "3"


def test_describing_the_machine_loads_no_framework():
    probe = ("import json, sys\nfrom mnist_cnn.training.machine_info import describe_machine\ninfo = describe_machine()\n"
             "print(json.dumps([info['cpu_count'], 'torch' in sys.modules, 'tensorflow' in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    count, torch_loaded, tf_loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert count >= 1 and not torch_loaded and not tf_loaded
