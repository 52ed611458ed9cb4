"""Retrieval benchmark: how well clinicbot's retrieval layer finds the answer to real consumer health questions.

What it measures: nDCG@10, Recall@100, MRR@10 (grade >= 1, the 60 questions with a relevant doc), avgScore@1
and MRR@10 with grade >= 2 (all 104 questions, the TREC LiveQA way) and judged@10 of the retrieval that
`POST /api/ask` uses (`Answerer.rank`: understand -> embed -> dense + BM25 candidates -> score), hybrid
and dense-only in the same run, with the default model all-MiniLM-L6-v2, on the medquad-liveqa benchmark
(../shared/benchmarks/medquad-liveqa/): 16,331 MedQuAD answers from nine NIH sources as the corpus, the
104 TREC 2017 LiveQA-Med test questions in three wordings (original consumer message, NLM summary, NIST
paraphrase) and 2,311 graded relevance judgments. It also records the index build time, the passage count
and the mean query latency (understand + embed + retrieve).

Each corpus doc becomes one Article (id = doc id, title = the MedQuAD question, one untitled section of
paragraph blocks); the passage splitter chunks long answers, and passage hits are mapped back to their doc,
keeping each doc's best score. The index is built into var/bench-medquad/index and reused when it already
holds exactly this corpus (`--rebuild` starts from scratch). Run files (TREC format) go to var/bench-medquad/
and are scored with ../shared/tools/score_retrieval.py. `--write` puts the results into the
"Retrieval (medquad-liveqa)" section of docs/benchmarks.md, next to the README's BM25 reference runs.

Run from the repository root: `.venv/bin/python benchmarks/retrieval.py [--write]`; `--limit N` indexes only
the judged docs plus N others, for a quick smoke run (its numbers are not comparable and are never written).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from benchmarks.common import code_state, cpu_share, machine, update_doc, wait_quiet  # noqa: E402
from index.document import Article, Block, Section  # noqa: E402
from index.builder import corpus_hash  # noqa: E402
from index.passage import EMBED_RECIPE, split_article  # noqa: E402
from index.store import FORMAT_VERSION  # noqa: E402

DEFAULT_DATA = REPO_ROOT.parent / "shared" / "benchmarks" / "medquad-liveqa"
SCORER = REPO_ROOT.parent / "shared" / "tools" / "score_retrieval.py"
DEFAULT_OUT = REPO_ROOT / "var" / "bench-medquad"
DOC_PATH = REPO_ROOT / "docs" / "benchmarks.md"
SECTION = "Retrieval (medquad-liveqa)"
BEGIN, END = "<!-- retrieval:begin (written by benchmarks/retrieval.py --write) -->", "<!-- retrieval:end -->"
QUERY_SETS = (("original", "queries.jsonl"), ("summary", "queries_summary.jsonl"),
              ("paraphrase", "queries_paraphrase.jsonl"))
RUN_TAG = "clinicbot"
# The hybrid retrieval the service uses, and the same without BM25 (the dense-only reference, same run).
VARIANTS: tuple[tuple[str, dict[str, float]], ...] = (
    ("hybrid", {}),
    ("dense", {"lexical_candidates": 0, "lexical_weight": 0.0}),
)


# --------------------------------------------------------------------------- data


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSON-lines file."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def judged_ids(qrels: Path) -> set[str]:
    """Every doc id that has a judgment in qrels.tsv."""
    ids: set[str] = set()
    for line in qrels.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[2].strip().lstrip("-").isdigit():
            ids.add(parts[1])
    return ids


def doc_article(doc: dict[str, Any]) -> Article:
    """One corpus doc as an Article: its paragraphs (split on newlines) under one untitled section."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", str(doc.get("text") or ""))]
    blocks = tuple(Block(p) for p in paragraphs if p)
    return Article(article_id=str(doc["id"]), title=str(doc.get("title") or ""), sections=(Section("", blocks),))


def select_docs(docs: list[dict[str, Any]], judged: set[str], limit: int | None) -> list[dict[str, Any]]:
    """All docs, or (smoke run) the judged ones plus the first `limit` others in file order."""
    if limit is None:
        return docs
    others = 0
    chosen: list[dict[str, Any]] = []
    for doc in docs:
        if doc["id"] in judged:
            chosen.append(doc)
        elif others < limit:
            chosen.append(doc)
            others += 1
    return chosen


# --------------------------------------------------------------------------- machine


# --------------------------------------------------------------------------- index


