"""Memory after a live re-index: the old index is let go and free memory is given back (benchmarks/memory.py
measures how much; no RSS threshold here, it depends on the machine)."""
from __future__ import annotations

import math
import shutil
import time
import weakref
from pathlib import Path

from fastapi.testclient import TestClient

from index.builder import build_index
from index.embedder import Embedder
from service import memory
from service.app import create_app
from service.settings import Settings
from tests.conftest import staff_login

ROOT = Path(__file__).resolve().parent.parent


def test_release_runs_and_rss_is_read() -> None:
    memory.release()
    assert memory.resident_mib() > 0 or math.isnan(memory.resident_mib())


def test_the_old_index_is_freed_after_a_reindex(settings: Settings, embedder: Embedder, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    site = settings.model_copy(update={"corpus_dir": corpus, "index_dir": tmp_path / "var" / "index",
                                       "database": str(tmp_path / "var" / "clinicbot.db")})
    build_index(corpus, site.index_dir, embedder)
    with TestClient(create_app(site, embedder)) as client:
        staff_login(client)
        app = client.app
        old_retriever = weakref.ref(app.state.answerer.retriever)  # type: ignore[attr-defined]
        old_vectors = weakref.ref(app.state.answerer.retriever.passage_matrix)  # type: ignore[attr-defined]
        assert client.post("/api/ask", json={"question": "does acupuncture hurt?"}).status_code == 200
        (corpus / "aftercare.md").write_bytes((ROOT / "tests" / "articles" / "aftercare.md").read_bytes())
        assert client.post("/api/reindex").status_code == 202
        deadline = time.monotonic() + 120
        while (state := client.get("/api/reindex").json())["state"] == "running":
            assert time.monotonic() < deadline, "the re-index did not finish"
            time.sleep(0.1)
        assert state["state"] == "succeeded", state
        assert app.state.answerer.retriever.manifest["build_id"] == state["build_id"]  # type: ignore[attr-defined]
        # No gc.collect() here: the re-index itself must have let go of the old index.
        assert old_retriever() is None, "the old retriever is still referenced after the swap"
        assert old_vectors() is None, "the old index's vectors are still in memory"
