"""The index folder: self-describing, incremental, atomic, and refused when built with another model."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from index.builder import BuildError, build_index
from index.embedder import Embedder
from index.store import IndexUnavailable, read_index
from service.app import create_app
from service.answering.retrieve import Retriever
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_folder_is_self_describing(index_dir: Path) -> None:
    assert index_dir.is_symlink()
    files = {p.name for p in index_dir.resolve().iterdir()}
    assert files == {"manifest.json", "passages.jsonl", "articles.jsonl", "words.json", "lexical",
                     "passages.faiss", "sentences.faiss", "words.faiss"}
    assert {p.name for p in (index_dir / "lexical").iterdir()} == {"passages", "sentences"}
    manifest = json.loads((index_dir / "manifest.json").read_text())
    for key in ("model", "dimension", "corpus_hash", "passage_count", "built_at", "article_count", "build_seconds"):
        assert key in manifest
    assert manifest["model"] == "all-MiniLM-L6-v2" and manifest["dimension"] == 384
    stored = read_index(index_dir)
    assert len(stored.passages) == manifest["passage_count"] == stored.passage_vectors.ntotal
    norms = np.linalg.norm(stored.passage_vectors.reconstruct_n(0, 5), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4), "vectors are normalised for inner-product = cosine"
    assert {a["article_id"] for a in stored.articles} >= {"cupping-therapy", "acupuncture-upper-back-pain-naturally"}


def test_rebuild_is_incremental(corpus_dir: Path, embedder: Embedder, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    target = tmp_path / "index"
    first = build_index(corpus, target, embedder)
    assert first.embedded > 0 and first.reused == 0
    again = build_index(corpus, target, embedder)
    assert again.embedded == 0 and again.passages == first.passages
    before = read_index(target)
    aftercare = corpus / "aftercare.md"
    aftercare.write_text(aftercare.read_text().replace("Drink an extra two or three glasses of water.",
                                                       "Drink an extra glass of water."))
    changed = build_index(corpus, target, embedder)
    assert 0 < changed.embedded <= 3, "only the edited passage and sentence are embedded again"
    after = read_index(target)
    assert after.manifest["corpus_hash"] != before.manifest["corpus_hash"]
    same = before.passages.index(next(p for p in before.passages if p.article_id == "cupping-therapy"))
    assert np.array_equal(before.passage_vectors.reconstruct(same), after.passage_vectors.reconstruct(same))
    builds = [p for p in tmp_path.iterdir() if p.name.startswith(".index-") and p.is_dir()]
    assert len(builds) == 1, "old builds are removed once the new one is live"


def test_unreadable_files_are_skipped_with_reason(corpus_dir: Path, embedder: Embedder, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    (corpus / "empty.md").write_text("")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02PNG")
    (corpus / "broken.md").write_text("---\ntitle: [unclosed\n---\nBody text here.\n")
    summary = build_index(corpus, tmp_path / "index", embedder)
    reasons = {Path(s.path).name: s.reason for s in summary.skipped}
    assert set(reasons) == {"empty.md", "binary.txt", "broken.md"}
    assert "empty" in reasons["empty.md"] and "binary" in reasons["binary.txt"]
    assert "front matter" in reasons["broken.md"]
    assert summary.articles == 7
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert len(manifest["skipped"]) == 3


def test_empty_corpus_keeps_previous_index(index_dir: Path, embedder: Embedder, tmp_path: Path) -> None:
    target = tmp_path / "index"
    shutil.copytree(index_dir.resolve(), tmp_path / ".index-old")
    os.symlink(".index-old", target)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BuildError, match="no readable articles"):
        build_index(tmp_path / "empty", target, embedder)
    with pytest.raises(BuildError, match="not found"):
        build_index(tmp_path / "missing", target, embedder)
    assert read_index(target).manifest == read_index(index_dir).manifest


def test_index_built_with_another_model_is_refused(index_dir: Path, embedder: Embedder, tmp_path: Path) -> None:
    other = tmp_path / "index"
    shutil.copytree(index_dir.resolve(), other)
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["model"] = "sentence-transformers/all-mpnet-base-v2"
    (other / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexUnavailable, match="clinicbot index") as info:
        Retriever.load(other, embedder)
    assert "all-mpnet-base-v2" in str(info.value) and "all-MiniLM-L6-v2" in str(info.value)
    with pytest.raises(IndexUnavailable), TestClient(create_app(Settings(index_dir=other), embedder)):
        pass


def test_missing_index_says_what_to_run(embedder: Embedder, tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailable, match="run `clinicbot index"):
        Retriever.load(tmp_path / "nothing", embedder)


def test_corrupt_index_says_what_to_run(index_dir: Path, embedder: Embedder, tmp_path: Path) -> None:
    broken = tmp_path / "index"
    shutil.copytree(index_dir.resolve(), broken)
    (broken / "passages.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexUnavailable, match="rebuild it"):
        Retriever.load(broken, embedder)


def test_leftover_of_a_crashed_write_is_ignored_then_cleaned(
    corpus_dir: Path, index_dir: Path, embedder: Embedder, tmp_path: Path
) -> None:
    target = tmp_path / "index"
    build_index(corpus_dir, target, embedder)
    live = read_index(target).manifest
    partial = tmp_path / ".index-20990101T000000-dead00.partial"  # what a crash during writing leaves
    partial.mkdir()
    (partial / "passages.jsonl").write_text('{"half": ')
    assert read_index(target).manifest == live
    build_index(corpus_dir, target, embedder)
    assert not partial.exists()


def test_killed_build_leaves_previous_index_serving(corpus_dir: Path, tmp_path: Path) -> None:
    """A real `clinicbot index` process killed mid-build: the old index is still whole and loads."""
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    target = tmp_path / "index"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cli = [sys.executable, "-m", "service.cli"]
    done = subprocess.run([*cli, "index", "--corpus", str(corpus), "--index-dir", str(target)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    before = read_index(target).manifest
    for n in range(120):  # enough new text that embedding takes a while
        (corpus / f"extra-{n}.md").write_text(f"# Extra {n}\n\n" + " ".join(
            f"Paragraph {n}-{i} says acupuncture session number {i * n} lasted a while." for i in range(40)))
    with subprocess.Popen([*cli, "index", "--corpus", str(corpus), "--index-dir", str(target)], cwd=ROOT,
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as proc:
        deadline = time.monotonic() + 120
        seen = ""
        assert proc.stderr is not None
        while "embedding" not in seen and time.monotonic() < deadline:
            seen += proc.stderr.read(1)
        assert "embedding" in seen, "the progress bar shows while embedding"
        time.sleep(1.0)
        assert proc.poll() is None, "the build was still running when killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert read_index(target).manifest == before
    assert read_index(target).manifest["article_count"] == 7
