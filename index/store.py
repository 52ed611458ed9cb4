"""The index folder: vectors, passages, articles and a manifest, written atomically, read back whole.

Layout: `<index_dir>` is a symlink to a sibling build folder `.<name>-<build_id>/` holding
`manifest.json`, `passages.jsonl`, `articles.jsonl`, `words.json` (the corpus vocabulary), one FAISS
file per kind of vector: `passages.faiss`, `sentences.faiss`, `words.faiss`, and the BM25 indexes of the
same passages and sentences in `lexical/`.
A new build is written to its own folder and the symlink is swapped with one rename, so readers see
the old index or the new one, never a half-written one.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.lexical import LexicalIndex
from index.passage import Passage

FORMAT_VERSION = 3
REUSABLE_VERSIONS = (2, 3)  # builds whose vectors a new build may reuse (the embedded texts did not change)
VECTOR_KINDS = ("passages", "sentences", "words")
MANIFEST = "manifest.json"


class IndexUnavailable(RuntimeError):
    """The index folder is missing, unreadable or does not fit the configured model."""


@dataclass
class StoredIndex:
    """An index folder loaded into memory."""

    path: Path
    manifest: dict[str, Any]
    passages: list[Passage]
    articles: list[dict[str, Any]]
    passage_vectors: faiss.Index
    sentence_vectors: faiss.Index
    words: list[str]
    word_vectors: faiss.Index
    lexical: LexicalIndex | None = None  # None only when read for vector reuse
    sentence_owner: np.ndarray = field(init=False)  # passage row of each sentence row
    sentence_rank: np.ndarray = field(init=False)  # sentence number inside its passage

    def __post_init__(self) -> None:
        owner: list[int] = []
        rank: list[int] = []
        for row, passage in enumerate(self.passages):
            owner.extend([row] * len(passage.sentences))
            rank.extend(range(len(passage.sentences)))
        self.sentence_owner = np.asarray(owner, dtype=np.int64)
        self.sentence_rank = np.asarray(rank, dtype=np.int64)

    def vectors_by_text(self) -> dict[str, dict[str, np.ndarray]]:
        """Vectors of this index by kind, keyed by passage hash / embedded text, for incremental rebuilds."""
        passage_matrix = all_vectors(self.passage_vectors)
        sentence_matrix = all_vectors(self.sentence_vectors)
        by_passage = {p.content_hash: passage_matrix[i] for i, p in enumerate(self.passages)}
        by_sentence: dict[str, np.ndarray] = {}
        for row, owner in enumerate(self.sentence_owner):
            text = self.passages[owner].sentence_embed_texts[self.sentence_rank[row]]
            by_sentence[text] = sentence_matrix[row]
        by_word = dict(zip(self.words, all_vectors(self.word_vectors), strict=False))
        return {"passages": by_passage, "sentences": by_sentence, "words": by_word}


def all_vectors(index: faiss.Index) -> np.ndarray:
    """Every vector of a flat index, as one float32 array."""
    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return np.asarray(index.reconstruct_n(0, index.ntotal), dtype=np.float32)


def flat_index(vectors: np.ndarray, dimension: int) -> faiss.Index:
    """Exact inner-product search over unit vectors (cosine); right for a clinic-sized corpus."""
    index = faiss.IndexFlatIP(dimension)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def write_index(
    index_dir: Path,
    manifest: dict[str, Any],
    passages: list[Passage],
    articles: list[dict[str, Any]],
    vectors: dict[str, np.ndarray],
    words: list[str],
    lexical: LexicalIndex,
) -> Path:
    """Write a complete build beside `index_dir`, then point `index_dir` at it in one atomic step."""
    index_dir = Path(index_dir)
    parent = index_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    build = parent / f".{index_dir.name}-{manifest['build_id']}"
    staging = parent / f".{index_dir.name}-{manifest['build_id']}.partial"
    staging.mkdir()
    dimension = int(manifest["dimension"])
    for kind in VECTOR_KINDS:
        faiss.write_index(flat_index(vectors[kind], dimension), str(staging / f"{kind}.faiss"))
    lexical.save(staging / "lexical")
    _write_json(staging / "words.json", words)
    _write_jsonl(staging / "passages.jsonl", [p.to_json() for p in passages])
    _write_jsonl(staging / "articles.jsonl", articles)
    _write_json(staging / MANIFEST, manifest)  # last: a folder with a manifest is complete
    _fsync_dir(staging)
    os.rename(staging, build)
    _swap_link(index_dir, build)
    _remove_old_builds(index_dir, keep=build)
    return build


def read_index(index_dir: Path, for_reuse: bool = False) -> StoredIndex:
    """Load an index folder; a missing or broken one raises IndexUnavailable saying what to run.

    `for_reuse` reads only what a rebuild can reuse (passages and vectors), from this or an older format.
    """
    index_dir = Path(index_dir)
    real = index_dir.resolve()
    manifest_path = real / MANIFEST
    if not manifest_path.is_file():
        raise IndexUnavailable(f"no index at {index_dir}: run `clinicbot index --index-dir {index_dir}` first")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        accepted = REUSABLE_VERSIONS if for_reuse else (FORMAT_VERSION,)
        if manifest.get("format_version") not in accepted:
            raise ValueError(f"format version {manifest.get('format_version')} (expected {FORMAT_VERSION})")
        passages = [Passage.from_json(row) for row in _read_jsonl(real / "passages.jsonl")]
        articles = _read_jsonl(real / "articles.jsonl")
        words = json.loads((real / "words.json").read_text(encoding="utf-8"))
        loaded = {kind: faiss.read_index(str(real / f"{kind}.faiss")) for kind in VECTOR_KINDS}
        lexical = None if for_reuse else LexicalIndex.load(real / "lexical")
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexUnavailable(
            f"the index at {index_dir} is unreadable ({exc}): rebuild it with `clinicbot index --index-dir {index_dir}`"
        ) from exc
    if loaded["passages"].ntotal != len(passages) or loaded["words"].ntotal != len(words):
        raise IndexUnavailable(f"the index at {index_dir} is inconsistent: rebuild it with `clinicbot index`")
    return StoredIndex(real, manifest, passages, articles, loaded["passages"], loaded["sentences"], words,
                       loaded["words"], lexical)


def new_build_id() -> str:
    """A sortable, unique name for one build."""
    from datetime import datetime

    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def _swap_link(index_dir: Path, build: Path) -> None:
    """Point `index_dir` at `build`; a plain folder left by hand is moved aside first."""
    if index_dir.exists() and not index_dir.is_symlink():
        index_dir.rename(index_dir.parent / f".{index_dir.name}-legacy-{uuid.uuid4().hex[:6]}")
    tmp_link = index_dir.parent / f".{index_dir.name}.link-{uuid.uuid4().hex[:6]}"
    os.symlink(build.name, tmp_link)
    os.replace(tmp_link, index_dir)  # atomic on POSIX


def _remove_old_builds(index_dir: Path, keep: Path) -> None:
    """Delete earlier builds and leftovers of crashed ones, keeping the one just written."""
    for path in index_dir.parent.glob(f".{index_dir.name}-*"):
        if path != keep and path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)


def _write_json(path: Path, data: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
        fh.flush()
        os.fsync(fh.fileno())


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        fh.flush()
        os.fsync(fh.fileno())


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
