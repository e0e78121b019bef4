"""Participant queries: register, look up within scope, caseload, status changes, ending."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from functools import lru_cache

from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.access import Viewer
from storage.access import participant_scope
from storage.errors import InvalidValue
from storage.errors import ParticipantEnded
from storage.errors import ParticipantNotFound
from storage.models import CheckIn
from storage.models import Gender
from storage.models import Invite
from storage.models import Outcome
from storage.models import Participant
from storage.models import Staff
from storage.models import Status
from storage.models import SubsidyType
from storage.municipalities import SWEDEN
from storage.municipalities import Municipalities

NAME_MAX = 120
MUNICIPALITY_MAX = 80
# "P-0123", "p123", "p 123" — and the number alone ("0123", "123"), as people say it.
# ASCII digits only (`\d` also matches `٣` and `４`): `P-٣` is no participant's code.
_CODE_RE = re.compile(r"^\s*(?:p\s*-?\s*)?0*([0-9]{1,9})\s*$", re.IGNORECASE)


def code_for(participant_id: int) -> str:
    return f"P-{participant_id:04d}"


def normalize_code(text: str) -> str | None:
    """`p42`, `P-0042`, `p 42`, `0042`, `42` → `P-0042`; anything else → None."""
    match = _CODE_RE.match(text)
    if not match:
        return None
    return code_for(int(match.group(1)))


@dataclass(frozen=True, slots=True)
class CaseloadRow:
    participant: Participant
    last_checkin_at: datetime | None
    invited_not_joined: bool = False
    """An invitation is open but the participant has not pressed Start yet."""
    coordinator: str = ""
    """The coordinator's name (lists over more than one caseload show it)."""
    coordinator_active: bool = True
    """False: the coordinator was deactivated and nobody has taken the participant over."""


@dataclass(frozen=True, slots=True)
class NoCheckIn:
    """Narrows a caseload to whoever has had no check-in from `since` on, or none ever
    (`since=None`).

    Callers pass `since` as the start of the project's local day (or a moment), never a
    UTC date. Someone never checked in counts however recently enrolled, unless
    `enrolled_by` is given: then only if enrolled on or before that day ("without a
    check-in for three weeks or more" is not true of someone enrolled last week).
    """

    since: datetime | None = None
    enrolled_by: date | None = None

    def condition(self, last_at: ColumnElement[datetime | None]) -> ColumnElement[bool]:
        never: ColumnElement[bool] = last_at.is_(None)
        if self.enrolled_by is not None:
            never = and_(never, col(Participant.enrolled_on) <= self.enrolled_by)
        if self.since is None:
            return never
        return or_(last_at < self.since, never)


def _visible(viewer: Viewer):
    return select(Participant).where(participant_scope(viewer))


@lru_cache(maxsize=1024)
def _visible_one(viewer: Viewer, key: str):
    """One participant within the viewer's scope, by `key` (`code` or `id`, given as the
    `:key` parameter). Built once per viewer and key: SQLAlchemy memoizes a statement's
    cache key on the statement object, so reusing it spares rebuilding the query and its
    key on every lookup (the path of nearly every command). A Viewer is immutable and is
    the whole scope: a changed role or municipality is another Viewer, another entry."""
    return _visible(viewer).where(getattr(Participant, key) == bindparam("key"))


async def visible_participant(session: AsyncSession, viewer: Viewer, code: str) -> Participant:
    """The participant with this code if the viewer may see it; otherwise ParticipantNotFound."""
    normalized = normalize_code(code)
    if normalized is None:
        raise ParticipantNotFound(code=code)
    result = await session.exec(_visible_one(viewer, "code"), params={"key": normalized})
    participant = result.first()
    if participant is None:
        raise ParticipantNotFound(code=normalized)
    return participant


async def visible_participant_by_id(
    session: AsyncSession, viewer: Viewer, participant_id: int
) -> Participant:
    result = await session.exec(_visible_one(viewer, "id"), params={"key": participant_id})
    participant = result.first()
    if participant is None:
        raise ParticipantNotFound(code=code_for(participant_id))
    return participant


def _clean_text(value: str, *, field: str, max_length: int) -> str:
    value = " ".join(value.split())
    if not value or len(value) > max_length:
        raise InvalidValue(field=field)
    return value


