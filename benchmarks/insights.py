"""The staff insights page over a big question log: /staff/insights and its CSV at 100,000 logged questions.

Builds an index over corpus/ + tests/articles with the bundled all-MiniLM-L6-v2 model in a temporary folder,
fills a question log (SQLite, or PostgreSQL with `--database postgresql://…`) with `--questions` realistic
rows over the last 90 days — 40 topics × a few phrasings each, with typos, case and punctuation varied, so
there are thousands of distinct phrasings; answered / not answered (with a reason) / emergency; votes on
some answers — inserted in bulk, then runs the real app (`create_app`, signed in as staff, through
`fastapi.testclient.TestClient`) and times `/staff/insights?days=7|30|90` and `/staff/insights.csv?days=90`:

- first: a fresh app on a fresh copy of the log (nothing cached anywhere, no phrasing vectors stored);
- loads until every phrasing is grouped (each load embeds new phrasings for a bounded time), the slowest;
- warm: the same request again (median of 3);
- restart: a new app over the same database (a new worker or replica: in-process caches empty);
- new question: one more question logged, then the page again.

    .venv/bin/python benchmarks/insights.py                         # print the table
    .venv/bin/python benchmarks/insights.py --write --label "after"  # and record it in docs/insights.md
"""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time as clock, timedelta, UTC
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import code_state, cpu_share, machine, update_doc, wait_quiet
from index.builder import build_index
from index.embedder import Embedder, load_embedder
from index.store import read_index
from service.app import create_app
from service.database import Database, QuestionRecord
from service.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
DOC = REPO_ROOT / "docs" / "insights.md"
PASSWORD = "insights benchmark password"
NO_LIMITS = {"rate_limit_ask": "", "rate_limit_feedback": "", "rate_limit_origin": "", "rate_limit_pages": ""}
PERIODS = (7, 30, 90)
BATCH = 500  # rows per INSERT statement
COPIES: list[str] = []  # the names of the databases measure() made
PENDING = "more are added over the next page loads"  # the page's note while phrasings wait for their vectors

