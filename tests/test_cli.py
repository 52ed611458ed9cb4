"""The `clinicbot` command: same answers as the API, readable errors, settings from flags then env."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_index_command_prints_progress_and_summary(corpus_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    for path in corpus_dir.iterdir():
        (tmp_path / "corpus" / path.name).write_bytes(path.read_bytes())
    (tmp_path / "corpus" / "notes.txt").write_bytes(b"\xff\xfe\x00bad")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "clinicbot"), "index", "--corpus", str(tmp_path / "corpus"),
         "--index-dir", str(tmp_path / "index")],
        cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"indexed 7 articles into \d+ passages \(1 files skipped, .*\) in [\d.]+ s -> .*", last), last
    assert "embedding" in done.stderr and "100%" in done.stderr
    assert "notes.txt" in done.stderr


def test_ask_json_is_the_api_json(client: TestClient, settings: object, capsys: pytest.CaptureFixture[str]) -> None:
    question = "how much is the first appointment?"
    assert main(["ask", "--index-dir", str(settings.index_dir), "--json", question]) == 0  # type: ignore[attr-defined]
    cli = json.loads(capsys.readouterr().out)
    api = client.post("/api/ask", json={"question": question}).json()
    assert set(cli) == set(api)
    cli.pop("id"), api.pop("id")
    assert cli == api


def test_ask_prints_answer_and_sources(settings: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--index-dir", str(settings.index_dir), "do the needles hurt going in?"]) == 0  # type: ignore[attr-defined]
    out = capsys.readouterr().out.splitlines()
    assert "pinch" in out[0]
    assert out[1].strip().startswith("[1] ") and "https://example-clinic.test/blog/needle-safety" in out[1]


def test_ask_without_index_says_what_to_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--index-dir", str(tmp_path / "none"), "does it hurt?"]) == 1
    assert "run `clinicbot index" in capsys.readouterr().err


def test_ask_empty_question(settings: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--index-dir", str(settings.index_dir), "  "]) == 2  # type: ignore[attr-defined]
    assert "empty" in capsys.readouterr().err


def test_settings_come_from_flags_then_environment(
    settings: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CLINICBOT_INDEX_DIR", str(settings.index_dir))  # type: ignore[attr-defined]
    monkeypatch.setenv("CLINICBOT_CLINIC_PHONE", "+1 555 0199")
    assert main(["ask", "--json", "who won the football?"]) == 0
    assert "+1 555 0199" in json.loads(capsys.readouterr().out)["answer"]
    assert main(["ask", "--index-dir", "/nonexistent/index", "who won the football?"]) == 1  # the flag wins
