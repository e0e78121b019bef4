"""Updates of different people concurrently, each person's own strictly in order.

With PTB's default (`concurrent_updates(False)`) one slow request — a chart, a large
export, a query waiting for a lock — made every other user wait. Plain
`concurrent_updates(True)` would let one person's second message overtake their first
(a guided flow's answer before its question). This processor keys updates by who sent
them: updates with the same key run one after another in arrival order (asyncio.Lock
wakes its waiters first in, first out), different keys run side by side.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def order_key(update: object) -> tuple[str, int] | None:
    """Whose update this is: the user (a person's flow spans their chats), else the chat."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    return None


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    """`max_concurrent_updates` bounds the updates in progress or queued, all people together."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[tuple[str, int], asyncio.Lock] = {}
        self._users: dict[tuple[str, int], int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = order_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            # Forget a person's lock once nothing of theirs is queued (memory stays flat).
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    async def initialize(self) -> None:
        """Nothing to allocate: locks are made per person on demand."""

    async def shutdown(self) -> None:
        """Nothing to free: PTB waits for running updates before shutting down."""

    @property
    def people_in_progress(self) -> int:
        return len(self._locks)
