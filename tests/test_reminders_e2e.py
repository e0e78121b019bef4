"""Invite → consent → language → follow-up → reminders → one-tap answer → coordinator told.

Everything runs through the Bot API emulator with an injected clock; the dispatcher is
driven explicitly so each step is deterministic.
"""

from __future__ import annotations

import re
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from sqlmodel import func
from sqlmodel import select

from bot.sandbox.emulator import ChatMessage
from bot.sandbox.emulator import FakeUser
from bot.sandbox.emulator import Fault
from bot.text.i18n import Translator
from handlers.followups import FollowUpAskCancel
from handlers.kit.flows import FlowFor
from handlers.kit.flows import FlowTap
from storage.db import transaction
from storage.models import FlowDraft
from storage.models import FollowUp
from storage.models import Invite
from storage.models import OutboundMessage
from storage.models import OutboxStatus
from storage.models import Participant
from tests.conftest import STOCKHOLM
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.harness import BotHarness
from tests.harness import running_bot
from tests.steps import add_participant
from tests.steps import each_reply_contains
from tests.steps import join
from tests.steps import picked
from tests.steps import rows

AMINA = FakeUser(5001, "Amina", "en")


async def register(bot: BotHarness, people: People, language: str = "en") -> str:
    return await add_participant(bot, people.anna.user,
                                 f"/ny Amina H | Växjö | kvinna | {language}")


async def invite_link(bot: BotHarness, people: People, code: str) -> str:
    [photo] = await bot.send(people.anna.user, f"/bjud {code}")
    assert photo.photo_id is not None, "the invitation comes with a QR code image"
    assert bot.api.files[photo.photo_id].content.startswith(b"\x89PNG")
    link = re.search(r"https://t\.me/koordinator_bot\?start=([\w-]+)", photo.caption)
    assert link, photo.caption
    return link.group(1)


async def amina_joined(bot: BotHarness, people: People) -> str:
    """Anna registers Amina and invites her; Amina joins in English. Her code."""
    code = await register(bot, people)
    await join(bot, AMINA, await invite_link(bot, people, code), "English")
    return code


async def test_participant_joins_gets_reminders_and_answers(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await register(bot, people)
    token = await invite_link(bot, people, code)
    [invite] = await rows(db, Invite)
    assert token not in invite.token_hash and len(invite.token_hash) == 64
    await join(bot, AMINA, token, "English")
    [participant] = await rows(db, Participant)
    assert participant.chat_id == AMINA.id and participant.consent_at is not None
    assert participant.language == "en"

    [booked] = await bot.send(people.anna.user, f"/uppfoljning {code} 2026-12-03 10:00 möte "
                                                "Arbetsförmedlingen Växjö")
    assert "2" in booked.text and "P-0001" in booked.text
    reminders = [r for r in await rows(db, OutboundMessage) if r.template == "reminder"]
    assert [r.send_at.astimezone(STOCKHOLM).strftime("%d %H:%M") for r in reminders] == [
        "02 10:00", "03 08:00"]

    # Nothing is due yet.
    assert (await bot.dispatcher.run_once()).sent == 1  # the "joined" notice to Anna
    bot.clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=STOCKHOLM))
    report = await bot.dispatcher.run_once()
    assert report.sent == 1
    reminder = bot.api.bot_messages(AMINA.id)[-1]
    assert "Reminder" in reminder.text and "10:00" in reminder.text
    assert "Arbetsförmedlingen Växjö" in reminder.text

    before = len(bot.api.bot_messages(people.anna.id))
    replies = await bot.press(AMINA, reminder, "I'm coming")
    assert "Thank you" in replies[-1].text
    [followup] = await rows(db, FollowUp)
    assert followup.response == "confirmed"
    await bot.dispatcher.run_once()
    notice = bot.api.bot_messages(people.anna.id)[before]
    assert "P-0001" in notice.text and "kommer" in notice.text.lower()

    # The no-answer alert is skipped, not sent: she answered.
    bot.clock.set(datetime(2026, 12, 3, 9, 0, tzinfo=STOCKHOLM))
    await bot.dispatcher.drain()
    statuses = {r.template: r.status for r in await rows(db, OutboundMessage)}
    assert statuses["no_answer"] == OutboxStatus.SKIPPED
    assert all("Ingen bekräftelse" not in m.body for m in bot.api.bot_messages(people.anna.id))


