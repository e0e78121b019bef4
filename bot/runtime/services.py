"""What every handler needs at run time, put in `bot_data` once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.runtime.clock import Clock
from bot.runtime.config import Settings
from storage.db import SessionMaker

SERVICES_KEY = "koordinator.services"


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    sessions: SessionMaker
    clock: Clock
    wake: Callable[[], None] = field(default=lambda: None)
    """Ask the dispatcher to look at the outbox now (after queuing something due)."""


def services_of(bot_data: dict[str, Any]) -> Services:
    return bot_data[SERVICES_KEY]
