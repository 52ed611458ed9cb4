"""Phrasing vectors in the database, so every worker and replica (and a restarted one) embeds a phrasing once.

A row is one normalised phrasing's vector under one model: the key is the SHA-256 of the phrasing (the text
itself stays only in the question log), the vector its float32 bytes. Rows are deleted with the log's
retention (`purge`), by when they were made; a phrasing still asked is embedded again then.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from service.storage.backend import Backend

CHUNK = 500  # keys per IN (…) list: far below SQLite's and PostgreSQL's limits on parameters


def phrasing_key(text: str) -> str:
    """The key of a phrasing's vector."""
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


class VectorStore:
    """Read and write phrasing vectors by model name."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def get(self, model: str, texts: Sequence[str], dimension: int) -> dict[str, np.ndarray]:
        """The stored vectors of those `texts` that have one (of the right dimension)."""
        by_key = {phrasing_key(t): t for t in texts}
        keys = list(by_key)
        found: dict[str, np.ndarray] = {}
        with self.backend.read() as tx:
            for i in range(0, len(keys), CHUNK):
                chunk = keys[i:i + CHUNK]
                rows = tx.rows(f"SELECT key, vector FROM phrasing_vectors WHERE model = ? AND key IN"
                               f" ({', '.join(['?'] * len(chunk))})", (model, *chunk))
                for row in rows:
                    vector = np.frombuffer(bytes(row["vector"]), dtype=np.float32)
                    if len(vector) == dimension:
                        found[by_key[str(row["key"])]] = vector
        return found

    def put(self, model: str, vectors: dict[str, np.ndarray], now: str) -> None:
        """Store vectors (a phrasing another process stored meanwhile is kept as it is)."""
        items = [(phrasing_key(t), np.ascontiguousarray(v, dtype=np.float32).tobytes()) for t, v in vectors.items()]
        with self.backend.transaction() as tx:
            for i in range(0, len(items), CHUNK // 4):
                chunk = items[i:i + CHUNK // 4]
                tx.run("INSERT INTO phrasing_vectors (model, key, vector, created_at) VALUES "
                       + ", ".join(["(?, ?, ?, ?)"] * len(chunk)) + " ON CONFLICT (model, key) DO NOTHING",
                       [value for key, blob in chunk for value in (model, key, blob, now)])

    def purge(self, cutoff: str) -> int:
        """Delete vectors made before `cutoff` (an ISO timestamp)."""
        with self.backend.transaction() as tx:
            return tx.run("DELETE FROM phrasing_vectors WHERE created_at < ?", (cutoff,))
