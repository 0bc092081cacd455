"""What a user asks for, end to end: used by the CLI and the menu alike (no logic twice)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from rich.console import Console

from .backends import display_name, get_backend
from .config import TrainConfig
from .data.loading import load_data
from .deploy import load_any_classifier
from .evaluation.metrics import Report
from .evaluation.predict import evaluate_classifier
from .evaluation.printing import print_report
from .progress import TrainDisplay
from .runs import resolve_model, runs_root
from .runtime import Runtime
from .training.ensemble import EnsembleClassifier, train_ensemble
from .training.loop import TrainOutcome, train_and_save


def train(framework: str, config: TrainConfig, console: Console, data_dir: Optional[str] = None,
          runs_dir: Optional[str] = None, ensemble: int = 1, runtime: Optional[Runtime] = None,
          tensorboard: bool = False) -> TrainOutcome:
    """Train `config` (the recipe with its overrides, resolved once by the front door).

    runtime: device, precision and replicas from the backend's engine (None: this CPU, fp32);
    tensorboard: each run also gets a TensorBoard event file."""
    get_backend(framework)  # fail on a missing framework before loading any data
    mnist = load_data(data_dir, console)
    display = TrainDisplay(console)
    try:
        if ensemble > 1:
            result = train_ensemble(config, framework, mnist, runs_root(runs_dir), ensemble, display,
                                    command=" ".join(sys.argv), runtime=runtime, tensorboard=tensorboard)
        else:
            outcome = train_and_save(config, framework, mnist, runs_root(runs_dir), display,
                                     command=" ".join(sys.argv), runtime=runtime, tensorboard=tensorboard)
    finally:
        display.close()
    if ensemble > 1:
        for member in result.members:
            console.print(f"  member {member.run_dir.name}: {100 * member.report.accuracy:.2f}% "
                          f"in {member.summary['train_seconds']:.1f} s")
        console.print(f"[bold green]Ensemble of {ensemble}: test accuracy {100 * result.report.accuracy:.2f}%[/] "
                      f"({result.report.correct:,}/{result.report.total:,})")
        console.print(f"Ensemble written to [bold]{result.folder}[/] (members: the runs above)")
        return result.members[-1]
    summary = outcome.summary
    console.print(
        f"[bold green]Test accuracy {100 * outcome.report.accuracy:.2f}%[/] "
        f"({outcome.report.correct:,}/{outcome.report.total:,}) · trained in {summary['train_seconds']:.1f} s "
        f"({summary['total_seconds']:.1f} s with validation) · {summary['parameters']:,} parameters")
    console.print(f"Run written to [bold]{outcome.run_dir}[/]")
    return outcome


@dataclass
class Evaluation:
    report: Report
    model_path: Path
    framework: str


def evaluate(model: str | list[str], framework: Optional[str], console: Console, data_dir: Optional[str] = None,
             runs_dir: Optional[str] = None, as_json: bool = False, device: Optional[str] = None) -> Evaluation:
    """Evaluate one model, or the average of several (an ensemble), on the test set.

    device: `--device` for .pt / .keras models (None: where they were loaded, the CPU)."""
    models = [model] if isinstance(model, str) else list(model)
    resolved = [resolve_model(m, framework, runs_root(runs_dir)) for m in models]
    classifiers = [load_any_classifier(path, found) for path, found, _ in resolved]  # exported files too
    if device is not None:
        from .evaluation.placement import place  # the backend moves its own models; exported files stay on the CPU

        classifiers = [place(c, device) for c in classifiers]
    classifier = classifiers[0] if len(classifiers) == 1 else EnsembleClassifier(classifiers)
    path, found = resolved[0][0], classifier.framework  # an exported file says which framework trained it
    mnist = load_data(data_dir, console)
    report = evaluate_classifier(classifier, mnist.test_images, mnist.test_labels)
    names = [str(p) for p, _, _ in resolved]
    if as_json:
        console.print_json(json.dumps({"model": names[0] if len(names) == 1 else names, "framework": found,
                                       **report.to_dict()}))
    elif len(names) == 1:
        runtime = getattr(classifier, "runtime", None)  # exported formats say what ran them
        print_report(report, console, title=f"{display_name(found)} model {path}" + (f" ({runtime})" if runtime else ""))
    else:
        print_report(report, console, title=f"Ensemble of {len(names)} models: " + ", ".join(names))
    return Evaluation(report, path, found)
