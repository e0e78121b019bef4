"""One slow request no longer freezes the bot for everyone (issue 21, point 7).

The updates go the way they go in production: into the Application's update queue, taken
by PTB's fetcher and run by our update processor. A real lock on a real table makes one
person's update slow; another person's /help must be answered meanwhile, and one person's
own updates must still be handled in the order they were sent."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from collections.abc import Callable

from sqlalchemy import text
from telegram import Update

from bot.runtime.update_order import PerPersonUpdateProcessor
from bot.runtime.update_order import order_key
from bot.sandbox.emulator import FakeUser
from storage.models import CheckIn
from tests.conftest import Database
from tests.conftest import People
from tests.harness import BotHarness
from tests.steps import add
from tests.steps import rows


@contextlib.asynccontextmanager
async def running(bot: BotHarness) -> AsyncIterator[None]:
    """The Application's update fetcher running, as under `koordinator run`."""
    await bot.app.start()
    try:
        yield
    finally:
        await bot.app.update_queue.join()
        await bot.app.stop()


def queue(bot: BotHarness, user: FakeUser, message: str) -> None:
    bot.app.update_queue.put_nowait(Update.de_json(bot.api.user_sends(user, message),
                                                   bot.app.bot))


async def until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


@contextlib.asynccontextmanager
async def checkins_locked(db: Database) -> AsyncIterator[None]:
    """Another connection holds a lock that makes every write of a check-in wait."""
    async with db.engine.connect() as connection:
        if db.backend == "postgresql":
            await connection.execute(text("BEGIN"))
            await connection.execute(text("LOCK TABLE checkin IN ACCESS EXCLUSIVE MODE"))
        else:
            await connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            await connection.rollback()


async def test_a_slow_update_does_not_hold_up_another_persons_help(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar")
    bo_before = len(bot.api.bot_messages(people.bo.id))
    async with running(bot):
        async with checkins_locked(db):
            queue(bot, people.bo.user, f"/log {code} phone waits for the lock")
            await asyncio.sleep(0.2)
            queue(bot, people.anna.user, "/help")
            answered = await until(lambda: bool(bot.api.bot_messages(people.anna.id)), 3.0)
            assert answered, "Anna's /help waited for Bo's blocked update"
            assert len(bot.api.bot_messages(people.bo.id)) == bo_before, "Bo's is still waiting"
        assert await until(lambda: len(bot.api.bot_messages(people.bo.id)) > bo_before, 10.0)
    assert [c.note for c in await rows(db, CheckIn)] == ["waits for the lock"]


async def test_one_persons_updates_are_handled_in_the_order_sent(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar")
    async with running(bot):
        async with checkins_locked(db):
            for index in range(8):
                queue(bot, people.bo.user, f"/log {code} phone note {index}")
                queue(bot, people.anna.user, "/help")
            await asyncio.sleep(0.5)
        await bot.app.update_queue.join()
        assert await until(lambda: len([m for m in bot.api.bot_messages(people.bo.id)
                                         if "note" in m.body or "Logged" in m.body]) >= 8, 10.0)
    notes = [c.note for c in await rows(db, CheckIn)]
    assert notes == [f"note {index}" for index in range(8)]


async def test_updates_of_one_person_never_overlap_and_locks_are_forgotten() -> None:
    processor = PerPersonUpdateProcessor(64)
    running_now: dict[int, int] = {}
    overlaps: list[int] = []
    order: list[tuple[int, int]] = []

    def update(user_id: int, index: int) -> Update:
        return Update.de_json({"update_id": user_id * 100 + index, "message": {
            "message_id": index, "date": 0, "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "x"}, "text": "x"}}, None)

    async def work(user_id: int, index: int) -> None:
        running_now[user_id] = running_now.get(user_id, 0) + 1
        if running_now[user_id] > 1:
            overlaps.append(user_id)
        await asyncio.sleep(0.01 * ((index * 7) % 3))
        order.append((user_id, index))
        running_now[user_id] -= 1

    async with processor:
        await asyncio.gather(*(processor.process_update(update(u, i), work(u, i))
                               for i in range(10) for u in (1, 2, 3)))
    assert overlaps == []
    for user_id in (1, 2, 3):
        assert [i for u, i in order if u == user_id] == list(range(10))
    assert processor.people_in_progress == 0
    assert order_key(update(5, 1)) == ("user", 5)


async def test_many_people_writing_at_once_all_succeed(
    bot: BotHarness, people: People, db: Database
) -> None:
    """SQLite has one writer at a time: concurrent updates must still all be saved."""
    from storage.db import transaction
    from storage.models import Participant
    from storage.models import Role
    from storage.staff import add_staff
    from tests.conftest import TEST_NOW

    users = [FakeUser(30000 + index, f"C{index}", "en") for index in range(20)]
    async with transaction(db.sessions) as session:
        for user in users:
            await add_staff(session, telegram_user_id=user.id, name=f"Coordinator {user.id}",
                            role=Role.COORDINATOR, municipality=None, now=TEST_NOW,
                            language="en")
    async with running(bot):
        for round_ in range(3):
            for user in users:
                queue(bot, user, f"/add Person {user.id} {round_} | Växjö | woman | sv")
        await bot.app.update_queue.join()
        assert await until(lambda: all(len(bot.api.bot_messages(u.id)) >= 3 for u in users),
                           20.0)
    replies = [m.body for u in users for m in bot.api.bot_messages(u.id)]
    assert all("Added" in body for body in replies), [b for b in replies if "Added" not in b]
    assert len(await rows(db, Participant)) == 60


async def test_documents_are_built_one_at_a_time_off_the_event_loop() -> None:
    import threading

    from bot.documents.building import build_off_loop

    building: list[int] = []
    most = 0
    loop_thread = threading.get_ident()

    def build(index: int) -> tuple[int, int]:
        nonlocal most
        building.append(index)
        most = max(most, len(building))
        time.sleep(0.05)
        building.remove(index)
        return index, threading.get_ident()

    ticks = 0

    async def loop_stays_free() -> None:
        nonlocal ticks
        for _ in range(10):
            await asyncio.sleep(0.01)
            ticks += 1

    built, _ = await asyncio.gather(asyncio.gather(*(build_off_loop(build, i) for i in range(4))),
                                    loop_stays_free())
    assert [index for index, _ in built] == [0, 1, 2, 3]
    assert all(thread != loop_thread for _, thread in built)
    assert most == 1 and ticks == 10