@dataclass
class BuildInfo:
    """How the index being measured was built (kept in build.json beside it)."""

    seconds: float
    articles: int
    passages: int
    sentences: int
    embedded: int
    reused: int
    built_at: str
    other_cpu_pct: float
    reused_existing: bool = False  # this run found the index current and did not build


def current_manifest(index_dir: Path, model: str, wanted_hash: str) -> dict[str, Any] | None:
    """The manifest of the index at `index_dir` if it holds exactly these passages with this model."""
    manifest_path = index_dir / "manifest.json"
    if not manifest_path.is_file():
        return None
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    same = (manifest.get("model") == model and manifest.get("embed_recipe") == EMBED_RECIPE
            and manifest.get("corpus_hash") == wanted_hash and manifest.get("format_version") == FORMAT_VERSION)
    return manifest if same else None


def remove_index(index_dir: Path) -> None:
    """Delete an index folder: the link, its build folders and leftovers (so nothing can be reused)."""
    if index_dir.is_symlink() or index_dir.is_file():
        index_dir.unlink()
    elif index_dir.is_dir():
        shutil.rmtree(index_dir)
    for path in index_dir.parent.glob(f".{index_dir.name}-*"):
        shutil.rmtree(path, ignore_errors=True)


def ensure_index(articles: list[Article], data: Path, index_dir: Path, model: str, rebuild: bool,
                 embedder: Any) -> BuildInfo:
    """Build the index unless it already holds these articles; return how it was built."""
    from index.builder import build_index

    info_path = index_dir.parent / f"{index_dir.name}.build.json"
    t0 = time.perf_counter()
    passages = [p for a in articles for p in split_article(a)]
    wanted = corpus_hash(passages)
    print(f"  {len(articles)} docs -> {len(passages)} passages (split in {time.perf_counter() - t0:.1f} s)",
          file=sys.stderr)
    if rebuild:
        remove_index(index_dir)
    manifest = None if rebuild else current_manifest(index_dir, model, wanted)
    if manifest is not None:
        print(f"  reusing the index at {index_dir} (built {manifest.get('built_at')})", file=sys.stderr)
        if info_path.is_file():
            saved = json.loads(info_path.read_text(encoding="utf-8"))
            if saved.get("built_at") == manifest.get("built_at"):
                return BuildInfo(**{**saved, "reused_existing": True})
        return BuildInfo(float(manifest.get("build_seconds", float("nan"))), int(manifest["article_count"]),
                         int(manifest["passage_count"]), int(manifest["sentence_count"]), -1, -1,
                         str(manifest.get("built_at")), float("nan"), True)

    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if done in (0, total) or now - last[0] > 30:
            last[0] = now
            print(f"  embedded {done}/{total} texts ({now - t0:.0f} s)", file=sys.stderr, flush=True)

    with cpu_share() as share:
        summary = build_index(data, index_dir, embedder, progress, articles=articles)
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    info = BuildInfo(summary.seconds, summary.articles, summary.passages, summary.sentences, summary.embedded,
                     summary.reused, str(manifest.get("built_at")), share.other_pct)
    info_path.write_text(json.dumps(info.__dict__, indent=1), encoding="utf-8")
    print(f"  {summary.line()}", file=sys.stderr)
    return info


# --------------------------------------------------------------------------- retrieval and scoring


@dataclass
class SetResult:
    """One query set: its run file, the scorer's metrics and the query timings."""

    name: str
    run_path: Path
    docs_per_query: float
    parse_ms: list[float] = field(default_factory=list)
    embed_ms: list[float] = field(default_factory=list)
    search_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)
    cache_hits: int = 0
    other_cpu_pct: float = float("nan")
    rel1: dict[str, Any] = field(default_factory=dict)  # grade >= 1, questions with a relevant doc
    rel2: dict[str, Any] = field(default_factory=dict)  # grade >= 2, all questions (--queries)