# (topic weight, status, reason or top article, phrasings); the weights are roughly Zipf, as in a real log.
TOPICS: list[tuple[float, str, str, list[str]]] = [
    (30, "answered", "needle-safety", ["does it hurt", "is acupuncture painful", "will the needles hurt",
                                       "do the needles sting", "how painful is acupuncture", "does acupuncture hurt"]),
    (22, "answered", "fees-and-insurance", ["how much does it cost", "what is the price of a session",
                                            "how much is a session", "what are your fees", "how much do you charge"]),
    (18, "answered", "fees-and-insurance", ["does insurance cover acupuncture", "do you take my insurance",
                                            "is acupuncture covered by insurance", "can i claim it on insurance"]),
    (15, "answered", "relieving-upper-back-pain-with-acupuncture", [
        "how many sessions will i need", "how many treatments do i need", "how often should i come",
        "how many visits until it works"]),
    (13, "answered", "relieving-upper-back-pain-with-acupuncture", [
        "how long is a session", "how long does a treatment take", "how long will i be there"]),
    (12, "answered", "cupping-therapy", ["how long do cupping marks last", "will the cupping marks go away",
                                         "are cupping bruises normal", "what are the round marks after cupping"]),
    (11, "answered", "aftercare", ["can i exercise after acupuncture", "can i go to the gym after treatment",
                                   "what should i do after a session", "can i drink alcohol after acupuncture"]),
    (10, "answered", "first-visit", ["what happens at the first visit", "what should i wear",
                                     "what to expect on my first appointment", "do i need to bring anything"]),
    (9, "answered", "needle-safety", ["are the needles clean", "are needles reused", "are the needles sterile",
                                      "is acupuncture safe"]),
    (8, "answered", "acupuncture-upper-back-pain-naturally", [
        "can acupuncture help upper back pain", "does acupuncture work for back pain",
        "will acupuncture fix my back", "is acupuncture good for a stiff back"]),
    (7, "answered", "acupuncture-upper-back-pain-naturally", ["what is qi", "how does acupuncture work",
                                                              "what are meridians"]),
    (6, "answered", "cupping-therapy", ["does cupping hurt", "is cupping painful", "what is cupping"]),
    (5, "answered", "aftercare", ["is it normal to feel tired after acupuncture", "why am i sleepy after treatment",
                                  "i feel sore after my session is that normal"]),
    (5, "answered", "cupping-therapy", ["can i have cupping while pregnant", "is cupping safe in pregnancy"]),
    (4, "answered", "first-visit", ["how early should i arrive", "do i fill in forms before the first visit"]),
    (9, "no_answer:not_covered", "", ["is there parking near the clinic", "where can i park",
                                      "do you have parking", "is parking free"]),
    (8, "no_answer:not_covered", "", ["what are your opening hours", "are you open on saturday",
                                      "when are you open", "what time do you close"]),
    (6, "no_answer:not_covered", "", ["do you sell gift cards", "can i buy a voucher", "do you have gift vouchers"]),
    (5, "no_answer:not_covered", "", ["do you treat children", "can my kid have acupuncture",
                                      "is acupuncture ok for teenagers"]),
    (5, "no_answer:off_topic", "", ["do you treat dogs", "can you treat my cat", "do you do acupuncture for pets"]),
    (4, "no_answer:not_covered", "", ["do you offer dry needling", "is dry needling the same as acupuncture"]),
    (4, "no_answer:medical_advice", "", ["can i stop my blood pressure pills", "should i take ibuprofen before",
                                         "can acupuncture cure my diabetes", "how much aspirin can i take"]),
    (3, "no_answer:not_covered", "", ["is there wheelchair access", "do you have a lift"]),
    (3, "no_answer:not_covered", "", ["can i cancel my appointment", "what is your cancellation policy"]),
    (3, "no_answer:off_topic", "", ["what is the weather tomorrow", "who won the game last night"]),
    (3, "no_answer:not_covered", "", ["do you do massage", "do you offer deep tissue massage"]),
    (2, "no_answer:not_covered", "", ["do you speak spanish", "is there a translator"]),
    (2, "no_answer:not_covered", "", ["can i bring a friend", "can my partner come in with me"]),
    (2, "no_answer:medical_advice", "", ["do i have a slipped disc", "is my back pain cancer"]),
    (2, "no_answer:off_topic", "", ["tell me a joke", "what is your name"]),
    (2, "answered", "fees-and-insurance", ["do you offer a payment plan", "can i pay in instalments"]),
    (2, "answered", "aftercare", ["can i use a heating pad", "should i use ice or heat after treatment"]),
    (2, "answered", "needle-safety", ["how deep do the needles go", "how thin are the needles"]),
    (2, "answered", "cupping-therapy", ["who should not have cupping", "can i do cupping on blood thinners"]),
    (1, "answered", "first-visit", ["how do i book", "can i book online"]),
    (1, "answered", "relieving-upper-back-pain-with-acupuncture", ["is acupuncture better than physio",
                                                                    "can i combine acupuncture and massage"]),
    (1, "no_answer:not_covered", "", ["do you do fertility acupuncture", "can acupuncture help ivf"]),
    (1, "no_answer:not_covered", "", ["do you have a female practitioner", "can i choose my practitioner"]),
    (1, "emergency", "", ["i cant breathe", "i have crushing chest pain", "my face is drooping"]),
    (1, "no_answer:not_covered", "", ["are you hiring", "do you have jobs"]),
]
PREFIXES = ["", "", "", "", "hi ", "hello, ", "quick question: ", "sorry, "]
SUFFIXES = ["?", "?", "?", "", "", "??", "!", " thanks", " please"]
NEIGHBOURS = {"a": "s", "e": "r", "i": "o", "o": "p", "n": "m", "s": "d", "t": "y", "u": "i", "r": "t", "h": "j"}


def typo(rng: random.Random, text: str) -> str:
    """One typing slip: two letters swapped, one dropped or doubled, or a neighbouring key."""
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if kind == 1:
        return text[:i] + text[i + 1:]
    if kind == 2:
        return text[:i] + text[i] + text[i:]
    return text[:i] + NEIGHBOURS.get(text[i], text[i]) + text[i + 1:]


def phrasing(rng: random.Random, base: str) -> str:
    """A visitor's wording of a phrasing: maybe a typo or two, a greeting, a capital, punctuation."""
    text = base
    for _ in range(rng.choices((0, 1, 2), (70, 22, 8))[0]):
        text = typo(rng, text)
    text = rng.choice(PREFIXES) + text + rng.choice(SUFFIXES)
    return text[0].upper() + text[1:] if rng.random() < 0.5 else text


