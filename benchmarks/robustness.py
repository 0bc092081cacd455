"""`mnist-cnn robustness RUN ...` as a user runs it: its wall time and its table.

    python -m benchmarks.robustness --name robustness runs/A runs/B runs/C runs/D

Runs the real command in its own process on the given run folders (all 10,000 test images,
the 15 corruptions, corruption seed 0), times it, and writes benchmarks/results/NAME.json with
the command, its wall time, the machine's load before and after, and robustness.json (every
run's accuracy per corruption). The robustness folder goes to --out-dir.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from .common import write_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run folders")
    parser.add_argument("--name", default="robustness", help="result file name (benchmarks/results/NAME.json)")
    parser.add_argument("--out-dir", required=True, help="where the robustness folder goes")
    args = parser.parse_args()
    out = Path(args.out_dir) / f"robustness-{time.strftime('%Y%m%d-%H%M%S')}"
    cmd = [sys.executable, "-m", "mnist_cnn", "robustness", *args.runs, "--out", str(out)]
    load_before = os.getloadavg()
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    path = write_result(args.name, {
        "command": " ".join(["mnist-cnn", *cmd[3:]]),
        "wall_seconds": round(wall, 1),
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "robustness": json.loads((out / "robustness.json").read_text())})
    print((out / "robustness.md").read_text())
    print(f"wall time {wall:.0f} s; written to {path}")


if __name__ == "__main__":
    main()
