"""The ONNX export of a sentence-transformers model: made once with torch, then served without it.

`exported(model, cache_dir)` returns the folder holding `model.onnx` (fp32), `model.int8.onnx` (its weights
quantised to int8 by onnxruntime's dynamic quantisation), the model's `tokenizer.json` and `encoder.json` (the
model, how to pool, the longest input, the files' SHA-256). The folder is named after the
model and a digest of its files, so a changed model is exported anew; a folder whose `model.onnx` does not
match its recorded checksum is exported again. The export is checked against sentence-transformers on a few
texts and refused below `MIN_COSINE`. Only a model of a transformer, a pooling (mean, CLS or max) and an
optional normalisation can be exported; any other (a Dense layer, a prompt) is an `ExportError`.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from index.embedder import offline, resolve_model

EXPORT_VERSION = 2  # bump when the exported graph or encoder.json changes
OPSET = 17
MIN_COSINE = 0.999  # the export must agree with sentence-transformers at least this well
PROBES = ["does it hurt?", "How many sessions will I need, and does my insurance cover them?", "hi",
          "After the treatment, rest for a day and drink plenty of water; call us if the pain gets worse."]
POOLINGS = ("mean", "cls", "max")


class ExportError(RuntimeError):
    """The model cannot be exported to ONNX faithfully."""


def _model_digest(path: str) -> str:
    """A digest of a local model folder's files (names, sizes, modification times), or of a hub name."""
    digest = hashlib.sha256(f"{EXPORT_VERSION}|".encode())
    folder = Path(path)
    if folder.is_dir():
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            stat = file.stat()
            digest.update(f"{file.relative_to(folder)}|{stat.st_size}|{int(stat.st_mtime)}\n".encode())
    else:
        digest.update(path.encode())
    return digest.hexdigest()[:16]


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_folder(model: str, cache_dir: Path) -> Path:
    """Where the export of `model` lives (whether or not it has been made yet)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(model).name or model).strip("-")[:60] or "model"
    return Path(cache_dir) / f"{slug}-{_model_digest(resolve_model(model))}"


def read_export(folder: Path) -> dict[str, Any] | None:
    """The export's description if the folder holds a complete, unaltered export; else None."""
    try:
        meta = json.loads((folder / "encoder.json").read_text(encoding="utf-8"))
        if meta.get("export_version") != EXPORT_VERSION or not (folder / "tokenizer.json").is_file():
            return None
        if file_sha256(folder / "model.onnx") != meta.get("sha256") or \
                file_sha256(folder / "model.int8.onnx") != meta.get("sha256_int8"):
            return None
        return dict(meta)
    except (OSError, ValueError):
        return None


def exported(model: str, cache_dir: Path, known: Sequence[Path] = ()) -> Path:
    """The folder of `model`'s checked ONNX export, exporting it first if there is none (this needs torch).

    `known` are other folders that may hold it (the one an index records it was built with): one of the same
    model files, intact, is used as it is.
    """
    folder = export_folder(model, cache_dir)
    if read_export(folder) is not None:
        return folder
    for other in known:
        if Path(other).name == folder.name and read_export(Path(other)) is not None:
            return Path(other)
    export(model, folder)
    return folder


def _pooling(st: Any) -> tuple[str, bool]:
    """The model's pooling mode and whether it normalises, or an ExportError for modules we cannot run."""
    names = [type(module).__name__ for module in st]
    if not names or names[0] != "Transformer" or len(names) > 3 or names[1:2] != ["Pooling"] \
            or names[2:] not in ([], ["Normalize"]):
        raise ExportError(f"only Transformer + Pooling (+ Normalize) models can be exported, not {names}")
    if getattr(st, "default_prompt_name", None):
        raise ExportError("a model with a default prompt is not exported")
    pooling = st[1]
    mode = getattr(pooling, "pooling_mode", None) or next(
        (m for m in POOLINGS if getattr(pooling, f"pooling_mode_{m}_tokens" if m != "cls" else "pooling_mode_cls_token",
                                        False)), None)
    if mode not in POOLINGS:
        raise ExportError(f"pooling {mode!r} is not supported (only {', '.join(POOLINGS)})")
    return str(mode), len(names) == 3


def export(model: str, folder: Path) -> None:
    """Export `model` into `folder` (written beside it and renamed into place, so readers never see half)."""
    offline()
    import numpy as np
    import torch

    from index.torch_encoder import TorchEmbedder

    reference = TorchEmbedder(model)
    st = reference.model
    mode, normalise = _pooling(st)
    transformer: Any = st[0]
    tokenizer: Any = transformer.tokenizer
    inputs = [name for name in ("input_ids", "attention_mask", "token_type_ids")
              if name in tokenizer.model_input_names]

    class LastHidden(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *tensors: torch.Tensor) -> Any:
            return self.inner(**dict(zip(inputs, tensors, strict=True))).last_hidden_state

    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    sample = tokenizer(PROBES[:2], padding=True, return_tensors="pt")
    wrapped = LastHidden(transformer.auto_model).eval()
    # Tracing warns that the attention mask's Python-side checks become constants; the probe check below
    # confirms the graph is right for other batch sizes and lengths.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapped, tuple(sample[name] for name in inputs), str(work / "model.onnx"),
                          input_names=inputs, output_names=["last_hidden_state"], opset_version=OPSET,
                          dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*inputs, "last_hidden_state"]},
                          dynamo=False)
    tokenizer.backend_tokenizer.save(str(work / "tokenizer.json"))
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # int8 weights of the matrix products (per output channel, 7-bit range), activations quantised on the fly:
    # a quarter of the bytes to read per question. Of the variants tried this one agrees best with fp32.
    quiet = logging.root.manager.disable
    logging.disable(logging.WARNING)  # its advice to pre-process the graph first (tried: no better agreement)
    try:
        quantize_dynamic(str(work / "model.onnx"), str(work / "model.int8.onnx"), weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul"], per_channel=True, reduce_range=True)
    finally:
        logging.disable(quiet)
    meta = {"export_version": EXPORT_VERSION, "model": model, "inputs": inputs, "pooling": mode,
            "normalize": normalise, "max_tokens": int(st.max_seq_length or 512),
            "dimension": reference.dimension, "opset": OPSET, "sha256": file_sha256(work / "model.onnx"),
            "sha256_int8": file_sha256(work / "model.int8.onnx")}
    (work / "encoder.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    from index.onnx_encoder import OnnxEmbedder

    expected = reference.encode(PROBES)
    agreement = (OnnxEmbedder(work).encode(PROBES) * expected).sum(axis=1)
    if float(np.min(agreement)) < MIN_COSINE:
        raise ExportError(f"the ONNX export of {model} disagrees with sentence-transformers "
                          f"(cosine {float(np.min(agreement)):.4f} < {MIN_COSINE})")
    meta["probe_cosine"] = round(float(np.min(agreement)), 6)
    quantised = (OnnxEmbedder(work, precision="int8").encode(PROBES) * expected).sum(axis=1)
    meta["probe_cosine_int8"] = round(float(np.min(quantised)), 6)  # recorded; int8 is chosen by its benchmarks
    (work / "encoder.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    os.chmod(work, 0o755)
    if folder.exists() and read_export(folder) is None:  # an altered or half-copied export is replaced
        shutil.rmtree(folder, ignore_errors=True)
    try:
        work.rename(folder)
    except OSError:  # another process exported it meanwhile: keep theirs
        shutil.rmtree(work, ignore_errors=True)
