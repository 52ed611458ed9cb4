"""Every setting is documented in the README's settings table, with its variable and default."""
from __future__ import annotations

from pathlib import Path

import pytest

from pydantic import BaseModel, SecretStr

from service.answering.tuning import Tuning
from service.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_setting_is_in_readme(name: str) -> None:
    field = Settings.model_fields[name]
    row = next((line for line in README.splitlines() if line.startswith(f"| `{name}` |")), None)
    assert row is not None, f"README settings table has no row for {name}"
    assert f"`CLINICBOT_{name.upper()}`" in row
    default = field.get_default(call_default_factory=True)
    if isinstance(default, SecretStr):
        default = default.get_secret_value()
    if isinstance(default, BaseModel):
        assert "(see [Tuning](#tuning))" in row
    elif isinstance(default, list):
        shown = "|".join(default).replace("|", "\\|")
        assert (f"`{shown}`" in row) if default else "(none)" in row
    else:
        assert (f"`{default}`" in row) if default != "" else "(empty)" in row
    assert field.description and field.description.replace("|", "\\|") in row


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINICBOT_EMERGENCY_NUMBER", "112")
    monkeypatch.setenv("CLINICBOT_PORT", "9000")
    settings = Settings()
    assert settings.emergency_number == "112" and settings.port == 9000
    assert Settings(port=9100).port == 9100


def test_bad_setting_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINICBOT_PORT", "not-a-port")
    with pytest.raises(ValueError, match="port"):
        Settings()


def test_list_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINICBOT_ALLOWED_ORIGINS", "https://clinic.test/, http://localhost:3000")
    monkeypatch.setenv("CLINICBOT_STARTER_QUESTIONS", "Does it hurt? | What should I wear?")
    monkeypatch.setenv("CLINICBOT_STAFF_USERS", "maria:scrypt:1,sam:scrypt:2")
    settings = Settings()
    assert settings.allowed_origins == ["https://clinic.test", "http://localhost:3000"]
    assert settings.starter_questions == ["Does it hurt?", "What should I wear?"]
    assert settings.staff_users == ["maria:scrypt:1", "sam:scrypt:2"]


@pytest.mark.parametrize("name", list(Tuning.model_fields))
def test_tuning_field_is_in_readme(name: str) -> None:
    """Every knob of the answering pipeline is in the README's tuning table, with its default and reason."""
    field = Tuning.model_fields[name]
    row = next((line for line in README.splitlines() if line.startswith(f"| `{name}` |")), None)
    assert row is not None, f"README tuning table has no row for {name}"
    assert f"`{field.default}`" in row
    assert field.description and field.description in row


def test_tuning_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINICBOT_TUNING", '{"answer_confidence": 0.5, "max_sentences": 2}')
    assert Settings().tuning.answer_confidence == 0.5 and Settings().tuning.max_sentences == 2
    monkeypatch.delenv("CLINICBOT_TUNING")
    monkeypatch.setenv("CLINICBOT_TUNING__ANSWER_THRESHOLD", "0.45")
    assert Settings().tuning.answer_threshold == 0.45
    assert Settings().tuning.answer_confidence == Tuning().answer_confidence


def test_bad_tuning_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINICBOT_TUNING", '{"answer_confidenc": 0.5}')
    with pytest.raises(ValueError, match="answer_confidenc"):
        Settings()
    monkeypatch.setenv("CLINICBOT_TUNING", '{"answer_confidence": 7}')
    with pytest.raises(ValueError, match="answer_confidence"):
        Settings()