def run_queries(answerer: Any, name: str, queries: list[dict[str, Any]], run_path: Path, k_docs: int) -> SetResult:
    """Rank docs for every query with `Answerer.rank` (the retrieval of POST /api/ask) and write a TREC run file."""
    lines: list[str] = []
    doc_counts: list[int] = []
    result = SetResult(name, run_path, 0.0)
    embedder = answerer.retriever.embedder
    hits_before = embedder.cache_hits
    with cpu_share() as share:
        for q in queries:
            t0 = time.perf_counter()
            text = str(q["text"]).strip()[: answerer.settings.max_question_chars]
            if not text:  # three paraphrases are empty: they rank nothing, as before
                continue
            hits, ms = answerer.rank(text)
            best: dict[str, float] = {}
            for hit in hits:
                doc = hit.passage.article_id
                if hit.score > best.get(doc, float("-inf")):
                    best[doc] = hit.score
            ranked = sorted(best.items(), key=lambda item: -item[1])[:k_docs]
            result.parse_ms.append(ms["understand"])
            result.embed_ms.append(ms["embed"])
            result.search_ms.append(ms["retrieve"])
            result.total_ms.append((time.perf_counter() - t0) * 1000)
            doc_counts.append(len(ranked))
            for rank, (doc, score) in enumerate(ranked, 1):
                lines.append(f"{q['id']} Q0 {doc} {rank} {score:.6f} {RUN_TAG}")
    result.other_cpu_pct = share.other_pct
    result.cache_hits = embedder.cache_hits - hits_before
    result.docs_per_query = statistics.fmean(doc_counts) if doc_counts else 0.0
    run_path.parent.mkdir(parents=True, exist_ok=True)
    run_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return result


def score(qrels: Path, run: Path, extra: Sequence[str] = ()) -> dict[str, Any]:
    """The scorer's metrics for one run file (its --json output)."""
    cmd = [sys.executable, str(SCORER), str(qrels), str(run), "--json", *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"score_retrieval.py failed:\n{done.stderr}")
    metrics: dict[str, Any] = json.loads(done.stdout)
    return metrics


# --------------------------------------------------------------------------- report


def bm25_reference(readme: Path) -> list[str]:
    """The BM25 reference rows of the benchmark README ("| this corpus | ..."), as Markdown rows."""
    if not readme.is_file():
        return []
    rows = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0] == "this corpus":
            rows.append("| BM25 | " + " | ".join(cells[1:]) + " |")
    return rows


