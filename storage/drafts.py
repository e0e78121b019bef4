"""Guided-flow drafts: where each person stands in a flow, one row per person.

The flow engine (`handlers/kit/flows.py`) owns what a draft means; this module only keeps
the row: read it (a stale one reads as none), start a run, save a step, end it. The draft
itself is JSON text the engine encodes; storage never looks inside.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FlowDraft

DRAFT_TTL = timedelta(hours=24)
"""A flow left alone this long is over: tomorrow's typed text is not yesterday's answer."""
RUN_MAX = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Draft:
    """A person's place in a flow, as read (detached from any session)."""

    flow: str
    step: int
    run: int
    data: str
    prompt_message_id: int | None
    first_step: int = 0


async def current_draft(session: AsyncSession, telegram_user_id: int, *,
                        now: datetime) -> Draft | None:
    """The person's flow, or None when there is none or it is older than DRAFT_TTL."""
    row = await session.get(FlowDraft, telegram_user_id)
    if row is None or row.updated_at < now - DRAFT_TTL:
        return None
    return Draft(row.flow, row.step, row.run, row.data, row.prompt_message_id, row.first_step)


async def start_draft(session: AsyncSession, telegram_user_id: int, *, flow: str, step: int,
                      data: str, now: datetime) -> Draft:
    """A new run of `flow` for the person, replacing whatever flow they were in."""
    run = secrets.randbelow(RUN_MAX) + 1
    row = await session.get(FlowDraft, telegram_user_id)
    if row is None:
        row = FlowDraft(telegram_user_id=telegram_user_id, flow=flow, step=step,
                        first_step=step, run=run, data=data, updated_at=now)
        session.add(row)
    else:
        row.flow, row.step, row.first_step, row.run, row.data = flow, step, step, run, data
        row.prompt_message_id, row.updated_at = None, now
    return Draft(flow, step, run, data, None, step)


async def save_draft(session: AsyncSession, telegram_user_id: int, draft: Draft, *,
                     now: datetime) -> None:
    """The person moved on within the same run (a later step, more of the draft)."""
    row = await session.get(FlowDraft, telegram_user_id)
    if row is None or row.run != draft.run:
        return  # another run replaced it meanwhile: the newer flow wins
    row.step, row.data, row.prompt_message_id = draft.step, draft.data, draft.prompt_message_id
    row.updated_at = now


async def end_draft(session: AsyncSession, telegram_user_id: int) -> None:
    await session.exec(delete(FlowDraft).where(  # type: ignore[call-overload]
        col(FlowDraft.telegram_user_id) == telegram_user_id))


async def end_run(session: AsyncSession, telegram_user_id: int, run: int) -> None:
    """End the person's flow if it is still this run (a finish may have started another)."""
    await session.exec(delete(FlowDraft).where(  # type: ignore[call-overload]
        col(FlowDraft.telegram_user_id) == telegram_user_id, col(FlowDraft.run) == run))


async def purge(session: AsyncSession, *, now: datetime) -> None:
    """Delete drafts older than DRAFT_TTL (the daily planner): what someone typed into a
    flow they left is not kept beyond a day."""
    await session.exec(delete(FlowDraft).where(  # type: ignore[call-overload]
        col(FlowDraft.updated_at) < now - DRAFT_TTL))


async def end_all(session: AsyncSession) -> None:
    """End every flow in progress (an erasure: a draft may name the erased participant,
    and a draft is JSON no query can search by participant)."""
    await session.exec(delete(FlowDraft))  # type: ignore[call-overload]
