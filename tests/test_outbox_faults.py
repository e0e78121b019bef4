"""Every promise of the outbox holds under faults (issue 21, points 1–5 and three of 10):
an outage only delays, dispatchers never send a row twice whatever their clocks say,
a notice follows whoever stands in for a deactivated or away colleague, a reminder
goes to the account the participant uses now, and nothing exceeds Telegram's limits.

Everything runs in-process against the Bot API emulator with an injected clock; the
multi-process proofs are in tests/test_dispatch_processes.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections import Counter
from collections.abc import Awaitable
from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from sqlmodel import select
from sqlmodel import update

from bench.telegram_limits import TelegramLimits
from bench.telegram_limits import closest_gap_per_chat
from bot import cli
from bot.outbox.dispatch import MAX_BACKOFF
from bot.outbox.dispatch import Dispatcher
from bot.outbox.reminders import notify_staff_now
from bot.outbox.templates import MESSAGE_LIMIT
from bot.outbox.templates import utf16_length
from bot.runner import healthz
from bot.runtime.clock import ManualClock
from bot.sandbox.emulator import ChatMessage
from bot.sandbox.emulator import FakeUser
from bot.sandbox.emulator import Fault
from storage import outbox
from storage.access import Viewer
from storage.db import transaction
from storage.followups import book_followup
from storage.models import FollowUpKind
from storage.models import OutboundMessage
from storage.models import OutboxStatus
from storage.models import Participant
from storage.models import Staff
from storage.staff import set_away
from storage.staff import set_staff_active
from tests.conftest import STOCKHOLM
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.conftest import Person
from tests.harness import BotHarness
from tests.harness import running_bot
from tests.projects import bo_and_anna
from tests.projects import insert_participants
from tests.projects import participant
from tests.steps import join
from tests.steps import outbox_rows
from tests.steps import queue_notices
from tests.steps import register_in_db
from tests.test_outcome_followups import joined
from tests.test_outcome_followups import plan
from tests.test_reminders_e2e import AMINA
from tests.test_reminders_e2e import invite_link
from tests.test_reminders_e2e import joined_with_followup

APPOINTMENT = datetime(2026, 12, 3, 10, 0, tzinfo=STOCKHOLM)
"""The follow-up `joined_with_followup` books for Amina (reminders 2 Dec 10:00, 3 Dec 08:00)."""


async def deactivate(db: Database, staff: Staff | None) -> None:
    assert staff is not None
    async with transaction(db.sessions) as session:
        await set_staff_active(session, staff.telegram_user_id, False, now=TEST_NOW)


async def run_until_settled(bot: BotHarness, db: Database, until: datetime) -> None:
    """Dispatch, then jump the bot's clock to the next retry, until `until` or nothing is
    left to retry: what minutes of an outage look like to the dispatcher, in no time."""
    for _ in range(200):
        await bot.dispatcher.drain()
        retrying = [r.send_at for r in await outbox_rows(db)
                    if r.status == OutboxStatus.PENDING and r.last_error]
        if not retrying or bot.clock.now() >= until:
            return
        bot.clock.set(min(retrying))
    raise AssertionError("the outbox never settled")


# ---- 5: an outage delays, and what cannot be useful any more is expired and told ----------
async def test_a_three_minute_outage_delays_the_reminder_and_loses_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    await joined_with_followup(bot, people)
    outage_ends = bot.clock.now() + timedelta(minutes=3)
    bot.api.fault = lambda method, _params: (
        Fault(502, "Bad Gateway") if method == "sendMessage" and bot.clock.now() < outage_ends
        else None)
    await run_until_settled(bot, db, until=outage_ends + MAX_BACKOFF)
    [first, second] = await outbox_rows(db, "reminder")
    assert first.status == OutboxStatus.SENT and first.attempts > 5, "retried past five"
    assert first.sent_at is not None and first.sent_at <= outage_ends + MAX_BACKOFF
    assert second.status == OutboxStatus.PENDING and second.attempts == 0
    assert "Reminder" in bot.api.bot_messages(AMINA.id)[-1].text
    async with transaction(db.sessions) as session:
        counts = await outbox.health_counts(session, now=bot.clock.now())
    assert counts["failed"] == 0 and counts["expired"] == 0


async def test_a_reminder_that_cannot_arrive_before_the_appointment_expires_and_is_told(
    bot: BotHarness, people: People, db: Database
) -> None:
    await joined_with_followup(bot, people)
    bot.clock.set(APPOINTMENT - timedelta(hours=3))
    # Amina's chat cannot be reached (Telegram answers 503 for it) until after 10:00.
    bot.api.fault = lambda method, params: (
        Fault(503, "Service Unavailable")
        if method == "sendMessage" and params["chat_id"] == AMINA.id else None)
    await run_until_settled(bot, db, until=APPOINTMENT + timedelta(minutes=1))
    assert [r.status for r in await outbox_rows(db, "reminder")] == [OutboxStatus.EXPIRED] * 2
    told = [m.body for m in bot.api.bot_messages(people.anna.id) if "⚠️" in m.body]
    assert len(told) == 1, "one notice for the appointment, not one per reminder"
    assert "P-0001" in told[0]
    async with transaction(db.sessions) as session:
        counts = await outbox.health_counts(session, now=bot.clock.now())
    assert counts["expired"] == 2 and counts["expired_last_day"] == 2 and counts["failed"] == 0


# ---- 3: a row is sent once, whatever the dispatchers' clocks and Telegram's speed --------
def slow_telegram(seconds: float):
    return lambda method, _params: Fault(200, delay=seconds) if method == "sendMessage" else None


async def test_a_dispatcher_whose_clock_is_130_s_ahead_takes_over_no_lease(
    db: Database, people: People
) -> None:
    # Leases of two minutes: by its own clock, a process 130 s ahead would see every
    # other process's lease as run out and send those rows again.
    chats = [860_000 + index for index in range(6)]
    await queue_notices(db, people, chats)
    async with running_bot(db.url, db.sessions, now=TEST_NOW, dispatch_concurrency=1) as bot:
        bot.api.fault = slow_telegram(0.3)
        ahead = Dispatcher(bot.app.bot, dataclasses.replace(
            bot.dispatcher.services, clock=ManualClock(TEST_NOW + timedelta(seconds=130))),
            bot.dispatcher.templates, worker="ahead")

        async def later() -> None:
            await asyncio.sleep(0.4)
            await ahead.drain()

        await asyncio.gather(bot.dispatcher.drain(), later())
    assert Counter({chat: len(bot.api.bot_messages(chat)) for chat in chats}) == Counter(
        dict.fromkeys(chats, 1))
    assert {r.status for r in await outbox_rows(db)} == {OutboxStatus.SENT}


async def test_rows_waiting_longer_than_their_lease_are_renewed_not_sent_twice(
    db: Database, people: People
) -> None:
    # One place to send from, 1.5 s per message and a lease of two seconds: the last
    # row of the batch waits one and a half times its lease. Renewed while they wait, the
    # rows are never taken over by the second dispatcher.
    chats = [870_000 + index for index in range(3)]
    await queue_notices(db, people, chats)
    async with running_bot(db.url, db.sessions, now=TEST_NOW, dispatch_concurrency=1,
                           dispatch_lease_seconds=2.0) as bot:
        bot.api.fault = slow_telegram(1.5)
        other = Dispatcher(bot.app.bot, bot.dispatcher.services, bot.dispatcher.templates,
                           worker="other")

        async def keep_trying() -> int:
            claimed = 0
            for _ in range(15):
                await asyncio.sleep(0.3)
                claimed += (await other.run_once()).claimed
            return claimed

        report, taken_over = await asyncio.gather(bot.dispatcher.drain(), keep_trying())
    assert taken_over == 0 and report.sent == 3 and report.lost == 0
    assert all(len(bot.api.bot_messages(chat)) == 1 for chat in chats)


async def test_the_fence_refuses_a_row_another_worker_took_over(db: Database,
                                                                people: People) -> None:
    await queue_notices(db, people, [880_001])
    async with transaction(db.sessions) as session:
        [row] = await outbox.claim_due(session, now=TEST_NOW, worker="first", limit=1,
                                       lease=timedelta(seconds=0.2))
    await asyncio.sleep(0.3)
    async with transaction(db.sessions) as session:
        assert await outbox.fence(session, [row.id], "first", lease=timedelta(minutes=2)) \
            == set(), "a lease that ran out is not renewed"
        [again] = await outbox.claim_due(session, now=TEST_NOW, worker="second", limit=1,
                                         lease=timedelta(minutes=2))
        assert again.id == row.id
    async with transaction(db.sessions) as session:
        assert await outbox.fence(session, [row.id], "first", lease=timedelta(minutes=2)) \
            == set()
        assert not await outbox.mark_sent(session, row.id, "first", now=TEST_NOW)
        assert await outbox.fence(session, [row.id], "second",
                                  lease=timedelta(minutes=2)) == {row.id}


# ---- 1: deactivation takes effect for every notice and task at once ----------------------
async def test_a_deactivated_coordinators_notices_go_to_the_lead_or_their_delegate(
    bot: BotHarness, people: People, db: Database
) -> None:
    await joined_with_followup(bot, people)
    anna_before = len(bot.api.bot_messages(people.anna.id))
    await deactivate(db, people.anna.staff)
    # The no-answer alert (queued for Anna when the follow-up was booked) is due.
    bot.clock.set(datetime(2026, 12, 2, 14, 5, tzinfo=STOCKHOLM))
    await bot.dispatcher.drain()
    assert len(bot.api.bot_messages(people.anna.id)) == anna_before, "Anna gets nothing"
    [alert] = [m for m in bot.api.bot_messages(people.lead.id) if "⏳" in m.body]
    assert "P-0001" in alert.text and "Anna Andersson" in alert.text
    assert "no longer works in the project" in alert.text
    assert not bot.api.bot_messages(people.lead_alvesta.id), "Amina is not in Alvesta"

    # Anna had named Bo as her delegate: from now on he gets what was meant for her.
    async with transaction(db.sessions) as session:
        bo = await session.get(Staff, people.bo.staff.id)  # type: ignore[union-attr]
        await set_away(session, people.anna.staff.id, delegate=bo,  # type: ignore[union-attr]
                       until=date(2026, 12, 31), today=TEST_NOW.date(), now=TEST_NOW)
    [reminder] = [m for m in bot.api.bot_messages(AMINA.id) if "Reminder" in m.body]
    await bot.press(AMINA, reminder, "I'm coming")
    await bot.dispatcher.drain()
    [notice] = [m for m in bot.api.bot_messages(people.bo.id) if "📬" in m.body]
    assert "P-0001" in notice.text
    assert len(bot.api.bot_messages(people.anna.id)) == anna_before


async def bos_outcome_task(bot: BotHarness, people: People, db: Database, chat_id: int, *,
                           meanwhile: Callable[[], Awaitable[object]], goes_to: Person,
                           ) -> ChatMessage:
    """Bo's participant (ended four weeks ago) is asked for their outcome; `meanwhile`
    changes Bo's standing; eight days on, the no-answer task reaches `goes_to`, not Bo."""
    assert people.bo.staff is not None and people.bo.staff.id is not None
    [code] = await insert_participants(db, [joined(people.bo.staff.id, chat_id, language="so")])
    await plan(bot)
    await meanwhile()
    bot.clock.advance(timedelta(days=8))
    await bot.dispatcher.drain()
    assert not any("📋" in m.body for m in bot.api.bot_messages(people.bo.id))
    [task] = [m for m in bot.api.bot_messages(goes_to.id) if "📋" in m.body]
    assert code in task.text
    return task


