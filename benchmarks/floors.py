"""The floors the latency benchmark compares clinicbot with, measured in the same run on the same machine.

- the HTTP floor: a trivial FastAPI app under the same uvicorn (httptools, uvloop), whose `POST /api/ask`
  returns a fixed small JSON body at once — what any answer over HTTP costs here, with the same client;
- the encoder floor: the bare forward pass of the query encoder `clinicbot serve` uses (ONNX Runtime, one
  thread) on one short question new to it — what any answer that embeds the question costs.

    python -m benchmarks.floors --port 8123   # serve the trivial app (what `http_floor_server` starts)
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from pydantic import BaseModel

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.serving import free_port  # noqa: E402


class Ask(BaseModel):
    """The floor's request body: a question, as clinicbot's."""

    question: str


def trivial_app() -> object:
    """The app of the HTTP floor: a POST that parses its JSON body and answers a fixed one."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/api/ask")
    async def ask(body: Ask) -> dict[str, str]:
        return {"status": "answered", "answer": "fixed"}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


@contextmanager
def http_floor_server() -> Iterator[tuple[str, int]]:
    """The trivial app under uvicorn in a subprocess: (base URL, pid)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.floors", "--port", str(port)], cwd=REPO_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the trivial app did not start") from None
                time.sleep(0.05)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def encoder_floor(questions: list[str], repeats: int = 3) -> dict[str, float]:
    """Median and p99 ms of the serving encoder's forward pass on one new short question at a time."""
    from index.embedder import load_embedder
    from service.settings import Settings

    settings = Settings()
    embedder = load_embedder(settings.model, settings.encoder, settings.encoder_dir, cache_size=0,
                             threads=settings.encoder_threads)
    times: list[float] = []
    for n in range(repeats * len(questions)):
        text = f"{n} {questions[n % len(questions)]}"
        started = time.perf_counter()
        embedder.query(text)
        times.append((time.perf_counter() - started) * 1000)
    times = times[len(questions) // 2:]  # the first few warm the session up
    ordered = sorted(times)
    return {"p50_ms": statistics.median(times), "p99_ms": ordered[int(0.99 * (len(ordered) - 1))],
            "count": float(len(times))}


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="serve the HTTP floor's trivial app")
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    uvicorn.run(trivial_app(), host="127.0.0.1", port=port, http="httptools", loop="uvloop",  # type: ignore[arg-type]
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
