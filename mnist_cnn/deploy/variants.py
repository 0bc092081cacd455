"""Which exported variants exist for which framework, their file names, and what they need.

`--format` and `--quantize` pick variants from this table; a combination that is not in it
is an error listing the ones that are, rather than a silent substitute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..backends import short_name


@dataclass(frozen=True)
class Variant:
    name: str          # key in exports.json and in the table
    framework: str     # which framework's runs it exports
    format: str        # the --format value
    quantize: str      # the --quantize value
    filename: str      # written into the run folder (or --out)
    modules: tuple[str, ...]  # Python modules the export and its evaluation need (the extra)
    label: str         # for people


VARIANTS: tuple[Variant, ...] = (
    Variant("onnx", "torch", "onnx", "none", "model.onnx", ("onnx", "onnxscript", "onnxruntime"),
            "ONNX"),
    Variant("torchscript", "torch", "torchscript", "none", "model.torchscript.pt", (), "TorchScript"),
    Variant("exported-program", "torch", "exported-program", "none", "model.pt2", (),
            "torch.export"),
    Variant("int8", "torch", "torch", "int8", "model.int8.pt", (), "int8 (PyTorch)"),
    Variant("tflite", "keras", "tflite", "none", "model.tflite", ("ai_edge_litert",), "TFLite"),
    Variant("tflite-float16", "keras", "tflite", "float16", "model.float16.tflite", ("ai_edge_litert",),
            "TFLite float16"),
    Variant("tflite-int8", "keras", "tflite", "int8", "model.int8.tflite", ("ai_edge_litert",),
            "TFLite int8"),
    Variant("onnx", "keras", "onnx", "none", "model.onnx", ("onnx", "tf2onnx", "onnxruntime"), "ONNX"),
)

FORMAT_CHOICES = ("all", "onnx", "torchscript", "exported-program", "torch", "tflite")
QUANTIZE_CHOICES = ("none", "float16", "int8")
FORMAT_ALIASES = {"pt2": "exported-program", "pytorch": "torch", "pt": "torch"}


def for_framework(framework: str) -> list[Variant]:
    return [v for v in VARIANTS if v.framework == framework]


def find(framework: str, name: str) -> Variant:
    for variant in for_framework(framework):
        if variant.name == name:
            return variant
    raise KeyError(name)


def _listing(framework: str) -> str:
    return "; ".join(f"--format {v.format} --quantize {v.quantize}" for v in for_framework(framework))


def select(framework: str, fmt: Optional[str], quantize: Optional[str]) -> list[Variant]:
    """The variants `--format FMT --quantize Q` asks for; ValueError naming the valid ones."""
    fmt = FORMAT_ALIASES.get(fmt, fmt) if fmt else None
    candidates = for_framework(framework)
    if fmt in (None, "all"):
        chosen = [v for v in candidates if quantize is None or v.quantize == quantize]
    else:
        same_format = [v for v in candidates if v.format == fmt]
        if quantize:
            chosen = [v for v in same_format if v.quantize == quantize]
        else:  # --format alone: its float variant, else its only one (--format torch is int8)
            chosen = [v for v in same_format if v.quantize == "none"] or same_format[:1]
    if not chosen:
        asked = " ".join(part for part in (f"--format {fmt}" if fmt else "",
                                           f"--quantize {quantize}" if quantize else "") if part)
        raise ValueError(f"{asked} is not an export of {short_name(framework)} models; they export as: "
                         f"{_listing(framework)}")
    return chosen
