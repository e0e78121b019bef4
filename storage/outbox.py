"""The outbox: every scheduled or notifying message is a row; the dispatcher claims and marks.

A claim is one UPDATE … RETURNING statement (atomic on SQLite ≥ 3.35 and PostgreSQL,
where the inner select also takes `FOR UPDATE SKIP LOCKED`), and it is a lease: a row
left in `sending` by a process that died goes back to being claimable once
`lease_until` has passed. A crash therefore loses nothing and repeats at most the batch
that was in flight.

Leases are timed by the database's clock (`_lease_clock`), never by a process's: a
process whose clock runs ahead must not see other processes' leases as run out. The
send is fenced (`fence`): just before a message goes to Telegram, the row must still be
claimed by this worker with a lease that has not run out, and the lease is renewed; the
marks after the send (`mark_sent`, …) also change only a row this worker still holds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import type_coerce
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col
from sqlmodel import select as sqlmodel_select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.sqltypes import UTCDateTime

from storage.db import is_postgresql
from storage.models import OutboundMessage
from storage.models import OutboxStatus
from storage.models import Staff

_table = OutboundMessage.__table__  # type: ignore[attr-defined]

PROBLEM_STATUSES = (OutboxStatus.FAILED, OutboxStatus.EXPIRED)
"""What an operator is shown: rows that will never be sent (see `problem_counts`)."""


def _lease_clock(session: AsyncSession, plus: timedelta = timedelta(0)
                 ) -> ColumnElement[datetime]:
    """The time leases are measured by: the database's clock.

    PostgreSQL's `statement_timestamp()` is one clock for every process. SQLite runs
    inside the one process that uses it (one bot per SQLite file), so its clock is that
    process's real clock, read when the statement is built; never the bot's injected
    clock, which tests move by hours.
    """
    if is_postgresql(session):
        clock = type_coerce(func.statement_timestamp(), UTCDateTime)
        return clock + plus if plus else clock
    return literal(datetime.now(UTC) + plus, UTCDateTime)


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    template: str,
    language: str,
    send_at: datetime,
    params: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    participant_id: int | None = None,
    staff_id: int | None = None,
    followup_id: int | None = None,
    now: datetime,
) -> None:
    """Add a message to send at `send_at`; a repeated `dedupe_key` adds nothing."""
    values = {
        "chat_id": chat_id, "template": template, "language": language, "send_at": send_at,
        "params": json.dumps(params or {}, ensure_ascii=False, sort_keys=True),
        "status": OutboxStatus.PENDING, "attempts": 0, "dedupe_key": dedupe_key,
        "participant_id": participant_id, "staff_id": staff_id, "followup_id": followup_id,
        "created_at": now,
    }
    insert = pg_insert if is_postgresql(session) else sqlite_insert
    statement = insert(_table).values(**values)
    if dedupe_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    await session.exec(statement)


async def enqueue_for_staff(
    session: AsyncSession, staff: Staff, *, default_language: str, **message: Any
) -> None:
    """`enqueue` to a staff member's chat, in their language (else `default_language`);
    `message` is the rest of `enqueue`'s keywords (template, send_at, params, …, now)."""
    await enqueue(session, chat_id=staff.telegram_user_id, staff_id=staff.id,
                  language=staff.language or default_language, **message)


async def claim_due(
    session: AsyncSession, *, now: datetime, worker: str, lease: timedelta, limit: int
) -> list[OutboundMessage]:
    """Atomically take up to `limit` due rows (and rows whose lease ran out) for `worker`.

    Due-ness follows the bot's clock (`now`: tests move it); leases the database's.
    """
    clock = _lease_clock(session)
    due = or_(
        and_(_table.c.status == OutboxStatus.PENDING, _table.c.send_at <= now),
        and_(_table.c.status == OutboxStatus.SENDING, _table.c.lease_until < clock),
    )
    candidates = select(_table.c.id).where(due).order_by(_table.c.send_at, _table.c.id).limit(limit)
    if is_postgresql(session):
        candidates = candidates.with_for_update(skip_locked=True)
    statement = (
        update(_table)
        .where(_table.c.id.in_(candidates.scalar_subquery()), due)
        .values(status=OutboxStatus.SENDING, claimed_by=worker,
                lease_until=_lease_clock(session, lease),
                attempts=_table.c.attempts + 1)
        .returning(*_table.c)
    )
    result = await session.exec(statement)
    claimed = _messages(result)
    return sorted(claimed, key=lambda row: (row.send_at, row.id or 0))


