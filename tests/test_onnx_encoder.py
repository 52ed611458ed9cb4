"""The torch-free encoder: the ONNX export agrees with sentence-transformers, is made once, and is checked."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.builder import build_index
from index.embedder import Embedder, load_embedder, resolve_model
from index.onnx_export import ExportError, export_folder, exported, read_export
from index.store import IndexUnavailable, read_index
from index.torch_encoder import TorchEmbedder
from service.answering.retrieve import Retriever
from tests.conftest import ENCODERS, ROOT

TEXTS = ["does it hurt?", "hi", "How many sessions will I need for my lower back, and is it covered?",
         "chest pian and i cnt breathe", "¿Duele la acupuntura?", "needles " * 300,  # truncated at 256 tokens
         "Cupping leaves round marks that fade within a few days; they are not bruises from an injury."]


@pytest.fixture(scope="module")
def reference() -> TorchEmbedder:
    return TorchEmbedder("all-MiniLM-L6-v2")


def test_the_onnx_vectors_are_sentence_transformers_vectors(embedder: Embedder, reference: TorchEmbedder) -> None:
    assert embedder.encoder == "onnx"
    batched = embedder.encode(TEXTS, batch_size=4)  # padded batches of different lengths
    singles = np.stack([embedder.encode([t])[0] for t in TEXTS])
    expected = reference.encode(TEXTS)
    assert batched.shape == expected.shape == (len(TEXTS), 384)
    assert np.min((batched * expected).sum(axis=1)) >= 0.999
    assert np.min((singles * expected).sum(axis=1)) >= 0.999
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)


def test_the_export_is_made_once_and_remade_when_altered(tmp_path: Path) -> None:
    cache = tmp_path / "encoders"
    shutil.copytree(export_folder("all-MiniLM-L6-v2", ENCODERS), export_folder("all-MiniLM-L6-v2", cache))
    folder = exported("all-MiniLM-L6-v2", cache)
    meta = read_export(folder)
    assert meta is not None and meta["model"] == "all-MiniLM-L6-v2" and meta["pooling"] == "mean"
    assert meta["probe_cosine"] >= 0.999
    stamp = (folder / "model.onnx").stat().st_mtime_ns
    assert exported("all-MiniLM-L6-v2", cache) == folder and (folder / "model.onnx").stat().st_mtime_ns == stamp
    with (folder / "model.onnx").open("r+b") as handle:  # one flipped byte: the checksum no longer matches
        handle.seek(5000)
        byte = handle.read(1)
        handle.seek(5000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    assert read_export(folder) is None
    remade = exported("all-MiniLM-L6-v2", cache)  # exported again (torch), checked against sentence-transformers
    assert remade == folder and read_export(remade) is not None


def test_a_model_the_export_cannot_reproduce_is_refused(tmp_path: Path) -> None:
    """A Dense layer after the pooling is not in the exported graph: refused, not silently wrong."""
    from sentence_transformers import SentenceTransformer, models

    base = SentenceTransformer(resolve_model("all-MiniLM-L6-v2"), device="cpu")
    dense = models.Dense(in_features=384, out_features=64)
    SentenceTransformer(modules=[base[0], base[1], dense], device="cpu").save(str(tmp_path / "dense-model"))
    with pytest.raises(ExportError, match="Dense"):
        load_embedder(str(tmp_path / "dense-model"), "onnx", tmp_path / "encoders")
    torch_one = load_embedder(str(tmp_path / "dense-model"), "torch")
    assert torch_one.encode(["does it hurt?"]).shape == (1, 64)


def test_the_index_records_its_encoder_and_the_service_refuses_another(
        embedder: Embedder, reference: TorchEmbedder, corpus_dir: Path, tmp_path: Path) -> None:
    build_index(corpus_dir, tmp_path / "index", embedder)
    manifest = read_index(tmp_path / "index").manifest
    assert manifest["encoder"] == "onnx" and Path(str(manifest["encoder_export"])).is_dir()
    export = read_export(Path(str(manifest["encoder_export"])))
    assert export is not None and manifest["encoder_sha256"] == export["sha256"]
    with pytest.raises(IndexUnavailable, match="onnx encoder but the configured encoder is torch"):
        Retriever(read_index(tmp_path / "index"), reference)
    build_index(corpus_dir, tmp_path / "torch-index", reference)
    with pytest.raises(IndexUnavailable, match="CLINICBOT_ENCODER=torch"):
        Retriever(read_index(tmp_path / "torch-index"), embedder)


def test_serving_never_imports_torch(index_dir: Path, tmp_path: Path) -> None:
    """The service's app, loaded as `clinicbot serve` loads it, answers without torch or transformers (nor the
    readers' document libraries: start-up time)."""
    script = (
        "import sys\n"
        "from fastapi.testclient import TestClient\n"
        "from service.app import create_app\n"
        "from service.settings import Settings\n"
        f"settings = Settings(index_dir={str(index_dir)!r}, encoder_dir={str(tmp_path / 'empty')!r},"
        f" database={str(tmp_path / 'q.sqlite3')!r}, secret_key='x' * 40)\n"
        "with TestClient(create_app(settings)) as client:\n"
        "    answer = client.post('/api/ask', json={'question': 'does acupuncture hurt?'}).json()\n"
        "    assert answer['status'] == 'answered', answer\n"
        # the readers' parsing libraries load only when staff use the Articles page or an import runs
        "heavy = ('torch', 'transformers', 'sentence_transformers', 'trafilatura', 'pdfminer', 'docx',"
        " 'feedparser')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert not (tmp_path / "empty").exists()  # the export the index recorded was used, nothing exported


def test_the_encoder_json_describes_the_export() -> None:
    meta = json.loads((export_folder("all-MiniLM-L6-v2", ENCODERS) / "encoder.json").read_text())
    assert {"model", "inputs", "pooling", "max_tokens", "dimension", "sha256", "sha256_int8", "opset"} <= set(meta)
    assert meta["max_tokens"] == 256 and meta["dimension"] == 384


def test_the_int8_encoder_is_its_own_encoder(embedder: Embedder, corpus_dir: Path, tmp_path: Path) -> None:
    """int8 weights: close to fp32 but not the same vectors, so an index records which one built it."""
    quantised = load_embedder("all-MiniLM-L6-v2", "onnx-int8", ENCODERS)
    assert quantised.encoder == "onnx-int8"
    agreement = (quantised.encode(TEXTS) * embedder.encode(TEXTS)).sum(axis=1)
    assert float(np.min(agreement)) >= 0.95 and float(np.max(agreement)) < 1.0 - 1e-6
    build_index(corpus_dir, tmp_path / "index", quantised)
    assert read_index(tmp_path / "index").manifest["encoder"] == "onnx-int8"
    with pytest.raises(IndexUnavailable, match="CLINICBOT_ENCODER=onnx-int8"):
        Retriever(read_index(tmp_path / "index"), embedder)


def test_an_unknown_encoder_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown encoder"):
        load_embedder("all-MiniLM-L6-v2", "tensorflow", ENCODERS)
