"""Ensembles: several models whose probabilities are averaged."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from .. import runs
from ..backends import Classifier
from ..config import TrainConfig
from ..data.mnist import Mnist
from ..evaluation.metrics import Report
from ..evaluation.predict import evaluate_classifier
from ..runtime import Runtime
from .loop import TrainListener, TrainOutcome, train_and_save


@dataclass
class EnsembleClassifier:
    members: list[Classifier]

    @property
    def framework(self) -> str:
        names = sorted({m.framework for m in self.members})
        return names[0] if len(names) == 1 else "+".join(names)

    @property
    def spec(self):
        return self.members[0].spec

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        return np.mean([m.predict_proba(images) for m in self.members], axis=0).astype(np.float32)

    def save(self, path: Path) -> None:
        raise NotImplementedError("an ensemble is saved as its members' runs plus ensemble.json")


@dataclass
class EnsembleOutcome:
    members: list[TrainOutcome]
    report: Report
    folder: Path


def train_ensemble(config: TrainConfig, framework: str, data: Mnist, root: Path, size: int,
                   listener: Optional[TrainListener] = None, command: str = "",
                   runtime: Optional[Runtime] = None, tensorboard: bool = False) -> EnsembleOutcome:
    """Train `size` runs with seeds seed, seed+1, ...; evaluate their average; record it."""
    members = []
    for k in range(size):
        member_config = config.with_overrides(seed=config.seed + k)
        members.append(train_and_save(member_config, framework, data, root, listener, command, runtime=runtime,
                                      tensorboard=tensorboard))
    ensemble = EnsembleClassifier([m.trained.classifier for m in members])
    report = evaluate_classifier(ensemble, data.test_images, data.test_labels)
    with runs.new_run(root, framework, f"{config.recipe}-ensemble{size}") as staging:
        runs.write_json(staging / "ensemble.json", {
            "framework": framework, "recipe": config.recipe, "size": size,
            "members": [{"run": m.run_dir.name, "seed": config.seed + k, "test_accuracy": m.report.accuracy,
                         "train_seconds": m.summary["train_seconds"]} for k, m in enumerate(members)],
            "test_accuracy": report.accuracy,
            "train_seconds": sum(m.summary["train_seconds"] for m in members),
            "test": report.to_dict(),
        })
        folder = runs.publish_run(staging, root, framework, f"{config.recipe}-ensemble{size}")
    return EnsembleOutcome(members, report, folder)
