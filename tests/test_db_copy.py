"""`koordinator db copy`: everything moves from SQLite to the other backend, ids included."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlmodel import func
from sqlmodel import select

from storage import migrate
from storage.copy import CopyRefused
from storage.copy import copy_database
from storage.db import create_engine
from storage.db import session_maker
from storage.db import transaction
from storage.models import AuditLog
from storage.models import CheckIn
from storage.models import CheckInTallyCoordinator
from storage.models import CheckInTallyMunicipality
from storage.models import Participant
from storage.models import SQLModel
from storage.models import Staff
from tests.conftest import Database
from tests.conftest import People
from tests.conftest import _drop_postgres
from tests.conftest import _postgres_url
from tests.conftest import _prepare_postgres
from tests.harness import BotHarness
from tests.steps import add_participant


async def counts(sessions) -> dict[str, object]:
    async with transaction(sessions) as session:
        found: dict[str, object] = {model.__name__: (await session.exec(
            select(func.count()).select_from(model))).one()
            for model in (Staff, Participant, CheckIn, AuditLog)}
        for tally in (CheckInTallyMunicipality, CheckInTallyCoordinator):
            # Cells a move left at zero are not data: compare the counted ones.
            found[tally.__name__] = sorted(map(tuple, (await session.exec(select(
                *tally.__table__.columns).where(tally.checkins != 0))).all()))
        return found


async def test_copy_moves_every_row_and_new_ids_continue(
    bot: BotHarness, people: People, db: Database, tmp_path: Path
) -> None:
    for name in ("Amina", "Yusuf"):
        code = await add_participant(bot, people.anna.user, f"/ny {name} | Växjö | kvinna | ar")
        await bot.send(people.anna.user, f"/logg {code} telefon hej")
    source_counts = await counts(db.sessions)

    target = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'target.sqlite3'}", pooled=False)
    try:
        with pytest.raises(CopyRefused, match="db upgrade"):
            await copy_database(db.engine, target)
        await migrate.upgrade(target)
        copied = await copy_database(db.engine, target)
        # Derived tables are not copied: the target's triggers rebuild them from the
        # check-ins, so they end up equal all the same.
        assert copied["participant"] == 2 and set(copied) == {
            t.name for t in SQLModel.metadata.sorted_tables if not t.info.get("derived")}
        target_sessions = session_maker(target)
        assert source_counts["CheckInTallyMunicipality"], "the source has tallies to compare"
        assert await counts(target_sessions) == source_counts
        with pytest.raises(CopyRefused, match="not empty"):
            await copy_database(db.engine, target)
    finally:
        await target.dispose()


async def test_copy_from_sqlite_into_postgresql(db: Database, people: People,
                                               bot: BotHarness) -> None:
    """SQLite → PostgreSQL (the real migration path); sequences continue after the ids."""
    if db.backend != "sqlite":
        pytest.skip("the copy's source is the SQLite run of this test")
    url = _postgres_url()
    if url is None:
        pytest.skip("PostgreSQL not configured: set KOORDINATOR_TEST_POSTGRES_URL")
    [reply] = await bot.send(people.anna.user, "/ny Amina | Växjö | kvinna | ar")
    assert "P-0001" in reply.text
    schema = f"kt_copy_{uuid.uuid4().hex[:8]}"
    await _prepare_postgres(url, schema)
    target = create_engine(url, schema=schema, pooled=False)
    try:
        await migrate.upgrade(target)
        await copy_database(db.engine, target)
        async with transaction(session_maker(target)) as session:
            [participant] = (await session.exec(select(Participant))).all()
            assert participant.display_name == "Amina"
            fresh = Staff(telegram_user_id=424242, name="New", role="coordinator")
            session.add(fresh)
            await session.flush()
            assert fresh.id == 6, "the id sequence continues after the copied staff"
    finally:
        await target.dispose()
        await _drop_postgres(url, schema)