async def test_a_deactivated_coordinators_outcome_task_goes_to_the_lead(
    bot: BotHarness, people: People, db: Database
) -> None:
    task = await bos_outcome_task(bot, people, db, 7601, goes_to=people.lead,
                                  meanwhile=lambda: deactivate(db, people.bo.staff))
    [done] = await bot.press(people.lead.user, task, "looking for work")
    assert done.text.startswith("✅"), "the lead can log the answer"


async def test_handover_moves_an_ended_participants_pending_outcome_task(
    bot: BotHarness, people: People, db: Database
) -> None:
    task = await bos_outcome_task(
        bot, people, db, 7602, goes_to=people.anna,
        meanwhile=lambda: bot.send(people.admin.user, "/handover Bo Anna"))
    [done] = await bot.press_data(people.anna.user, task, task.buttons[0][1])
    assert done.text.startswith("✅"), "Anna may log it: the participant moved with the task"


# ---- 2: a reminder goes to the account the participant uses now --------------------------
async def test_a_reminder_goes_to_the_account_the_participant_rejoined_from(
    bot: BotHarness, people: People, db: Database
) -> None:
    new_account = FakeUser(5077, "Amina", "en")
    await joined_with_followup(bot, people)  # reminders queued for her first account
    token = await invite_link(bot, people, "P-0001")
    await join(bot, new_account, token, "English")
    async with transaction(db.sessions) as session:
        participant = (await session.exec(select(Participant))).one()
    assert participant.chat_id == new_account.id
    before = len(bot.api.bot_messages(AMINA.id))
    await bot.dispatcher.drain()
    assert len(bot.api.bot_messages(AMINA.id)) == before, "nothing to the old account"
    assert "Reminder" in bot.api.bot_messages(new_account.id)[-1].text


