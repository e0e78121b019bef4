"""Participants write to their coordinator through the bot, and staff answer (issue 18)."""

from __future__ import annotations

import itertools
import logging
from datetime import date
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.outbox.scheduler import DISPATCHER_KEY
from bot.sandbox.emulator import ChatMessage
from bot.sandbox.emulator import FakeUser
from storage.db import transaction
from storage.models import AuditLog
from storage.models import Participant
from storage.models import RelayLink
from storage.models import Staff
from tests.conftest import Database
from tests.conftest import People
from tests.harness import BotHarness
from tests.steps import add
from tests.steps import add_participant
from tests.steps import invite_token
from tests.steps import join
from tests.steps import set_staff

OLENA = FakeUser(7001, "Olena", "en")
SECRET = "Привіт, я не можу прийти у понеділок — depression"


async def joined(bot: BotHarness, people: People, *, language: str = "uk") -> str:
    """Bo registers and invites Olena; she joins (in English), then reads `language`."""
    code = await add_participant(bot, people.bo.user, "/add Olena K | Växjö | woman | en")
    await join(bot, OLENA, await invite_token(bot, people.bo.user, code), "English")
    async with transaction(bot.sessions) as session:
        participant = (await session.exec(select(Participant))).one()
        participant.language = language
        session.add(participant)
    await bot.dispatcher.drain()  # the "joined" notice
    return code


def chat(bot: BotHarness, user_id: int) -> list[ChatMessage]:
    return bot.api.bot_messages(user_id)


async def send_as(bot: BotHarness, user: FakeUser, text_: str,
                  reply_to: ChatMessage | None = None) -> list[ChatMessage]:
    before = {m.message_id for m in chat(bot, user.id)}
    await bot.deliver(bot.api.user_sends(user, text_, reply_to=reply_to))
    return [m for m in chat(bot, user.id) if m.message_id not in before]


async def media_as(bot: BotHarness, user: FakeUser, kind: str, *,
                   reply_to: ChatMessage | None = None) -> list[ChatMessage]:
    before = {m.message_id for m in chat(bot, user.id)}
    await bot.deliver(bot.api.user_sends_media(user, kind, b"\x00binary", name=f"a.{kind}",
                                               reply_to=reply_to))
    return [m for m in chat(bot, user.id) if m.message_id not in before]


async def all_stored_text(db: Database) -> str:
    """Every text value in every table, to prove no message content was stored."""
    tables = ["participant", "staff", "check_in", "follow_up", "outbound_message", "audit_log",
              "relay_link", "invite"]
    values = []
    async with db.engine.connect() as connection:
        for table in tables:
            try:
                rows = (await connection.execute(text(f"SELECT * FROM {table}"))).all()
            except Exception:  # a table name that differs: skip it, the others still count
                await connection.rollback()
                continue
            values += [str(value) for row in rows for value in row]
    return "\n".join(values)


