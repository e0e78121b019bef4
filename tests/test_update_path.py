"""The per-update path (BENCHMARKS.md finding 4): one transaction per update, the guard's
staff cache and how it forgets, the note warning read from the staff row."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy import text
from sqlmodel import select

from bot.runtime.services import services_of
from storage import migrate
from storage.db import create_engine
from storage.db import session_maker
from storage.db import transaction
from storage.models import AuditLog
from storage.models import Staff
from storage.staff import NOTES_WARNING
from storage.staff import StaffCache
from storage.staff import active_staff_by_telegram_id
from storage.staff import first_note_warning
from tests.conftest import BACKENDS
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.conftest import fresh_database
from tests.harness import BotHarness

WARNING_WORDS = "Shown once"


@contextmanager
def database_traffic(db: Database) -> Iterator[dict[str, Any]]:
    """Count connections taken, transactions committed and statements run, on the real engine."""
    seen: dict[str, Any] = {"checkouts": 0, "commits": 0, "statements": []}

    def checkout(*_: Any) -> None:
        seen["checkouts"] += 1

    def commit(*_: Any) -> None:
        seen["commits"] += 1

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen["statements"].append(" ".join(sql.split()))

    engine = db.engine.sync_engine
    event.listen(engine.pool, "checkout", checkout)
    event.listen(engine, "commit", commit)
    event.listen(engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(engine.pool, "checkout", checkout)
        event.remove(engine, "commit", commit)
        event.remove(engine, "before_cursor_execute", statement)


async def staff_row(db: Database, staff_id: int) -> Staff:
    async with transaction(db.sessions) as session:
        staff = await session.get(Staff, staff_id)
        assert staff is not None
        return staff


async def warnings_recorded(db: Database, staff_id: int) -> int:
    async with transaction(db.sessions) as session:
        return len((await session.exec(select(AuditLog).where(
            AuditLog.actor_staff_id == staff_id, AuditLog.action == NOTES_WARNING))).all())


async def test_a_logged_checkin_takes_one_connection_and_one_transaction(
    bot: BotHarness, people: People, db: Database
) -> None:
    await bot.send(people.bo.user, "/add Amina H | Växjö | woman | ar")
    await bot.send(people.bo.user, "/log P-0001 phone First call")  # warned: a staff change
    await bot.send(people.bo.user, "/log P-0001 phone")  # the guard knows Bo again
    bot.clock.advance(timedelta(minutes=5))  # (a row stamped with "now" would change)
    with database_traffic(db) as seen:
        [reply] = await bot.send(people.bo.user, "/log P-0001 phone Talked about the internship")
    assert "P-0001" in reply.text
    assert (seen["checkouts"], seen["commits"]) == (1, 1), seen
    # Bo was known a moment ago and has been warned about notes: the staff table is not
    # touched at all (no lookup, no second warning UPDATE).
    assert not [s for s in seen["statements"] if re.search(r"\bstaff\b", s)], seen["statements"]
    # What no /log can do without, and nothing more: the participant within the caller's
    # scope, the check-in, its audit row (the participant's row is not rewritten).
    kinds = [re.sub(r"^SELECT .*? FROM (\w+).*|^(INSERT INTO|UPDATE) (\w+).*",
                    lambda m: f"SELECT {m[1]}" if m[1] else f"{m[2]} {m[3]}", s)
             for s in seen["statements"]]
    assert kinds == ["SELECT participant", "INSERT INTO checkin", "INSERT INTO audit_log"], kinds


async def test_an_unknown_writer_is_looked_up_in_the_handlers_transaction(
    bot: BotHarness, people: People, db: Database
) -> None:
    await bot.send(people.bo.user, "/add Amina H | Växjö | woman | ar")
    services_of(bot.app.bot_data).staff_cache.clear()  # as after a restart: ask the database
    with database_traffic(db) as seen:
        await bot.send(people.bo.user, "/log P-0001 phone")
    assert (seen["checkouts"], seen["commits"]) == (1, 1), seen
    assert [s for s in seen["statements"] if "FROM staff" in s]


async def test_a_refused_checkin_after_a_fresh_lookup_leaves_the_turn_usable(
    bot: BotHarness, people: People, db: Database
) -> None:
    """The guard's rows must stay readable when the shared transaction rolls back."""
    services_of(bot.app.bot_data).staff_cache.clear()
    [reply] = await bot.send(people.bo.user, "/log P-0042 phone Nobody")
    assert "P-0042" in reply.text
    [reply] = await bot.send(people.bo.user, "/start")
    assert "Bo Berg" in reply.text


async def test_the_note_warning_is_shown_once_and_kept_on_the_staff_row(
    bot: BotHarness, people: People, db: Database
) -> None:
    assert people.bo.staff is not None and people.bo.staff.id is not None
    staff_id = people.bo.staff.id
    await bot.send(people.bo.user, "/add Amina H | Växjö | woman | ar")
    [no_note] = await bot.send(people.bo.user, "/log P-0001 phone")
    assert WARNING_WORDS not in no_note.text
    [first] = await bot.send(people.bo.user, "/log P-0001 phone Talked about the internship")
    [second] = await bot.send(people.bo.user, "/log P-0001 visit Visited the workplace")
    assert WARNING_WORDS in first.text and WARNING_WORDS not in second.text
    stored = await staff_row(db, staff_id)
    assert stored.notes_warned_at is not None
    assert await warnings_recorded(db, staff_id) == 1
    [anna] = await bot.send(people.anna.user, "/ny Yusuf K; Alvesta; man; so")
    [anna_first] = await bot.send(people.anna.user, "/logg P-0002 telefon Ringde")
    assert WARNING_WORDS not in anna.text and "ℹ️" in anna_first.text  # her own first time


