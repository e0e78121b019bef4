"""Small steps several end-to-end tests take. In the chat, as people would: add a
participant, pick one in a guided flow, invite them and let them join. Straight in the
database: register participants, change a staff row, queue notices into the outbox, read
the rows of a table."""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import datetime
from datetime import timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.sandbox.emulator import ChatMessage
from bot.sandbox.emulator import FakeUser
from storage import outbox
from storage.access import Viewer
from storage.db import transaction
from storage.models import Gender
from storage.models import OutboundMessage
from storage.models import Participant
from storage.models import Staff
from storage.participants import register_participant
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.conftest import Person
from tests.harness import BotHarness


async def add(bot: BotHarness, person: Person, spec: str) -> str:
    """`/add <spec>` as `person`; the new participant's code."""
    return await add_participant(bot, person.user, f"/add {spec}")


async def caseload_seen_apart(bot: BotHarness, people: People) -> tuple[str, str, str]:
    """Bo's participants Never Seen, Seen Long Ago (a meeting 20 days back) and Seen Lately
    (a call just now), and Anna's Annas Person; Bo's three codes in that order."""
    long_ago = await add(bot, people.bo, "Seen Long Ago | Växjö | woman | ar")
    never = await add(bot, people.bo, "Never Seen | Växjö | man | so")
    lately = await add(bot, people.bo, "Seen Lately | Växjö | woman | ti")
    await add(bot, people.anna, "Annas Person | Växjö | woman | sv")
    await bot.send(people.bo.user, f"/log {long_ago} meeting first talk")
    bot.clock.advance(timedelta(days=20))
    await bot.send(people.bo.user, f"/log {lately} phone fine")
    return never, long_ago, lately


async def add_participant(bot: BotHarness, user: FakeUser, command: str) -> str:
    """Send `/ny …` (or `/add …`) as `user`; the new participant's code."""
    [reply] = await bot.send(user, command)
    match = re.search(r"P-\d{4}", reply.text)
    assert match, reply.text
    return match.group(0)


async def each_reply_contains(bot: BotHarness, user: FakeUser,
                              expected: Iterable[tuple[str, str]]) -> None:
    """`user` sends each command of `expected` in turn; each gets one reply, and it contains
    the text paired with the command."""
    for command, text in expected:
        replies = await bot.send(user, command)
        assert len(replies) == 1, (command, [reply.text for reply in replies])
        assert text in replies[0].text, (command, replies[0].text)


async def invite_token(bot: BotHarness, user: FakeUser, code: str) -> str:
    """`/bjud <code>` as `user`; the token of the invitation link in the QR code's caption."""
    [photo] = await bot.send(user, f"/bjud {code}")
    match = re.search(r"start=([\w-]+)", photo.caption)
    assert match, photo.caption
    return match.group(1)


async def picked(bot: BotHarness, user: FakeUser, command: str, code: str) -> ChatMessage:
    """`user` sends `command` alone and taps participant `code` in its picker: the step
    that follows."""
    [picker] = await bot.send(user, command)
    [step] = await bot.press(user, picker, code)
    return step


async def guided_add_named(bot: BotHarness, user: FakeUser, name: str) -> list[ChatMessage]:
    """`user` starts the guided /add and types `name`: the replies (the name's prompt loses
    its buttons, the municipality is asked)."""
    await bot.send(user, "/add")
    return await bot.send(user, name)


async def guided_log_started(bot: BotHarness, people: People) -> tuple[str, ChatMessage]:
    """Bo adds Amina and starts a guided /log with her: her code and the step that asks how
    they met."""
    code = await add(bot, people.bo, "Amina | Växjö | woman | ar")
    return code, await picked(bot, people.bo.user, "/log", code)


async def join(bot: BotHarness, user: FakeUser, token: str, language_label: str) -> None:
    """`user` opens the invitation link with `token`, agrees, and picks `language_label`."""
    [consent] = await bot.send(user, f"/start {token}")
    replies = await bot.press(user, consent, "I agree")
    await bot.press(user, replies[-1], language_label)


async def set_staff(db: Database, person: Person, **changes: object) -> None:
    """Change fields of `person`'s staff row straight in the database."""
    async with transaction(db.sessions) as session:
        staff = await session.get(Staff, person.staff.id)
        for field, value in changes.items():
            setattr(staff, field, value)
        session.add(staff)


async def register_in_db(session: AsyncSession, staff: Staff | None, name: str, *,
                         now: datetime = TEST_NOW) -> Participant:
    """`staff`'s participant `name` (a Swedish-speaking woman in Växjö, enrolled `now`),
    registered straight in the database."""
    assert staff is not None
    return await register_participant(
        session, Viewer.of(staff), display_name=name, municipality="Växjö",
        gender=Gender.WOMAN, language="sv", enrolled_on=now.date(), now=now)


async def numbered_participants(db: Database, owners: Sequence[Staff | None]) -> list[str]:
    """One participant per entry of `owners` (`Person 00`, `Person 01`, …), registered
    straight in the database in that order; their codes."""
    async with transaction(db.sessions) as session:
        return [(await register_in_db(session, owner, f"Person {index:02d}")).code
                for index, owner in enumerate(owners)]


async def queue_notices(db: Database, people: People, chats: Iterable[int]) -> None:
    """One `participant_joined` notice, due now, per entry of `chats` (a repeated chat
    gets several), about a participant of Anna's added for the purpose."""
    async with transaction(db.sessions) as session:
        participant = await register_in_db(session, people.anna.staff, "Notice")
        for chat in chats:
            await outbox.enqueue(session, chat_id=chat, template="participant_joined",
                                 language="sv", send_at=TEST_NOW,
                                 params={"participant_id": participant.id}, now=TEST_NOW)


async def outbox_rows(db: Database, template: str | None = None, *,
                      followup_id: int | None = None) -> list[OutboundMessage]:
    """The outbox's rows (of one template, or about one follow-up, if named) in the order
    they were queued."""
    async with transaction(db.sessions) as session:
        query = select(OutboundMessage).order_by(OutboundMessage.id)
        if template is not None:
            query = query.where(OutboundMessage.template == template)
        if followup_id is not None:
            query = query.where(OutboundMessage.followup_id == followup_id)
        return list((await session.exec(query)).all())


async def rows(db: Database, model: type) -> list:
    """Every row of `model`'s table, in the order of its primary key."""
    async with transaction(db.sessions) as session:
        key = model.__table__.primary_key.columns
        return list((await session.exec(select(model).order_by(*key))).all())