async def _set(session: AsyncSession, row_id: int, worker: str, **values: Any) -> bool:
    """Update a claimed row only if this worker still holds it (a lost lease changes nothing)."""
    result = await session.exec(
        update(_table)
        .where(_table.c.id == row_id, _table.c.claimed_by == worker,
               _table.c.status == OutboxStatus.SENDING)
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def fence(session: AsyncSession, row_ids: Sequence[int], worker: str, *,
                lease: timedelta) -> set[int]:
    """Renew the lease of the rows `worker` still holds with a lease not yet run out.

    Returns those rows' ids: only they may be sent now. A row missing from the answer
    was taken over (its lease ran out and another worker claimed it, or it may be
    claimed any moment): sending it could send it twice.
    """
    if not row_ids:
        return set()
    clock = _lease_clock(session)
    result = await session.exec(
        update(_table)
        .where(_table.c.id.in_(list(row_ids)), _table.c.claimed_by == worker,
               _table.c.status == OutboxStatus.SENDING, _table.c.lease_until > clock)
        .values(lease_until=_lease_clock(session, lease))
        .returning(_table.c.id)
    )
    return {row_id for (row_id,) in result.all()}


async def mark_sent(session: AsyncSession, row_id: int, worker: str, *, now: datetime,
                    message_id: int | None = None) -> bool:
    return await _set(session, row_id, worker, status=OutboxStatus.SENT, sent_at=now,
                      lease_until=None, last_error=None, message_id=message_id)


async def mark_retry(session: AsyncSession, row_id: int, worker: str, *, send_at: datetime,
                     error: str, useful_until: datetime | None = None,
                     count_attempt: bool = True) -> bool:
    """Pending again at `send_at`; `useful_until` is kept once set (the first failure's)."""
    values: dict[str, Any] = {"status": OutboxStatus.PENDING, "send_at": send_at,
                              "lease_until": None, "last_error": error[:500]}
    if useful_until is not None:
        values["useful_until"] = func.coalesce(_table.c.useful_until, useful_until)
    if not count_attempt:
        # Telegram asked us to wait (429): that is pacing, not a failed attempt.
        values["attempts"] = _table.c.attempts - 1
    return await _set(session, row_id, worker, **values)


async def postpone(session: AsyncSession, row_id: int, worker: str, *,
                   send_at: datetime) -> bool:
    """Give a claimed row back, due at `send_at` (its chat is not free yet): not an attempt."""
    return await _set(session, row_id, worker, status=OutboxStatus.PENDING, send_at=send_at,
                      lease_until=None, attempts=_table.c.attempts - 1)


async def mark_failed(session: AsyncSession, row_id: int, worker: str, *, error: str) -> bool:
    return await _set(session, row_id, worker, status=OutboxStatus.FAILED, lease_until=None,
                      last_error=error[:500])


async def mark_expired(session: AsyncSession, row_id: int, worker: str, *, error: str) -> bool:
    """No longer useful (the appointment passed, a notice is a day old) and still unsent."""
    return await _set(session, row_id, worker, status=OutboxStatus.EXPIRED, lease_until=None,
                      last_error=error[:500])


async def mark_skipped(session: AsyncSession, row_id: int, worker: str, *, reason: str) -> bool:
    return await _set(session, row_id, worker, status=OutboxStatus.SKIPPED, lease_until=None,
                      last_error=reason[:500])


async def cancel_pending(
    session: AsyncSession, *, followup_id: int | None = None, participant_id: int | None = None,
    templates: Sequence[str] | None = None,
) -> int:
    """Cancel rows not yet sent for a follow-up or a participant (e.g. moved, stopped)."""
    conditions = [_table.c.status == OutboxStatus.PENDING]
    if followup_id is not None:
        conditions.append(_table.c.followup_id == followup_id)
    if participant_id is not None:
        conditions.append(_table.c.participant_id == participant_id)
    if templates is not None:
        conditions.append(_table.c.template.in_(list(templates)))
    result = await session.exec(
        update(_table).where(*conditions).values(status=OutboxStatus.CANCELLED))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    result = await session.exec(
        select(_table.c.status, func.count()).group_by(_table.c.status))
    return {status: count for status, count in result.all()}


async def answer_buttons_to_retire(
    session: AsyncSession, followup_id: int, *, templates: Sequence[str], before: datetime,
) -> list[OutboundMessage]:
    """Sent messages of a follow-up (of `templates`, sent before `before`) whose answer
    buttons are still live in the chat: a change to the follow-up retires them."""
    query = (sqlmodel_select(OutboundMessage)
             .where(OutboundMessage.followup_id == followup_id,
                    col(OutboundMessage.template).in_(list(templates)),
                    OutboundMessage.status == OutboxStatus.SENT,
                    col(OutboundMessage.message_id).is_not(None),
                    col(OutboundMessage.buttons_retired_at).is_(None),
                    col(OutboundMessage.sent_at) <= before)
             .order_by(col(OutboundMessage.id)))
    return list((await session.exec(query)).all())


async def mark_buttons_retired(session: AsyncSession, row_ids: Sequence[int], *,
                               now: datetime) -> None:
    if row_ids:
        await session.exec(update(_table).where(_table.c.id.in_(list(row_ids)))
                           .values(buttons_retired_at=now))


async def skip_stale(
    session: AsyncSession, *, before: datetime, now: datetime
) -> list[OutboundMessage]:
    """Mark pending rows due before `before` as skipped (too late to be useful); return them."""
    statement = (
        update(_table)
        .where(_table.c.status == OutboxStatus.PENDING, _table.c.send_at < before)
        .values(status=OutboxStatus.SKIPPED, last_error=f"stale at start-up {now.isoformat()}")
        .returning(*_table.c)
    )
    return _messages(await session.exec(statement))


def _messages(result: Any) -> list[OutboundMessage]:
    """Rows of an UPDATE … RETURNING as OutboundMessage objects."""
    return [OutboundMessage.model_validate(dict(row._mapping)) for row in result]


async def release(session: AsyncSession, row_ids: Sequence[int], worker: str) -> int:
    """Give back claimed rows this worker will not send (shutdown): pending again, at once."""
    if not row_ids:
        return 0
    result = await session.exec(
        update(_table)
        .where(_table.c.id.in_(list(row_ids)), _table.c.claimed_by == worker,
               _table.c.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.PENDING, lease_until=None, attempts=_table.c.attempts - 1)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def problem_counts(session: AsyncSession, *, since: datetime | None = None
                         ) -> dict[str, int]:
    """Rows that will never be sent, by status (failed, expired); last tried since `since`."""
    conditions = [_table.c.status.in_(list(PROBLEM_STATUSES))]
    if since is not None:
        conditions.append(_table.c.send_at >= since)
    result = await session.exec(
        select(_table.c.status, func.count()).where(*conditions).group_by(_table.c.status))
    counts = {str(status): 0 for status in PROBLEM_STATUSES}
    counts.update({str(status): int(count) for status, count in result.all()})
    return counts


async def health_counts(session: AsyncSession, *, now: datetime) -> dict[str, object]:
    """Pending rows, how overdue the oldest one is, and rows that failed or expired (for
    /healthz: all of them, and those of the last day)."""
    pending = _table.c.status == OutboxStatus.PENDING
    result = await session.exec(
        select(func.count(), func.min(_table.c.send_at)).where(pending, _table.c.send_at <= now))
    due, oldest = result.one()
    overdue = (now - oldest).total_seconds() if oldest is not None else 0.0
    total = await problem_counts(session)
    recent = await problem_counts(session, since=now - timedelta(days=1))
    return {"due": int(due), "oldest_due_seconds": round(overdue, 1), **total,
            **{f"{status}_last_day": count for status, count in recent.items()}}
