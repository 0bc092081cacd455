"""Accuracy of reading real photos of handwriting (a folder with a truth.json), per digit and per number.

    python -m benchmarks.real_photos ../shared/realphotos --model latest [--framework torch]
    python -m benchmarks.real_photos ../shared/realphotos --turn 12 --scale 0.5   # the same photos otherwise
    python -m benchmarks.real_photos ../shared/realphotos --margin 0.25           # from further away

The folder holds the photos and `truth.json`: {file name: {"digits": "1234...", "rows": [...]}}.
Each photo goes through the whole pipeline, as `mnist-cnn predict` reads it (the file loaded
with its EXIF orientation, then `read_image`). Reported:
  - per-digit accuracy: the longest common subsequence of the truth and the reading, over the
    truth's digits (a missed digit, an extra one and a wrong one each cost what they should:
    a wrong digit is one missing and one extra; it is counted as "wrong" when the two line up);
  - whole-number accuracy: photos read exactly (every digit, in reading order);
  - the unsure flag: of the digits that are wrong (read but not in the common subsequence),
    how many are flagged unsure, and of the right ones how many are flagged needlessly;
  - a per-image table (truth, reading, digits right, seconds).
Writes benchmarks/results/real_photos-FRAMEWORK.json (or NAME.json with --name).
The photos are never copied into the project: the folder is an argument.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .common import write_result


def lcs_alignment(truth: str, read: str) -> list[tuple[int, int]]:
    """Index pairs (i in truth, j in read) of one longest common subsequence."""
    n, m = len(truth), len(read)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i][j] = (table[i + 1][j + 1] + 1 if truth[i] == read[j]
                           else max(table[i + 1][j], table[i][j + 1]))
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if truth[i] == read[j]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def score(truth: str, read: str) -> dict:
    """Right (common subsequence), missed, extra and wrong digits of one reading.

    Between two matched digits, unmatched truth and read digits pair up as wrong ones; what is
    left over is missed (truth) or extra (read).
    """
    pairs = lcs_alignment(truth, read)
    missed = extra = wrong = 0
    wrong_read: list[int] = []  # indices into `read` of digits counted wrong
    extra_read: list[int] = []
    bounds = [(-1, -1), *pairs, (len(truth), len(read))]
    for (i0, j0), (i1, j1) in zip(bounds, bounds[1:]):
        gap_t, gap_r = i1 - i0 - 1, j1 - j0 - 1
        paired = min(gap_t, gap_r)
        wrong += paired
        wrong_read.extend(range(j0 + 1, j0 + 1 + paired))
        extra_read.extend(range(j0 + 1 + paired, j1))
        missed += gap_t - paired
        extra += gap_r - paired
    return {"right": len(pairs), "missed": missed, "extra": extra, "wrong": wrong,
            "right_read": [j for _, j in pairs], "wrong_read": wrong_read, "extra_read": extra_read}


def run(classifier, folder: Path, only: list[str] | None = None, turn: float = 0.0, scale: float = 1.0,
        margin: float = 0.0) -> dict:
    """`turn`, `scale` and `margin`: read each photo turned by that many degrees on its ground,
    with that share of its pixels on each side, and/or with that share of its height and width
    of its ground added round it (photo_variants.py), in memory."""
    from mnist_cnn.reading.images import load_image
    from mnist_cnn.reading.reader import read_image

    from .photo_variants import variant

    truth = json.loads((folder / "truth.json").read_text())
    names = sorted(truth) if not only else [n for n in sorted(truth) if n in only]
    rows, totals = [], {"digits": 0, "right": 0, "missed": 0, "extra": 0, "wrong": 0, "exact": 0}
    flags = {"wrong_flagged": 0, "wrong_total": 0, "right_flagged": 0, "right_total": 0}
    seconds = 0.0
    # Confidences of the digits read right and of those read wrong (or extra), for choosing
    # the unsure threshold: how many of each a threshold would flag.
    right_conf: list[float] = []
    wrong_conf: list[float] = []
    for name in names:
        expected = truth[name]["digits"]
        image = variant(load_image(folder / name), turn, scale, margin)
        start = time.perf_counter()
        reading = read_image(classifier, image)
        elapsed = time.perf_counter() - start
        seconds += elapsed
        got = reading.text
        s = score(expected, got)
        unsure = [bool(getattr(d, "unsure", False)) for d in reading.digits]
        bad = s["wrong_read"] + s["extra_read"]
        right_conf.extend(reading.digits[j].confidence for j in s["right_read"])
        wrong_conf.extend(reading.digits[j].confidence for j in bad)
        flags["wrong_total"] += len(bad)
        flags["wrong_flagged"] += sum(unsure[j] for j in bad)
        flags["right_total"] += len(s["right_read"])
        flags["right_flagged"] += sum(unsure[j] for j in s["right_read"])
        for key in ("right", "missed", "extra", "wrong"):
            totals[key] += s[key]
        totals["digits"] += len(expected)
        totals["exact"] += int(got == expected)
        rows.append({"image": name, "truth": expected, "read": got, "rows_read": reading.rows,
                     "digits": len(expected), "right": s["right"], "missed": s["missed"], "extra": s["extra"],
                     "wrong": s["wrong"], "exact": got == expected, "unsure": sum(unsure),
                     "seconds": round(elapsed, 3)})
    return {"images": len(names), "digits": totals["digits"],
            "per_digit_accuracy": totals["right"] / max(totals["digits"], 1),
            "digits_right": totals["right"], "numbers_exact": totals["exact"],
            "whole_number_accuracy": totals["exact"] / max(len(names), 1),
            "missed_digits": totals["missed"], "extra_digits": totals["extra"], "wrong_digits": totals["wrong"],
            "unsure_flag": flags,
            "unsure_sweep": {f"{t:.2f}": {"wrong_flagged": sum(c < t for c in wrong_conf), "wrong_total": len(wrong_conf),
                                          "right_flagged": sum(c < t for c in right_conf), "right_total": len(right_conf)}
                             for t in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)},
            "seconds_per_image": seconds / max(len(names), 1), "per_image": rows}


def print_table(result: dict) -> None:
    print(f"{'image':58s} {'right':>9s}  {'m/e/w':>8s}  {'s':>5s}  reading (truth)")
    for r in result["per_image"]:
        mark = "=" if r["exact"] else " "
        print(f"{r['image'][:58]:58s} {r['right']:4d}/{r['digits']:<4d} {mark} "
              f"{r['missed']:2d}/{r['extra']:2d}/{r['wrong']:2d}  {r['seconds']:5.2f}  "
              f"{r['read'][:40]}" + ("" if r["exact"] else f"  ({r['truth'][:40]})"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="folder of photos with truth.json (e.g. ../shared/realphotos)")
    parser.add_argument("--model", default="latest", help="latest, a run folder or a model file")
    parser.add_argument("--framework", default=None, help="torch or keras (with --model latest)")
    parser.add_argument("--runs-dir", default=None)
    parser.add_argument("--only", nargs="*", default=None, help="read only these file names")
    parser.add_argument("--name", default=None, help="results file: benchmarks/results/NAME.json")
    parser.add_argument("--quiet", action="store_true", help="no per-image table")
    parser.add_argument("--turn", type=float, default=0.0, metavar="DEGREES",
                        help="read each photo turned this far anticlockwise on its ground (in memory)")
    parser.add_argument("--scale", type=float, default=1.0, metavar="FACTOR",
                        help="read each photo with this share of its pixels on each side (in memory)")
    parser.add_argument("--margin", type=float, default=0.0, metavar="SHARE",
                        help="read each photo with this share of its height and width added round it, in the "
                             "colour of its border (in memory)")
    args = parser.parse_args(argv)
    if not 0.0 <= args.margin <= 2.0:
        print(f"Error: --margin {args.margin}: choose a share from 0 to 2", file=sys.stderr)
        return 1
    if not 0.05 <= args.scale <= 4.0:
        print(f"Error: --scale {args.scale}: choose a factor from 0.05 to 4", file=sys.stderr)
        return 1
    folder = Path(args.folder)
    if not (folder / "truth.json").is_file():
        print(f"Error: {folder}: no truth.json there", file=sys.stderr)
        return 1

    from mnist_cnn.reading.commands import load_model

    classifier, path = load_model(args.model, args.framework, args.runs_dir)
    framework = getattr(classifier, "framework", "model")
    result = run(classifier, folder, args.only, args.turn, args.scale, args.margin)
    argv_used = sys.argv[1:] if argv is None else list(argv)
    result.update(model=str(path), framework=framework, folder=str(folder), turn=args.turn, scale=args.scale,
                  margin=args.margin, command="python -m benchmarks.real_photos " + " ".join(argv_used))
    if not args.quiet:
        print_table(result)
    flags = result["unsure_flag"]
    print(f"{result['images']} photos, {result['digits']} digits, model {path}")
    print(f"per digit {100 * result['per_digit_accuracy']:.1f}% ({result['digits_right']}/{result['digits']}), "
          f"numbers exact {result['numbers_exact']}/{result['images']}; "
          f"{result['missed_digits']} missed, {result['extra_digits']} extra, {result['wrong_digits']} wrong; "
          f"{result['seconds_per_image']:.2f} s/photo")
    print(f"unsure flag: {flags['wrong_flagged']} of {flags['wrong_total']} wrong/extra digits flagged, "
          f"{flags['right_flagged']} of {flags['right_total']} right ones")
    if args.name or not args.only:
        out = write_result(args.name or f"real_photos-{framework}", result)
        print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
