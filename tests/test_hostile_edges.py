"""Edges found by hostile testing (issue 21, points 7, 9 and 10): years and ids out of any
range, one participant named twice, long tables, ended and stopped participants, bidi
overrides in names, dates outside 1900–2100, and the agenda after a hand-over."""

from __future__ import annotations

import re
import sys
import unicodedata
from datetime import datetime
from datetime import timedelta

import pytest
from sqlmodel import func
from sqlmodel import select

from bot.text.i18n import FSI
from bot.text.i18n import PDI
from bot.text.render import fit_html
from bot.text.render import utf16_length
from storage.db import transaction
from storage.models import FollowUp
from storage.models import OutboundMessage
from storage.models import Participant
from storage.models import Role
from storage.models import Staff
from storage.staff import add_staff
from storage.validation import ALLOWED_CONTROLS
from storage.validation import REFUSED_CATEGORIES
from storage.validation import has_control_characters
from tests.conftest import STOCKHOLM
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.harness import BotHarness
from tests.steps import add
from tests.steps import rows
from tests.test_reminders_e2e import AMINA
from tests.test_reminders_e2e import amina_joined
from tests.test_reminders_e2e import invite_link
from tests.test_reminders_e2e import register

APOLOGY = "something went wrong"


# ---- numbers and years out of any range ----------------------------------------------
@pytest.mark.parametrize("text", [
    "/stats 9999", "/stats 0001", "/stats 0001-01-01..9999-12-31", "/stats 1899-12-31..2026-01-01",
    "/stats 9999-Q4", "/stats 0001-03", "/chart a 0001", "/stats q1-9999",
])
async def test_years_outside_1900_to_2100_get_the_usage_not_an_error(
    bot: BotHarness, people: People, text: str
) -> None:
    [reply] = await bot.send(people.lead.user, text)
    assert APOLOGY not in reply.body and "something" not in reply.body.lower(), reply.body


async def test_a_huge_telegram_id_is_refused_as_bad_input(
    bot: BotHarness, people: People, db: Database
) -> None:
    [reply] = await bot.send(people.admin.user,
                             "/staff add 99999999999999999999999 coordinator Xy Z")
    assert APOLOGY not in reply.text
    assert "must be a positive number" in reply.text or "/staff add" in reply.text
    [reply] = await bot.send(people.admin.user, "/staff add ²³ coordinator Xy Z")
    assert APOLOGY not in reply.text
    [_ask] = await bot.send(people.admin.user, "/staff add")
    [reply] = await bot.send(people.admin.user, "99999999999999999999999")
    assert APOLOGY not in reply.text
    assert len(await rows(db, Staff)) == 5


async def test_one_participant_named_twice_in_a_handover_moves_once(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.anna, "Moved One | Växjö | woman | sv")
    [reply] = await bot.send(people.lead.user, f"/handover Anna Bo {code} p1")
    assert "1 participant moved" in reply.text, reply.text
    [participant] = await rows(db, Participant)
    assert participant.coordinator_id == people.bo.staff.id


