"""The index watcher: a build another process wrote is swapped in; a broken one is not reloaded at every look."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.store import IndexUnavailable
from service.answering.answerer import Answerer
from service.index_watch import IndexWatcher
from service.settings import Settings


def test_the_default_look_is_every_second() -> None:
    assert Settings().index_watch_seconds == 1


def test_a_build_that_fails_to_load_is_tried_again_only_later(client: TestClient, tmp_path: Path) -> None:
    serving: Answerer = client.app.state.answerer  # type: ignore[attr-defined]
    (tmp_path / "manifest.json").write_text(json.dumps({"build_id": "broken"}), encoding="utf-8")
    swapped: list[Answerer] = []
    watcher = IndexWatcher(Settings(index_dir=tmp_path), lambda: serving, lambda: False, swapped.append)
    with pytest.raises(IndexUnavailable, match="unreadable"):
        watcher.check()
    assert watcher.check() is False, "the same broken build is not loaded again at the next look"
    (tmp_path / "manifest.json").write_text(json.dumps({"build_id": "another"}), encoding="utf-8")
    with pytest.raises(IndexUnavailable):  # another build: tried at once
        watcher.check()
    assert swapped == [] and client.app.state.answerer is serving  # type: ignore[attr-defined]


def test_the_folder_s_own_build_is_not_loaded_again(client: TestClient, settings: Settings) -> None:
    serving: Answerer = client.app.state.answerer  # type: ignore[attr-defined]
    watcher = IndexWatcher(settings, lambda: serving, lambda: False, lambda new: None)
    assert watcher.check() is False