def log_rows(count: int, now: datetime, passages: list[str], seed: int = 9) -> Iterator[tuple[tuple[Any, ...],
                                                                                            tuple[Any, ...] | None]]:
    """`count` (question row, feedback row or None) pairs spread over the 90 days ending `now`, in time order."""
    rng = random.Random(seed)
    start = datetime.combine(now.date() - timedelta(days=89), clock(), tzinfo=UTC)
    span = (now - start).total_seconds()
    offsets = sorted(rng.random() * span for _ in range(count))
    weights = [t[0] for t in TOPICS]
    visitors = [uuid.UUID(int=rng.getrandbits(128)).hex[:16] for _ in range(count // 3)]
    for n, offset in enumerate(offsets):
        _, kind, article, bases = rng.choices(TOPICS, weights)[0]
        base = bases[min(int(rng.expovariate(1.2)), len(bases) - 1)]  # the first phrasing is the common one
        at = start + timedelta(seconds=offset)
        status, _, reason = kind.partition(":")
        qid = uuid.UUID(int=rng.getrandbits(128)).hex
        answered = status == "answered"
        if answered and rng.random() < 0.08:  # some answerable questions still miss
            status, reason = "no_answer", "not_covered"
            answered = False
        nearest = None  # the same question mostly comes closest to the same passage
        if status == "no_answer":
            nearest = passages[sum(map(ord, base)) % len(passages)] if rng.random() < 0.8 else rng.choice(passages)
        row = (qid, at.isoformat(timespec="seconds"), at.date().isoformat(), f"c{n // 2}", rng.choice(visitors),
               phrasing(rng, base), status, "Quoted answer sentence from the article. " * 3 if answered else "",
               article if answered else None, f"Title of {article}" if answered else None,
               round(rng.uniform(0.5, 0.9), 3) if answered else None, nearest,
               round(rng.uniform(0.05, 0.45), 3) if nearest else None, round(rng.uniform(40, 400), 2),
               reason or None)
        vote = None
        if rng.random() < (0.15 if answered else 0.03):
            helpful = int(rng.random() < (0.7 if answered else 0.2))
            comment = "" if helpful or rng.random() < 0.6 else rng.choice(["too vague", "not what I asked", "=1+1"])
            vote = (qid, helpful, comment, (at + timedelta(seconds=30)).isoformat(timespec="seconds"))
        yield row, vote


def fill(database: Database, count: int, now: datetime, passages: list[str]) -> None:
    """Insert the log in bulk: multi-row INSERTs in one transaction (the same columns record_question writes)."""
    columns = ("id, asked_at, day, conversation_id, visitor, question, status, answer, top_article, top_title,"
               " top_score, nearest_passage, nearest_score, latency_ms, reason")
    rows: list[tuple[Any, ...]] = []
    votes: list[tuple[Any, ...]] = []
    for row, vote in log_rows(count, now, passages):
        rows.append(row)
        if vote:
            votes.append(vote)
    with database.backend.transaction() as tx:
        for table, cols, batch, width in (("questions", columns, rows, 15),
                                          ("feedback", "answer_id, helpful, comment, created_at", votes, 4)):
            for i in range(0, len(batch), BATCH):
                chunk = batch[i:i + BATCH]
                values = ", ".join(["(" + ", ".join(["?"] * width) + ")"] * len(chunk))
                tx.run(f"INSERT INTO {table} ({cols}) VALUES {values}", [v for r in chunk for v in r])


@contextmanager
def app(settings: Settings, embedder: Embedder) -> Iterator[TestClient]:
    """The real app, signed in as staff."""
    with TestClient(create_app(settings, embedder)) as client:
        client.get("/staff/login")
        token = client.cookies.get("clinicbot_csrf") or ""
        response = client.post("/staff/login", follow_redirects=False,
                               data={"username": "staff", "password": PASSWORD, "csrf_token": token})
        if response.status_code != 303:
            raise SystemExit(f"sign-in failed: {response.status_code} {response.text[:200]}")
        yield client


def timed(client: TestClient, path: str) -> tuple[float, str]:
    """Milliseconds for one GET (the whole body read), and the body."""
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code} {response.text[:200]}")
    return elapsed, response.text


def log_one(database: Database) -> None:
    """One more question, as /api/ask would log it."""
    database.record_question(QuestionRecord(id=uuid.uuid4().hex, question="Is there parking for bikes?",
                                            status="no_answer", answer="", latency_ms=50.0, reason="not_covered"))


def fresh_target(args: argparse.Namespace, master: Path | None, folder: Path, name: str) -> str:
    """A new database holding the filled log: a copy of the SQLite file, or of the PostgreSQL database."""
    if master is not None:
        target = folder / f"{name}.db"
        shutil.copy(master, target)
        return str(target)
    import psycopg

    base, _, source = str(args.database).rpartition("/")
    copy = f"{source}_{name}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:  # a template must have no connections
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}"')
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{source}"')
    return f"{base}/{copy}"


def drop_copies(args: argparse.Namespace) -> None:
    """Drop the PostgreSQL copies `fresh_target` made (SQLite copies go with the temporary folder)."""
    if not args.database:
        return
    import psycopg

    base, _, source = str(args.database).rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        for name in COPIES:
            conn.execute(f'DROP DATABASE IF EXISTS "{source}_{name}"')


