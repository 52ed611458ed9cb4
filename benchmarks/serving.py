"""Building and serving clinicbot for the benchmarks: the real `clinicbot index` and `clinicbot serve`."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clinicbot_command() -> list[str]:
    """The `clinicbot` console script of this interpreter's environment (or `python -m service.cli`)."""
    script = Path(sys.executable).parent / "clinicbot"
    if script.is_file():
        return [str(script)]
    found = shutil.which("clinicbot")
    return [found] if found else [sys.executable, "-m", "service.cli"]


def child_env() -> dict[str, str]:
    """The environment for clinicbot subprocesses: offline, and limits no benchmark client reaches.

    One client asks thousands of questions from 127.0.0.1; the limits stay on (each request is still
    counted, so its cost is measured) but far above what a benchmark sends.
    """
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    for scope in ("ASK", "FEEDBACK", "ORIGIN", "PAGES"):
        env.setdefault(f"CLINICBOT_RATE_LIMIT_{scope}", "10000000/minute")
    return env


@dataclass
class BuildResult:
    wall_s: float  # process start to exit: interpreter, imports, model load, build
    builder_s: float  # what the builder itself reports (reading, splitting, embedding, writing)
    line: str


def build(corpus: Path, index_dir: Path) -> BuildResult:
    """`clinicbot index --corpus CORPUS --index-dir INDEX_DIR`, timed."""
    cmd = [*clinicbot_command(), "index", "--corpus", str(corpus), "--index-dir", str(index_dir), "--quiet"]
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO_ROOT, env=child_env(), capture_output=True, text=True, timeout=900,
                          check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"clinicbot index failed ({done.returncode}):\n{done.stderr}")
    line = done.stdout.strip().splitlines()[-1]
    match = re.search(r" in ([0-9.]+) s ", line)
    return BuildResult(wall, float(match.group(1)) if match else float("nan"), line)


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    ready_s: float

    def stop(self) -> None:
        """Ctrl-C the server (uvicorn shuts down cleanly), kill it if it does not exit."""
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


def start_server(index_dir: Path, log_path: Path, extra_env: dict[str, str], timeout_s: float = 180.0) -> Server:
    """Start `clinicbot serve` on a free port of 127.0.0.1 and wait for /readyz; time to ready is measured."""
    port = free_port()
    cmd = [*clinicbot_command(), "serve", "--index-dir", str(index_dir), "--host", "127.0.0.1", "--port", str(port)]
    with open(log_path, "wb") as log:  # the child keeps its own descriptor
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env={**child_env(), **extra_env}, stdout=log,
                                stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base_url, timeout=2.0) as client:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"clinicbot serve exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            if time.perf_counter() - started > timeout_s:
                proc.kill()
                raise SystemExit(f"clinicbot serve not ready after {timeout_s:.0f} s")
            try:
                if client.get("/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.02)
    return Server(proc, base_url, log_path, time.perf_counter() - started)
