"""A fault hook for the Bot API emulator that enforces Telegram's flood limits.

Telegram documents about 30 messages per second overall and no more than one message
per second to one chat. The hook reads both literally, on the moment a request reaches
the emulator:

- overall: at most `per_second` accepted messages in any sliding one-second window;
- per chat: at least `chat_interval` seconds between two accepted messages to a chat.

A request over either limit is not delivered: it is answered 429 with `retry_after`
(whole seconds, as Telegram does) and counted as a violation. Every accepted message
is recorded with its wall-clock arrival time, so benchmarks count lost and duplicate
rows and compute lateness. With `enforce=False` the hook only records.
"""

from __future__ import annotations

import math
import re
import time
from collections import deque
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from bot.sandbox.emulator import Fault

SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
_ROW_ID = re.compile(r"#(\d+)\b")


def row_id_in(text: str) -> int | None:
    """The outbox row id a `bench_ping` message names (`#123`), if any."""
    match = _ROW_ID.search(text)
    return int(match.group(1)) if match else None


@dataclass(frozen=True, slots=True)
class Delivery:
    row_id: int | None
    chat_id: int
    at: float
    """Wall-clock arrival (time.time())."""


@dataclass
class TelegramLimits:
    enforce: bool = True
    per_second: int = 30
    chat_interval: float = 1.0
    deliveries: list[Delivery] = field(default_factory=list)
    over_global: int = 0
    over_chat: int = 0
    _window: deque[float] = field(default_factory=deque)
    _last_by_chat: dict[int, float] = field(default_factory=dict)

    def __call__(self, method: str, params: dict[str, Any]) -> Fault | None:
        if method not in SEND_METHODS:
            return None
        now = time.monotonic()
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()
        chat_id = int(params["chat_id"])
        last = self._last_by_chat.get(chat_id)
        if self.enforce:
            if len(self._window) >= self.per_second:
                self.over_global += 1
                return _too_many(self._window[0] + 1.0 - now)
            if last is not None and now - last < self.chat_interval:
                self.over_chat += 1
                return _too_many(last + self.chat_interval - now)
        self._window.append(now)
        self._last_by_chat[chat_id] = now
        self.deliveries.append(Delivery(row_id_in(str(params.get("text", ""))), chat_id,
                                        time.time()))
        return None

    def reset(self, *, enforce: bool) -> None:
        """Start a new run: nothing delivered, nothing over, limits on or off."""
        self.enforce = enforce
        self.deliveries.clear()
        self.over_global = self.over_chat = 0
        self._window.clear()
        self._last_by_chat.clear()

    @property
    def violations(self) -> int:
        """Requests over a limit (each was answered 429)."""
        return self.over_global + self.over_chat

    def row_deliveries(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.row_id is not None]


def _too_many(wait: float) -> Fault:
    return Fault(429, "Too Many Requests: retry later", retry_after=max(1, math.ceil(wait)))


def busiest_second(times: list[float]) -> int:
    """The most deliveries in any one-second window (a check on the delivered traffic)."""
    ordered = sorted(times)
    best = start = 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def closest_gap_per_chat(deliveries: list[Delivery]) -> float:
    """The shortest time between two deliveries to one chat (inf when no chat got two)."""
    last: dict[int, float] = {}
    closest = math.inf
    for delivery in sorted(deliveries, key=lambda d: d.at):
        previous = last.get(delivery.chat_id)
        if previous is not None:
            closest = min(closest, delivery.at - previous)
        last[delivery.chat_id] = delivery.at
    return closest