# ---- 10: one notice per change; the redirected chat's pacing; Telegram's length ----------
async def test_thirty_taps_on_one_answer_tell_the_coordinator_once(
    bot: BotHarness, people: People, db: Database
) -> None:
    await joined_with_followup(bot, people)
    await bot.dispatcher.drain()
    [reminder] = [m for m in bot.api.bot_messages(AMINA.id) if "Reminder" in m.body]
    coming, cannot = reminder.button_data("I'm coming"), reminder.button_data("I can't come")
    for _ in range(30):  # the first tap takes the buttons away; old messages keep them
        await bot.press_data(AMINA, reminder, coming)
    await bot.press_data(AMINA, reminder, cannot)
    await bot.dispatcher.drain()
    notices = [m.body for m in bot.api.bot_messages(people.anna.id) if "📬" in m.body]
    assert len(notices) == 2, notices


async def test_a_notice_redirected_to_a_delegate_is_paced_by_the_delegates_chat(
    db: Database, people: People
) -> None:
    assert people.anna.staff is not None and people.bo.staff is not None
    async with transaction(db.sessions) as session:
        bo = await session.get(Staff, people.bo.staff.id)
        await set_away(session, people.anna.staff.id, delegate=bo,  # type: ignore[arg-type]
                       until=date(2026, 12, 31), today=TEST_NOW.date(), now=TEST_NOW)
        participant = await register_in_db(session, people.anna.staff, "Paced")
    limits = TelegramLimits()
    async with running_bot(db.url, db.sessions, now=TEST_NOW,
                           per_chat_interval_seconds=1.0) as bot:
        bot.api.fault = limits
        async with transaction(db.sessions) as session:
            for staff in (people.anna.staff, people.bo.staff):  # both end up in Bo's chat
                await notify_staff_now(session, bot.settings, staff.id,  # type: ignore[arg-type]
                                       "participant_joined",
                                       {"participant_id": participant.id}, now=TEST_NOW)
        await bot.dispatcher.drain()
    assert [d.chat_id for d in limits.deliveries] == [people.bo.id] * 2
    assert limits.violations == 0 and closest_gap_per_chat(limits.deliveries) >= 1.0


