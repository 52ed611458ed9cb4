"""A wheel of clinicbot holds its templates, static files and example banks, and the installed copy serves.

The wheel is built from a copy of the sources (so no `build/` appears in the checkout) and installed, without
its dependencies, into a fresh venv that borrows this venv's site-packages through a `.pth` path line (the
editable install's own `.pth` hook is not run from there, so the wheel's copy is the one imported). That
venv's `clinicbot index` and `clinicbot serve` then run from a folder outside the checkout.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "index", "service", "web")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """clinicbot's wheel, built without build isolation (offline) from a copy of the sources."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(source, src / name)
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", out, src, cwd=src)
    [found] = out.glob("clinicbot-*.whl")
    return found


def test_wheel_holds_the_files_the_service_reads(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    web = ROOT / "web"
    expected = {f"web/{p.relative_to(web).as_posix()}"
                for pattern in ("templates/*.html", "static/*") for p in web.glob(pattern) if p.is_file()}
    expected |= {f"service/answering/banks/{p.name}" for p in (ROOT / "service" / "answering" / "banks").glob("*.yaml")}
    assert {"web/__init__.py", "web/templates/base.html", "web/static/widget.js", "service/app.py",
            "index/builder.py"} <= names
    assert expected <= names, sorted(expected - names)
    assert not any(n.startswith(("tests/", "benchmarks/", "corpus/")) for n in names)


def test_installed_wheel_indexes_and_serves(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    # Installed before the dependencies are borrowed, so pip sees no clinicbot already installed.
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "--quiet", wheel,
        cwd=tmp_path)
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).strip())
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    where = run(python, "-c", "import service, web, index; print(service.__file__, web.__file__, index.__file__)",
                cwd=tmp_path).split()
    assert all(Path(p).is_relative_to(site) for p in where), where

    work = tmp_path / "clinic"
    corpus = work / "articles"
    corpus.mkdir(parents=True)
    for name in ("first-visit.md", "fees-and-insurance.md"):
        shutil.copy(ROOT / "tests" / "articles" / name, corpus / name)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "CLINICBOT_STAFF_PASSWORD": "packaging test password", "CLINICBOT_CORPUS_DIR": str(corpus)}
    clinicbot = venv / "bin" / "clinicbot"
    assert "indexed 2 articles" in run(clinicbot, "index", "--quiet", cwd=work, env=env)

    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:  # the child keeps its own descriptor
        server = subprocess.Popen([clinicbot, "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=work,
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + 120
            while True:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "clinicbot serve did not get ready"
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            for path in ("/", "/widget.js", "/static/site.css", "/static/staff.js", "/staff/login",
                         "/articles/first-visit"):
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code, response.text[:300])
            assert "<script" in client.get("/").text
            assert '"route": "/widget.js"' in log.read_text()  # the access log's JSON lines, on stderr
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
