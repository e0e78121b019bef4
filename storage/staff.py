"""Staff queries: who works in the project, with which role and language."""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Callable
from collections.abc import Sequence
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy import inspect
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import Session
from sqlalchemy.orm import SessionTransaction
from sqlalchemy.orm import configure_mappers
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state
from sqlmodel import col
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.access import Action
from storage.access import Viewer
from storage.access import can
from storage.access import roles_viewer_may_add
from storage.errors import InvalidValue
from storage.errors import NotAllowed
from storage.errors import StaffAlreadyExists
from storage.errors import StaffAmbiguous
from storage.errors import StaffNotFound
from storage.models import Participant
from storage.models import Role
from storage.models import Staff
from storage.municipalities import SWEDEN
from storage.municipalities import Municipalities

NAME_MAX = 120
# Telegram user ids have at most 52 significant bits; a larger number is a typo and
# would overflow the BIGINT column.
TELEGRAM_ID_MAX = 2**52 - 1
TELEGRAM_ID = re.compile(r"[0-9]{1,16}")
"""A Telegram user id as typed: ASCII digits (`"²".isdigit()` is true, but `int("²")`
raises), short enough for a BIGINT column (`add_staff` checks TELEGRAM_ID_MAX)."""


async def staff_by_telegram_id(session: AsyncSession, telegram_user_id: int) -> Staff | None:
    result = await session.exec(select(Staff).where(Staff.telegram_user_id == telegram_user_id))
    return result.first()


async def active_staff_by_telegram_id(
    session: AsyncSession, telegram_user_id: int, *, cache: StaffCache | None = None
) -> Staff | None:
    """The active staff member with this Telegram id, or None (not staff, or deactivated).

    With a `cache` (the guard in front of every handler passes the application's) the
    answer may come without a query; the staff member is then a detached copy, as it
    would be after the session closed.
    """
    if cache is None:
        staff = await staff_by_telegram_id(session, telegram_user_id)
        return staff if staff is not None and staff.active else None
    engine = _engine_of(session)
    if engine is None:
        return await active_staff_by_telegram_id(session, telegram_user_id)
    found, values = cache.get(engine, telegram_user_id)
    if not found:
        generation = cache.generation
        staff = await active_staff_by_telegram_id(session, telegram_user_id)
        values = _columns_of(staff) if staff is not None else None
        cache.put(engine, telegram_user_id, values, generation)
    return _detached(values) if values is not None else None


# ---- the guard's cache: active staff by Telegram id -------------------------------------
STAFF_CACHE_SECONDS = 5.0
"""How long another process's staff change (e.g. `koordinator staff deactivate` run beside
the bot) may go unnoticed. Changes made in this process clear the cache when they commit."""


class StaffCache:
    """Active staff (or "not staff") by Telegram id, per engine, for `STAFF_CACHE_SECONDS`.

    Every update passes the guard, which asks who is writing; people who write often would
    cost a query each time. Any staff row written through a Session of this process (ORM
    objects or an ORM `update(Staff)`/`delete(Staff)`) empties the whole cache when its
    transaction ends, committed or not, so a deactivated member cannot act once the
    deactivation is committed (`watch` hooks the cache to the application's session
    maker; it is the application's, not the process's). Lookups started before that
    moment do not store what they read (the generation check): a read that raced the
    commit may have seen the old row. Changes made outside this process's Sessions
    (another process, raw SQL) are seen after at most `ttl` seconds.
    """

    def __init__(self, ttl: float = STAFF_CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic, limit: int = 10_000) -> None:
        self.ttl, self.clock, self.limit = ttl, clock, limit
        self.generation = 0
        # Per engine: two databases in one process (tests, `koordinator db copy`) never mix.
        self._by_engine: weakref.WeakKeyDictionary[
            Engine, dict[int, tuple[float, dict[str, Any] | None]]] = weakref.WeakKeyDictionary()

    def get(self, engine: Engine, telegram_user_id: int) -> tuple[bool, dict[str, Any] | None]:
        entries = self._by_engine.get(engine)
        entry = entries.get(telegram_user_id) if entries is not None else None
        if entry is None or entry[0] <= self.clock():
            return False, None
        return True, entry[1]

    def put(self, engine: Engine, telegram_user_id: int, values: dict[str, Any] | None,
            generation: int) -> None:
        if generation != self.generation or self.ttl <= 0:
            return  # a staff change committed while we read: what we read may be stale
        entries = self._by_engine.setdefault(engine, {})
        if len(entries) >= self.limit:  # strangers writing from many ids: stay bounded
            entries.clear()
        entries[telegram_user_id] = (self.clock() + self.ttl, values)

    def clear(self) -> None:
        self.generation += 1
        self._by_engine.clear()

    def watch(self, sessions: async_sessionmaker[Any]) -> None:
        """Empty this cache when a staff row is written through `sessions`' sessions.

        The listeners go on a Session subclass of this maker's own, never on SQLAlchemy's
        global `Session` class: two applications (or tests) in one process keep their own.
        """
        base = sessions.kw.get("sync_session_class") or sessions.class_.sync_session_class
        watched = type("StaffWatchedSession", (base,), {})
        event.listen(watched, "after_flush", self._note_flush)
        event.listen(watched, "do_orm_execute", self._note_statement)
        event.listen(watched, "after_transaction_end", self._change_ended)
        sessions.configure(sync_session_class=watched)

    def _note_flush(self, session: Session, _context: Any) -> None:
        if any(isinstance(obj, Staff)
               for group in (session.new, session.dirty, session.deleted) for obj in group):
            session.info[_STAFF_CHANGED] = True
            self.clear()

    def _note_statement(self, state: Any) -> None:
        if (state.is_update or state.is_delete or state.is_insert) and any(
                mapper.class_ is Staff for mapper in state.all_mappers):
            state.session.info[_STAFF_CHANGED] = True
            self.clear()

    def _change_ended(self, session: Session, transaction: SessionTransaction) -> None:
        # The outermost transaction only (after_commit also fires when a savepoint is
        # released, before the database commits), and after the database committed or
        # rolled back: from here on a lookup reads the row as it now is, and a lookup that
        # read it before started under an older generation and stores nothing.
        if transaction.parent is None and session.info.pop(_STAFF_CHANGED, False):
            self.clear()