async def test_an_agenda_longer_than_telegram_allows_is_cut_at_a_line(
    bot: BotHarness, people: People, db: Database
) -> None:
    day = datetime(2026, 11, 25, 8, 0, tzinfo=STOCKHOLM)
    async with transaction(db.sessions) as session:
        viewer = Viewer.of(people.anna.staff)
        participant = await register_in_db(session, people.anna.staff, "Amina 😀" * 6)
        for minute in range(0, 600, 10):
            await book_followup(session, viewer, participant.code,
                                due_at=day + timedelta(minutes=minute),
                                kind=FollowUpKind.MEETING, place="Arbetsförmedlingen 🏢 " * 4,
                                now=TEST_NOW)
    await plan(bot)
    bot.clock.set(day - timedelta(minutes=30))
    await bot.dispatcher.drain()
    [agenda] = [m for m in bot.api.bot_messages(people.anna.id) if "<b>" in m.body]
    assert utf16_length(agenda.body) <= MESSAGE_LIMIT
    assert agenda.body.endswith("\n…") and agenda.body.count("<b>") == agenda.body.count("</b>")
    annas = people.anna.staff.id  # type: ignore[union-attr]
    assert {r.status for r in await outbox_rows(db, "agenda") if r.staff_id == annas} \
        == {OutboxStatus.SENT}


