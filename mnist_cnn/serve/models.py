"""The models that answer: one per framework, loaded once, swapped by run name.

A model is loaded the way `predict` loads it (read_commands.load_model: the same
`Classifier`, PyTorch on one thread), so the page gives the CLI's answers. Each framework
has a lock: one call into a model at a time, which keeps a 2-core machine from running ten
requests' models against each other and keeps memory flat under load. A framework that is
not installed, or has no run yet, is recorded with the reason, and the page says it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..backends import FRAMEWORKS, BackendUnavailable, Classifier, ModelFileError, display_name
from ..runs import list_runs, model_path, run_framework

NONE = "none"  # --torch-model none: serve without that framework


@dataclass
class Loaded:
    framework: str
    classifier: Classifier
    path: Path
    run: Optional[str]  # the run folder's name when the model is one of the runs folder's
    lock: threading.Lock = field(default_factory=threading.Lock)

    def predict(self, images: np.ndarray) -> np.ndarray:
        with self.lock:
            return np.asarray(self.classifier.predict_proba(images), np.float32)

    def describe(self) -> dict:
        return {"framework": self.framework, "name": display_name(self.framework), "run": self.run,
                "file": self.path.name, "feature_maps": self.has_layers}

    @property
    def has_layers(self) -> bool:
        """A framework model (not an exported file) can show what each layer makes of a digit."""
        return getattr(self.classifier, "framework", None) in FRAMEWORKS and \
            getattr(self.classifier, "spec", None) is not None and hasattr(self.classifier, "model")


class ModelError(Exception):
    """A run name that is not in the listing, or a model that cannot be loaded: (status, message)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _run_name(path: Path, root: Path) -> Optional[str]:
    run = path.parent
    return run.name if run.parent.resolve() == root.resolve() else None


class ModelHolder:
    """PyTorch's and Keras's model for the page, and why one is missing."""

    def __init__(self, root: Path):
        self.root = root
        self.loaded: dict[str, Loaded] = {}
        self.missing: dict[str, str] = {}
        self._swap = threading.Lock()

    def load(self, framework: str, choice: str) -> None:
        """`choice` is latest, a run folder, a model file (from the command line) or none."""
        from ..reading.commands import load_model  # OpenCV and the backend: loaded only when serving

        if choice == NONE:
            self.missing[framework] = f"not loaded (--{framework}-model none)"
            return
        try:
            classifier, path = load_model(choice, framework, str(self.root))
        except (BackendUnavailable, ModelFileError) as exc:
            self.missing[framework] = str(exc)
            return
        self.loaded[framework] = Loaded(framework, classifier, path, _run_name(path, self.root))
        self.missing.pop(framework, None)

    def use_run(self, name: str) -> Loaded:
        """Make the run called `name` (as the listing shows it) answer for its framework.

        Only names from the listing are accepted, so nothing the browser sends becomes a path.
        """
        runs = {run.name: run for run in list_runs(self.root)}
        if name not in runs:
            raise ModelError(404, f"no run called {name!r} in the runs folder (pick one from the listing)")
        run = runs[name]
        framework = run_framework(run)
        if framework not in FRAMEWORKS:
            raise ModelError(422, f"{name}: its config.json names no framework this server knows")
        from ..deploy import load_any_classifier
        from ..reading.digits import PENS  # a drawing is one batch of len(PENS) views

        try:
            classifier = load_any_classifier(model_path(run, framework))
        except (BackendUnavailable, ModelFileError) as exc:
            raise ModelError(422, str(exc)) from None
        loaded = Loaded(framework, classifier, model_path(run, framework), name)
        # One call before it answers: a Keras model traces its function on the first (seconds).
        for count in (1, len(PENS)):
            loaded.predict(np.zeros((count, 28, 28), np.uint8))
        with self._swap:
            self.loaded[framework] = loaded
            self.missing.pop(framework, None)
        return loaded

    def snapshot(self) -> dict[str, Loaded]:
        """The models of this moment, in a fixed order (PyTorch first): a request answers
        with one set of models even if a swap happens meanwhile."""
        with self._swap:
            return {fw: self.loaded[fw] for fw in FRAMEWORKS if fw in self.loaded}

    def status(self) -> dict:
        models = self.snapshot()
        return {"models": {fw: m.describe() for fw, m in models.items()},
                "missing": {fw: {"name": display_name(fw), "reason": why} for fw, why in self.missing.items()
                            if fw not in models}}
