"""Which code-bearing model files may be loaded: only those this tool wrote on this machine.

A TorchScript file is a program (torch.jit.load runs the TorchScript code stored in it) and a
torch.export .pt2 file is loaded with pickle (torch.export.load documents: "never load data
from an untrusted source"). So `mnist-cnn export` records the SHA-256 of every such file it
writes in a registry in the user's cache folder, and loading one whose content is not
recorded there is refused. A file listed next to itself (e.g. in exports.json) proves
nothing, since whoever sends the file can send that list too; the registry lives outside
any run folder. MNIST_CNN_TRUST_CODE=1 loads an unrecorded file anyway, for a user who
knows where it came from.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from ..backends import ModelFileError
from ..data.mnist import cache_dir
from ..runs import atomic_write_text

TRUST_ENV = "MNIST_CNN_TRUST_CODE"


def registry_path() -> Path:
    return cache_dir() / "trusted-model-files.json"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_registry() -> dict:
    try:
        data = json.loads(registry_path().read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def record_written(path: Path) -> str:
    """Remember that this tool wrote `path` (its content, not its name); returns the hash."""
    digest = sha256_of(path)
    registry = _read_registry()
    registry[digest] = {"path": str(path.resolve()), "written": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    registry_path().parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(registry_path(), json.dumps(registry, indent=1) + "\n")
    return digest


def is_written_here(path: Path) -> bool:
    return sha256_of(path) in _read_registry()


def require_trusted(path: Path, what: str) -> None:
    """Raise ModelFileError unless `path` was written by this tool here, or the user opted in."""
    if os.environ.get(TRUST_ENV, "").lower() in ("1", "true", "yes") or is_written_here(path):
        return
    raise ModelFileError(
        f"{path}: is a {what}; loading one runs code stored in the file, and this one was not written by "
        f"`mnist-cnn export` on this machine (its SHA-256 is not in {registry_path()}). If you trust where it "
        f"came from, run the command again with {TRUST_ENV}=1; otherwise evaluate the run's model.pt or an "
        f".onnx / .int8.pt export, which hold no code")
