"""Retriever: the loaded index and the model, finding the passages and sentences nearest a question."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.embedder import Embedder
from index.passage import Passage
from index.store import IndexUnavailable, StoredIndex, all_vectors, read_index
from index.words import content_stems
from service.query import Query, Vocabulary

PASSAGE_WEIGHT = 0.5  # share of the passage's own score in a hit's score; the rest is its best sentence
OVERLAP_WEIGHT = 0.3  # bonus for a sentence that names the question's (rarer) words
SHAPE_WEIGHT = 0.1  # bonus for a sentence holding the kind of fact asked for (price, duration, count)
CANDIDATES = 50


@dataclass(frozen=True)
class Hit:
    """A passage found for a question, with its scores and its sentences' scores."""

    row: int
    passage: Passage
    score: float
    passage_score: float
    sentence_scores: tuple[float, ...]

    @property
    def best_sentence(self) -> int:
        """Index of the passage's sentence nearest the question."""
        return int(np.argmax(self.sentence_scores)) if self.sentence_scores else 0


class Retriever:
    """Search over one loaded index with the model it was built with."""

    def __init__(self, stored: StoredIndex, embedder: Embedder) -> None:
        if stored.manifest.get("model") != embedder.name:
            raise IndexUnavailable(
                f"the index at {stored.path} was built with model '{stored.manifest.get('model')}' but the "
                f"configured model is '{embedder.name}': rebuild it with `clinicbot index` "
                f"(or set CLINICBOT_MODEL={stored.manifest.get('model')})"
            )
        self.stored = stored
        self.embedder = embedder
        self._passages = stored.passage_vectors
        self._sentences = stored.sentence_vectors
        self._passage_matrix = all_vectors(stored.passage_vectors)
        self._sentence_matrix = all_vectors(stored.sentence_vectors)
        self._first_sentence = np.zeros(len(stored.passages) + 1, dtype=np.int64)
        np.cumsum([len(p.sentences) for p in stored.passages], out=self._first_sentence[1:])
        self.vocabulary = Vocabulary(p.embed_text for p in stored.passages)
        self._sentence_stems = [content_stems(s) for p in stored.passages for s in p.sentences]

    @classmethod
    def load(cls, index_dir: Path, embedder: Embedder) -> Retriever:
        """Read an index folder and check it was built with the embedder's model."""
        return cls(read_index(index_dir), embedder)

    @property
    def manifest(self) -> dict[str, object]:
        """The loaded index's manifest."""
        return self.stored.manifest

    def parse(self, question: str) -> Query:
        """The question's words, typos repaired against this corpus."""
        return Query.parse(question, self.vocabulary)

    def embed(self, text: str) -> np.ndarray:
        """The question's vector (cached)."""
        return self.embedder.query(text)

    def nearest_word(self, word: str) -> float:
        """Similarity of a word to its nearest neighbour in the corpus vocabulary ("hurt" ~ "pain")."""
        if self.stored.word_vectors.ntotal == 0:
            return 0.0
        scores, _ = self.stored.word_vectors.search(self.embed(word).reshape(1, -1), 1)
        return float(scores[0][0])

    def search(self, query: Query, vector: np.ndarray, k: int) -> list[Hit]:
        """The `k` best passages for a question, best first."""
        n_passages = len(self.stored.passages)
        if n_passages == 0:
            return []
        row_vector = vector.reshape(1, -1).astype(np.float32)
        rows: set[int] = set()
        _, passage_ids = self._passages.search(row_vector, min(CANDIDATES, n_passages))
        rows.update(int(i) for i in passage_ids[0] if i >= 0)
        if self._sentences.ntotal:
            _, sentence_ids = self._sentences.search(row_vector, min(CANDIDATES * 2, self._sentences.ntotal))
            rows.update(int(self.stored.sentence_owner[i]) for i in sentence_ids[0] if i >= 0)
        hits = [self._hit(row, query, vector) for row in rows]
        hits.sort(key=lambda h: (-h.score, h.row))
        return hits[:k]

    def _hit(self, row: int, query: Query, vector: np.ndarray) -> Hit:
        passage_score = float(self._passage_matrix[row] @ vector)
        start, end = int(self._first_sentence[row]), int(self._first_sentence[row + 1])
        passage = self.stored.passages[row]
        dense = self._sentence_matrix[start:end] @ vector
        sentence_scores = tuple(
            float(dense[i])
            + OVERLAP_WEIGHT * query.overlap(self._sentence_stems[start + i], self.vocabulary)
            + SHAPE_WEIGHT * query.shape_match(sentence)
            for i, sentence in enumerate(passage.sentences)
        )
        best = max(sentence_scores, default=passage_score)
        score = PASSAGE_WEIGHT * passage_score + (1 - PASSAGE_WEIGHT) * best
        return Hit(row, passage, score, passage_score, sentence_scores)
