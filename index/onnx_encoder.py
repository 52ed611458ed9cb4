"""The model on ONNX Runtime with its own tokenizer (the `tokenizers` package): no torch, no transformers.

The same computation as sentence-transformers for a Transformer + Pooling (+ Normalize) model: tokenise
(truncated to the model's longest input), run the exported graph, pool the last hidden states (mean over
the attention mask, the first token, or the maximum), normalise to unit length.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from index.embedder import Embedder


class OnnxEmbedder(Embedder):
    """An exported model (a folder made by `index/onnx_export.py`) on ONNX Runtime's CPU provider."""

    def __init__(self, folder: Path, cache_size: int = 2048, threads: int = 0, precision: str = "fp32") -> None:
        super().__init__(cache_size)
        import onnxruntime
        from tokenizers import Tokenizer

        meta = json.loads((Path(folder) / "encoder.json").read_text(encoding="utf-8"))
        self.folder = Path(folder).resolve()
        if precision not in ("fp32", "int8"):
            raise ValueError(f"unknown precision {precision!r}")
        self.sha256 = str(meta.get("sha256" if precision == "fp32" else "sha256_int8", ""))
        self.name = str(meta["model"])
        self.encoder = "onnx" if precision == "fp32" else "onnx-int8"
        self.dimension = int(meta["dimension"])
        self._inputs = list(meta["inputs"])
        self._pooling = str(meta["pooling"])
        self._tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
        self._tokenizer.enable_truncation(int(meta["max_tokens"]))
        self._tokenizer.no_padding()  # each batch is padded to its own longest text below
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # warnings about unused initialisers are not the clinic's business
        graph = "model.onnx" if precision == "fp32" else "model.int8.onnx"
        self._session = onnxruntime.InferenceSession(str(Path(folder) / graph), options,
                                                     providers=["CPUExecutionProvider"])

    def describe(self) -> dict[str, str]:
        return {"encoder": self.encoder, "encoder_export": str(self.folder), "encoder_sha256": self.sha256}

    def _run(self, texts: list[str]) -> np.ndarray:
        """One batch: tokenise, pad to the longest, run, pool, normalise."""
        encodings = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        feed = {name: np.zeros((len(texts), width), dtype=np.int64) for name in self._inputs}
        for row, e in enumerate(encodings):
            n = len(e.ids)
            feed["input_ids"][row, :n] = e.ids
            if "attention_mask" in feed:
                feed["attention_mask"][row, :n] = e.attention_mask
            if "token_type_ids" in feed:
                feed["token_type_ids"][row, :n] = e.type_ids
        hidden = self._session.run(None, feed)[0].astype(np.float32)
        mask = feed["attention_mask"][..., None].astype(np.float32) if "attention_mask" in feed else \
            np.ones((*hidden.shape[:2], 1), dtype=np.float32)
        if self._pooling == "cls":
            pooled = hidden[:, 0]
        elif self._pooling == "max":
            pooled = np.where(mask > 0, hidden, -1e9).max(axis=1)
        else:
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32)

    def _encode(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        """Many texts, longest first in batches of similar length (less padding), back in their order."""
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), max(1, batch_size)):
            rows = order[start:start + batch_size]
            out[rows] = self._run([texts[i] for i in rows])
        return out

    def _short(self, texts: list[str]) -> np.ndarray:
        return self._run(texts)
