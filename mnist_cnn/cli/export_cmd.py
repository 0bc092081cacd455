"""`mnist-cnn export`."""

from __future__ import annotations

import click

from ..deploy.variants import FORMAT_ALIASES, FORMAT_CHOICES, QUANTIZE_CHOICES
from .common import FRAMEWORK_CHOICE, console, data_dir_option, friendly_errors, runs_dir_option


@click.command()
@click.argument("model_arg", metavar="[RUN]", required=False)
@click.option("--model", "-m", default=None,
              help="'latest' (the newest run), a run folder, or its model.pt / model.keras. Default: latest.")
@click.option("--framework", "-f", type=FRAMEWORK_CHOICE, default=None, help="With 'latest': whose newest run.")
@click.option("--format", "fmt", type=click.Choice([*FORMAT_CHOICES, *FORMAT_ALIASES]), default=None,
              help="onnx (both frameworks), torchscript / exported-program / torch (PyTorch; torch means the "
                   "int8 .pt), tflite (Keras). Default: every variant of the run's framework.")
@click.option("--quantize", type=click.Choice(QUANTIZE_CHOICES), default=None,
              help="none, float16 (TFLite) or int8 (PyTorch quantized kernels, TFLite full-integer), "
                   "calibrated on training images.")
@click.option("--out", type=click.Path(), default=None,
              help="Write here instead of beside the model: a file (one variant) or a folder.")
@click.option("--calibration-images", type=click.IntRange(min=10, max=60000), default=1000, show_default=True,
              help="Training images used to calibrate int8 quantization.")
@click.option("--threads", type=click.IntRange(min=0), default=1, show_default=True,
              help="CPU threads of every runtime measured (0: all). One is the fair comparison and the "
                   "stable one on a busy machine.")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
@data_dir_option
@runs_dir_option
@friendly_errors
def export(model_arg, model, framework, fmt, quantize, out, calibration_images, threads, as_json, data_dir,
           runs_dir):
    """Export a trained model for deployment, and measure every variant.

    Writes the exported files beside the model (in its run folder) or to --out, runs each
    through its own runtime (ONNX Runtime, LiteRT, PyTorch's quantized kernels) on the
    10,000 test images, and prints a table against the float model: test accuracy, file
    size, single-image latency and batch throughput on this machine. The table is also
    written to exports.json in the run folder.

    Exported files take raw pixels, float32 (N, 28, 28) in 0..255, and return logits (N, 10).

    \b
    Examples:
      mnist-cnn export                                  # every variant of the latest run
      mnist-cnn export runs/20261121-120000-torch-fast --format onnx
      mnist-cnn export -f keras --format tflite --quantize int8
      mnist-cnn evaluate runs/20261121-120000-keras-fast/model.int8.tflite
    """
    from .. import workflows
    from ..deploy.export import export as run_export

    if model_arg and model:
        raise click.UsageError("give the run either as an argument or with --model, not both")
    out_console = console()
    run_export(model_arg or model or "latest", framework, fmt, quantize, out, out_console,
               lambda: workflows.load_data(data_dir, out_console), runs_dir, calibration_images, as_json,
               threads=threads)
