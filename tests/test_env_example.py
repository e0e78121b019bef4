"""`.env.example` documents every setting, and its values are valid."""

from __future__ import annotations

from pathlib import Path

from dotenv import dotenv_values

from bot.runtime.config import Settings

EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


def test_env_example_names_every_setting_and_parses() -> None:
    values = dotenv_values(EXAMPLE)
    assert set(values) == {name.upper() for name in Settings.model_fields}
    settings = Settings(_env_file=EXAMPLE)  # type: ignore[call-arg]
    assert settings.reminder_offsets_hours == [24.0, 2.0]
    assert settings.quiet_hours_start.hour == 20
