"""Personal data never reaches a log line, even when the database fails mid-write; text
that the database cannot or should not hold (NUL and other control characters) and dates
outside 1900–2100 are refused as bad input, with nothing saved."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.runtime.logs import CHATTY_LIBRARIES
from bot.runtime.logs import JsonFormatter
from bot.runtime.logs import configure
from storage.db import transaction
from storage.models import CheckIn
from storage.models import FollowUp
from storage.models import Participant
from storage.models import Staff
from tests.conftest import Database
from tests.conftest import People
from tests.harness import BotHarness
from tests.steps import add
from tests.steps import rows

SECRET = "She told me about her depression Xq7Zk"
APOLOGY = "something went wrong"
REFUSED = "control character"


def every_log_line(caplog: pytest.LogCaptureFixture) -> str:
    """Each record as the production handler writes it: message, exception, traceback."""
    formatter = JsonFormatter()
    return "\n".join(formatter.format(record) for record in caplog.records)


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The bot's own logging set-up at its most talkative (LOG_LEVEL=DEBUG), captured."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level,
             {name: logging.getLogger(name).level for name in (*CHATTY_LIBRARIES, "httpx")})
    configure("DEBUG", "json")
    root.addHandler(caplog.handler)
    caplog.clear()
    try:
        yield caplog
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture
async def failing_checkin_insert(db: Database) -> AsyncIterator[str]:
    """A database fault at the INSERT of a check-in: on PostgreSQL the connection's own
    backend is terminated mid-transaction; on SQLite a trigger aborts the statement."""
    async with db.engine.begin() as connection:
        if db.backend == "postgresql":
            await connection.execute(text(
                "CREATE FUNCTION kill_own_backend() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$"))
            await connection.execute(text(
                "CREATE TRIGGER fault BEFORE INSERT ON checkin "
                "FOR EACH ROW EXECUTE FUNCTION kill_own_backend()"))
        else:
            await connection.execute(text(
                "CREATE TRIGGER fault BEFORE INSERT ON checkin "
                "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"))
    yield db.backend
    async with db.engine.begin() as connection:
        await connection.execute(text("DROP TRIGGER fault ON checkin" if db.backend == "postgresql"
                                      else "DROP TRIGGER fault"))
        if db.backend == "postgresql":
            await connection.execute(text("DROP FUNCTION kill_own_backend()"))


async def test_a_database_fault_mid_insert_logs_no_personal_data(
    bot: BotHarness, people: People, db: Database, failing_checkin_insert: str,
    logged: pytest.LogCaptureFixture,
) -> None:
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar")
    logged.clear()
    [reply] = await bot.send(people.bo.user, f"/log {code} visit {SECRET}")
    assert "try again" in reply.text
    lines = every_log_line(logged)
    assert "unhandled error" in lines, "the fault was injected and logged"
    assert SECRET not in lines and "Amina" not in lines
    assert await rows(db, CheckIn) == []
    [works] = await bot.send(people.bo.user, f"/participant {code}")
    assert "Amina" in works.text, "the next update gets a fresh connection"


@pytest.mark.parametrize("bad", ["Ni\x00ce", "Es\x1bcape", "Be\x7fll", "C1\x9bx", "\ud800x"])
async def test_control_characters_in_names_notes_and_places_are_refused(
    bot: BotHarness, people: People, db: Database, logged: pytest.LogCaptureFixture, bad: str,
) -> None:
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar")
    logged.clear()
    if True:
        [named] = await bot.send(people.bo.user, f"/add {bad} {SECRET} | Växjö | woman | ar")
        [placed] = await bot.send(people.bo.user, f"/add Sara Lind | {bad} | woman | ar")
        [noted] = await bot.send(people.bo.user, f"/log {code} visit {bad} {SECRET}")
        [booked] = await bot.send(people.bo.user,
                                  f"/followup {code} 2026-12-03 10:00 meeting {bad} {SECRET}")
        [staffed] = await bot.send(people.admin.user, f"/staff add 4242 coordinator {bad} Berg")
    for reply in (named, placed, noted, booked, staffed):
        assert REFUSED in reply.text, reply.text
        assert APOLOGY not in reply.text
    assert [p.code for p in await rows(db, Participant)] == [code]
    assert await rows(db, CheckIn) == [] and await rows(db, FollowUp) == []
    async with transaction(db.sessions) as session:
        assert (await session.exec(select(Staff).where(Staff.telegram_user_id == 4242))).first() \
            is None
    assert SECRET not in every_log_line(logged)


async def test_line_breaks_and_tabs_in_a_note_are_kept(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar")
    [reply] = await bot.send(people.bo.user, f"/log {code} visit first line\nsecond\tcolumn")
    assert REFUSED not in reply.text
    [checkin] = await rows(db, CheckIn)
    assert "second\tcolumn" in checkin.note


async def test_a_runaway_statement_on_postgresql_is_cancelled_by_the_statement_timeout(
    db: Database,
) -> None:
    """DATABASE_STATEMENT_TIMEOUT_SECONDS reaches the bot's engine (`bot.cli.engine_for`)."""
    from sqlalchemy.exc import DBAPIError

    from bot.cli import engine_for
    from bot.runtime.config import Settings

    if db.backend != "postgresql":
        pytest.skip("SQLite has no statement timeout; its writes wait busy_timeout at most")
    settings = Settings(_env_file=None, database_url=db.url,  # type: ignore[call-arg]
                        database_schema=db.schema or "", database_statement_timeout_seconds=0.5)
    engine = engine_for(settings)
    try:
        async with engine.connect() as connection:
            started = asyncio.get_running_loop().time()
            with pytest.raises(DBAPIError, match="statement timeout"):
                await connection.execute(text("SELECT pg_sleep(5)"))
            assert asyncio.get_running_loop().time() - started < 3
        unbounded = engine_for(settings, bounded=False)  # migrations and copies
        async with unbounded.connect() as connection:
            assert (await connection.execute(text("SHOW statement_timeout"))).scalar() == "0"
        await unbounded.dispose()
    finally:
        await engine.dispose()


async def test_a_nul_byte_in_a_search_is_bad_input_not_a_database_error(
    bot: BotHarness, people: People, db: Database, logged: pytest.LogCaptureFixture,
) -> None:
    await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar")
    logged.clear()
    for typed in (f"/find Am\x00ina {SECRET}", f"/stats kommun:V\x00 {SECRET}",
                  f"how many in Vä\x00xjö {SECRET}"):
        [reply] = await bot.send(people.bo.user, typed)
        assert APOLOGY not in reply.text and "can't reach" not in reply.text, reply.text
    assert "unhandled error" not in every_log_line(logged)
    assert SECRET not in every_log_line(logged)