def measure(args: argparse.Namespace, settings: Settings, embedder: Embedder, master: Path | None,
            folder: Path) -> list[dict[str, Any]]:
    """One table row per page: first, loads to complete, warm, restart and new-question milliseconds."""
    results = []
    pages = [(f"/staff/insights?days={d}", f"days={d}") for d in PERIODS] + [("/staff/insights.csv?days=90",
                                                                               "CSV, days=90")]
    for path, label in pages:
        name = label.replace(",", "").replace(" ", "_").replace("=", "")
        COPIES.append(name)
        target = fresh_target(args, master, folder, name)
        run_settings = settings.model_copy(update={"database": target})
        with app(run_settings, embedder) as client:
            first, text = timed(client, path)
            loads, slowest = 1, first
            while PENDING in text and loads < 60:  # phrasings left to embed on the next loads
                elapsed, text = timed(client, path)
                loads, slowest = loads + 1, max(slowest, elapsed)
            warm = statistics.median(timed(client, path)[0] for _ in range(3))
        with app(run_settings, embedder) as client:
            restart = timed(client, path)[0]
            log_one(client.app.state.database)  # type: ignore[attr-defined]
            new = timed(client, path)[0]
        results.append({"page": label, "first": first, "loads": loads, "slowest": slowest, "warm": warm,
                        "restart": restart, "new": new})
        print(f"  {label}: first {first:.0f} ms, complete after {loads} loads, warm {warm:.0f} ms, "
              f"restart {restart:.0f} ms, after a new question {new:.0f} ms", file=sys.stderr)
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| page | first (ms) | loads until every phrasing is grouped | slowest of those (ms) | warm (ms) |"
             " restart (ms) | after a new question (ms) |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['page']} | {r['first']:.0f} | {r['loads']} | {r['slowest']:.0f} | {r['warm']:.0f} |"
              f" {r['restart']:.0f} | {r['new']:.0f} |" for r in results]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--questions", type=int, default=100_000, help="logged questions to generate")
    parser.add_argument("--database", default="", help="a postgresql:// URL of an empty database (default: SQLite)")
    parser.add_argument("--wait-quiet", type=float, default=600,
                        help="wait up to this many seconds for other processes to leave the CPUs (0: don't)")
    parser.add_argument("--write", action="store_true", help="record the table in docs/insights.md")
    parser.add_argument("--label", default="", help="the section heading when writing")
    args = parser.parse_args()
    embedder = load_embedder("all-MiniLM-L6-v2")
    with tempfile.TemporaryDirectory(prefix="clinicbot-insights-") as tmp:
        folder = Path(tmp)
        corpus = folder / "corpus"
        corpus.mkdir()
        for path in [*(REPO_ROOT / "corpus").iterdir(), *(REPO_ROOT / "tests" / "articles").iterdir()]:
            shutil.copy(path, corpus / path.name)
        build_index(corpus, folder / "index", embedder)
        passages = [p.passage_id for p in read_index(folder / "index").passages]
        master = None if args.database else folder / "log.db"
        database = Database(args.database or master or "")
        started = time.perf_counter()
        fill(database, args.questions, datetime.now(UTC), passages)
        print(f"logged {args.questions} questions in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        if args.database:  # statistics for the planner, as autovacuum would have gathered over a real log
            with database.backend.transaction() as tx:
                tx.run("ANALYZE")
        database.close()
        settings = Settings(index_dir=folder / "index", corpus_dir=corpus, database=args.database or str(master),
                            staff_password=PASSWORD).model_copy(update=NO_LIMITS)
        if args.wait_quiet > 0:
            wait_quiet(args.wait_quiet)
        try:
            with cpu_share() as share:
                results = measure(args, settings, embedder, master, folder)
        finally:
            drop_copies(args)
    kind = "PostgreSQL" if args.database else "SQLite"
    facts = machine()
    body = (f"{code_state()}; {facts['nproc']} CPUs ({facts['cpu']}), {facts['ram_gib']} GiB RAM; {kind}, "
            f"{args.questions:,} logged questions over 90 days; other processes used {share.other_pct:.0f} % of the"
            f" CPUs meanwhile; `python benchmarks/insights.py"
            f"{' --database …' if args.database else ''}`.\n\n{table(results)}")
    print(body)
    if args.write:
        label = args.label or "run"
        update_doc(DOC, f"{label} ({kind}, {date.today().isoformat()})", f"<!-- {label} {kind} -->",
                   f"<!-- /{label} {kind} -->", body)


if __name__ == "__main__":
    main()
