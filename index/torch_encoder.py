"""The model on torch through sentence-transformers: the reference the ONNX encoder is checked against."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from index.embedder import Embedder, offline, resolve_model

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class TorchEmbedder(Embedder):
    """sentence-transformers' `encode` for many texts; its modules called directly for a few short ones."""

    encoder = "torch"

    def __init__(self, model: str, cache_size: int = 2048) -> None:
        super().__init__(cache_size)
        offline()
        from sentence_transformers import SentenceTransformer

        self.name = model
        self._model: SentenceTransformer = SentenceTransformer(resolve_model(model), device="cpu")
        self.dimension = dimension_of(self._model)
        # A question needs none of encode()'s batching: the model's modules are called directly (about 1 ms
        # less per question), unless the model asks for a prompt or a truncated dimension that encode() adds.
        self._direct = not self._model.default_prompt_name and not getattr(self._model, "truncate_dim", None)

    @property
    def model(self) -> SentenceTransformer:
        """The loaded sentence-transformers model (the ONNX export reads its modules)."""
        return self._model

    def _encode(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        return np.asarray(self._model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                             convert_to_numpy=True, show_progress_bar=progress))

    def _short(self, texts: list[str]) -> np.ndarray:
        """A few short texts through the model's modules (tokenizer, transformer, pooling), normalised."""
        if not self._direct:
            return self._encode(texts, len(texts), False)
        import torch

        with torch.inference_mode():
            features = self._model.preprocess(texts)
            pooled = self._model(features)["sentence_embedding"]
            return torch.nn.functional.normalize(pooled.float(), p=2, dim=1).numpy()


def dimension_of(model: SentenceTransformer) -> int:
    """The model's vector size (the accessor was renamed in sentence-transformers 6)."""
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter() or 0)
