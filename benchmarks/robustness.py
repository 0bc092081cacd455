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
import time
from pathlib import Path

from .common import run_command_timed, write_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run folders")
    parser.add_argument("--name", default="robustness", help="result file name (benchmarks/results/NAME.json)")
    parser.add_argument("--out-dir", required=True, help="where the robustness folder goes")
    args = parser.parse_args()
    out = Path(args.out_dir) / f"robustness-{time.strftime('%Y%m%d-%H%M%S')}"
    timed = run_command_timed(["robustness", *args.runs, "--out", str(out)])
    path = write_result(args.name, {
        **timed,
        "robustness": json.loads((out / "robustness.json").read_text())})
    print((out / "robustness.md").read_text())
    print(f"wall time {timed['wall_seconds']:.0f} s; written to {path}")


if __name__ == "__main__":
    main()