# ---- dates outside 1900–2100 are refused everywhere ----------------------------------
async def test_an_end_date_in_year_0001_is_refused_and_nothing_changes(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar")
    for text in (f"/end {code} employed 0001-01-01", f"/end {code} employed 2101-01-01",
                 f"/followup {code} 9999-12-31 10:00 meeting"):
        [reply] = await bot.send(people.bo.user, text)
        assert APOLOGY not in reply.text
    [participant] = await rows(db, Participant)
    assert participant.ended_on is None and await rows(db, FollowUp) == []


async def test_storage_refuses_a_date_outside_1900_to_2100_from_any_caller(db: Database) -> None:
    from storage.errors import InvalidValue

    with pytest.raises(InvalidValue):
        async with transaction(db.sessions) as session:
            await add_staff(session, telegram_user_id=77, name="Old Clock", role=Role.LEAD,
                            municipality=None, now=datetime(1, 1, 1, tzinfo=STOCKHOLM))
    async with transaction(db.sessions) as session:
        assert (await session.exec(select(func.count()).select_from(Staff))).one() == 0


async def test_questions_about_year_0001_are_not_answered_with_an_error(
    bot: BotHarness, people: People
) -> None:
    for text in ("how many ended 0001-01-01", "my follow-ups on 9999-11-25",
                 "statistik 0001-Q1"):
        replies = await bot.send(people.bo.user, text)
        assert replies and all(APOLOGY not in r.body for r in replies), text


# ---- long tables: cut in UTF-16 units, never inside a tag, </pre> kept ------------------
def test_fit_html_never_splits_a_tag_or_entity_and_closes_what_is_open() -> None:
    table = "<b>Team</b>\n<pre>" + "\n".join(
        f"Name &amp; 😀 row {i}" for i in range(600)) + "</pre>\nfooter <i>x</i>"
    for limit in range(4000, 4097):
        cut = fit_html(table, limit)
        assert utf16_length(cut) <= limit
        assert cut.endswith("…</pre>")
        assert cut.count("<pre>") == cut.count("</pre>") == 1
        assert re.search(r"&[a-z]*…|<[^>]*…", cut) is None
    assert fit_html("<b>" + "😀" * 3000 + "</b>", 4096).endswith("😀…</b>")
    assert fit_html("short <b>text</b>") == "short <b>text</b>"


async def test_a_team_table_longer_than_a_message_keeps_its_pre_and_fits(
    bot: BotHarness, people: People, db: Database
) -> None:
    async with transaction(db.sessions) as session:
        for index in range(160):
            await add_staff(session, telegram_user_id=20000 + index,
                            name=f"Koordinator 😀 Nummer {index:03d}", role=Role.COORDINATOR,
                            municipality=None, now=TEST_NOW)
    [reply] = await bot.send(people.lead.user, "/team")
    assert APOLOGY not in reply.text
    assert "<pre>" in reply.text and "</pre>" in reply.text
    assert utf16_length(reply.text) <= 4096


# ---- ended and stopped participants --------------------------------------------------
async def test_consent_after_the_participant_ended_is_refused(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await register(bot, people)
    token = await invite_link(bot, people, code)
    [consent] = await bot.send(AMINA, f"/start {token}")
    await bot.send(people.anna.user, f"/end {code} employed")
    [reply] = await bot.press(AMINA, consent, "I agree")
    assert "Thank you" not in reply.text
    [participant] = await rows(db, Participant)
    assert participant.consent_at is None and participant.chat_id is None


async def test_after_stop_taps_on_an_old_reminder_reach_nobody(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await amina_joined(bot, people)
    await bot.send(people.anna.user, f"/followup {code} 2026-12-03 10:00 meeting")
    await bot.dispatcher.drain()
    bot.clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=STOCKHOLM))
    await bot.dispatcher.drain()
    reminder = bot.api.bot_messages(AMINA.id)[-1]
    assert "Reminder" in reminder.text
    [question] = await bot.send(AMINA, "/stop")
    await bot.press(AMINA, question, "Yes, stop")
    before = await rows(db, OutboundMessage)
    [reply] = await bot.press(AMINA, reminder, "I'm coming")
    assert "no longer open" in reply.text
    assert await rows(db, OutboundMessage) == before, "no notice to the coordinator"
    [followup] = await rows(db, FollowUp)
    assert followup.response == "pending"


# ---- names with bidi controls --------------------------------------------------------
async def test_a_right_to_left_override_in_a_name_stays_inside_the_name(
    bot: BotHarness, people: People
) -> None:
    [added] = await bot.send(people.bo.user, "/add Amina \u202eHassan | Växjö | woman | ar")
    assert "\u202e" not in added.text
    assert f"{FSI}Amina Hassan{PDI}" in added.text
    code = re.search(r"P-\d{4}", added.text).group(0)
    [card] = await bot.send(people.bo.user, f"/participant {code}")
    assert "\u202e" not in card.text and f"{FSI}Amina Hassan{PDI}" in card.text
    [mine] = await bot.send(people.bo.user, "/mine")
    assert "\u202e" not in mine.text
    labels = [label for row in (mine.reply_markup or {}).get("inline_keyboard", [])
              for label in (b["text"] for b in row)]
    assert all("\u202e" not in label for label in labels)


# ---- the agenda is scoped by the access policy ----------------------------------------
async def test_after_a_handover_the_old_coordinators_agenda_no_longer_shows_the_participant(
    bot: BotHarness, people: People
) -> None:
    code = await add(bot, people.anna, "Amina Hassan | Växjö | woman | ar")
    await bot.send(people.anna.user, f"/followup {code} 2026-11-25 10:00 meeting Biblioteket")
    bot.clock.set(datetime(2026, 11, 25, 11, 0, tzinfo=STOCKHOLM))  # already due: stays Anna's
    [before] = await bot.send(people.anna.user, "/today")
    assert "Amina" in before.text
    await bot.send(people.lead.user, f"/handover Anna Bo {code}")
    for text in ("/today", "mina uppföljningar 2026-11-25", "vilka möten har jag idag"):
        replies = await bot.send(people.anna.user, text)
        assert replies and all("Amina" not in r.body and "Biblioteket" not in r.body
                               for r in replies), text
    bot.clock.advance(timedelta(days=0))


async def test_after_stop_taps_on_an_old_outcome_question_store_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    from bot.outbox.outcome_questions import ANSWER_BUTTONS
    from bot.sandbox.emulator import FakeUser
    from storage.models import FollowUpAnswer
    from storage.models import OutcomeFollowUp
    from tests.projects import insert_participants
    from tests.test_outcome_followups import joined
    from tests.test_outcome_followups import plan

    await insert_participants(db, [joined(people.bo.staff.id, 7100, language="en")])
    await plan(bot)
    await bot.dispatcher.drain()
    [question] = bot.api.bot_messages(7100)
    user = FakeUser(7100, "P", "en")
    [confirm] = await bot.send(user, "/stop")
    await bot.press(user, confirm, "Yes, stop")
    await bot.press_data(user, question, question.button_data(
        ANSWER_BUTTONS[FollowUpAnswer.WORKING]))
    assert all(f.answered_at is None for f in await rows(db, OutcomeFollowUp))


def test_the_control_character_check_refuses_exactly_categories_cc_and_cs() -> None:
    """The write check's one character class is the Unicode categories it stands for, over
    every code point (line breaks and tabs allowed)."""
    refused = [code for code in range(sys.maxunicode + 1) if has_control_characters(chr(code))]
    meant = [code for code in range(sys.maxunicode + 1)
             if unicodedata.category(chr(code)) in REFUSED_CATEGORIES
             and chr(code) not in ALLOWED_CONTROLS]
    assert refused == meant
    assert has_control_characters("a note\x1b[31m") and not has_control_characters("a\nb\tc")


def test_the_parsers_calendar_is_the_one_storage_accepts() -> None:
    from bot.text import periods
    from storage import validation

    assert (periods.EARLIEST_DAY, periods.LATEST_DAY) == (validation.EARLIEST_DAY,
                                                          validation.LATEST_DAY)


async def test_storage_refuses_a_telegram_id_beyond_52_bits(db: Database) -> None:
    from storage.errors import InvalidValue

    with pytest.raises(InvalidValue):
        async with transaction(db.sessions) as session:
            await add_staff(session, telegram_user_id=2**60, name="Too Big",
                            role=Role.COORDINATOR, municipality=None, now=TEST_NOW)