def markdown(facts: dict[str, Any], results: list[SetResult], bm25: list[str]) -> str:
    """The report: the part of docs/benchmarks.md this script owns."""
    m, b = facts["machine"], facts["build"]
    built = (f"{b['seconds'] / 60:.1f} min ({b['seconds']:.0f} s; {b['embedded']:,} texts embedded, "
             f"{b['reused']:,} not re-embedded because they repeat a text or an earlier build had them; "
             f"other processes used {b['other_cpu_pct']:.0f} % of the CPUs meanwhile)"
             if b["embedded"] >= 0 else f"{b['seconds']:.0f} s (from the manifest)")
    lines = [
        (f"Measured {facts['date']} ({facts['code']}) on {m['cpu']}, "
         f"nproc = {m['nproc']}, {m['ram_gib']} GiB RAM; "
        f"model {facts['model']} (CPU); `Answerer.rank`, the retrieval of `POST /api/ask` "
        f"(`service/answering/retrieve.py` + `score.py`): {facts['tuning']['dense_candidates']} passage + "
        f"{2 * facts['tuning']['dense_candidates']} sentence candidates from the dense search and "
        f"{facts['tuning']['lexical_candidates']} + {facts['tuning']['lexical_candidates']} from BM25 per query, "
        f"scored by passage and sentence, deduplicated to at most {facts['k_docs']} docs; `dense` rows switch "
        f"BM25 off (lexical_candidates = 0, lexical_weight = 0)."),
        "",
        (f"- Corpus: {b['articles']:,} docs -> **{b['passages']:,} passages**, {b['sentences']:,} sentences "
        f"(both embedded)."),
        f"- Index build: **{built}**; index built {b['built_at']}.",
        f"- Index load (`Retriever.load`, vectors and BM25): {facts['load_s']:.1f} s.",
        "",
        ("| query set | nDCG@10 (n) | R@100 | MRR@10 | avgScore@1 (all 104) | MRR@10, grade >= 2 (104) | judged@10 "
        "| docs/query | ms/query (parse + embed + search) | CPU used by other processes |"),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        a, c = r.rel1, r.rel2
        ms = (f"{statistics.fmean(r.total_ms):.0f} ({statistics.fmean(r.parse_ms):.0f} + "
              f"{statistics.fmean(r.embed_ms):.0f} + {statistics.fmean(r.search_ms):.0f})")
        lines.append(
            f"| clinicbot {r.name} | {a['nDCG@10']:.3f} ({a['queries']}) | {a['Recall@100']:.3f} | {a['MRR@10']:.3f} "
            f"| {c['avgScore@1']:.3f} | {c['MRR@10']:.3f} | {a['judged@10']:.2f} | {r.docs_per_query:.0f} | {ms} "
            f"| {r.other_cpu_pct:.0f} % |"
        )
    if bm25:
        lines += ["", "BM25 reference runs from the benchmark README (same corpus, qrels and scorer; not published):",
                  "", ("| run | query set | nDCG@10 (n) | R@100 | MRR@10 | avgScore@1 (all 104) "
                  "| MRR@10, grade >= 2 (104) | judged@10 |"), "|---|---|---|---|---|---|---|---|", *bm25]
    lines += [
        "",
        (f"Query latency is in-process (no HTTP), one query at a time, mean over the 104 questions; "
        f"the last column is the share of the CPUs other processes used meanwhile. "
        f"Run files: `{facts['out']}/run_*.trec`."),
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark folder (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="index and run files (default: var/bench-medquad)")
    ap.add_argument("--rebuild", action="store_true", help="build the index from scratch even if it is current")
    ap.add_argument("--limit", type=int, help="smoke run: index the judged docs plus this many others")
    ap.add_argument("--k-docs", type=int, default=100, help="docs kept per query in the run file (default 100)")
    ap.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                    help="before building and before each query set, wait up to this long for other processes "
                         "to leave the CPUs idle (shared machines)")
    ap.add_argument("--write", action="store_true", help=f"update the '{SECTION}' section of {DOC_PATH.name}")
    args = ap.parse_args(argv)
    if args.write and args.limit is not None:
        ap.error("--write records full-corpus numbers only; drop --limit")

    from index.embedder import load_embedder
    from service.answering.answerer import Answerer
    from service.answering.retrieve import Retriever
    from service.settings import Settings

    data: Path = args.data
    qrels = data / "qrels.tsv"
    out: Path = args.out if args.limit is None else args.out / f"limit-{args.limit}"
    index_dir = out / "index"
    model = Settings().model
    if args.wait_quiet > 0:
        wait_quiet(args.wait_quiet)

    docs = select_docs(read_jsonl(data / "corpus.jsonl"), judged_ids(qrels), args.limit)
    articles = [doc_article(d) for d in docs]
    print(f"loading the model {model} ...", file=sys.stderr)
    embedder = load_embedder(model)
    print(f"index {index_dir}:", file=sys.stderr)
    build = ensure_index(articles, data, index_dir, model, args.rebuild, embedder)

    t0 = time.perf_counter()
    retriever = Retriever.load(index_dir, embedder)
    load_s = time.perf_counter() - t0
    results: list[SetResult] = []
    for variant, overrides in VARIANTS:
        settings = Settings.model_validate({"index_dir": index_dir, "tuning": overrides})
        answerer = Answerer(retriever, settings)
        for name, filename in QUERY_SETS:
            queries = read_jsonl(data / filename)
            if args.wait_quiet > 0:
                wait_quiet(args.wait_quiet)
            print(f"{variant}, query set {name}: {len(queries)} questions ...", file=sys.stderr)
            result = run_queries(answerer, f"{variant} {name}", queries, out / f"run_{variant}_{name}.trec",
                                 args.k_docs)
            result.rel1 = score(qrels, result.run_path)
            result.rel2 = score(qrels, result.run_path, ["--queries", str(data / "queries.jsonl"), "--min-rel", "2"])
            results.append(result)

    facts: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "code": code_state(), "machine": machine(),
        "model": model,
        "build": build.__dict__, "load_s": load_s, "tuning": Settings().tuning.model_dump(),
        "k_docs": args.k_docs, "out": os.path.relpath(out, REPO_ROOT),
    }
    report = markdown(facts, results, bm25_reference(data / "README.md"))
    if args.limit is not None:
        print(f"SMOKE RUN on {len(docs)} docs (--limit {args.limit}): not comparable with the full corpus.\n")
    print(report)
    (out / "results.json").write_text(json.dumps(
        {**facts, "sets": [{"name": r.name, "rel1": r.rel1, "rel2": r.rel2, "docs_per_query": r.docs_per_query,
                            "mean_ms": {k: statistics.fmean(getattr(r, k)) for k in
                                        ("parse_ms", "embed_ms", "search_ms", "total_ms")},
                            "cache_hits": r.cache_hits, "other_cpu_pct": r.other_cpu_pct} for r in results]},
        indent=1), encoding="utf-8")
    if args.write:
        update_doc(DOC_PATH, SECTION, BEGIN, END, report)
        print(f"updated the '{SECTION}' section of {DOC_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
