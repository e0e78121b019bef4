"""What every handler needs at run time, put in `bot_data` once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from bot.runtime.clock import Clock
from bot.runtime.config import Settings
from storage.db import SessionMaker
from storage.staff import StaffCache

SERVICES_KEY = "koordinator.services"


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    sessions: SessionMaker
    clock: Clock
    wake: Callable[[], None] = field(default=lambda: None)
    """Ask the dispatcher to look at the outbox now (after queuing something due)."""
    staff_cache: StaffCache = field(default_factory=StaffCache)
    """Who is staff, for the guard in front of every handler (see `StaffCache`)."""

    def __post_init__(self) -> None:
        self.staff_cache.watch(self.sessions)


def services_of(bot_data: dict[str, Any]) -> Services:
    return bot_data[SERVICES_KEY]
