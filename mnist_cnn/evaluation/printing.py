"""Printing an evaluation report: accuracy, per-class table, confusion matrix, top confusions."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .metrics import Report


def print_report(report: Report, console: Console, title: str = "") -> None:
    if title:
        console.print(f"[bold]{title}[/]")
    console.print(f"Test accuracy: [bold]{100 * report.accuracy:.2f}%[/] "
                  f"({report.correct:,} of {report.total:,} correct)   loss {report.loss:.4f}")

    table = Table(title="Per class", show_edge=False)
    for column in ("digit", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="right")
    pc = report.per_class
    for digit in range(len(pc.support)):
        table.add_row(str(digit), f"{pc.precision[digit]:.4f}", f"{pc.recall[digit]:.4f}",
                      f"{pc.f1[digit]:.4f}", f"{int(pc.support[digit]):,}")
    macro = pc.macro
    table.add_row("macro", f"{macro['precision']:.4f}", f"{macro['recall']:.4f}", f"{macro['f1']:.4f}",
                  f"{int(pc.support.sum()):,}", style="bold")
    console.print(table)

    cm = Table(title="Confusion matrix (rows: true digit, columns: predicted)", show_edge=False)
    cm.add_column("", justify="right", style="bold")
    for digit in range(report.confusion.shape[1]):
        cm.add_column(str(digit), justify="right")
    for digit, row in enumerate(report.confusion):
        cm.add_row(str(digit), *[f"[green]{v}[/]" if i == digit else (str(v) if v else "[dim]·[/]")
                                 for i, v in enumerate(row)])
    console.print(cm)

    if report.top_confusions:
        mistakes = ", ".join(f"{t}→{p} ×{c}" for t, p, c in report.top_confusions)
        console.print(f"Most common confusions (true→predicted): {mistakes}")