async def test_no_answer_alert_reaches_the_coordinator(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await amina_joined(bot, people)
    await bot.send(people.anna.user, f"/followup {code} 2026-12-03 10:00 phone")
    bot.clock.set(datetime(2026, 12, 2, 14, 5, tzinfo=STOCKHOLM))
    await bot.dispatcher.drain()
    texts = [m.body for m in bot.api.bot_messages(people.anna.id)]
    assert any("P-0001" in t and "⏳" in t for t in texts), texts


async def test_invite_tokens_are_single_use_expiring_and_unforgeable(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await register(bot, people)
    first = await invite_link(bot, people, code)
    second = await invite_link(bot, people, code)
    [reply] = await bot.send(AMINA, f"/start {first}")
    assert "replaced" in reply.text
    [reply] = await bot.send(AMINA, "/start forged-token-0123456789abcdef")
    assert "not valid" in reply.text
    other = FakeUser(5002, "Mallory", "en")
    [consent] = await bot.send(AMINA, f"/start {second}")
    [reply] = await bot.send(other, f"/start {second}")
    assert "another Telegram account" in reply.text
    # Mallory forges Amina's consent button in her own chat: refused.
    await bot.press_data(other, reply, consent.button_data("I agree"))
    assert all(p.telegram_user_id is None for p in await rows(db, Participant))
    await bot.press(AMINA, consent, "I agree")
    [reply] = await bot.send(FakeUser(5003, "Late", "en"), f"/start {second}")
    assert "already been used" in reply.text
    [participant] = await rows(db, Participant)
    assert participant.telegram_user_id == AMINA.id

    third = await invite_link(bot, people, code)
    bot.clock.advance(timedelta(days=15))
    [reply] = await bot.send(FakeUser(5004, "Slow", "en"), f"/start {third}")
    assert "expired" in reply.text


async def test_participant_next_and_stop(bot: BotHarness, people: People, db: Database) -> None:
    code = await amina_joined(bot, people)
    [reply] = await bot.send(AMINA, "/next")
    assert "no appointment" in reply.text
    await bot.send(people.anna.user, f"/followup {code} tomorrow 13:00 meeting Library")
    [reply] = await bot.send(AMINA, "/nasta")
    assert "13:00" in reply.text and "Library" in reply.text
    [confirm] = await bot.send(AMINA, "/stop")
    [done] = await bot.press(AMINA, confirm, "Yes, stop")
    assert "no more messages" in done.text
    [participant] = await rows(db, Participant)
    assert participant.stopped_at is not None
    pending = [r for r in await rows(db, OutboundMessage)
               if r.template == "reminder" and r.status == OutboxStatus.PENDING]
    assert pending == []
    await bot.dispatcher.drain()
    assert any("🛑" in m.body for m in bot.api.bot_messages(people.anna.id))


async def test_cancel_and_move_follow_up_from_its_card(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await amina_joined(bot, people)
    [booked] = await bot.send(people.anna.user, f"/followup {code} 2026-12-03 10:00 meeting")
    [card] = await bot.press(people.anna.user, booked, "Öppna")
    [ask] = await bot.press(people.anna.user, card, "Flytta")
    *_, moved = await bot.send(people.anna.user, "2026-12-04 11:00")
    assert "11:00" in moved.text
    reminders = [r for r in await rows(db, OutboundMessage) if r.template == "reminder"]
    assert sorted(r.status for r in reminders) == ["cancelled", "cancelled", "pending", "pending"]
    live = [r for r in reminders if r.status == "pending"]
    assert [r.send_at.astimezone(STOCKHOLM).strftime("%d %H:%M") for r in live] == [
        "03 11:00", "04 09:00"]
    [card] = await bot.press(people.anna.user, moved, "Öppna") if moved.buttons else [card]
    followup_id = (await rows(db, FollowUp))[0].id
    [confirm] = await bot.press_data(people.anna.user, ask,
                                     FollowUpAskCancel(followup_id).encode())
    [done] = await bot.press(people.anna.user, confirm, "Ja")
    assert "P-0001" in done.text
    assert all(r.status != "pending" for r in await rows(db, OutboundMessage)
               if r.template == "reminder")


async def test_today_lists_the_days_follow_ups(bot: BotHarness, people: People) -> None:
    code = await register(bot, people)
    [reply] = await bot.send(people.anna.user, "/idag")
    assert "24 november" in reply.text.lower()
    await bot.send(people.anna.user, f"/followup {code} today 15:00 phone")
    await bot.send(people.anna.user, f"/followup {code} today 11:00 meeting Office")
    [agenda] = await bot.send(people.anna.user, "/idag")
    assert agenda.text.index("11:00") < agenda.text.index("15:00")
    assert "Office" in agenda.text


async def test_a_follow_up_opened_from_today_has_a_way_back_to_the_agenda(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await register(bot, people)
    await bot.send(people.anna.user, f"/followup {code} today 15:00 phone")
    await bot.send(people.anna.user, f"/followup {code} today 11:00 meeting Office")
    [agenda] = await bot.send(people.anna.user, "/idag")
    [card] = await bot.press(people.anna.user, agenda, "11:00")
    assert card.message_id == agenda.message_id, "the card replaces the agenda"
    assert "Office" in card.text and "15:00" not in card.text
    [back] = await bot.press(people.anna.user, card, "« ")
    assert back.message_id == agenda.message_id
    assert (back.text, back.buttons) == (agenda.text, agenda.buttons), "the same agenda again"
    # A card opened elsewhere (a notice, the booking reply) has no agenda to go back to.
    [booked] = await bot.send(people.anna.user, f"/followup {code} today 16:00 phone")
    [card] = await bot.press(people.anna.user, booked, "Öppna")
    assert not any(label.startswith("«") for label, _ in card.buttons)
    assert len(await rows(db, FollowUp)) == 3


async def test_past_time_and_bad_followup_input_change_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await register(bot, people)
    await each_reply_contains(bot, people.anna.user, [
        (f"/followup {code} 2026-11-20 10:00 meeting", "passerat"),
        (f"/followup {code} 2026-12-01 25:00 meeting", "<code>/uppfoljning"),
        (f"/followup {code} someday 10:00", "<code>/uppfoljning"),
        ("/followup P-0999 2026-12-01 10:00", "P-0999"),
    ])
    assert await rows(db, FollowUp) == []


async def test_guided_followup_booking(bot: BotHarness, people: People, db: Database) -> None:
    code = await register(bot, people)
    user = people.anna.user
    days = await picked(bot, user, "/followup", code)
    [times] = await bot.press_data(user, days, days.buttons[1][1])
    [kinds] = await bot.press(user, times, "09:00")
    await bot.press(user, kinds, "telefonsamtal")
    *_, done = await bot.send(user, "Ring på mobilen")
    assert "P-0001" in done.text
    [followup] = await rows(db, FollowUp)
    assert followup.kind == "phone_call" and followup.place == "Ring på mobilen"
    assert followup.due_at.astimezone(STOCKHOLM).strftime("%H:%M") == "09:00"


@pytest.mark.parametrize(("line", "due", "kind"), [
    ("fredag kl 14 telefon", datetime(2026, 11, 27, 14, 0, tzinfo=STOCKHOLM), "phone_call"),
    ("3/12 9.30 möte Biblioteket", datetime(2026, 12, 3, 9, 30, tzinfo=STOCKHOLM), "meeting"),
    ("imorgon klockan 10", datetime(2026, 11, 25, 10, 0, tzinfo=STOCKHOLM), "meeting"),
])
async def test_a_one_line_booking_as_people_write_the_day_and_time(
    bot: BotHarness, people: People, db: Database, line: str, due: datetime, kind: str
) -> None:
    code = await register(bot, people)
    [booked] = await bot.send(people.anna.user, f"/uppfoljning {code} {line}")
    assert f"<b>{code}</b>" in booked.text, booked.text
    [followup] = await rows(db, FollowUp)
    assert (followup.due_at, followup.kind) == (due, kind)


async def drafts(db: Database) -> int:
    async with transaction(db.sessions) as session:
        return (await session.exec(select(func.count()).select_from(FlowDraft))).one()


@pytest.mark.parametrize(("typed_day", "day", "typed_kind", "kind"), [
    ("imorgon", date(2026, 11, 25), "telefon", "phone_call"),
    ("2026-12-03", date(2026, 12, 3), "möte", "meeting"),
    ("i morgon", date(2026, 11, 25), "Avstämningsfråga", "checkin_question"),
    # Tuesday 24 November: "fredag" is the coming Friday, a day and month the next one.
    ("fredag", date(2026, 11, 27), "möte", "meeting"),
    ("3 dec", date(2026, 12, 3), "möte", "meeting"),
    ("3/12", date(2026, 12, 3), "möte", "meeting"),
])
async def test_guided_followup_booked_by_typing_every_answer(
    bot: BotHarness, people: People, db: Database, typed_day: str, day: date,
    typed_kind: str, kind: str,
) -> None:
    """A Swedish coordinator types where she would rather not tap: the participant's name,
    the day ("imorgon", a date), a time no button offers, the kind in Swedish, the place."""
    code = await register(bot, people)
    user = people.anna.user
    [picker] = await bot.send(user, "/uppfoljning")
    *_, days = await bot.send(user, "Amina")
    assert f"Vilken dag för {code}?" == days.text
    [refused] = await bot.send(user, "igår")
    assert "passerat" in refused.text, "a day gone by is refused, the step waits"
    *_, times = await bot.send(user, typed_day)
    [refused] = await bot.send(user, "halv tre")
    assert "TT:MM" in refused.text
    *_, kinds = await bot.send(user, "kl 14.30")
    *_, place = await bot.send(user, typed_kind)
    assert "Ingen plats" in [label for label, _ in place.buttons]
    *_, done = await bot.send(user, "Biblioteket")
    assert f"<b>{code}</b>" in done.text and "Follow-up booked" not in done.text
    [followup] = await rows(db, FollowUp)
    assert (followup.kind, followup.place) == (kind, "Biblioteket")
    assert followup.due_at.astimezone(STOCKHOLM) == datetime(day.year, day.month, day.day, 14,
                                                             30, tzinfo=STOCKHOLM)
    # Every step answered by typing lost its buttons; nothing is left waiting.
    assert [m.buttons for m in (picker, days, times, kinds, place)] == [[]] * 5
    assert await drafts(db) == 0


async def test_guided_followup_goes_back_a_step_and_asks_before_a_clash(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await register(bot, people)
    user = people.anna.user
    await bot.send(user, f"/followup {code} 2026-11-25 10:00 meeting")
    [picker] = await bot.send(user, "/followup")
    assert "« " not in str(picker.buttons), "the first step has no way back"
    [days] = await bot.press(user, picker, code)
    [times] = await bot.press_data(user, days, days.buttons[1][1])  # Wednesday 25th
    [kinds] = await bot.press(user, times, "09:00")
    [times] = await bot.press(user, kinds, "« ")
    assert "vilken tid?" in times.text and "10:00" in [label for label, _ in times.buttons]
    [kinds] = await bot.press(user, times, "10:00")
    [place] = await bot.press(user, kinds, "möte")
    [asked] = await bot.press(user, place, "Ingen plats")
    assert "(P-0001)" in asked.text, "the booking checks ask first, in the guided flow too"
    assert len(await rows(db, FollowUp)) == 1
    *_, done = await bot.send(user, "Boka ändå")
    assert code in done.text
    booked = await rows(db, FollowUp)
    assert [f.due_at.astimezone(STOCKHOLM).strftime("%d %H:%M") for f in booked] == [
        "25 10:00", "25 10:00"]
    assert booked[1].place == ""


async def test_a_booking_step_from_an_earlier_run_is_expired_and_books_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await register(bot, people)
    pid = int(code[2:])
    user = people.anna.user
    days = await picked(bot, user, "/followup", code)
    await bot.send(user, "/followup")  # started again: the old day buttons are stale
    [stale] = await bot.press_data(user, days, days.buttons[0][1])
    assert "gått ut" in stale.text and "/uppfoljning" in stale.text
    # A day button sent before the flow engine says the same.
    [anchor] = await bot.send(user, "/help")
    [old] = await bot.press_data(user, anchor, f"fu:d:{pid}:2026-12-01")
    assert "gått ut" in old.text and "/uppfoljning" in old.text
    assert await rows(db, FollowUp) == []
    # The run started last still works, from a card-like button with the participant picked.
    [days] = await bot.press_data(user, anchor, FlowFor("followup", pid).encode())
    assert days.text == f"Vilken dag för {code}?"


async def test_a_booking_flow_never_reaches_a_participant_out_of_scope(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await register(bot, people)  # Anna's
    bo = people.bo.user
    [anchor] = await bot.send(bo, "/help")
    [refused] = await bot.press_data(bo, anchor, FlowFor("followup", int(code[2:])).encode())
    assert "expired" in refused.text
    [picker] = await bot.send(bo, "/followup")  # Bo has no participants of his own
    assert "no active participants" in picker.text
    await bot.send(bo, "/add Omar A | Växjö | man | so")
    [picker] = await bot.send(bo, "/followup")
    [refused] = await bot.send(bo, code)
    assert "No participant you can see matches" in refused.text
    # His own run, his own step, Anna's participant as the value: expired, nothing learnt.
    async with transaction(db.sessions) as session:
        draft = await session.get(FlowDraft, people.bo.id)
    forged = FlowTap("followup", draft.run, draft.step, str(int(code[2:]))).encode()
    [refused] = await bot.press_data(bo, picker, forged)
    assert "expired" in refused.text and "Amina" not in refused.text
    assert await rows(db, FollowUp) == []


async def test_a_move_is_typed_refused_in_the_past_and_its_old_prompt_expires(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await register(bot, people)
    user = people.anna.user
    [booked] = await bot.send(user, f"/followup {code} 2026-12-03 10:00 meeting")
    [card] = await bot.press(user, booked, "Öppna")
    [ask] = await bot.press(user, card, "Flytta")
    cancel = ask.button_data("Avbryt")
    [refused] = await bot.send(user, "2026-11-20 10:00")
    assert "passerat" in refused.text
    [refused] = await bot.send(user, "snart")
    assert refused.text == "Skriv den nya dagen och tiden som ÅÅÅÅ-MM-DD TT:MM."
    *_, moved = await bot.send(user, "imorgon 11:00")
    assert "11:00" in moved.text
    [stale] = await bot.press_data(user, ask, cancel)
    assert "gått ut" in stale.text
    [followup] = await rows(db, FollowUp)
    assert followup.due_at.astimezone(STOCKHOLM) == datetime(2026, 11, 25, 11, 0,
                                                             tzinfo=STOCKHOLM)
    assert await drafts(db) == 0


# ---- delivery faults -------------------------------------------------------------------
async def joined_with_followup(bot: BotHarness, people: People) -> None:
    code = await amina_joined(bot, people)
    await bot.send(people.anna.user, f"/followup {code} 2026-12-03 10:00 meeting")
    await bot.dispatcher.drain()
    bot.clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=STOCKHOLM))


async def test_retry_after_429_waits_as_told_then_delivers(
    bot: BotHarness, people: People, db: Database
) -> None:
    await joined_with_followup(bot, people)
    bot.api.fault = lambda method, params: (
        Fault(429, "Too Many Requests: retry after 7", retry_after=7)
        if method == "sendMessage" and params["chat_id"] == AMINA.id else None)
    report = await bot.dispatcher.run_once()
    assert report.retried == 1 and report.sent == 0
    [row] = [r for r in await rows(db, OutboundMessage)
             if r.template == "reminder" and r.status == "pending" and r.last_error]
    assert row.send_at == bot.clock.now() + timedelta(seconds=7) and row.attempts == 0
    bot.api.fault = None
    assert (await bot.dispatcher.run_once()).claimed == 0, "not before retry_after"
    bot.clock.advance(timedelta(seconds=7))
    assert (await bot.dispatcher.run_once()).sent == 1
    assert "Reminder" in bot.api.bot_messages(AMINA.id)[-1].text


async def test_timeouts_are_retried_and_the_message_is_delivered_once_the_api_answers(
    people: People, db: Database
) -> None:
    start = datetime(2026, 11, 24, 10, 0, tzinfo=STOCKHOLM)
    async with running_bot(db.url, db.sessions, now=start, telegram_timeout_seconds=0.3) as bot:
        await joined_with_followup(bot, people)
        slow = {"left": 2}

        def two_slow_answers(method: str, params: dict) -> Fault | None:
            if method == "sendMessage" and params["chat_id"] == AMINA.id and slow["left"]:
                slow["left"] -= 1
                return Fault(200, delay=0.8)
            return None

        bot.api.fault = two_slow_answers
        for _ in range(2):
            report = await bot.dispatcher.run_once()
            assert report.retried == 1, report
            bot.clock.advance(timedelta(minutes=1))
        assert (await bot.dispatcher.run_once()).sent == 1
        [row] = [r for r in await rows(db, OutboundMessage)
                 if r.template == "reminder" and r.status == OutboxStatus.SENT]
        assert row.attempts == 3 and row.last_error is None
        assert "Reminder" in bot.api.bot_messages(AMINA.id)[-1].text


async def test_blocked_bot_marks_participant_unreachable_and_tells_coordinator(
    bot: BotHarness, people: People, db: Database
) -> None:
    await joined_with_followup(bot, people)
    bot.api.blocked_by.add(AMINA.id)
    await bot.dispatcher.drain()
    [participant] = await rows(db, Participant)
    assert participant.unreachable_at is not None
    reminders = [r for r in await rows(db, OutboundMessage) if r.template == "reminder"]
    assert sorted(r.status for r in reminders) == ["cancelled", "failed"]
    assert any("⚠️" in m.body for m in bot.api.bot_messages(people.anna.id))
    [caseload] = await bot.send(people.anna.user, "/mina")
    assert "⚠️" in caseload.text


async def test_invited_but_not_started_is_flagged_in_mine(
    bot: BotHarness, people: People
) -> None:
    code = await register(bot, people)
    await invite_link(bot, people, code)
    [caseload] = await bot.send(people.anna.user, "/mina")
    assert "✉️" in caseload.text


# ---- restarts and concurrency ------------------------------------------------------------
async def test_restart_sends_due_rows_and_skips_stale_ones(
    bot: BotHarness, people: People, db: Database
) -> None:
    await joined_with_followup(bot, people)
    # The bot was down from before the 24 h reminder until 08:30 on the day: the 24 h
    # reminder is stale (beyond the 6 h grace), the 2 h one (08:00) is due now.
    restart_at = datetime(2026, 12, 3, 8, 30, tzinfo=STOCKHOLM)
    async with running_bot(db.url, db.sessions, now=restart_at) as restarted:
        skipped = await restarted.dispatcher.startup()
        assert sorted(r.template for r in skipped) == ["no_answer", "reminder"]
        await restarted.dispatcher.drain()
        to_amina = restarted.api.bot_messages(AMINA.id)
        assert len(to_amina) == 1 and "Reminder" in to_amina[0].text
        assert any("⚠️" in m.body for m in restarted.api.bot_messages(people.anna.id))
    sent = [r for r in await rows(db, OutboundMessage) if r.status == OutboxStatus.SENT]
    assert len({r.id for r in sent}) == len(sent)


@pytest.mark.parametrize("dispatchers", [2, 3])
async def test_concurrent_dispatchers_never_send_a_row_twice(
    bot: BotHarness, people: People, db: Database, dispatchers: int
) -> None:
    import asyncio

    from bot.outbox.dispatch import Dispatcher
    from storage import outbox

    code = await register(bot, people)
    participant_id = int(code[2:])
    now = bot.clock.now()
    async with transaction(db.sessions) as session:
        for index in range(120):
            await outbox.enqueue(session, chat_id=700_000 + index, template="participant_joined",
                                 language="sv", send_at=now,
                                 params={"participant_id": participant_id}, now=now)
    workers = [Dispatcher(bot.app.bot, bot.dispatcher.services, bot.dispatcher.templates,
                          worker=f"w{i}")
               for i in range(dispatchers)]
    reports = await asyncio.gather(*(w.drain() for w in workers))
    assert sum(r.sent for r in reports) == 120
    delivered = [chat for chat in range(700_000, 700_120) if bot.api.bot_messages(chat)]
    assert len(delivered) == 120
    assert all(len(bot.api.bot_messages(chat)) == 1 for chat in delivered)
    statuses = {r.status for r in await rows(db, OutboundMessage) if r.chat_id >= 700_000}
    assert statuses == {OutboxStatus.SENT}


async def test_lease_of_a_dead_worker_expires_and_its_rows_are_sent(
    bot: BotHarness, people: People, db: Database
) -> None:
    import asyncio

    from storage import outbox

    await joined_with_followup(bot, people)
    async with transaction(db.sessions) as session:
        claimed = await outbox.claim_due(session, now=bot.clock.now(), worker="dead",
                                         lease=timedelta(seconds=0.5), limit=10)
    assert [r.template for r in claimed] == ["reminder"]
    assert (await bot.dispatcher.run_once()).claimed == 0
    # Leases run on the database's clock: moving the bot's clock does not end them...
    bot.clock.advance(timedelta(minutes=3))
    assert (await bot.dispatcher.run_once()).claimed == 0
    await asyncio.sleep(0.6)  # ...the database's clock passing the lease does.
    assert (await bot.dispatcher.run_once()).sent == 1
    assert len(bot.api.bot_messages(AMINA.id)) == 3  # consent, language, the one reminder


def _messages_to(bot: BotHarness, chat: int) -> list[ChatMessage]:
    return bot.api.bot_messages(chat)


async def test_morning_agenda_goes_to_coordinators_with_follow_ups_only(
    bot: BotHarness, people: People, db: Database
) -> None:
    from bot.outbox.scheduler import DISPATCHER_KEY

    code = await register(bot, people)
    await bot.send(people.anna.user, f"/followup {code} 2026-11-25 09:30 meeting Office")
    planner = bot.app.bot_data[DISPATCHER_KEY + ".agenda"]
    assert await planner.plan() == 5
    assert await planner.plan() == 0, "planned once per local day"
    agenda_rows = [r for r in await rows(db, OutboundMessage) if r.template == "agenda"]
    assert {r.send_at.astimezone(STOCKHOLM).strftime("%a %d %H:%M") for r in agenda_rows} == {
        "Wed 25 07:30"}
    bot.clock.set(datetime(2026, 11, 25, 7, 30, tzinfo=STOCKHOLM))
    before = len(bot.api.bot_messages(people.anna.id))
    await bot.dispatcher.drain()
    [agenda] = bot.api.bot_messages(people.anna.id)[before:]
    assert "P-0001" in agenda.text and "Office" in agenda.text
    assert not bot.api.bot_messages(people.bo.id), "no follow-ups, no agenda message"
    statuses = sorted(r.status for r in await rows(db, OutboundMessage) if r.template == "agenda")
    assert statuses == ["sent", "skipped", "skipped", "skipped", "skipped"]


async def test_arabic_participant_gets_both_reminders_across_a_restart_and_answers(
    people: People, db: Database
) -> None:
    from bot.text.i18n import Translator

    arabic = Translator("ar", STOCKHOLM)
    hana = FakeUser(5010, "Hana", "ar")
    start = datetime(2026, 11, 30, 9, 0, tzinfo=STOCKHOLM)
    async with running_bot(db.url, db.sessions, now=start) as first:
        code = await register(first, people, language="ar")
        token = await invite_link(first, people, code)
        [consent] = await first.send(hana, f"/start {token}")
        replies = await first.press(hana, consent, arabic._("✅ I agree"))
        await first.press(hana, replies[-1], "العربية")
        await first.send(people.anna.user, f"/followup {code} 2026-12-03 10:00 meeting")
        first.clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=STOCKHOLM))
        await first.dispatcher.drain()
        [day_before] = [m for m in first.api.bot_messages(hana.id) if "🔔" in m.body]
        assert arabic._("✅ I'm coming") in [label for label, _ in day_before.buttons]
        assert "\u206610:00\u2069" in day_before.text
    # The bot is restarted; the second reminder (08:00 on the day) comes from the new process.
    async with running_bot(db.url, db.sessions,
                           now=datetime(2026, 12, 3, 8, 0, tzinfo=STOCKHOLM)) as second:
        skipped = await second.dispatcher.startup()
        assert [r.template for r in skipped] == ["no_answer"], "no reminder is lost"
        await second.dispatcher.drain()
        [same_day] = second.api.bot_messages(hana.id)
        assert same_day.text == day_before.text
        await second.press(hana, same_day, arabic._("❌ I can't come"))
        await second.dispatcher.drain()
        [notice] = [m for m in second.api.bot_messages(people.anna.id) if "📬" in m.body]
        assert "kan inte komma" in notice.text
    reminders = [r for r in await rows(db, OutboundMessage) if r.template == "reminder"]
    assert sorted(r.status for r in reminders) == ["sent", "sent"]


async def test_notices_go_to_the_delegate_while_the_coordinator_is_away(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await amina_joined(bot, people)
    await bot.dispatcher.drain()
    [reply] = await bot.send(people.anna.user, "/borta Bo 5/12")  # the coming 5 December
    assert "Bo Berg" in reply.text
    await bot.send(people.anna.user, f"/followup {code} 2026-12-03 10:00 meeting")
    bot.clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=STOCKHOLM))
    await bot.dispatcher.drain()
    anna_before = len(bot.api.bot_messages(people.anna.id))
    await bot.press(AMINA, bot.api.bot_messages(AMINA.id)[-1], "I'm coming")
    await bot.dispatcher.drain()
    [notice] = [m for m in bot.api.bot_messages(people.bo.id) if "📬" in m.body]
    assert "is coming" in notice.text and "For Anna Andersson, who is away until" in notice.text
    assert len(bot.api.bot_messages(people.anna.id)) == anna_before
    [back] = await bot.send(people.anna.user, "/borta av")
    assert back.text == Translator("sv", STOCKHOLM)._(
        "Welcome back: your notices come to you again.")
    [refused] = await bot.send(people.anna.user, "/borta Anna 2026-12-05")
    assert refused.text == Translator("sv", STOCKHOLM)._(
        "The colleague must be active staff, not you, and the last day away today or later; "
        "nothing was changed.")
    assert refused.text != "The colleague must be active staff, not you, and the last day away "


async def test_away_is_set_with_taps_a_colleague_then_the_last_day(
    bot: BotHarness, people: People, db: Database
) -> None:
    from storage.models import Staff

    [picker] = await bot.send(people.bo.user, "/away")
    colleagues = [label for label, _ in picker.buttons]
    assert "Anna Andersson" in colleagues and "Bo Berg" not in colleagues, "not oneself"
    assert "I'm back" not in colleagues
    [days] = await bot.press(people.bo.user, picker, "Anna Andersson")
    assert "last day away" in days.text
    assert [label for label, _ in days.buttons][14:] == ["« Back", "Cancel"]
    [done] = await bot.press_data(people.bo.user, days, days.buttons[3][1])
    assert "Anna Andersson gets your notices" in done.text
    async with transaction(db.sessions) as session:
        bo = await session.get(Staff, people.bo.staff.id)
    assert bo.delegate_id == people.anna.staff.id
    assert bo.away_until == (TEST_NOW.astimezone(STOCKHOLM) + timedelta(days=3)).date()
    # Back with a tap; a forged button naming oneself or nobody changes nothing.
    [picker] = await bot.send(people.bo.user, "/away")
    [back] = await bot.press(people.bo.user, picker, "I'm back")
    assert "Welcome back" in back.text
    [picker] = await bot.send(people.bo.user, "/away")
    live = FlowTap.parse(picker.buttons[0][1])
    for forged in (FlowTap("away", live.run, live.step, str(people.bo.staff.id)).encode(),
                   FlowTap("away", live.run, live.step, "99999").encode(),
                   "away:d:1:yesterday-ish"):  # oneself, nobody, a step sent before the engine
        [anchor] = await bot.send(people.bo.user, "/help")
        [refused] = await bot.press_data(people.bo.user, anchor, forged)
        assert refused.text == "This step has expired. Start again with /away.", forged
    async with transaction(db.sessions) as session:
        bo = await session.get(Staff, people.bo.staff.id)
    assert (bo.delegate_id, bo.away_until) == (None, None)