async def test_a_participants_text_photo_and_voice_reach_her_coordinator(
    bot: BotHarness, people: People, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    code = await joined(bot, people)
    before = len(chat(bot, people.bo.id))
    [confirmation] = await send_as(bot, OLENA, SECRET)
    assert "✅" in confirmation.text and "coordinator got your message" not in confirmation.text
    header, copy = chat(bot, people.bo.id)[before:]
    assert code in header.text and "Olena K" in header.text and "Українська" in header.text
    assert copy.text == SECRET and copy.silent
    for kind, attribute in (("photo", "photo_id"), ("voice", "voice_id"),
                            ("document", "document_id"), ("video", "video_id")):
        await media_as(bot, OLENA, kind)
        assert getattr(chat(bot, people.bo.id)[-1], attribute), kind
    # Nothing of what she wrote is stored or logged; each relay is audited by id.
    assert "понеділок" not in await all_stored_text(db)
    assert not [r for r in caplog.records if "понеділок" in r.getMessage()]
    async with transaction(db.sessions) as session:
        actions = [a.action for a in (await session.exec(select(AuditLog))).all()]
    assert actions.count("relay.in") == 5


async def test_staff_answer_by_replying_or_with_reply_and_she_sees_her_coordinator(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await joined(bot, people, language="en")
    await send_as(bot, OLENA, "can I change the appointment?")
    copy = chat(bot, people.bo.id)[-1]
    [sent] = await send_as(bot, people.bo.user, "Yes, Thursday at 10 instead", reply_to=copy)
    assert code in sent.text and "✅" in sent.text
    answer = chat(bot, OLENA.id)[-1]
    assert "From Bo, your coordinator" in answer.text and "Thursday at 10" in answer.text
    await send_as(bot, people.bo.user, f"/reply {code} See you <then>")
    assert "See you &lt;then&gt;" in chat(bot, OLENA.id)[-1].text or \
        "See you <then>" in chat(bot, OLENA.id)[-1].text
    await media_as(bot, people.bo.user, "photo", reply_to=copy)
    last = chat(bot, OLENA.id)[-1]
    assert last.photo_id and "From Bo" in (last.caption or "")
    async with transaction(db.sessions) as session:
        links = (await session.exec(select(RelayLink))).all()
    assert [link.answered_at is not None for link in links if link.direction == "in"] == [True]
    # Someone else's participant: a coordinator cannot /reply (/svara) to her.
    before = len(chat(bot, OLENA.id))
    [refused] = await send_as(bot, people.anna.user, f"/svara {code} hej")
    assert code in refused.text
    assert len(chat(bot, OLENA.id)) == before


async def test_the_delegate_or_a_lead_reads_her_messages(
    bot: BotHarness, people: People, db: Database
) -> None:
    await joined(bot, people, language="en")
    await set_staff(db, people.bo, delegate_id=people.anna.staff.id,
                    away_until=date(2026, 12, 31))
    before_bo = len(chat(bot, people.bo.id))
    await send_as(bot, OLENA, "I am sick today")
    assert chat(bot, people.anna.id)[-1].text == "I am sick today"
    assert len(chat(bot, people.bo.id)) == before_bo
    # The delegate may answer, though the participant is not in her caseload.
    await send_as(bot, people.anna.user, "Krya på dig", reply_to=chat(bot, people.anna.id)[-1])
    assert "Krya på dig" in chat(bot, OLENA.id)[-1].text
    await set_staff(db, people.bo, active=False)
    bot.clock.advance(timedelta(minutes=5))
    # Deactivated with a delegate: her messages go where his notices go, to the delegate.
    await send_as(bot, OLENA, "hello?")
    assert chat(bot, people.anna.id)[-1].text == "hello?"
    await set_staff(db, people.bo, delegate_id=None)
    bot.clock.advance(timedelta(minutes=5))
    await send_as(bot, OLENA, "anyone?")
    assert chat(bot, people.lead.id)[-1].text == "anyone?"


async def test_after_stop_nothing_goes_either_way(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await joined(bot, people, language="en")
    [question] = await send_as(bot, OLENA, "/stop")
    await bot.press(OLENA, question, "Yes")
    before_bo = len(chat(bot, people.bo.id))
    [told] = await send_as(bot, OLENA, "are you there?")
    assert "not passed on" in told.text and "invitation link" in told.text
    await media_as(bot, OLENA, "voice")
    assert len(chat(bot, people.bo.id)) == before_bo
    before_olena = len(chat(bot, OLENA.id))
    [refused] = await send_as(bot, people.bo.user, f"/reply {code} hello")
    assert "Nothing was sent" in refused.text
    assert len(chat(bot, OLENA.id)) == before_olena


async def test_strangers_are_never_relayed(bot: BotHarness, people: People) -> None:
    await joined(bot, people, language="en")
    before = {p.id: len(chat(bot, p.id)) for p in (people.bo, people.lead, people.admin)}
    [reply] = await send_as(bot, people.stranger.user, "please help me")
    assert str(people.stranger.id) in reply.text
    await media_as(bot, people.stranger.user, "photo")
    assert {p.id: len(chat(bot, p.id)) for p in (people.bo, people.lead, people.admin)} == before


async def test_erasure_and_retention_remove_the_mapping(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await joined(bot, people, language="en")
    await send_as(bot, OLENA, "one")
    async with transaction(db.sessions) as session:
        assert (await session.exec(select(RelayLink))).all()
    bot.clock.advance(timedelta(days=31))
    await bot.app.bot_data[DISPATCHER_KEY + ".agenda"].plan()
    async with transaction(db.sessions) as session:
        assert (await session.exec(select(RelayLink))).all() == []
    await send_as(bot, OLENA, "two")
    [confirm] = await send_as(bot, people.admin.user, f"/forget {code}")
    await bot.press(people.admin.user, confirm, "Yes, erase")
    async with transaction(db.sessions) as session:
        assert (await session.exec(select(RelayLink))).all() == []


async def test_a_burst_is_one_notification_and_one_confirmation(
    bot: BotHarness, people: People
) -> None:
    await joined(bot, people, language="en")
    before_bo, before_olena = len(chat(bot, people.bo.id)), len(chat(bot, OLENA.id))
    for index in range(12):
        await send_as(bot, OLENA, f"message {index}")
    relayed = chat(bot, people.bo.id)[before_bo:]
    assert len(relayed) == 13  # one header and the twelve copies
    assert [m.silent for m in relayed].count(False) <= 1
    assert len(chat(bot, OLENA.id)) - before_olena == 1


async def test_card_today_and_digest_show_who_waits_for_an_answer(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await joined(bot, people, language="en")
    [card] = await send_as(bot, people.bo.user, f"/participant {code}")
    assert "Telegram: joined" in card.text and "Last wrote" not in card.text
    await send_as(bot, OLENA, "Can we move Monday?")
    [card] = await send_as(bot, people.bo.user, f"/participant {code}")
    assert "Last wrote" in card.text and "unanswered: 1" in card.text
    [today] = await send_as(bot, people.bo.user, "/today")
    assert "waits for an answer" not in today.text  # not yet a working day
    bot.clock.advance(timedelta(days=1, hours=1))
    [today] = await send_as(bot, people.bo.user, "/today")
    assert "1 participant waits for an answer" in today.text and code in today.text
    from bot.outbox.digest import digest_text
    from bot.text.i18n import Translator
    from storage.access import Viewer
    async with transaction(db.sessions) as session:
        lead = await session.get(Staff, people.lead.staff.id)
        text_ = await digest_text(session, Translator("en", bot.settings.tz), Viewer.of(lead),
                                  date(2026, 11, 23), date(2026, 11, 29), now=bot.clock.now())
    assert "waits for an answer" in text_ and code in text_
    # Answered: nobody waits any more.
    await send_as(bot, people.bo.user, f"/reply {code} Yes, Tuesday")
    [today] = await send_as(bot, people.bo.user, "/today")
    assert "waits for an answer" not in today.text


async def test_reply_alone_guides_to_a_participant_and_the_message(
    bot: BotHarness, people: People
) -> None:
    code = await joined(bot, people, language="en")
    [picker] = await send_as(bot, people.bo.user, "/reply")
    [ask] = await bot.press(people.bo.user, picker, code)
    assert code in ask.text
    *_, sent = await bot.send(people.bo.user, "See you on Tuesday")
    assert "✅" in sent.text and code in sent.text
    assert "See you on Tuesday" in chat(bot, OLENA.id)[-1].text


async def test_reply_alone_is_completed_by_typing_and_an_old_picker_expires(
    bot: BotHarness, people: People
) -> None:
    code = await joined(bot, people, language="en")
    [old] = await send_as(bot, people.bo.user, "/svara")
    [picker] = await send_as(bot, people.bo.user, "/svara")
    [expired] = await bot.press(people.bo.user, old, code)
    assert "expired" in expired.text and "/reply" in expired.text
    before = len(chat(bot, OLENA.id))
    *_, ask = await bot.send(people.bo.user, "olena")  # a part of her name
    assert code in ask.text and not picker.buttons, "the picker's buttons are taken away"
    *_, sent = await bot.send(people.bo.user, "See you on Tuesday")
    assert "✅" in sent.text
    assert len(chat(bot, OLENA.id)) == before + 1
    assert "See you on Tuesday" in chat(bot, OLENA.id)[-1].text


async def test_reply_alone_refuses_a_participant_who_cannot_get_it_before_the_message(
    bot: BotHarness, people: People
) -> None:
    """Not joined: said when she is picked, not after the coordinator has written."""
    code = await add(bot, people.bo, "Nadia | Växjö | woman | ar")
    [picker] = await send_as(bot, people.bo.user, "/reply")
    [refused] = await bot.press(people.bo.user, picker, code)
    assert "does not get messages from the bot" in refused.text
    [still] = await bot.send(people.bo.user, code)
    assert "does not get messages from the bot" in still.text, "typed: the same"
    assert picker.buttons, "the picker still stands"


async def test_relayed_messages_keep_the_per_chat_pace(db: Database, people: People) -> None:
    """Relays go to the staff chat no faster than the bot's per-chat interval, like every
    outbox message (the limiter's record of each chat's last send is shared)."""
    from tests.conftest import TEST_NOW
    from tests.harness import running_bot

    async with running_bot(db.url, db.sessions, now=TEST_NOW,
                           per_chat_interval_seconds=0.3) as paced:
        await joined(paced, people, language="en")
        before = len(chat(paced, people.bo.id))
        for index in range(3):
            await send_as(paced, OLENA, f"message {index}")
        relayed = chat(paced, people.bo.id)[before:]
    assert len(relayed) == 4  # one header and three copies
    gaps = [b.monotonic - a.monotonic for a, b in itertools.pairwise(relayed)]
    assert min(gaps) >= 0.25, gaps
