"""Builder: corpus folder in, index folder out; unchanged passages keep their vectors."""
from __future__ import annotations

import fcntl
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index.corpus import load_corpus
from index.document import Article, SkippedFile
from index.embedder import Embedder
from index.lexical import B, K1, LexicalIndex
from index.passage import EMBED_RECIPE, Passage, split_article
from index.store import (
    FORMAT_VERSION,
    VECTOR_KINDS,
    IndexUnavailable,
    new_build_id,
    read_index,
    write_index,
)
from index.words import STOPWORDS, words

Progress = Callable[[int, int], None]  # (done, total) texts embedded
# Texts per forward pass. On the CPU 8 is as fast as sentence-transformers' 64, or faster (less padding:
# 205 passages and 715 sentences in 4.1 s, not 5.4 s), and the activations a batch of long passages needs
# (about 8 MB a passage) stay small: a live re-index allocates them inside the serving process (docs/memory.md).
EMBED_BATCH = 8


class BuildError(RuntimeError):
    """A build that could not run; the previous index is left serving."""


@dataclass(frozen=True)
class BuildSummary:
    """What one build did, for the CLI's last line and the staff page."""

    articles: int
    passages: int
    sentences: int
    skipped: list[SkippedFile]
    reused: int
    embedded: int
    seconds: float
    path: Path

    def line(self) -> str:
        """The one-line summary `clinicbot index` ends with."""
        return (
            f"indexed {self.articles} articles into {self.passages} passages "
            f"({len(self.skipped)} files skipped, {self.reused} vectors reused, {self.embedded} embedded) "
            f"in {self.seconds:.1f} s -> {self.path}"
        )


def corpus_hash(passages: list[Passage]) -> str:
    """A fingerprint of everything that was embedded."""
    digest = hashlib.sha256()
    for passage in passages:
        digest.update(passage.passage_id.encode())
        digest.update(passage.content_hash.encode())
    return digest.hexdigest()[:32]


def article_rows(articles: list[Article], passages: list[Passage]) -> list[dict[str, object]]:
    """articles.jsonl rows: what staff see in the article list."""
    counts: dict[str, int] = {}
    for passage in passages:
        counts[passage.article_id] = counts.get(passage.article_id, 0) + 1
    return [
        {
            "article_id": a.article_id, "title": a.title, "url": a.url, "date": a.date,
            "source_path": a.source_path, "passages": counts.get(a.article_id, 0),
        }
        for a in articles
    ]


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time per index folder, across processes."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(index_dir.parent / f".{index_dir.name}.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildError(f"another build of {index_dir} is running; try again when it ends") from exc
        yield


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    progress: Progress | None = None,
    articles: list[Article] | None = None,
) -> BuildSummary:
    """Read the corpus (or take `articles`), embed what changed and swap in the new index."""
    started = time.perf_counter()
    skipped: list[SkippedFile] = []
    if articles is None:
        try:
            articles, skipped = load_corpus(Path(corpus_dir))
        except FileNotFoundError as exc:
            raise BuildError(str(exc)) from exc
    if not articles:
        raise BuildError(f"no readable articles in {corpus_dir}; the previous index is unchanged")
    passages = [p for article in articles for p in split_article(article)]
    texts = {
        "passages": [p.embed_text for p in passages],
        "sentences": [s for p in passages for s in p.sentence_embed_texts],
        "words": vocabulary_words(passages),
    }
    with _build_lock(Path(index_dir)):
        previous = _previous_vectors(Path(index_dir), embedder)
        keys = {"passages": [p.content_hash for p in passages], "sentences": texts["sentences"],
                "words": texts["words"]}
        todo = {kind: sorted({t for t, k in zip(texts[kind], keys[kind], strict=False) if k not in previous[kind]})
                for kind in texts}
        total = sum(len(t) for t in todo.values())
        done = 0
        if progress:
            progress(0, total)
        fresh: dict[str, np.ndarray] = {}
        for kind in texts:
            vectors = _embed_batches(embedder, todo[kind], progress, done, total)
            fresh.update(zip(todo[kind], vectors, strict=True))
            done += len(todo[kind])
        matrices = {
            kind: _stack([previous[kind].get(k, fresh.get(t)) for t, k in zip(texts[kind], keys[kind], strict=False)],
                         embedder.dimension)
            for kind in texts
        }
        seconds = time.perf_counter() - started
        manifest = {
            "format_version": FORMAT_VERSION,
            "build_id": new_build_id(),
            "model": embedder.name,
            **embedder.describe(),
            "embed_recipe": EMBED_RECIPE,
            "dimension": embedder.dimension,
            "corpus_hash": corpus_hash(passages),
            "article_count": len(articles),
            "passage_count": len(passages),
            "sentence_count": len(texts["sentences"]),
            "word_count": len(texts["words"]),
            "lexical": {"method": "bm25 (bm25s, lucene)", "k1": K1, "b": B, "tokens": "snowball english stems"},
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "build_seconds": round(seconds, 2),
            "skipped": [{"path": s.path, "reason": s.reason} for s in skipped],
        }
        path = write_index(Path(index_dir), manifest, passages, article_rows(articles, passages), matrices,
                           texts["words"], LexicalIndex.build(passages))
    reused = sum(len(t) for t in texts.values()) - total
    return BuildSummary(len(articles), len(passages), len(texts["sentences"]), skipped, reused, total, seconds, path)


def vocabulary_words(passages: list[Passage]) -> list[str]:
    """The corpus's distinct content words; their vectors let the answerer tell a synonym from a new topic."""
    found: set[str] = set()
    for passage in passages:
        found.update(w for w in words(passage.embed_text) if w.isalpha() and len(w) > 2 and w not in STOPWORDS)
    return sorted(found)


def _stack(rows: list[np.ndarray | None], dimension: int) -> np.ndarray:
    if not rows:
        return np.zeros((0, dimension), np.float32)
    if any(r is None for r in rows):
        raise BuildError("internal error: a text was neither reused nor embedded")
    return np.stack(rows)  # type: ignore[arg-type]




def _previous_vectors(index_dir: Path, embedder: Embedder) -> dict[str, dict[str, np.ndarray]]:
    """Vectors of the current index if it was built the same way; otherwise nothing to reuse."""
    nothing: dict[str, dict[str, np.ndarray]] = {kind: {} for kind in VECTOR_KINDS}
    try:
        old = read_index(index_dir, for_reuse=True)
    except IndexUnavailable:
        return nothing
    if (old.manifest.get("model"), old.manifest.get("encoder", "torch"), old.manifest.get("embed_recipe")) != \
            (embedder.name, embedder.encoder, EMBED_RECIPE):
        return nothing
    return old.vectors_by_text()


def _embed_batches(
    embedder: Embedder, texts: list[str], progress: Progress | None, done: int, total: int, size: int = 256
) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for start in range(0, len(texts), size):
        out.extend(embedder.encode(texts[start:start + size], batch_size=EMBED_BATCH))
        if progress:
            progress(done + min(start + size, len(texts)), total)
    return out
