"""What `mnist-cnn predict`, `mnist-cnn camera` and the menu's reading modes do, end to end.

The CLI and the menu call the same functions, so a menu choice and a command give the same
result. Imports OpenCV (through reading/camera) at load time: import this module lazily.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..backends import Classifier
from ..deploy import load_any_classifier
from ..runs import resolve_model, runs_root
from .annotate import ANNOTATED_MAX_SIDE, draw_reading
from .camera import open_source, run_headless
from .digits import Box
from .errors import NoDigitError, ReadingError
from .images import IMAGE_SUFFIXES, load_image, save_image
from .reader import Reading, read_image

POLARITY = {"auto": "auto", "dark": "dark-on-light", "light": "light-on-dark"}


def load_model(model: str, framework: Optional[str], runs_dir: Optional[str]) -> tuple[Classifier, Path]:
    """`--model latest|RUN|FILE` -> a Classifier (framework or exported file) and its path.

    A PyTorch model runs on one thread: for a few 28x28 digits per frame more threads only
    wait on each other (on this 2-core machine: 75 ms per call with two, 2-5 ms with one).
    """
    path, found, _ = resolve_model(model, framework, runs_root(runs_dir))
    classifier = load_any_classifier(path, found)
    if getattr(classifier, "framework", None) == "torch":
        from ..deploy.threads import use_threads

        use_threads("torch", 1)
    return classifier, path


# --------------------------------------------------------------------------- predict

@dataclass
class FileResult:
    image: str
    reading: Optional[Reading] = None
    error: Optional[str] = None
    saved: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        out: dict = {"image": self.image}
        if self.reading is not None:
            out.update(self.reading.to_dict())
        if self.error:
            out["error"] = self.error
        if self.saved:
            out["saved"] = self.saved
        return out


def annotated_path(target: Path, image: Path, several: bool) -> Path:
    """--save-annotated: the file itself for one image; a folder of <name>-annotated.png for several."""
    if not several and target.suffix.lower() in IMAGE_SUFFIXES:
        return target
    return target / f"{image.stem}-annotated.png"


def read_file(classifier: Classifier, path: Path, roi: Optional[Box], polarity: str,
              save_annotated: Optional[Path] = None, save_digits: Optional[Path] = None,
              several: bool = False) -> FileResult:
    """Read one image file; problems are recorded in the result (the other files go on)."""
    result = FileResult(str(path))
    try:
        image = load_image(path)
        try:
            reading = read_image(classifier, image, roi=roi, polarity=POLARITY[polarity])
        except ValueError as exc:  # a region outside the image
            raise ReadingError(f"{path}: {exc}") from None
        result.reading = reading
        if save_annotated is not None:
            result.saved.append(str(save_image(annotated_path(save_annotated, path, several),
                                               draw_reading(image, reading, max_side=ANNOTATED_MAX_SIDE))))
        if save_digits is not None:
            for k, d in enumerate(reading.digits, start=1):
                result.saved.append(str(save_image(save_digits / f"{path.stem}-{k:02d}-{d.digit}.png", d.image)))
        if not reading.digits:
            where = f" in region {','.join(map(str, reading.roi))}" if reading.roi else ""
            raise NoDigitError(f"{path}: no digit found{where} (dark ink on light paper, or light on dark, "
                               f"each digit at least ~15 pixels tall)")
    except ReadingError as exc:
        result.error = str(exc)
    return result


def print_result(result: FileResult, console: Console) -> None:
    if result.error:
        console.print(f"[red]Error:[/] {escape(result.error)}")
        return
    reading = result.reading
    assert reading is not None
    rows = escape(" / ".join(reading.marked_rows))
    console.print(f"[bold]{escape(result.image)}[/]: {len(reading.digits)} digit{'s' if len(reading.digits) != 1 else ''} "
                  f"read: [bold green]{escape(reading.marked_text)}[/]"
                  + (f"   (rows: {rows})" if len(reading.rows) > 1 else "")
                  + ("   [yellow]? = unsure, check it[/]" if any(d.unsure for d in reading.digits) else ""))
    table = Table(show_edge=False, box=None, padding=(0, 2))
    for column in ("#", "row", "digit", "confidence", "top 3", "box x,y,w,h"):
        table.add_column(column, justify="right" if column in ("#", "row", "digit", "confidence") else "left",
                         no_wrap=True)
    for k, d in enumerate(reading.digits, start=1):
        top3 = "  ".join(f"{digit} {100 * p:.1f}%" for digit, p in d.top3)
        colour = "yellow" if d.unsure else "green"
        digit = f"[bold]{d.digit}[/]" + ("[yellow]?[/]" if d.unsure else "")
        table.add_row(str(k), str(d.row + 1), digit, f"[{colour}]{100 * d.confidence:.1f}%[/]",
                      top3, ",".join(map(str, d.box)))
    console.print(table)
    for saved in result.saved:
        console.print(f"  wrote {escape(saved)}")


def predict_files(paths: list[Path], model: str, framework: Optional[str], runs_dir: Optional[str],
                  roi: Optional[Box], polarity: str, console: Console, as_json: bool = False,
                  save_annotated: Optional[Path] = None, save_digits: Optional[Path] = None) -> list[FileResult]:
    classifier, model_path = load_model(model, framework, runs_dir)
    several = len(paths) > 1
    results = [read_file(classifier, path, roi, polarity, save_annotated, save_digits, several) for path in paths]
    if as_json:
        console.print_json(json.dumps({"model": str(model_path), "images": [r.to_dict() for r in results]}))
    else:
        for result in results:
            print_result(result, console)
    return results


# --------------------------------------------------------------------------- camera

def camera_session(source: str, model: str, framework: Optional[str], runs_dir: Optional[str], live: bool,
                   window: bool, roi: Optional[Box], polarity: str, out: Callable[[str], None],
                   frames: Optional[int] = None) -> list[Reading]:
    """Open the source and the model, then run the window loop or the headless one."""
    if window:
        from .camera import display_problem
        from .errors import DisplayError

        problem = display_problem()  # before the model loads: fail fast with the advice
        if problem:
            raise DisplayError(f"{problem}. Use --no-window (with --roi x,y,w,h to read a region), "
                               f"or `mnist-cnn predict` on a photo")
    classifier, _ = load_model(model, framework, runs_dir)
    with open_source(source) as frames_from:
        if window:
            from .camera_window import run_window

            return run_window(frames_from, classifier, live, out, polarity=POLARITY[polarity])
        return run_headless(frames_from, classifier, live, roi, out, limit=frames, polarity=POLARITY[polarity])
