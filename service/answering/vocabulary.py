"""Vocabulary: the corpus's words as the pipeline weighs them — document frequencies and word vectors.

A question's word weighs by how rare it is in this clinic's articles (idf), and meets the articles' words
through the model's own word vectors: "hurt" stands for "pain" and "kids" for "children" when their vectors
are close, for any clinic, without a synonym list.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import faiss
import numpy as np

from index.words import is_content, stem, words

MAX_SYNONYMS = 8  # corpus words kept per question word


class Vocabulary:
    """Document frequencies by stem, word counts, and the corpus words' vectors for synonyms."""

    def __init__(self, documents: Iterable[str], vector_words: Sequence[str], vectors: faiss.Index) -> None:
        df: Counter[str] = Counter()
        counts: Counter[str] = Counter()
        n = 0
        for doc in documents:
            n += 1
            tokens = words(doc)
            counts.update(tokens)
            df.update({stem(t) for t in tokens})
        self.size = max(n, 1)
        self.df = df
        self.counts = counts
        self.vector_words = list(vector_words)
        self._row = {w: i for i, w in enumerate(self.vector_words)}
        self._vectors = vectors

    def idf(self, stem_: str) -> float:
        """Inverse document frequency; a stem the corpus never uses weighs most."""
        return math.log(1 + self.size / (1 + self.df.get(stem_, 0)))

    def knows(self, stem_: str) -> bool:
        """Whether any article uses a word with this stem."""
        return self.df.get(stem_, 0) > 0

    def vector_of(self, word: str) -> np.ndarray | None:
        """The stored vector of a corpus word (None for a word the index has no vector of)."""
        row = self._row.get(word)
        return None if row is None else np.asarray(self._vectors.reconstruct(row), dtype=np.float32)

    def synonyms(self, word: str, vector: np.ndarray, threshold: float) -> dict[str, float]:
        """Corpus stems whose word vector is at least `threshold` close to `vector`, with their similarity."""
        if self._vectors.ntotal == 0:
            return {}
        scores, rows = self._vectors.search(vector.reshape(1, -1).astype(np.float32),
                                            min(MAX_SYNONYMS * 4, self._vectors.ntotal))
        own = stem(word)
        found: dict[str, float] = {}
        for score, row in zip(scores[0], rows[0], strict=True):
            if row < 0 or score < threshold:
                break
            corpus_stem = stem(self.vector_words[row])
            if corpus_stem != own and is_content(self.vector_words[row]):
                found[corpus_stem] = max(found.get(corpus_stem, 0.0), float(score))
            if len(found) >= MAX_SYNONYMS:
                break
        return found
