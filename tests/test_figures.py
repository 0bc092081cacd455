"""Every figure is a valid PNG of sensible size, drawn without a display and without a framework."""

import subprocess
import sys

import numpy as np
import pytest

from mnist_cnn.explain import KERNELS, slide_kernel
from mnist_cnn.reports import figures, figures_model

from .conftest import ROOT
from .figure_checks import assert_png

RNG = np.random.default_rng(0)
DIGITS = (RNG.random((40, 28, 28)) * 255).astype(np.uint8)
HISTORY = [{"epoch": 1, "train_loss": 0.9, "train_accuracy": 0.8, "val_loss": 0.3, "val_accuracy": 0.93},
           {"epoch": 2, "train_loss": 0.4, "train_accuracy": 0.95, "val_loss": 0.2, "val_accuracy": 0.96}]
# The same history as read back from history.csv: strings, and no validation ("").
HISTORY_CSV = [{"epoch": "1", "train_loss": "0.9", "train_accuracy": "0.8", "val_loss": "", "val_accuracy": ""}]


def confusion() -> np.ndarray:
    cm = np.diag(RNG.integers(900, 1100, 10))
    cm[4, 9], cm[7, 2] = 15, 3
    return cm


def test_importing_the_figure_modules_does_not_load_matplotlib():
    code = ("import sys, mnist_cnn.reports.figures, mnist_cnn.reports.figures_model, mnist_cnn.reports.run_report, "
            "mnist_cnn.reports.comparison\n"
            "print('MPL', 'matplotlib' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "MPL False" in result.stdout, result.stdout + result.stderr


def test_history_columns_read_floats_and_strings_and_missing_values():
    assert figures.history_column(HISTORY, "val_accuracy").tolist() == [0.93, 0.96]
    column = figures.history_column(HISTORY_CSV, "val_loss")
    assert column.shape == (1,) and np.isnan(column[0])
    assert figures.history_column(HISTORY_CSV, "train_loss").tolist() == [0.9]


@pytest.mark.parametrize("draw", [
    lambda out: figures.training_curves(HISTORY, out),
    lambda out: figures.training_curves(HISTORY_CSV, out),  # no validation: only the training line
    lambda out: figures.training_curves_compared([("PyTorch", HISTORY), ("Keras", HISTORY_CSV)], out),
    lambda out: figures.confusion_heatmap(confusion(), out),
    lambda out: figures.confusion_compared([("PyTorch", confusion()), ("Keras", confusion())], out),
    lambda out: figures_model.misclassified_gallery(DIGITS, RNG.integers(0, 10, 40),
                                                    RNG.dirichlet(np.ones(10), 40), out),
    lambda out: figures_model.misclassified_gallery(DIGITS[:3], np.array([1, 2, 3]),
                                                    np.eye(10)[[1, 2, 3]], out),  # no mistakes at all
    lambda out: figures_model.conv_filters(RNG.normal(size=(16, 1, 5, 5)), out),
    lambda out: figures_model.feature_maps(DIGITS[0], [("conv 1", RNG.random((28, 28, 16))),
                                                       ("conv 2", RNG.random((14, 14, 4)))], out),
    lambda out: figures_model.prediction_bars(DIGITS[0], RNG.dirichlet(np.ones(10)), out, true_label=3),
    lambda out: figures_model.kernel_demo(DIGITS[0], KERNELS["outline"], slide_kernel(DIGITS[0], KERNELS["outline"]),
                                          out),
], ids=["curves", "curves-no-validation", "curves-compared", "confusion", "confusion-compared", "gallery",
        "gallery-no-mistakes", "filters", "feature-maps", "prediction", "kernel-demo"])
def test_every_figure_is_a_valid_png(draw, tmp_path):
    out = tmp_path / "sub" / "figure.png"  # the folder is created as needed
    assert draw(out) == out
    assert_png(out)
    assert [p.name for p in out.parent.iterdir()] == ["figure.png"]  # no temporary file left


def test_slide_kernel_on_constructed_images():
    # A flat image gives 0 in the interior for an edge kernel (its weights sum to 0) ...
    flat = np.full((6, 6), 0.5, np.float32)
    out = slide_kernel(flat, KERNELS["outline"])
    assert np.allclose(out[1:-1, 1:-1], 0)
    # ... and the zero padding makes the border respond: a corner sees 5 missing neighbours.
    assert out[0, 0] == pytest.approx(0.5 * 8 - 0.5 * 3)
    # A vertical step from 0 to 1 lights up the Sobel-x kernel exactly at the step, with weight 1+2+1.
    step = np.zeros((5, 6), np.float32)
    step[:, 3:] = 1
    response = slide_kernel(step, KERNELS["vertical"])
    assert response[2, 2] == pytest.approx(4) and response[2, 3] == pytest.approx(4)
    assert response[2, 1] == pytest.approx(0) and response[2, 4] == pytest.approx(0)
    # cross-correlation, as a convolution layer computes it: an off-centre single weight shifts the image
    shift = np.zeros((3, 3), np.float32)
    shift[1, 2] = 1  # output(i, j) = input(i, j + 1)
    image = np.arange(16, dtype=np.float32).reshape(4, 4)
    assert np.array_equal(slide_kernel(image, shift)[:, :3], image[:, 1:])
    # uint8 images are scaled to [0, 1] first
    assert slide_kernel(np.full((3, 3), 255, np.uint8), np.ones((1, 1)))[1, 1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="odd"):
        slide_kernel(image, np.ones((2, 2)))


def test_the_cli_kernel_names_are_the_kernels():
    from mnist_cnn.cli.explain_cmd import KERNEL_NAMES

    assert set(KERNEL_NAMES) == set(KERNELS)