_STAFF_CHANGED = "koordinator.staff_changed"


def _engine_of(session: AsyncSession) -> Engine | None:
    bind = session.bind
    return getattr(bind, "sync_engine", None)


def _columns_of(staff: Staff) -> dict[str, Any]:
    return {attribute.key: getattr(staff, attribute.key)
            for attribute in inspect(Staff).column_attrs}


def _detached(values: dict[str, Any]) -> Staff:
    """A fresh copy per update: handlers may change their `turn.staff` locally.

    Made the way the ORM makes a row it loads (the values were read from the database:
    no validation again, a tenth of `Staff(**values)`'s cost on every update), then
    detached, as it would be after its session closed."""
    configure_mappers()  # (done by any query before; a no-op then)
    staff = inspect(Staff).class_manager.new_instance()
    instance_state(staff).dict.update(values)
    make_transient_to_detached(staff)
    return staff


async def add_staff(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    name: str,
    role: Role,
    municipality: str | None,
    now: datetime,
    added_by: Viewer | None = None,
    language: str | None = None,
    municipalities: Municipalities = SWEDEN,
) -> Staff:
    """Add a staff member. `added_by=None` means the command line (the bootstrap path).
    A municipality (a lead's scope) must be one of the project's."""
    if added_by is not None and role not in roles_viewer_may_add(added_by):
        raise NotAllowed()
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise InvalidValue(field="name")
    if not 0 < telegram_user_id <= TELEGRAM_ID_MAX:
        raise InvalidValue(field="telegram_id")
    if await staff_by_telegram_id(session, telegram_user_id) is not None:
        raise StaffAlreadyExists(telegram_id=telegram_user_id)
    staff = Staff(
        telegram_user_id=telegram_user_id,
        name=name,
        role=role,
        municipality=scope_municipality(municipality, municipalities),
        language=language,
    )
    session.add(staff)
    await session.flush()
    audit.record(
        session,
        actor_staff_id=added_by.staff_id if added_by else None,
        action="staff.add",
        target=f"staff:{staff.id}",
        at=now,
        role=str(role),
    )
    return staff


def scope_municipality(typed: str | None, municipalities: Municipalities = SWEDEN) -> str | None:
    """A staff member's municipality as stored: None for none, else the official name."""
    typed = (typed or "").strip()
    return municipalities.require(typed).name if typed else None


def _existing(staff: Staff | None) -> Staff:
    if staff is None:
        raise StaffNotFound()
    return staff


def _save_change(session: AsyncSession, staff: Staff, *, action: str, actor_staff_id: int | None,
                 now: datetime, **details: object) -> Staff:
    """Write a change to a staff member together with its audit row."""
    session.add(staff)
    audit.record(session, actor_staff_id=actor_staff_id, action=action,
                 target=f"staff:{staff.id}", at=now, **details)
    return staff


async def set_staff_language(
    session: AsyncSession, staff_id: int, language: str, *, now: datetime
) -> None:
    staff = _existing(await session.get(Staff, staff_id))
    staff.language = language
    _save_change(session, staff, action="staff.language", actor_staff_id=staff_id, now=now,
                 language=language)


async def list_staff(session: AsyncSession, viewer: Viewer) -> Sequence[Staff]:
    if not can(viewer, Action.LIST_STAFF):
        raise NotAllowed()
    query = select(Staff).order_by(col(Staff.active).desc(), Staff.role, Staff.name)
    if viewer.role == Role.LEAD and viewer.municipalities:
        query = query.where(
            col(Staff.municipality).in_(viewer.municipalities) | col(Staff.municipality).is_(None)
        )
    return (await session.exec(query)).all()


