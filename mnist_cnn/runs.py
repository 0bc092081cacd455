"""Run folders: `runs/<time>-<framework>-<recipe>/`, atomic writes, and finding models.

A run is written into a hidden staging folder and renamed into place only when complete,
so an interrupted run leaves nothing that looks like a run. Inside it, every file is
written to a temporary name and renamed, so no reader ever sees half a file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from .backends import MODEL_SUFFIXES, ModelFileError, canonical_framework
from .interrupts import raise_if_interrupted

RUN_FILES = ("config.json", "history.csv", "metrics.json")


def runs_root(runs_dir: Optional[os.PathLike | str] = None) -> Path:
    """`--runs-dir`, else $MNIST_CNN_RUNS, else ./runs."""
    chosen = runs_dir if runs_dir is not None else os.environ.get("MNIST_CNN_RUNS") or "runs"
    return Path(chosen).expanduser()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _make_ordinary(path: Path, directory: bool = False) -> None:
    """mkstemp/mkdtemp create private (0600/0700) entries; give them the usual permissions."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


def atomic_write_bytes(path: Path, data: bytes) -> None:
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    _make_ordinary(Path(tmp))
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, data: dict) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def write_csv(path: Path, rows: list[dict]) -> None:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@contextmanager
def temporary_path_for(path: Path) -> Iterator[Path]:
    """A temporary sibling of `path` with the same suffix; renamed onto `path` on success.

    For writers that insist on a file name of their own (torch.save, keras' model.save).
    """
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    tmp_path = Path(tmp)
    _make_ordinary(tmp_path)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextmanager
def new_run(root: Path, framework: str, recipe: str) -> Iterator[Path]:
    """Yield a hidden staging folder to fill; `publish_run` then gives it its final name.

    On any exception (Ctrl-C included) the staging folder is removed and nothing is left.
    """
    root.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    staging = Path(tempfile.mkdtemp(prefix=f".incomplete-{stamp}-{framework}-{recipe}-", dir=root))
    _make_ordinary(staging, directory=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def publish_run(staging: Path, root: Path, framework: str, recipe: str) -> Path:
    """Rename a complete staging folder to its final, unique name; return that name.

    Not after a Ctrl-C, even one that something swallowed (interrupts.py): the KeyboardInterrupt
    raised here makes new_run remove the staging folder.
    """
    raise_if_interrupted()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = f"{stamp}-{framework}-{recipe}"
    final = root / base
    counter = 2
    while True:
        try:
            # os.rename onto an existing non-empty directory fails, so two runs finishing
            # in the same second cannot overwrite each other.
            os.rename(staging, final)
            return final
        except OSError:
            if not final.exists():
                raise
            final = root / f"{base}-{counter}"
            counter += 1


def model_path(run_dir: Path, framework: str) -> Path:
    return run_dir / f"model{MODEL_SUFFIXES[canonical_framework(framework)]}"


def is_complete_run(path: Path) -> bool:
    return path.is_dir() and not path.name.startswith(".") and all((path / f).is_file() for f in RUN_FILES)


def run_framework(run_dir: Path) -> Optional[str]:
    try:
        return json.loads((run_dir / "config.json").read_text())["framework"]
    except (OSError, ValueError, KeyError):
        return None


def list_runs(root: Path, framework: Optional[str] = None) -> list[Path]:
    """Complete runs, oldest first (names start with a sortable time stamp)."""
    if not root.is_dir():
        return []
    wanted = canonical_framework(framework) if framework else None
    runs = [p for p in root.iterdir() if is_complete_run(p)]
    if wanted:
        runs = [p for p in runs if run_framework(p) == wanted]
    return sorted(runs, key=lambda p: p.name)


def latest_run(root: Path, framework: Optional[str] = None) -> Optional[Path]:
    runs = list_runs(root, framework)
    return runs[-1] if runs else None


def load_run_summary(run_dir: Path) -> dict:
    """A complete run's metrics.json: test accuracy, timings, sizes."""
    return json.loads((run_dir / "metrics.json").read_text())


def sniff_model_format(path: Path) -> str:
    """"torch", "keras", an exported format (see model_formats.py) or raise ModelFileError:
    decided by the file's content, not its name."""
    if not path.exists():
        raise ModelFileError(f"{path}: no such file")
    if path.is_dir():
        raise ModelFileError(f"{path}: is a folder, not a model file (a run folder holds model.pt or model.keras)")
    from .model_formats import sniff_exported  # local: keeps `import runs` light

    exported = sniff_exported(path)
    if exported:
        return exported
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelFileError(
            f"{path}: not a model file: expected a PyTorch .pt or Keras .keras archive, or an .onnx / .tflite / "
            f".int8.pt / .torchscript.pt / .pt2 file written by `mnist-cnn export` ({exc})") from None
    if "config.json" in names and any(n.endswith("model.weights.h5") for n in names):
        return "keras"
    if any(n.endswith("/data.pkl") for n in names):
        return "torch"
    raise ModelFileError(f"{path}: a zip archive, but neither a PyTorch .pt nor a Keras .keras model")


def resolve_model(model: str, framework: Optional[str], root: Path) -> tuple[Path, str, Optional[Path]]:
    """`--model latest|RUN_DIR|FILE` -> (model file, format, run folder or None).

    The format is "torch" or "keras" for a framework model (a backend loads it), or an
    exported format ("onnx", "tflite", "torch-int8", ...): load any of them with
    mnist_cnn.deploy.load_any_classifier(path, format).

    The framework is read from the file itself; a `--framework` that disagrees is an error
    naming both, so a user never evaluates a model with the wrong backend by accident.
    """
    wanted = canonical_framework(framework) if framework else None
    if model == "latest":
        run = latest_run(root, wanted)
        if run is None:
            which = f"{wanted} " if wanted else ""
            raise ModelFileError(f"no complete {which}run in {root}: train one first "
                                 f"(mnist-cnn train --framework {wanted or 'torch'}) or pass --model PATH")
        path = model_path(run, run_framework(run) or wanted or "torch")
        run_dir: Optional[Path] = run
    else:
        given = Path(model).expanduser()
        if given.is_dir():
            run_dir = given
            candidates = [given / f"model{suffix}" for suffix in MODEL_SUFFIXES.values()]
            existing = [c for c in candidates if c.is_file()]
            if not existing:
                raise ModelFileError(f"{given}: no model.pt or model.keras in this folder")
            path = existing[0]
        else:
            run_dir = given.parent if (given.parent / "config.json").is_file() else None
            path = given
    found = sniff_model_format(path)
    from .model_formats import format_framework  # exported formats: compare their framework

    if wanted and format_framework(found) not in (None, wanted):
        raise ModelFileError(f"{path}: is a {found} model, but --framework {wanted} was given "
                             f"(expected a {MODEL_SUFFIXES[wanted]} file)")
    return path, found, run_dir