async def register_participant(
    session: AsyncSession,
    viewer: Viewer,
    *,
    display_name: str,
    municipality: str,
    gender: Gender,
    language: str,
    enrolled_on: date,
    now: datetime,
    municipalities: Municipalities = SWEDEN,
    coordinator_id: int | None = None,
    audit_action: str = "participant.add",
) -> Participant:
    """Register a participant in the caller's caseload (or `coordinator_id`'s, for an
    import) and give them a public code. The municipality must be one of the project's
    (MunicipalityUnknown, with close suggestions, if not)."""
    participant = Participant(
        # A unique placeholder until the id is known; replaced in the same transaction.
        code=f"~{uuid.uuid4().hex[:16]}",
        display_name=_clean_text(display_name, field="name", max_length=NAME_MAX),
        municipality=municipalities.require(
            _clean_text(municipality, field="municipality", max_length=MUNICIPALITY_MAX)).name,
        gender=gender,
        language=language,
        coordinator_id=viewer.staff_id if coordinator_id is None else coordinator_id,
        enrolled_on=enrolled_on,
        status=Status.ACTIVE,
        created_at=now,
        updated_at=now,
    )
    session.add(participant)
    await session.flush()
    assert participant.id is not None
    participant.code = code_for(participant.id)
    session.add(participant)
    if audit_action:
        audit.record(session, actor_staff_id=viewer.staff_id, action=audit_action,
                     target=participant.code, at=now)
    return participant


def _active_caseload(viewer: Viewer, *, own: bool) -> tuple[ColumnElement[bool], ...]:
    """Not ended, within the viewer's scope, and (`own`) coordinated by the viewer."""
    return (participant_scope(viewer),
            Participant.coordinator_id == viewer.staff_id if own else true(),
            Participant.status != Status.ENDED)


async def caseload(
    session: AsyncSession, viewer: Viewer, *, now: datetime, offset: int = 0, limit: int = 10,
    own: bool = True, status: Status | None = None, municipality: str | None = None,
    no_checkin: NoCheckIn | None = None, names: Sequence[str] | None = None,
) -> tuple[list[CaseloadRow], int]:
    """The viewer's own active caseload, least recently seen first (never-seen first of all).

    With `own=False`, every active participant the viewer may see (a lead's question
    without "my", the digest). `status`, `municipality`, `no_checkin` (who has had no
    check-in since a day) and `names` (display names, exactly) narrow it; the total counts
    what is left.
    """
    last_seen = (
        select(CheckIn.participant_id, func.max(CheckIn.happened_at).label("last_at"))
        .group_by(col(CheckIn.participant_id))
        .subquery()
    )
    mine = (
        *_active_caseload(viewer, own=own),
        Participant.status == status if status is not None else true(),
        Participant.municipality == municipality if municipality is not None else true(),
        no_checkin.condition(last_seen.c.last_at) if no_checkin is not None else true(),
        col(Participant.display_name).in_(names) if names is not None else true(),
    )
    counted = (select(func.count()).select_from(Participant)
               .outerjoin(last_seen, last_seen.c.participant_id == Participant.id))
    total = (await session.exec(counted.where(*mine))).one()
    open_invite = (
        select(Invite.id)
        .where(Invite.participant_id == Participant.id, col(Invite.used_at).is_(None),
               col(Invite.revoked_at).is_(None), Invite.expires_at > now)
        .exists()
    )
    query = (
        select(Participant, last_seen.c.last_at, open_invite, Staff.name, Staff.active)
        .outerjoin(last_seen, last_seen.c.participant_id == Participant.id)
        .join(Staff, col(Staff.id) == Participant.coordinator_id)
        .where(*mine)
        .order_by(last_seen.c.last_at.is_not(None), last_seen.c.last_at, Participant.id)
        .offset(offset)
        .limit(limit)
    )
    rows = [CaseloadRow(p, last_at, bool(invited) and p.chat_id is None, name, active)
            for p, last_at, invited, name, active in (await session.exec(query)).all()]
    return rows, total


async def caseload_names(session: AsyncSession, viewer: Viewer) -> list[str]:
    """The display names in the viewer's own active caseload, to match a typed name
    against (then `caseload(names=…)` reads the participants)."""
    query = (select(Participant.display_name)
             .where(*_active_caseload(viewer, own=True))
             .group_by(col(Participant.display_name)))
    return list((await session.exec(query)).all())