async def test_a_stale_staff_row_cannot_warn_twice(people: People, db: Database) -> None:
    assert people.bo.staff is not None and people.bo.staff.id is not None
    stale = await staff_row(db, people.bo.staff.id)  # read before the warning
    async with transaction(db.sessions) as session:
        assert await first_note_warning(session, stale, now=TEST_NOW)
    async with transaction(db.sessions) as session:
        assert not await first_note_warning(session, stale, now=TEST_NOW)
    assert await warnings_recorded(db, people.bo.staff.id) == 1


async def test_a_staff_change_in_this_process_reaches_the_guard_at_once(
    bot: BotHarness, people: People, db: Database
) -> None:
    assert people.bo.staff is not None
    [reply] = await bot.send(people.bo.user, "/mine")
    assert "no active participants" in reply.text  # English, and Bo is now in the cache
    async with transaction(db.sessions) as session:
        stored = await session.get(Staff, people.bo.staff.id)
        assert stored is not None
        stored.language = "sv"  # any ORM change to a staff row, not only the helpers
    [reply] = await bot.send(people.bo.user, "/mine")
    assert "inga aktiva deltagare" in reply.text


async def test_a_staff_change_from_another_process_is_seen_after_the_cache_time(
    bot: BotHarness, people: People, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`koordinator staff deactivate` in another process: the documented few seconds."""
    [reply] = await bot.send(people.bo.user, "/mine")
    assert "no active participants" in reply.text
    # Plain SQL outside any Session: nothing this process could notice, as from another.
    async with db.engine.begin() as connection:
        deactivate = text("UPDATE staff SET active = false WHERE telegram_user_id = :t")
        await connection.execute(deactivate, {"t": people.bo.id})
    cache = services_of(bot.app.bot_data).staff_cache
    later = time.monotonic() + cache.ttl + 0.1
    monkeypatch.setattr(cache, "clock", lambda: later)
    [reply] = await bot.send(people.bo.user, "/mine")
    assert "no active participants" not in reply.text and str(people.bo.id) in reply.text
    monkeypatch.undo()


async def test_a_lookup_that_raced_a_staff_change_is_not_remembered(
    people: People, db: Database
) -> None:
    engine = db.engine.sync_engine
    STAFF_CACHE = StaffCache()
    generation = STAFF_CACHE.generation  # a lookup starts …
    STAFF_CACHE.clear()  # … a staff change commits meanwhile …
    STAFF_CACHE.put(engine, people.bo.id, {"name": "old"}, generation)  # … it ends
    assert STAFF_CACHE.get(engine, people.bo.id) == (False, None)
    STAFF_CACHE.put(engine, people.bo.id, {"name": "new"}, STAFF_CACHE.generation)
    assert STAFF_CACHE.get(engine, people.bo.id) == (True, {"name": "new"})


async def test_the_cache_keeps_databases_apart(people: People, db: Database) -> None:
    """Two engines in one process (tests, `koordinator db copy`) never share answers."""
    STAFF_CACHE = StaffCache()
    async with transaction(db.sessions) as session:
        assert await active_staff_by_telegram_id(session, people.bo.id, cache=STAFF_CACHE)
    assert STAFF_CACHE.get(db.engine.sync_engine, people.bo.id)[0]
    other = create_engine(db.url, schema=db.schema, pooled=False)
    try:
        assert STAFF_CACHE.get(other.sync_engine, people.bo.id) == (False, None)
    finally:
        await other.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_migration_carries_earlier_warnings_over_from_the_audit_log(
    backend: str, tmp_path: Path
) -> None:
    """Staff warned before the upgrade (an audit row) are not warned a second time."""
    async with fresh_database(backend, tmp_path / "before.sqlite3") as engine:
        await migrate.upgrade(engine, "fea5fc026825")  # the schema before notes_warned_at
        async with engine.begin() as connection:
            for staff_id, name in ((1, "Warned"), (2, "Not yet")):
                await connection.execute(text(
                    "INSERT INTO staff (id, telegram_user_id, name, role, active, created_at) "
                    "VALUES (:id, :t, :name, 'coordinator', true, :at)"),
                    {"id": staff_id, "t": 500 + staff_id, "name": name, "at": TEST_NOW})
            for action, at in ((NOTES_WARNING, TEST_NOW), ("checkin.add", TEST_NOW)):
                await connection.execute(text(
                    "INSERT INTO audit_log (at, actor_staff_id, action, target, details) "
                    "VALUES (:at, 1, :action, 'staff:1', '{}')"), {"at": at, "action": action})
            await connection.execute(text(
                "INSERT INTO audit_log (at, actor_staff_id, action, target, details) "
                "VALUES (:at, 2, 'checkin.add', 'P-0001', '{}')"), {"at": TEST_NOW})
        await migrate.upgrade(engine)
        async with transaction(session_maker(engine)) as session:
            warned, not_yet = (await session.exec(select(Staff).order_by(Staff.id))).all()
        assert warned.notes_warned_at == TEST_NOW
        assert not_yet.notes_warned_at is None