async def test_healthz_and_the_operator_command_count_failed_and_expired_rows(
    bot: BotHarness, people: People, db: Database, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await queue_notices(db, people, [890_001, 890_002, 890_003])
    async with transaction(db.sessions) as session:
        first, second, _ = await outbox.claim_due(session, now=TEST_NOW, worker="w", limit=3,
                                                  lease=timedelta(minutes=2))
        await outbox.mark_expired(session, first.id, "w", error="expired: 502")
        await outbox.mark_failed(session, second.id, "w", error="bad request")
    assert await bot.dispatcher.leadership.lead(), "the only process leads"
    try:
        response = await healthz(bot.app)
    finally:
        await bot.dispatcher.leadership.release()
    counts = json.loads(response.body)["outbox"]
    assert (counts["failed"], counts["expired"]) == (1, 1)
    assert json.loads(response.body)["dispatcher"] == "active"

    # The command runs on the system clock: the rows were last tried a moment ago.
    async with transaction(db.sessions) as session:
        await session.exec(update(OutboundMessage).values(send_at=datetime.now(UTC)))
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("DATABASE_SCHEMA", db.schema or "")
    monkeypatch.setattr(cli.logs, "configure", lambda *_args: None)  # keep pytest's logging
    capsys.readouterr()
    assert await asyncio.to_thread(cli.main, ["outbox", "status"]) == 1, "lost in the last day"
    printed = dict(line.split("\t") for line in capsys.readouterr().out.splitlines())
    assert printed["expired"] == "1" and printed["failed"] == "1"
    assert printed["sending"] == "1"


async def test_a_deactivated_coordinators_participants_show_as_without_one_in_team_and_digest(
    bot: BotHarness, people: People, db: Database
) -> None:
    bo_id, anna_id = bo_and_anna(people)
    [code, _, _] = await insert_participants(db, [
        participant(anna_id, enrolled_on=date(2026, 1, 5)),
        participant(anna_id, enrolled_on=date(2026, 1, 5)),
        participant(bo_id, enrolled_on=date(2026, 1, 5))])
    await deactivate(db, people.anna.staff)
    [team] = await bot.send(people.lead.user, "/team")
    assert "Anna" not in team.text
    lines = team.text.split("\n")
    [orphaned] = [line for line in lines if line.startswith("without an")]
    assert orphaned.split()[-4] == "2", "both of Anna's participants are counted there"
    assert lines.index(orphaned) == len(lines) - 2, "last, after the active coordinators"
    [digest] = await bot.send(people.lead.user, "/digest")
    assert f"{code} (without an active coordinator)" in digest.text
    assert "(Anna Andersson)" not in digest.text  # her check-ins still count as hers
