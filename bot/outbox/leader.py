"""One active outbox dispatcher per database: elected through a PostgreSQL advisory lock.

Telegram's limits (30 messages a second, one a second per chat) hold per bot, not per
process. Rather than sharing a budget through the database on every send, the processes
of one bot elect one dispatcher: the one holding a session-level advisory lock on a
connection kept for it. The others stand by and try for the lock at every poll; when the
active process dies, PostgreSQL ends its session, the lock is free, and a standby takes
over within one poll (the dead process's claims come back when their leases run out).

The lock is keyed by the schema the bot uses, so bots (or tests) sharing one database in
different schemas elect a dispatcher each. SQLite serves one process: it always leads.

A newly elected process waits `settle` seconds (the per-chat interval) before its first
send: the process before it may have sent to a chat just before it died, and the new one
does not know when. Losing the lock's connection ends leadership at the next poll. Until
then another process may already dispatch; the fenced send (storage.outbox.fence) keeps
that from sending any row twice, and the overlap lasts at most one poll.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

LOCK_CLASS = 0x6B6F  # "ko": the first key of pg_try_advisory_lock(int, int)
_TRY_LOCK = text("SELECT pg_try_advisory_lock(:lock_class, hashtext(current_schema()))")


class Leadership:
    """Whether this process is the one that dispatches (asked at every poll)."""

    def __init__(self, engine: AsyncEngine | None, *, settle: float = 0.0) -> None:
        self._engine = engine
        self._settle = settle
        self._connection: AsyncConnection | None = None
        self._leading = False
        self._elected_at = 0.0

    @property
    def leading(self) -> bool:
        return self._leading or not self._elects

    @property
    def _elects(self) -> bool:
        return self._engine is not None and self._engine.dialect.name == "postgresql"

    async def lead(self) -> bool:
        """True if this process should dispatch now: it holds (or just took) the lock."""
        if not self._elects:
            return True
        assert self._engine is not None
        try:
            if self._connection is None:
                self._connection = await self._engine.connect()
            if self._leading:
                await self._connection.execute(text("SELECT 1"))  # still our session?
            else:
                result = await self._connection.execute(_TRY_LOCK, {"lock_class": LOCK_CLASS})
                self._leading = bool(result.scalar())
                if self._leading:
                    self._elected_at = time.monotonic()
                    log.info("this process now dispatches the outbox")
            await self._connection.commit()  # never idle in a transaction
        except Exception:
            if self._leading:
                log.warning("lost the dispatcher lock's connection: standing by")
            await self._drop()
            raise
        return self._leading and time.monotonic() - self._elected_at >= self._settle

    async def release(self) -> None:
        """Give the lock up (shutdown): a standby takes over at its next poll."""
        if self._connection is not None and self._leading:
            log.info("handing the outbox dispatcher over")
        await self._drop()

    async def _drop(self) -> None:
        connection, self._connection, self._leading = self._connection, None, False
        if connection is not None:
            try:
                # Never back into the pool: the session (and any lock it holds) must end.
                await connection.invalidate()
                await connection.close()
            except Exception:  # the connection is already gone; so is its lock
                log.debug("closing the dispatcher lock's connection failed", exc_info=True)
