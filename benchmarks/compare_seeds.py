"""`mnist-cnn compare --seeds N -r RECIPE`, run as a user runs it: its wall time and its table.

    python -m benchmarks.compare_seeds --recipe fast --seeds 5 --runs-dir /tmp/runs

Runs the real command in its own process (both frameworks, N seeds each, every run in a child
process of its own), times it, and writes benchmarks/results/compare_seeds_RECIPE.json with the
command, its wall time, the machine's load before and after, and the comparison's compare.json
(every seed, mean ± sd, paired tests, per-digit recall). The compare folder stays in --runs-dir.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from .common import run_command_timed, write_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="fast")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--runs-dir", required=True, help="where the compare folder (and its runs) go")
    parser.add_argument("extra", nargs="*", help="more options for mnist-cnn compare (after --)")
    args = parser.parse_args()
    out = Path(args.runs_dir) / f"compare-seeds{args.seeds}-{args.recipe}-{time.strftime('%Y%m%d-%H%M%S')}"
    timed = run_command_timed(["compare", "--seeds", str(args.seeds), "-r", args.recipe, "--out", str(out), *args.extra])
    result = json.loads((out / "compare.json").read_text())
    path = write_result(f"compare_seeds_{args.recipe}", {
        **timed,
        "compare_folder": str(out),
        "compare": result})
    print((out / "compare.md").read_text())
    print(f"wall time {timed['wall_seconds']:.0f} s; written to {path}")


if __name__ == "__main__":
    main()
