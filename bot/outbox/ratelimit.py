"""The bot's rate limiter: Telegram's flood limits as sliding windows over finished requests.

Telegram allows about 30 messages per second overall and 20 per minute in one group.
PTB's `AIORateLimiter` is a leaky bucket that holds 30: after any idle moment (a poll
tick, a pause between two batches) it lets 30 requests go at once and then 30 a second,
so one second can carry almost 60 and Telegram answers the rest 429 (BENCHMARKS.md,
finding 1). Counting requests when they *start* is not enough either: a stalled event
loop or a slow network bunches them up on the way.

`TelegramRateLimiter` starts a request only while fewer than the limit are in flight or
finished within the window. A request reaches Telegram before it finishes, so no window
of arrivals can ever hold more than the limit, however the requests bunch up.

It also remembers when each chat last got a message (any send, handler replies
included), so the outbox dispatcher can keep one message per second per chat without
stepping on a reply it did not send itself. Private chats are not paced here: a reply
should not wait, and with `concurrent_updates(False)` a wait here would hold up every
other person's update too; the outbox dispatcher does that pacing, where waiting is free.

`RetryAfter` is not retried here: it reaches the caller (the outbox row is rescheduled),
as with `AIORateLimiter(max_retries=0)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator
from collections.abc import Callable
from collections.abc import Coroutine
from typing import Any

from telegram.ext import BaseRateLimiter

SEND_ENDPOINTS = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendAudio", "sendVideo", "sendVoice",
    "sendAnimation", "sendSticker", "sendLocation", "sendContact", "sendMediaGroup",
    "sendPoll", "sendDice", "copyMessage", "forwardMessage",
})
"""Requests that put a new message into a chat (what Telegram's per-chat limit counts)."""


class SlidingWindow:
    """At most `limit` requests in flight or finished within the last `period` seconds.

    `monotonic` is injectable so tests can move time without sleeping.
    """

    def __init__(self, limit: int, period: float,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.period = period
        self._monotonic = monotonic
        self._in_flight = 0
        self._finished: deque[float] = deque()
        self._changed = asyncio.Condition()

    @property
    def idle(self) -> bool:
        """Nothing in flight and nothing left in the window (a group's entry may go)."""
        self._forget_old(self._monotonic())
        return self._in_flight == 0 and not self._finished

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._changed:
            while True:
                now = self._monotonic()
                self._forget_old(now)
                if self._in_flight + len(self._finished) < self.limit:
                    break
                # Full: wait for the oldest finished request to leave the window, or for
                # one in flight to finish (which notifies).
                wait = self._finished[0] + self.period - now if self._finished else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), wait)
            self._in_flight += 1
        try:
            yield
        finally:
            async with self._changed:
                self._in_flight -= 1
                self._finished.append(self._monotonic())
                self._changed.notify_all()

    def _forget_old(self, now: float) -> None:
        while self._finished and self._finished[0] <= now - self.period:
            self._finished.popleft()


class TelegramRateLimiter(BaseRateLimiter[None]):
    """30 requests a second overall and 20 a minute per group, as sliding windows.

    Like `AIORateLimiter`, only requests that name a chat are limited (getMe,
    setMyCommands or answerCallbackQuery are not messages), and group limits apply to
    negative chat ids and `@username`s.
    """

    def __init__(self, *, overall_per_second: int = 30, group_per_minute: int = 20,
                 group_period_seconds: float = 60.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._overall = SlidingWindow(overall_per_second, 1.0, monotonic)
        self._group_per_minute = group_per_minute
        self._group_period = group_period_seconds  # a minute; tests shorten it
        self._groups: dict[int | str, SlidingWindow] = {}
        self._last_sent: dict[int | str, float] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def last_sent(self, chat_id: int | str) -> float | None:
        """When (monotonic) the last message to `chat_id` was answered, if one was recently."""
        return self._last_sent.get(chat_id)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if chat_id is None:
            return await callback(*args, **kwargs)
        # The group's window first: a request waiting up to a minute for its group must
        # not hold one of the 30 overall places meanwhile.
        async with self._group(chat_id), self._overall.slot():
            try:
                return await callback(*args, **kwargs)
            finally:
                if endpoint in SEND_ENDPOINTS:
                    self._stamp(chat_id)

    def _group(self, chat_id: int | str) -> contextlib.AbstractAsyncContextManager[None]:
        if isinstance(chat_id, int) and chat_id > 0:
            return contextlib.nullcontext()
        window = self._groups.get(chat_id)
        if window is None:
            if len(self._groups) > 1000:  # forget groups whose window is empty
                self._groups = {key: w for key, w in self._groups.items() if not w.idle}
            window = self._groups[chat_id] = SlidingWindow(
                self._group_per_minute, self._group_period, self._monotonic)
        return window.slot()

    def _stamp(self, chat_id: int | str) -> None:
        now = self._monotonic()
        if len(self._last_sent) > 10_000:  # only the last minute matters for pacing
            self._last_sent = {key: at for key, at in self._last_sent.items() if at > now - 60}
        self._last_sent[chat_id] = now
