"""Servers for the tests: the app under uvicorn in a thread, and real PostgreSQL 15 and Redis servers started
in temporary folders on 127.0.0.1.

Both come from Debian's packages (`make test` installs them). PostgreSQL refuses to run as root, so as root
the cluster is made and run as the `postgres` user the package creates. Each server is stopped at the end.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

PG_BIN = Path("/usr/lib/postgresql/15/bin")
REDIS = Path("/usr/bin/redis-server")


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 in a thread, as in production; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(60)
        sock.close()


Asked = tuple[float, str, int, "dict[str, Any] | str"]  # (when, question, HTTP status, the reply or the error)


@contextmanager
def patients_asking(base: str, questions: Sequence[str], patients: int = 3) -> Iterator[list[Asked]]:
    """`patients` threads asking `questions` in turn through the server at `base` until the block ends.

    Yields the list the answers are appended to, in the order they arrive; a dropped connection is recorded
    with status 0. At most `patients` requests are in flight at any moment.
    """
    results: list[Asked] = []
    stop = threading.Event()

    def patient(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            n = offset
            while not stop.is_set():
                question = questions[n % len(questions)]
                n += 1
                try:
                    response = http.post("/api/ask", json={"question": question})
                    body: dict[str, Any] | str = response.json() if response.status_code == 200 else response.text
                    results.append((time.monotonic(), question, response.status_code, body))
                except Exception as exc:  # a dropped connection is a failure too
                    results.append((time.monotonic(), question, 0, repr(exc)))

    threads = [threading.Thread(target=patient, args=(i,)) for i in range(patients)]
    for thread in threads:
        thread.start()
    try:
        yield results
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)


def wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float = 120, log: Path | None = None) -> None:
    """Wait until the `clinicbot serve` at `url` answers /readyz with 200; fail if it exits or takes too long."""
    import httpx

    def tail() -> str:
        return log.read_text(errors="replace")[-3000:] if log and log.exists() else ""

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server at {url} exited with {process.returncode}\n{tail()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server at {url} was not ready in {seconds:.0f} s\n{tail()}")


def _wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgresql() -> Iterator[str]:
    """A fresh PostgreSQL cluster with a `clinicbot` database; yields its postgresql:// URL."""
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError("PostgreSQL 15 is not installed: run `make test` (it installs Debian's postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="clinicbot-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "clinicbot", "--auth=trust",
                                 "--encoding=UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)
    server = subprocess.Popen(_as_postgres([str(PG_BIN / "postgres"), "-D", str(data), "-p", str(port),
                                            "-h", "127.0.0.1", "-k", str(folder), "-c", "fsync=off"]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port)
        for _ in range(100):  # the port opens a moment before the server accepts connections
            created = subprocess.run(_as_postgres([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                                                   "-U", "clinicbot", "clinicbot"]), check=False,
                                     capture_output=True)
            if created.returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"createdb failed: {created.stderr.decode()}")
        yield f"postgresql://clinicbot@127.0.0.1:{port}/clinicbot"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[str]:
    """A Redis server with no persistence; yields its redis:// URL."""
    if not REDIS.exists():
        raise RuntimeError("redis-server is not installed: run `make test` (it installs Debian's redis-server)")
    folder, port = Path(tempfile.mkdtemp(prefix="clinicbot-redis-")), free_port()
    server = subprocess.Popen([str(REDIS), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
                               "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        _wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
