"""Audit log: who did what, when, to which target. Written in the same transaction as the change."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditLog


def record(
    session: AsyncSession,
    *,
    actor_staff_id: int | None,
    action: str,
    target: str | None,
    at: datetime,
    **details: object,
) -> None:
    """Add an audit row to the session's transaction (committed with the change itself)."""
    session.add(
        AuditLog(
            at=at,
            actor_staff_id=actor_staff_id,
            action=action,
            target=target,
            details=json.dumps(details, ensure_ascii=False, default=str, sort_keys=True),
        )
    )


async def recent_entries(session: AsyncSession, *, limit: int = 50) -> Sequence[AuditLog]:
    result = await session.exec(
        select(AuditLog).order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc()).limit(limit)
    )
    return result.all()
