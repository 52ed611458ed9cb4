"""Every setting is documented in the README's settings table, with its variable and default."""
from __future__ import annotations

from pathlib import Path

import pytest

from pydantic import SecretStr

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
    if isinstance(default, list):
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
