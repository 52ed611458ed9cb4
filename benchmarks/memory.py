"""Memory of a live server across re-indexes: RSS of the real `clinicbot serve` before and after each rebuild.

Builds an index over a copy of `corpus/` with the real `clinicbot index`, starts the real `clinicbot serve`
(the bundled all-MiniLM-L6-v2 model) on a free port, asks a few questions, then re-indexes through the staff
API (sign-in, `POST /api/reindex`, poll `GET /api/reindex`) several times. Every other round first edits
every paragraph of both articles (as staff revising them would), so every passage is embedded again in the
server, the long ones in full batches; the rounds between change nothing and reuse every vector. The corpus
keeps its size, so the rounds compare.
After each rebuild it asks the questions again and reads the server's VmRSS from /proc/<pid>/status.

    .venv/bin/python benchmarks/memory.py                  # print the table
    .venv/bin/python benchmarks/memory.py --write --label "after the fix"   # and record it in docs/memory.md
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import code_state, machine
from benchmarks.serving import REPO_ROOT, Server, build, start_server

DOC = REPO_ROOT / "docs" / "memory.md"
PASSWORD = "memory benchmark password"
QUESTIONS = ["does acupuncture hurt?", "how long is a session?", "what is qi?", "is it safe?",
             "how many sessions will I need?"]
ARTICLES = sorted((REPO_ROOT / "corpus").iterdir())


def status_mib(pid: int, field: str) -> float:
    """A memory field of /proc/<pid>/status (VmRSS: resident now, VmHWM: the peak so far), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


def sign_in(client: httpx.Client) -> None:
    """The staff login form with its CSRF cookie; later JSON POSTs carry the X-CSRF-Token header."""
    client.get("/staff/login")
    token = client.cookies.get("clinicbot_csrf") or ""
    response = client.post("/staff/login", data={"username": "staff", "password": PASSWORD, "csrf_token": token})
    if response.status_code != 303:
        raise SystemExit(f"sign-in failed: {response.status_code} {response.text[:200]}")
    client.headers["X-CSRF-Token"] = client.cookies.get("clinicbot_csrf") or ""


def ask_all(client: httpx.Client) -> None:
    for question in QUESTIONS:
        client.post("/api/ask", json={"question": question}).raise_for_status()


def reindex(client: httpx.Client) -> str:
    """Start a re-index through the staff API and wait for it to end; its summary line."""
    client.post("/api/reindex").raise_for_status()
    while True:
        status = client.get("/api/reindex").json()
        if status["state"] != "running":
            if status["state"] != "succeeded":
                raise SystemExit(f"re-index {status['state']}: {status['message']}")
            return str(status["message"])
        time.sleep(0.1)


def edit_articles(corpus: Path, round_no: int) -> str:
    """Staff revise the articles: every paragraph (not the title) changes, so every passage is embedded again."""
    for source in ARTICLES:
        lines = source.read_text(encoding="utf-8").splitlines()
        edited = [lines[0], *(f"{line} (Revised in round {round_no}.)" if line.strip() else line
                              for line in lines[1:])]
        (corpus / source.name).write_text("\n".join(edited) + "\n", encoding="utf-8")
    return "both articles edited"


Row = tuple[str, float, float, str]  # step, RSS MiB, peak RSS so far MiB, the build's summary


def measure(rounds: int) -> list[Row]:
    """RSS after a fresh server's first questions and after each re-index (and its questions)."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="clinicbot-memory-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        shutil.copytree(REPO_ROOT / "corpus", corpus)
        index_dir = work / "var" / "index"
        build(corpus, index_dir)
        env = {"CLINICBOT_CORPUS_DIR": str(corpus), "CLINICBOT_DATABASE": str(work / "var" / "clinicbot.db"),
               "CLINICBOT_STAFF_PASSWORD": PASSWORD,
               "CLINICBOT_WORKERS": "1",  # one process: the one whose RSS is read, and the one that re-indexes
               # no rate limits: the benchmark asks the same visitor's questions again and again
               **{f"CLINICBOT_RATE_LIMIT_{scope}": "" for scope in ("ASK", "FEEDBACK", "ORIGIN", "PAGES")}}
        server: Server = start_server(index_dir, work / "server.log", env)
        try:
            with httpx.Client(base_url=server.base_url, timeout=300.0) as client:
                sign_in(client)
                ask_all(client)
                pid = server.proc.pid
                rows.append(("started, 5 questions asked", status_mib(pid, "VmRSS"), status_mib(pid, "VmHWM"), ""))
                for n in range(1, rounds + 1):
                    change = edit_articles(corpus, n) if n % 2 == 1 else "nothing changed"
                    line = reindex(client)
                    ask_all(client)
                    time.sleep(0.5)
                    step = f"re-index {n} ({change})"
                    rows.append((step, status_mib(pid, "VmRSS"), status_mib(pid, "VmHWM"), line.split(" in ")[0]))
                    print(f"{step}: {rows[-1][1]:.0f} MiB", file=sys.stderr)
        finally:
            server.stop()
    return rows


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table, RSS also relative to the started server's."""
    base = rows[0][1]
    lines = ["| step | RSS (MiB) | vs start | peak so far (MiB) | build |", "|---|---|---|---|---|"]
    for step, rss, peak, line in rows:
        lines.append(f"| {step} | {rss:.0f} | {100 * (rss - base) / base:+.1f} % | {peak:.0f} | {line} |")
    return "\n".join(lines)


def write(label: str, body: str) -> None:
    """Append a dated, labelled result to docs/memory.md (earlier results are kept: before/after a change)."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Memory across live re-indexes\n"
    m = machine()
    text = (text.rstrip("\n") + f"\n\n## {label} ({date.today().isoformat()})\n\n"
            f"{code_state()}; {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM; "
            "`python benchmarks/memory.py`.\n\n" + body + "\n")
    DOC.write_text(text, encoding="utf-8")


def main() -> int:
    """Measure, print, and optionally record the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--rounds", type=int, default=6, help="re-indexes to run (default 6)")
    p.add_argument("--write", action="store_true", help="append the result to docs/memory.md")
    p.add_argument("--label", default="result", help="heading of the recorded result")
    args = p.parse_args()
    body = table(measure(args.rounds))
    print(body)
    if args.write:
        write(args.label, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
