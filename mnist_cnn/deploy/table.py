"""The export table (rows from exports.json) and the targets each variant is held to."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

# The targets: int8 >= 3.5x smaller than float32, accuracy within 0.1 percentage
# point, single-image latency no worse; float exports agree with the framework model on
# >= 99.9% of the test images.
INT8_MIN_SHRINK = 3.5
INT8_MAX_ACCURACY_DROP_PP = 0.1
FLOAT_MIN_AGREEMENT = 0.999


def targets(row: dict, float_row: dict) -> dict[str, bool]:
    """Which targets a variant meets (the ones that apply to it)."""
    if row.get("quantize") == "int8":
        return {
            "size": row["smaller_than_float"] >= INT8_MIN_SHRINK,
            "accuracy": row["accuracy_change_pp"] >= -INT8_MAX_ACCURACY_DROP_PP,
            "latency": row["latency_ms"] <= float_row["latency_ms"],
        }
    if row.get("quantize") in ("none", "float16"):  # float16 weights, float32 arithmetic
        return {"agreement": row["agreement"] >= FLOAT_MIN_AGREEMENT}
    return {}


def print_table(data: dict, console: Console) -> None:
    """Narrow enough for 80 columns (CI logs, pipes); file and runtime are listed below it."""
    float_row = data["float"]
    table = Table(title=f"{data['run']}: exported variants ({data['threads']} thread"
                        f"{'s' if data['threads'] != 1 else ''})", show_edge=False, pad_edge=False)
    for column in ("variant", "KiB", "×", "test acc", "Δ pp", "agree", "ms/img", "img/s"):
        table.add_column(column, justify="left" if column == "variant" else "right", no_wrap=True)
    rows = [float_row, *data["variants"].values()]
    for row in rows:
        is_float = row is float_row
        table.add_row(row["label"], f"{row['bytes'] / 1024:.1f}",
                      "1.00" if is_float else f"{row['smaller_than_float']:.2f}",
                      f"{100 * row['test_accuracy']:.2f}%",
                      "" if is_float else f"{row['accuracy_change_pp']:+.2f}",
                      "" if is_float else f"{100 * row['agreement']:.2f}%",
                      f"{row['latency_ms']:.3f}", f"{row['images_per_second']:,.0f}",
                      style="bold" if is_float else None)
    console.print(table)
    for row in rows:
        met = row.get("targets", {})
        marks = "; targets: " + ", ".join(f"{name} {'ok' if ok else 'MISSED'}" for name, ok in met.items()) if met else ""
        console.print(f"  {row['label']}: {row['file']} ({row['runtime']}){marks}")
    console.print("[dim]×: how many times smaller than the float model file. agree: same predicted digit as the "
                  "float model. ms/img: median latency of one image; img/s: in batches of 1,000.[/]")
