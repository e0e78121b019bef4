"""Settings: the one place configuration is read (environment and `.env`)."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from pydantic import Field
from pydantic import ValidationError
from pydantic import field_validator
from pydantic import model_validator
from pydantic_settings import BaseSettings
from pydantic_settings import SettingsConfigDict

from bot.text.languages import STAFF_LANGUAGES
from storage.models import DEFAULT_DROPOUT_REASONS
from storage.models import DROPOUT_CANDIDATES
from storage.models import Outcome
from storage.municipalities import Municipalities
from storage.outcome_followups import FollowUpPoint
from storage.outcome_followups import parse_offsets
from storage.personnummer import validate_keys

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
    database_schema: str = Field(default="", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$|^$",
                                 description="PostgreSQL schema (search_path); empty = default.")
    database_statement_timeout_seconds: float = Field(
        default=60.0, ge=0,
        description="PostgreSQL: a statement running longer fails (0 = no limit).")
    data_dir: Path = Field(default=Path("data"), description="Where the SQLite file lives.")
    timezone: str = Field(default="Europe/Stockholm")
    default_language: str = Field(default="sv")
    telegram_timeout_seconds: float = Field(default=10.0, gt=0)
    polling_timeout_seconds: int = Field(default=10, ge=0, le=50)
    note_max_length: int = Field(default=2000, ge=100, le=3500)
    log_level: str = Field(default="INFO")
    log_format: Literal["text", "json"] = Field(default="text")

    # Serving: /healthz always; the webhook route when WEBHOOK_URL is set.
    listen_host: str = Field(default="127.0.0.1")
    listen_port: int = Field(default=8081, ge=0, le=65535)
    webhook_url: str = Field(default="", description="Public HTTPS URL Telegram posts to.")
    webhook_secret: str = Field(default="", description="Checked on every webhook request.")

    # Follow-ups, reminders and the outbox dispatcher.
    reminder_offsets_hours: list[float] = Field(default=[24.0, 2.0])
    no_answer_after_hours: float = Field(default=4.0, gt=0)
    quiet_hours_start: time = Field(default=time(20, 0))
    quiet_hours_end: time = Field(default=time(8, 0))
    agenda_time: time = Field(default=time(7, 30))
    digest_weekday: int = Field(default=0, ge=0, le=6)
    """Day of the leads' weekly digest: 0 = Monday … 6 = Sunday."""
    digest_time: time = Field(default=time(8, 0))
    invite_ttl_days: int = Field(default=14, ge=1, le=90)
    retention_days: int = Field(default=730, ge=30)
    relay_retention_days: int = Field(default=30, ge=1, le=365)
    """How long the relay keeps which relayed message belongs to which participant."""
    """Ended participants are anonymised this long after their end date."""
    dispatch_interval_seconds: float = Field(default=1.0, gt=0)
    """How often the outbox is polled: a row falling due waits for the next poll at most."""
    dispatch_batch_size: int = Field(default=60, ge=1, le=1000)
    dispatch_lease_seconds: float = Field(default=120, ge=1)
    """How long a claim lasts (by the database's clock) unless renewed; the dispatcher renews
    it every third of it while the row waits or is being sent. After a crash, the dead
    process's claims come back this long after its last renewal."""
    dispatch_grace_hours: float = Field(default=6.0, ge=0)
    per_chat_interval_seconds: float = Field(default=1.0, ge=0)
    update_concurrency: int = Field(default=64, ge=1, le=1000)
    dispatch_concurrency: int = Field(default=16, ge=1, le=200)
    """Chats served at once; bounds database connections as well as sockets."""

    # Funder reporting.
    personnummer_key: str = Field(default="", repr=False)
    """Fernet key(s), comma-separated (the first encrypts); empty = personnummer not stored."""
    outcome_followup_offsets: str = Field(default="28d,6m,13m")
    """When the 28-day, 6-month and 13-month questions are asked after the end date."""
    outcome_followup_no_answer_days: int = Field(default=7, ge=1, le=60)
    """Days without an answer before the coordinator gets a task to ask by phone."""
    sensitive_categories: bool = Field(default=False)
    """Record disability and foreign background (ESF+), always with "declined to answer"."""
    dropout_reasons: str = Field(
        default=",".join(reason.value for reason in DEFAULT_DROPOUT_REASONS))
    """End reasons counted as avbrott (dropout) in every figure; the other non-work,
    non-studies reasons count as "other" (docs/definitions.md)."""

    # Master data.
    project_municipalities: str = Field(default="all")
    """The municipalities the project works in: "all" (Sweden's 290) or names or SCB codes
    separated by commas, e.g. "Växjö, Alvesta, 0765"."""

    @field_validator("project_municipalities")
    @classmethod
    def _known_municipalities(cls, value: str) -> str:
        Municipalities.from_setting(value)
        return value

    @field_validator("reminder_offsets_hours")
    @classmethod
    def _positive_offsets(cls, value: list[float]) -> list[float]:
        if not value or any(offset <= 0 for offset in value):
            raise ValueError("give one or more positive numbers of hours, e.g. [24, 2]")
        return sorted(value, reverse=True)

    @field_validator("personnummer_key")
    @classmethod
    def _fernet_keys(cls, value: str) -> str:
        return validate_keys(value)

    @field_validator("outcome_followup_offsets")
    @classmethod
    def _followup_offsets(cls, value: str) -> str:
        parse_offsets(value)
        return value

    @field_validator("dropout_reasons")
    @classmethod
    def _dropout_reasons(cls, value: str) -> str:
        parse_dropout_reasons(value)
        return value

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

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and len(self.webhook_secret) < 16:
            raise ValueError("WEBHOOK_SECRET of at least 16 characters is required with "
                             "WEBHOOK_URL")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def municipalities(self) -> Municipalities:
        return Municipalities.from_setting(self.project_municipalities)

    @property
    def followup_offsets(self) -> dict[FollowUpPoint, tuple[int, int]]:
        return parse_offsets(self.outcome_followup_offsets)

    @property
    def dropouts(self) -> tuple[Outcome, ...]:
        return parse_dropout_reasons(self.dropout_reasons)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'koordinator.sqlite3').resolve()}"


def parse_dropout_reasons(value: str) -> tuple[Outcome, ...]:
    """`parental_leave,illness` → the end reasons; empty means none count as dropouts."""
    words = [word.strip() for word in value.split(",") if word.strip()]
    allowed = {reason.value: reason for reason in DROPOUT_CANDIDATES}
    wrong = [word for word in words if word not in allowed]
    if wrong:
        raise ValueError(f"{', '.join(wrong)} cannot count as dropouts; choose from "
                         f"{', '.join(allowed)}")
    return tuple(dict.fromkeys(allowed[word] for word in words))


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one line that names the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "WEBHOOK_SECRET"
        raise ConfigError(f"Setting {name} is invalid: {first['msg']}") from None
