"""The coordinator's core loop, driven through the Bot API emulator on both backends."""

from __future__ import annotations

from storage.models import AuditLog
from storage.models import CheckIn
from storage.models import Gender
from storage.models import Participant
from storage.models import Status
from tests.conftest import Database
from tests.conftest import People
from tests.harness import BotHarness
from tests.steps import guided_add_named
from tests.steps import rows


async def test_coordinator_adds_participant_with_one_liner_in_english(
    bot: BotHarness, people: People, db: Database
) -> None:
    replies = await bot.send(people.bo.user, "/add Amina H | Växjö | woman | ar | 2026-11-02")
    assert len(replies) == 1
    assert "P-0001" in replies[0].text
    assert "Amina H" in replies[0].text
    [stored] = await rows(db, Participant)
    assert (stored.code, stored.display_name, stored.municipality) == ("P-0001", "Amina H", "Växjö")
    assert stored.gender == Gender.WOMAN and stored.language == "ar"
    assert stored.coordinator_id == people.bo.staff.id
    assert stored.enrolled_on.isoformat() == "2026-11-02"


async def test_coordinator_logs_checkin_with_one_liner(
    bot: BotHarness, people: People, db: Database
) -> None:
    await bot.send(people.anna.user, "/ny Amina H; Växjö; kvinna; ar")
    replies = await bot.send(people.anna.user, "/logg P-0001 telefon Pratade om praktiken")
    assert "P-0001" in replies[0].text
    [checkin] = await rows(db, CheckIn)
    assert checkin.channel == "phone" and checkin.note == "Pratade om praktiken"
    assert checkin.author_id == people.anna.staff.id


async def test_guided_add_then_guided_log(bot: BotHarness, people: People, db: Database) -> None:
    user = people.bo.user
    *retired, _ask_municipality = await guided_add_named(bot, user, "Yusuf K")
    assert [m.reply_markup for m in retired] == [None], "the typed step loses its buttons"
    *_, ask_gender = await bot.send(user, "Alvesta")
    replies = await bot.press(user, ask_gender, "man")
    ask_language = replies[-1]
    replies = await bot.press(user, ask_language, "Soomaali")
    ask_date = replies[-1]
    replies = await bot.press(user, ask_date, "Today")
    done = replies[-1]
    assert "P-0001" in done.text
    [stored] = await rows(db, Participant)
    assert (stored.municipality, stored.gender, stored.language) == ("Alvesta", "man", "so")

    replies = await bot.press(user, done, "Log check-in")
    replies = await bot.press(user, replies[-1], "meeting")
    *retired, ask_status = await bot.send(user, "Talked about SFI")
    # The note step's "No note" button is gone once the note is typed.
    assert [m.reply_markup for m in retired] == [None]
    replies = await bot.press(user, ask_status, "internship")
    assert "Check-in saved" in replies[-1].text
    [checkin] = await rows(db, CheckIn)
    assert checkin.note == "Talked about SFI" and checkin.status_change == Status.INTERNSHIP
    [stored] = await rows(db, Participant)
    assert stored.status == Status.INTERNSHIP
    actions = [a.action for a in await rows(db, AuditLog)]
    assert {"participant.add", "checkin.add", "participant.status"} <= set(actions)


async def test_stranger_gets_explanation_and_nothing_else(
    bot: BotHarness, people: People, db: Database
) -> None:
    replies = await bot.send(people.stranger.user, "/add Someone | Växjö | man | sv")
    assert len(replies) == 1
    assert str(people.stranger.id) in replies[0].text
    assert await rows(db, Participant) == []
