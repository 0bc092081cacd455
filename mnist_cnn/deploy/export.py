"""`mnist-cnn export`: write exported variants of a trained model, run each through its own
runtime on the 10,000 test images, and keep the table of what each costs in exports.json.

Every variant is loaded back from the file just written (through load_any_classifier, as
`evaluate` would), so the table measures the file, not the object that produced it.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Optional

import numpy as np
from rich.console import Console

from ..backends import Classifier, ModelFileError, get_backend, short_name
from ..data.mnist import Mnist
from ..model_formats import CODE_FORMATS, describe, sniff_exported
from ..runs import resolve_model, runs_root, write_json
from . import variants as variant_table
from .extras import require
from .loading import load_any_classifier
from .measure import measure_together
from .pixels import make_metadata
from .table import print_table, targets
from .threads import resolve as resolve_threads
from .threads import use_threads
from .trust import record_written, sha256_of

TABLE_FILE = "exports.json"
CALIBRATION_SEED = 0


def calibration_sample(mnist: Mnist, count: int, seed: int = CALIBRATION_SEED) -> np.ndarray:
    """`count` training images (never test images), drawn at random with a fixed seed."""
    count = min(count, len(mnist.train_images))
    index = np.sort(np.random.default_rng(seed).choice(len(mnist.train_images), size=count, replace=False))
    return mnist.train_images[index]


def destinations(chosen: list[variant_table.Variant], model_path: Path, out: Optional[str]) -> dict[str, Path]:
    """Where each variant goes: beside the model (in its run folder), or --out (file or folder)."""
    if out is None:
        folder = model_path.parent
    else:
        target = Path(out).expanduser()
        if len(chosen) == 1 and not target.is_dir() and target.suffix:
            target.parent.mkdir(parents=True, exist_ok=True)
            return {chosen[0].name: target}
        folder = target
    folder.mkdir(parents=True, exist_ok=True)
    return {v.name: folder / v.filename for v in chosen}


def _relative(path: Path, folder: Path) -> str:
    try:
        return str(path.resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(path.resolve())


def _read_table(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) and isinstance(data.get("variants"), dict) else {}
    except (OSError, ValueError):
        return {}


def export(model: str, framework: Optional[str], fmt: Optional[str], quantize: Optional[str], out: Optional[str],
           console: Console, mnist_loader, runs_dir: Optional[str] = None, calibration_images: int = 1000,
           as_json: bool = False, latency_repeats: Optional[int] = None, threads: int = 1) -> dict:
    """Export, measure and tabulate; returns the table (what exports.json holds).

    `mnist_loader()` loads the data (workflows.load_data with the user's --data-dir), called
    only once the request is known to be valid. `threads`: CPU threads of every runtime
    measured (0: all; see threads.py for why the default is 1).
    """
    path, found, run_dir = resolve_model(model, framework, runs_root(runs_dir))
    chosen = _check_request(path, found, fmt, quantize)
    backend = get_backend(found)
    threads = resolve_threads(threads)
    use_threads(found, threads)  # before the model is loaded: TensorFlow fixes it on first use
    classifier = backend.load(path)
    targets_of = destinations(chosen, path, out)
    table_dir = run_dir or next(iter(targets_of.values())).parent
    mnist = mnist_loader()
    say = (lambda *_: None) if as_json else console.print  # --json: stdout holds the JSON only

    source = {"run": run_dir.name if run_dir else None, "model_file": path.name, "model_sha256": sha256_of(path)}
    rows = write_variants(backend.exporter(), classifier, chosen, targets_of, table_dir, source,
                          calibration_sample(mnist, calibration_images), found, say)
    keep_earlier_variants(rows, table_dir, found)
    models = load_variants(rows, classifier, chosen, table_dir, threads, say)
    say(f"Measuring {len(models)} models on {len(mnist.test_images):,} test images, taking turns ...")
    repeats = {} if latency_repeats is None else {"latency_repeats": latency_repeats}
    measured = measure_together(models, mnist.test_images, mnist.test_labels, "float", **repeats)
    float_row = {"variant": "float", "label": f"{short_name(found)} float32",
                 "format": found, "quantize": "none", "runtime": backend.runtime_label(backend.versions()),
                 "file": _relative(path, table_dir), "bytes": path.stat().st_size, **measured["float"]}
    complete_rows(rows, measured, models, float_row, table_dir)
    data = {
        "run": run_dir.name if run_dir else str(path),
        "framework": found,
        "float": float_row,
        "variants": rows,
        "threads": threads,
        "machine": {"platform": platform.platform(), "processor": platform.machine(), "cpu_count": os.cpu_count()},
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_json(table_dir / TABLE_FILE, data)
    if as_json:
        console.print_json(json.dumps(data))
    else:
        print_table(data, console)
        console.print(f"Table written to [bold]{table_dir / TABLE_FILE}[/]")
    return data


def _check_request(path: Path, found: str, fmt: Optional[str], quantize: Optional[str]) -> list[variant_table.Variant]:
    """The variants asked for, once it is known that they can be made from this file here."""
    if found not in ("torch", "keras"):
        raise ModelFileError(f"{path}: is an exported {describe(found)}; export starts from a trained model: "
                             f"a run folder, 'latest', or a model.pt / model.keras file")
    chosen = variant_table.select(found, fmt, quantize)
    for variant in chosen:
        require(*variant.modules, f"{variant.label} ({found})")
    return chosen


def write_variants(exporter, classifier: Classifier, chosen: list[variant_table.Variant], targets_of: dict[str, Path],
                   table_dir: Path, source: dict, calibration: np.ndarray, found: str, say) -> dict[str, dict]:
    """Write each chosen variant with the framework's exporter; one table row each (not yet measured)."""
    rows: dict[str, dict] = {}
    for variant in chosen:
        target = targets_of[variant.name]
        say(f"Exporting {variant.label} to {target} ...")
        began = time.perf_counter()
        extra = {"calibration_images": len(calibration)} if variant.quantize == "int8" else {}
        metadata = make_metadata(found, classifier.spec, variant.name, {**source, **extra})
        exporter.export_variant(variant.name, classifier, target, metadata, calibration)
        if sniff_exported(target) in CODE_FORMATS:
            record_written(target)  # this tool wrote it: it may be loaded again later
        rows[variant.name] = {"variant": variant.name, "label": variant.label, "format": variant.format,
                              "quantize": variant.quantize, "file": _relative(target, table_dir),
                              "export_seconds": time.perf_counter() - began, **extra}
    return rows


def keep_earlier_variants(rows: dict[str, dict], table_dir: Path, found: str) -> None:
    """Variants exported earlier (another --format) stay in the table and are measured again
    with the others, so every number in it comes from this one session."""
    earlier = _read_table(table_dir / TABLE_FILE)
    if earlier.get("framework") == found:
        for name, row in earlier["variants"].items():
            if name not in rows and (table_dir / row.get("file", "")).is_file():
                rows[name] = {key: row[key] for key in ("variant", "label", "format", "quantize", "file",
                                                         "export_seconds", "calibration_images") if key in row}


def load_variants(rows: dict[str, dict], classifier: Classifier, chosen: list[variant_table.Variant],
                  table_dir: Path, threads: int, say) -> dict[str, Classifier]:
    """The float model and every variant in its own runtime, ready to measure."""
    models = {"float": classifier}
    for name, row in list(rows.items()):
        try:
            models[name] = load_any_classifier(table_dir / row["file"], threads=threads)
        except ModelFileError as exc:  # an earlier file since damaged or replaced: leave it out
            if name in (v.name for v in chosen):
                raise
            say(f"[yellow]Leaving out {row['file']}: {exc}[/]")
            del rows[name]
    return models


def complete_rows(rows: dict[str, dict], measured: dict[str, dict], models: dict[str, Classifier], float_row: dict,
                  table_dir: Path) -> None:
    """Each variant's measurements, size and checksum, compared with the float model's."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    for name, row in rows.items():
        target = table_dir / row["file"]
        size = target.stat().st_size
        row.update(measured[name])
        row.update({"runtime": models[name].runtime, "bytes": size, "smaller_than_float": float_row["bytes"] / size,
                    "accuracy_change_pp": 100 * (row["test_accuracy"] - float_row["test_accuracy"]),
                    "sha256": sha256_of(target), "measured": now})
        row["targets"] = targets(row, float_row)
