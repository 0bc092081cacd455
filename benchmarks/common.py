"""Helpers shared by the benchmark scripts: machine description and JSON output."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def add_model_options(parser) -> None:
    """--model, --framework, --runs-dir and --data-dir, as the reading benchmarks take them."""
    parser.add_argument("--model", default="latest", help="latest, a run folder or a model file")
    parser.add_argument("--framework", default=None, help="torch or keras (with --model latest)")
    parser.add_argument("--runs-dir", default=None)
    parser.add_argument("--data-dir", default=None)


def machine() -> dict:
    info = {"platform": platform.platform(), "processor": platform.machine(), "cpu_count": os.cpu_count(),
            "python": platform.python_version()}
    try:
        load = os.getloadavg()
        info["load_average_at_start"] = [round(x, 2) for x in load]
    except OSError:
        pass
    return info


def write_result(name: str, payload: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(), **payload}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def run_command_timed(args: list[str]) -> dict:
    """`mnist-cnn ARGS` in its own process, as a user runs it: the command line, its wall time and
    the machine's load before and after (a busy machine explains a slow figure). Raises
    SystemExit with the command's output when it fails."""
    cmd = [sys.executable, "-m", "mnist_cnn", *args]
    load_before = os.getloadavg()
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return {"command": " ".join(["mnist-cnn", *args]), "wall_seconds": round(wall, 1),
            "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)]}
