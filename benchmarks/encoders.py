"""The query encoders side by side, in one run: sentence-transformers on torch against ONNX Runtime.

Each encoder runs in its own fresh process (so load time and memory are its own), on the same texts:
- load: import and model load, seconds; RSS after loading and at the end (MB);
- query: p50 / p99 ms to embed one short question new to it, one at a time, as `clinicbot serve` does
  (ONNX with `encoder_threads`, 1 by default; torch with its default threads);
- indexing: texts per second embedding the passages and sentences of `corpus/` + the dental clinic's
  documents, as `clinicbot index` does (batches of 8, every core);
- agreement: the least cosine between the two encoders' vectors of the same texts.

    .venv/bin/python benchmarks/encoders.py [--write]   # --write: the "Encoders" section of docs/benchmarks.md
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.common import code_state, machine, update_doc  # noqa: E402

DOC = REPO_ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- encoders:begin (written by benchmarks/encoders.py --write) -->", "<!-- encoders:end -->"
CORPORA = [REPO_ROOT / "corpus", REPO_ROOT.parent / "shared" / "benchmarks" / "clinic-dental"]

CHILD = r'''
import json, resource, statistics, sys, time
started = time.perf_counter()
from index.embedder import load_embedder
from index.builder import EMBED_BATCH
from service.settings import Settings
import numpy as np
kind, texts_file, out = sys.argv[1], sys.argv[2], sys.argv[3]
settings = Settings()
threads = settings.encoder_threads
embedder = load_embedder(settings.model, kind, settings.encoder_dir, cache_size=0, threads=threads)
load_s = time.perf_counter() - started
def rss():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024
rss_loaded = rss()
texts = json.load(open(texts_file))
questions = ["does it hurt?", "how much is a session?", "can i bring my child", "do you take insurance",
             "how long does it last", "is it safe when pregnant", "what should i wear", "chest pain help"]
times = []
for n in range(300):
    q = f"{questions[n % len(questions)]} {n}"
    t = time.perf_counter(); embedder.query(q); times.append((time.perf_counter() - t) * 1000)
times = sorted(times[20:])
if kind == "onnx":  # indexing runs on every core
    embedder = load_embedder(settings.model, kind, settings.encoder_dir, cache_size=0, threads=0)
t = time.perf_counter()
vectors = embedder.encode(texts, batch_size=EMBED_BATCH)
index_s = time.perf_counter() - t
np.save(out + ".npy", vectors)
json.dump({"load_s": load_s, "rss_loaded_mb": rss_loaded, "rss_end_mb": rss(),
           "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "query_p50_ms": statistics.median(times), "query_p99_ms": times[int(0.99 * (len(times) - 1))],
           "texts": len(texts), "index_s": index_s, "texts_per_s": len(texts) / index_s,
           "torch_imported": "torch" in sys.modules}, open(out, "w"))
'''


def corpus_texts() -> list[str]:
    """The passages and sentences `clinicbot index` embeds for the two visible clinics."""
    from index.corpus import load_corpus
    from index.passage import split_article

    texts: list[str] = []
    for folder in CORPORA:
        if not folder.is_dir():
            continue
        articles, _ = load_corpus(folder)
        passages = [p for a in articles for p in split_article(a)]
        texts += [p.embed_text for p in passages] + [s for p in passages for s in p.sentence_embed_texts]
    return texts


def run(kind: str, texts_file: Path, out: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", CHILD, kind, str(texts_file), str(out)], cwd=REPO_ROOT,
                          env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT)},
                          capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(out.read_text()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="update the Encoders section of docs/benchmarks.md")
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        texts = corpus_texts()
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(texts))
        results = {kind: run(kind, texts_file, Path(tmp) / kind) for kind in ("torch", "onnx")}
        agreement = float(np.min((np.load(Path(tmp) / "torch.npy") * np.load(Path(tmp) / "onnx.npy")).sum(axis=1)))
    m = machine()
    t, o = results["torch"], results["onnx"]
    lines = [
        f"Measured {code_state()} on {m['cpu']}, nproc = {m['nproc']}; all-MiniLM-L6-v2; each encoder in a fresh "
        f"process; {t['texts']} texts (the passages and sentences of `corpus/` and the dental clinic).",
        "",
        ("| encoder | load s | RSS loaded MB | RSS end MB | query p50 ms | query p99 ms | indexing texts/s "
         "| torch imported |"),
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, r in results.items():
        lines.append(f"| {kind} | {r['load_s']:.2f} | {r['rss_loaded_mb']:.0f} | {r['rss_end_mb']:.0f} "
                     f"| {r['query_p50_ms']:.2f} | {r['query_p99_ms']:.2f} | {r['texts_per_s']:.0f} "
                     f"| {'yes' if r['torch_imported'] else 'no'} |")
    lines += ["", f"ONNX / torch: query p50 {o['query_p50_ms'] / t['query_p50_ms']:.2f}×, indexing "
              f"{o['texts_per_s'] / t['texts_per_s']:.2f}× the texts per second, "
              f"load {o['load_s'] / t['load_s']:.2f}×; "
              f"least cosine between their vectors of the same {t['texts']} texts: **{agreement:.6f}**."]
    report = "\n".join(lines)
    print(report)
    if args.write:
        update_doc(DOC, "Encoders", BEGIN, END, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