async def participants_for_picker(
    session: AsyncSession, viewer: Viewer, *, limit: int = 8, offset: int = 0
) -> Sequence[Participant]:
    """Own not-ended participants, most recently touched first: the likely next pick
    (`offset` pages through the rest).

    Touched: the row changed (`updated_at`) or a check-in with them was logged, whichever
    is later. Read here, not written by every /log: a check-in leaves the participant's
    row alone (one statement less on the path people use most).
    """
    last_checkin = (select(func.max(CheckIn.happened_at))
                    .where(CheckIn.participant_id == Participant.id)
                    .correlate(Participant).scalar_subquery())
    touched = case((last_checkin > Participant.updated_at, last_checkin),
                   else_=Participant.updated_at)
    query = (
        _visible(viewer)
        .where(Participant.coordinator_id == viewer.staff_id, Participant.status != Status.ENDED)
        .order_by(touched.desc(), col(Participant.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return (await session.exec(query)).all()


async def find_participants(
    session: AsyncSession, viewer: Viewer, text: str, *, limit: int = 20
) -> Sequence[Participant]:
    """By code, or by part of a name (case-insensitive), within what the viewer may see."""
    text = " ".join(text.split())
    if not text:
        return []
    conditions = [func.lower(Participant.display_name).contains(text.lower(), autoescape=True)]
    code = normalize_code(text)
    if code:
        conditions.append(Participant.code == code)
    query = _visible(viewer).where(or_(*conditions)).order_by(Participant.id).limit(limit)
    return (await session.exec(query)).all()


async def change_status(
    session: AsyncSession, viewer: Viewer, code: str, status: Status, *, now: datetime
) -> Participant:
    if status == Status.ENDED:
        raise InvalidValue(field="status")
    participant = await visible_participant(session, viewer, code)
    if participant.is_ended:
        raise ParticipantEnded(code=participant.code)
    apply_status(session, viewer, participant, status, now=now)
    return participant


def apply_status(
    session: AsyncSession, viewer: Viewer, participant: Participant, status: Status, *,
    now: datetime,
) -> None:
    previous = participant.status
    participant.status = status
    participant.updated_at = now
    session.add(participant)
    audit.record(
        session, actor_staff_id=viewer.staff_id, action="participant.status",
        target=participant.code, at=now, previous=str(previous), status=str(status),
    )


async def end_participant(
    session: AsyncSession,
    viewer: Viewer,
    code: str,
    outcome: Outcome,
    *,
    ended_on: date,
    now: datetime,
    subsidy_type: SubsidyType | None = None,
    gained_qualification: bool | None = None,
) -> Participant:
    """End a participation with its outcome and, optionally, the end details ESF+ asks for:
    the kind of subsidised job (only with `subsidised`) and whether a qualification was
    gained (None = not known)."""
    participant = await visible_participant(session, viewer, code)
    if participant.is_ended:
        raise ParticipantEnded(code=participant.code)
    if ended_on < participant.enrolled_on:
        raise InvalidValue(field="ended_on")
    if subsidy_type is not None and outcome != Outcome.SUBSIDISED:
        raise InvalidValue(field="subsidy_type")
    participant.status = Status.ENDED
    participant.outcome = outcome
    participant.ended_on = ended_on
    if subsidy_type is not None:
        participant.subsidy_type = subsidy_type
    if gained_qualification is not None:
        participant.gained_qualification = gained_qualification
    participant.updated_at = now
    session.add(participant)
    audit.record(
        session, actor_staff_id=viewer.staff_id, action="participant.end",
        target=participant.code, at=now, outcome=str(outcome), ended_on=ended_on.isoformat(),
        subsidy_type=subsidy_type and str(subsidy_type), qualification=gained_qualification,
    )
    return participant


async def known_municipalities(session: AsyncSession, viewer: Viewer) -> list[str]:
    """Municipalities already in use within the viewer's scope, for quick-pick buttons."""
    if viewer.municipalities:
        return sorted(viewer.municipalities)
    query = (
        select(Participant.municipality)
        .where(participant_scope(viewer))
        .group_by(col(Participant.municipality))
        .order_by(func.count().desc())
        .limit(6)
    )
    return sorted((await session.exec(query)).all())


async def set_participant_language(
    session: AsyncSession, participant_id: int, language: str, *, now: datetime
) -> Participant:
    participant = await session.get(Participant, participant_id)
    if participant is None:
        raise ParticipantNotFound(code=code_for(participant_id))
    participant.language = language
    participant.updated_at = now
    session.add(participant)
    audit.record(session, actor_staff_id=None, action="participant.language",
                 target=participant.code, at=now, language=language)
    return participant


async def stop_messages(session: AsyncSession, participant_id: int, *, now: datetime,
                        reason: str) -> Participant | None:
    """The participant withdrew (/stop) or cannot be reached: no more messages to them.

    Returns the participant if this changed anything (so the coordinator is told once).
    """
    from storage.outbox import cancel_pending

    participant = await session.get(Participant, participant_id)
    if participant is None:
        return None
    already = participant.stopped_at if reason == "stopped" else participant.unreachable_at
    if already is not None:
        return None
    if reason == "stopped":
        participant.stopped_at = now
    else:
        participant.unreachable_at = now
    participant.updated_at = now
    session.add(participant)
    await cancel_pending(session, participant_id=participant_id)
    audit.record(session, actor_staff_id=None, action=f"participant.{reason}",
                 target=participant.code, at=now)
    return participant


async def active_caseloads(session: AsyncSession, viewer: Viewer) -> list[tuple[Staff, int]]:
    """Staff with active (not ended) participants the viewer can see, and how many."""
    query = (select(Staff, func.count(col(Participant.id)))
             .join(Participant, col(Participant.coordinator_id) == col(Staff.id))
             .where(participant_scope(viewer), Participant.status != Status.ENDED)
             .group_by(col(Staff.id))
             .order_by(col(Staff.name)))
    return [(staff, int(count)) for staff, count in (await session.exec(query)).all()]


async def hand_over(
    session: AsyncSession, viewer: Viewer, *, from_staff: Staff, to_staff: Staff,
    codes: list[str] | None, now: datetime,
) -> list[str]:
    """Move participants (all of `from_staff`'s, or the given codes) to `to_staff`.

    Their upcoming follow-ups and pending staff notices move too; each move is audited.
    Ended participants move as well while an outcome follow-up of theirs is unanswered
    (with its pending task): the task's new reader must be able to log the answer.
    """
    from sqlalchemy import update

    from storage.models import FollowUp
    from storage.models import OutboundMessage
    from storage.models import OutboxStatus
    from storage.models import OutboxTemplate
    from storage.models import OutcomeFollowUp

    if not to_staff.active or to_staff.id == from_staff.id:
        raise InvalidValue(field="staff")
    outcome_open = (select(OutcomeFollowUp.participant_id)
                    .where(col(OutcomeFollowUp.answered_at).is_(None)))
    query = _visible(viewer).where(
        Participant.coordinator_id == from_staff.id,
        (Participant.status != Status.ENDED) | col(Participant.id).in_(outcome_open))
    if codes is not None:
        normalized = [normalize_code(code) for code in codes]
        if None in normalized:
            raise ParticipantNotFound(code=codes[normalized.index(None)])
        query = query.where(col(Participant.code).in_(normalized))
    moving = (await session.exec(query.order_by(Participant.id))).all()
    # Compared with the normalised codes: "P-0001 p1" names one participant, not two.
    if codes is not None and len(moving) != len(set(normalized)):
        found = {p.code for p in moving}
        missing = next(c for c in normalized if c not in found)
        raise ParticipantNotFound(code=missing)
    ids = [p.id for p in moving]
    for participant in moving:
        participant.coordinator_id = to_staff.id  # type: ignore[assignment]
        participant.updated_at = now
        session.add(participant)
        audit.record(session, actor_staff_id=viewer.staff_id, action="participant.handover",
                     target=participant.code, at=now, from_staff=from_staff.id,
                     to_staff=to_staff.id)
    if ids:
        upcoming = select(FollowUp.id).where(col(FollowUp.participant_id).in_(ids),
                                             FollowUp.due_at > now)
        await session.exec(update(FollowUp).where(col(FollowUp.id).in_(upcoming))
                           .values(coordinator_id=to_staff.id))
        await session.exec(
            update(OutboundMessage)
            .where(col(OutboundMessage.followup_id).in_(upcoming),
                   OutboundMessage.staff_id == from_staff.id,
                   OutboundMessage.status == OutboxStatus.PENDING)
            .values(staff_id=to_staff.id, chat_id=to_staff.telegram_user_id,
                    language=to_staff.language or "sv"))
        # The outcome tasks are not tied to a follow-up row: found by their follow-up.
        tasks = (select(OutboundMessage.id, OutboundMessage.params)
                 .where(OutboundMessage.template == OutboxTemplate.OUTCOME_TASK,
                        OutboundMessage.staff_id == from_staff.id,
                        OutboundMessage.status == OutboxStatus.PENDING))
        outcome_ids = set((await session.exec(
            select(OutcomeFollowUp.id).where(col(OutcomeFollowUp.participant_id).in_(ids)))).all())
        moving_tasks = [row_id for row_id, params in (await session.exec(tasks)).all()
                        if json.loads(params or "{}").get("followup") in outcome_ids]
        if moving_tasks:
            await session.exec(
                update(OutboundMessage).where(col(OutboundMessage.id).in_(moving_tasks))
                .values(staff_id=to_staff.id, chat_id=to_staff.telegram_user_id,
                        language=to_staff.language or "sv"))
    return [p.code for p in moving]