async def set_staff_active(
    session: AsyncSession, telegram_user_id: int, active: bool, *, now: datetime
) -> Staff:
    staff = _existing(await staff_by_telegram_id(session, telegram_user_id))
    staff.active = active
    return _save_change(session, staff, action="staff.active", actor_staff_id=None, now=now,
                        active=active)


async def active_staff(session: AsyncSession) -> Sequence[Staff]:
    return (await session.exec(select(Staff).where(col(Staff.active).is_(True)))).all()


async def staff_by_reference(session: AsyncSession, reference: str) -> Staff:
    """A staff member by Telegram id or by a unique part of their name (case-insensitive)."""
    reference = reference.strip()
    if TELEGRAM_ID.fullmatch(reference):
        staff = await staff_by_telegram_id(session, int(reference))
        if staff is None:
            raise StaffNotFound(reference=reference)
        return staff
    members = (await session.exec(select(Staff))).all()
    wanted = reference.casefold()
    exact = [m for m in members if m.name.casefold() == wanted]
    matches = exact or [m for m in members if wanted and wanted in m.name.casefold()]
    if len(matches) > 1:
        raise StaffAmbiguous(reference=reference,
                             names=", ".join(sorted(m.name for m in matches)))
    if not matches:
        raise StaffNotFound(reference=reference)
    return matches[0]


NOTES_WARNING = "staff.notes_warning"


async def first_note_warning(session: AsyncSession, staff: Staff, *, now: datetime) -> bool:
    """True the first time a staff member saves a note (they are warned once); recorded.

    `staff` is the guard's row: once warned, `notes_warned_at` answers without a query.
    If that row is older than the warning, the conditional UPDATE still says no, and two
    /log at once warn once.
    """
    if staff.notes_warned_at is not None:
        return False
    marked = await session.exec(update(Staff).where(
        col(Staff.id) == staff.id, col(Staff.notes_warned_at).is_(None),
    ).values(notes_warned_at=now))
    if marked.rowcount != 1:
        return False
    audit.record(session, actor_staff_id=staff.id, action=NOTES_WARNING,
                 target=f"staff:{staff.id}", at=now)
    return True


async def set_away(
    session: AsyncSession, staff_id: int, *, delegate: Staff | None, until: date | None,
    today: date, now: datetime,
) -> Staff:
    """Start (delegate and last day away) or end (None, None) out-of-office delegation."""
    staff = _existing(await session.get(Staff, staff_id))
    if delegate is not None:
        if delegate.id == staff_id or not delegate.active or until is None or until < today:
            raise InvalidValue(field="away")
    staff.delegate_id = delegate.id if delegate else None
    staff.away_until = until if delegate else None
    return _save_change(session, staff, action="staff.away", actor_staff_id=staff_id, now=now,
                        delegate=staff.delegate_id,
                        until=until.isoformat() if until and delegate else None)


async def notice_recipients(session: AsyncSession, staff: Staff, *, today: date,
                            participant: Participant | None = None) -> list[Staff]:
    """Who should get a notice meant for `staff` today (the first gets it; any others a copy).

    `staff` themself while active and not away; their delegate while away; once
    deactivated, their delegate if one is set, else the leads whose scope holds
    `participant` (the admins if no lead does). Empty when nobody active is left.
    Deactivation takes effect for every notice at once, queued ones included: this is
    asked when the notice is sent.
    """
    if staff.active and (staff.away_until is None or staff.away_until < today):
        return [staff]
    if staff.delegate_id is not None:
        delegate = await session.get(Staff, staff.delegate_id)
        if delegate is not None and delegate.active and delegate.id != staff.id:
            return [delegate]
    if staff.active:
        return [staff]  # away, but the delegate left: better them than nobody
    return await leads_holding(session, participant.municipality if participant else None,
                               excluding=staff.id)


async def leads_holding(session: AsyncSession, municipality: str | None, *,
                        excluding: int | None = None) -> list[Staff]:
    """The active leads whose scope holds `municipality`, by id; the admins if no lead does
    (who reads what a departed coordinator's participants send or are owed)."""
    query = select(Staff).where(col(Staff.active).is_(True))
    if excluding is not None:
        query = query.where(col(Staff.id) != excluding)
    others = (await session.exec(query.order_by(col(Staff.id)))).all()
    leads = [m for m in others if m.role == Role.LEAD
             and (m.municipality is None or m.municipality == municipality)]
    return leads or [m for m in others if m.role == Role.ADMIN]


async def notice_recipient(session: AsyncSession, staff: Staff, *, today: date) -> Staff:
    """For an active staff member: who gets their notices today (their delegate while they
    are away, else themself). See `notice_recipients` for everyone else."""
    found = await notice_recipients(session, staff, today=today)
    return found[0] if found and staff.active else staff
