"""Settings: the one place configuration is read (environment and `.env`)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.languages import STAFF_LANGUAGES

PUBLIC_BOT_API = "https://api.telegram.org/bot"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it in one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str = Field(default="", description="Token from BotFather.")
    telegram_api_base_url: str = Field(
        default=PUBLIC_BOT_API,
        description="Bot API base URL; the token is appended. Point at a self-hosted server.",
    )
    database_url: str = Field(default="", description="SQLAlchemy URL; empty = SQLite file.")
    data_dir: Path = Field(default=Path("data"), description="Where the SQLite file lives.")
    timezone: str = Field(default="Europe/Stockholm")
    default_language: str = Field(default="sv")
    note_max_length: int = Field(default=2000, ge=100, le=3500)
    log_level: str = Field(default="INFO")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_language")
    @classmethod
    def _shipped_language(cls, value: str) -> str:
        if value not in STAFF_LANGUAGES:
            raise ValueError(f"must be one of {', '.join(STAFF_LANGUAGES)}")
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept the URLs operators usually have and pick the async driver for them."""
        if not value:
            return value
        for prefix, driver in (
            ("postgres://", "postgresql+asyncpg://"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("sqlite:///", "sqlite+aiosqlite:///"),
        ):
            if value.startswith(prefix):
                return driver + value[len(prefix) :]
        if value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            return value
        raise ValueError("must be a postgresql:// or sqlite:/// URL")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'koordinator.sqlite3').resolve()}"


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one line that names the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "?"
        raise ConfigError(f"Setting {name} is invalid: {first['msg']}") from None
