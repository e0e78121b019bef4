"""What an export contains: the rows behind the statistics, for the funder's spreadsheets.

Kept apart from `storage.stats` (which only counts) because an export hands out rows
about people, and two rules apply to every export path here, not in the handlers:

- **Names.** Exports leave the system (they are mailed to funders and municipalities),
  so personal names, and the free-text check-in notes that often contain them, are
  included only for roles with `Action.EXPORT_NAMES`: coordinators (their own caseload,
  the people they work with by name) and admins (the system owner, who answers data
  subject requests). Project leads get participant codes only, which is what funder
  reporting needs.
- **Protected identities** (skyddad identitet) are left out of the rows, and counted;
  the summary figures still include them (they identify nobody).
- **Audit.** Every export writes an AuditLog row in the same transaction that reads
  the data: who, which format, which filter, how many rows, whether names were in it.

The period and filters mean what they mean in `storage.stats`: participants who were in
the project during the period, check-ins that happened in it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any
from typing import Literal

from sqlalchemy import Row
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.access import Action
from storage.access import Viewer
from storage.access import can
from storage.models import CheckIn
from storage.models import Participant
from storage.models import Staff
from storage.stats import Breakdown
from storage.stats import Figures
from storage.stats import StatsFilter
from storage.stats import breakdown
from storage.stats import checkins_during
from storage.stats import during
from storage.stats import execute
from storage.stats import narrowing

ExportKind = Literal["xlsx", "csv"]
STREAM_PARTITION = 2_000
EXPORT_KINDS: tuple[ExportKind, ...] = ("xlsx", "csv")

_p = Participant.__table__.c  # type: ignore[attr-defined]
_c = CheckIn.__table__.c  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ParticipantExportRow:
    code: str
    name: str | None
    """None unless the viewer may export names."""
    municipality: str
    gender: str
    language: str
    coordinator: str
    enrolled_on: date
    status: str
    ended_on: date | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class CheckInExportRow:
    code: str
    happened_at: datetime
    channel: str
    author: str
    status_change: str | None
    note: str | None
    """None unless the viewer may export names (notes are personal)."""


@dataclass(frozen=True, slots=True)
class ExportData:
    with_names: bool
    participants: list[ParticipantExportRow]
    checkins: list[CheckInExportRow]
    """Empty for a CSV export (one table only)."""
    summary: Breakdown | None
    """Figures per municipality with totals; None for a CSV export."""
    left_out: int = 0
    """Participants with a protected identity, left out of the rows (never of the figures)."""

    @property
    def figures(self) -> Figures | None:
        return self.summary.total if self.summary else None


async def export_data(
    session: AsyncSession, viewer: Viewer, flt: StatsFilter, *, kind: ExportKind, now: datetime
) -> ExportData:
    """The rows for an export of `kind`, audit-logged in the caller's transaction."""
    if kind not in EXPORT_KINDS:
        raise ValueError(f"unknown export kind {kind!r}")
    with_names = can(viewer, Action.EXPORT_NAMES)
    participants = await _participant_rows(session, viewer, flt, with_names)
    checkins: list[CheckInExportRow] = []
    summary = None
    if kind == "xlsx":
        checkins = await _checkin_rows(session, viewer, flt, with_names)
        summary = await breakdown(session, viewer, flt, "municipality")
    left_out = (await execute(session, select(func.count()).select_from(
        Participant.__table__).where(  # type: ignore[attr-defined]
        *narrowing(viewer, flt), during(flt), _p.protected_identity.is_(True)))).scalar_one()
    audit.record(
        session, actor_staff_id=viewer.staff_id, action=f"export.{kind}", target=None, at=now,
        start=flt.start, end=flt.end, municipality=flt.municipality,
        coordinator_id=flt.coordinator_id, gender=flt.gender, names=with_names,
        participants=len(participants), checkins=len(checkins), left_out=left_out,
    )
    return ExportData(with_names, participants, checkins, summary, int(left_out))


async def _participant_rows(
    session: AsyncSession, viewer: Viewer, flt: StatsFilter, with_names: bool
) -> list[ParticipantExportRow]:
    coordinator = aliased(Staff)
    query = (select(_p.code, _p.display_name, _p.municipality, _p.gender, _p.language,
                    coordinator.name, _p.enrolled_on, _p.status, _p.ended_on, _p.outcome)
             .join(coordinator, coordinator.id == _p.coordinator_id)
             .where(*narrowing(viewer, flt), during(flt), _p.protected_identity.is_(False))
             .order_by(_p.id))
    return [ParticipantExportRow(code, name if with_names else None, *rest)
            async for code, name, *rest in _streamed(session, query)]


async def _checkin_rows(
    session: AsyncSession, viewer: Viewer, flt: StatsFilter, with_names: bool
) -> list[CheckInExportRow]:
    author = aliased(Staff)
    query = (select(_p.code, _c.happened_at, _c.channel, author.name, _c.status_change, _c.note)
             .select_from(CheckIn.__table__)
             .join(Participant.__table__, _p.id == _c.participant_id)
             .join(author, author.id == _c.author_id)
             .where(*narrowing(viewer, flt), *checkins_during(flt),
                    _p.protected_identity.is_(False))
             .order_by(_c.happened_at, _c.id))
    return [CheckInExportRow(code, happened_at, channel, name, status_change,
                             note if with_names else None)
            async for code, happened_at, channel, name, status_change, note
            in _streamed(session, query)]


async def _streamed(session: AsyncSession, query: Select[Any]) -> AsyncIterator[Row[Any]]:
    """The rows in partitions of `STREAM_PARTITION`, each its own fetch: a whole
    project's 100,000s of rows are turned into Python a slice at a time, and other
    people's updates run between slices instead of waiting for all of them."""
    result = await session.stream(query)
    async for partition in result.partitions(STREAM_PARTITION):
        for row in partition:
            yield row
        await asyncio.sleep(0)
