"""Outcome follow-up 28 days, 6 and 13 months after ending: asked in the participant's
language with one-tap answers, never to someone who stopped or gave no consent, planned
by the local date, and handed to the coordinator when nobody answers."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest

from bot.outbox.outcome_questions import ANSWER_BUTTONS
from bot.outbox.outcome_questions import QUESTION_TEXTS
from bot.outbox.outcome_questions import plan_outcome_followups
from bot.outbox.scheduler import DISPATCHER_KEY
from bot.sandbox.emulator import FakeUser
from bot.text.funder_labels import ANSWER_LABELS
from bot.text.i18n import Translator
from bot.text.languages import PARTICIPANT_LANGUAGES
from storage.db import transaction
from storage.models import FollowUpAnswer
from storage.models import FollowUpPoint
from storage.models import OutboxStatus
from storage.models import Outcome
from storage.models import OutcomeFollowUp
from storage.outcome_followups import POINT_OFFSETS
from storage.outcome_followups import add_months
from storage.outcome_followups import due_on
from storage.outcome_followups import parse_offsets
from tests.conftest import STOCKHOLM
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.harness import BotHarness
from tests.projects import insert_participants
from tests.projects import participant
from tests.steps import outbox_rows
from tests.steps import rows

ENDED_28_DAYS_AGO = date(2026, 10, 27)
"""TEST_NOW is 24 November 2026: 28 days after 27 October."""


def joined(coordinator_id: int, chat_id: int, *, language: str = "ar",
           ended_on: date = ENDED_28_DAYS_AGO, **extra: Any) -> dict[str, Any]:
    row = participant(coordinator_id, enrolled_on=date(2026, 1, 5), ended_on=ended_on,
                      outcome=Outcome.EMPLOYED)
    return {**row, "language": language, "chat_id": chat_id, "telegram_user_id": chat_id,
            "consent_at": TEST_NOW - timedelta(days=200), "stopped_at": None,
            "unreachable_at": None, **extra}


async def plan(bot: BotHarness) -> None:
    """What the DailyPlanner does once a day (called again after the clock moved)."""
    await bot.app.bot_data[DISPATCHER_KEY + ".agenda"].plan()


async def followups(db: Database) -> list[OutcomeFollowUp]:
    return await rows(db, OutcomeFollowUp)


def bo_id(people: People) -> int:
    assert people.bo.staff is not None and people.bo.staff.id is not None
    return people.bo.staff.id


# ---- pure date arithmetic -----------------------------------------------------------------
@pytest.mark.parametrize(("text", "offsets"), [
    ("28d,6m,13m", [(0, 28), (6, 0), (13, 0)]),
    (" 30D , 6m14d, 12m ", [(0, 30), (6, 14), (12, 0)]),
    ("30d,1m14d,2m", [(0, 30), (1, 14), (2, 0)]),
])
def test_followup_offsets_setting_parses(text: str, offsets: list[tuple[int, int]]) -> None:
    assert list(parse_offsets(text).values()) == offsets
    assert list(parse_offsets(text)) == list(POINT_OFFSETS)


@pytest.mark.parametrize("text", [
    "", "28d,6m", "28d,6m,13m,2y", "28,6m,13m", "0d,6m,13m", "6m,28d,13m", "28d,6m,6m",
    "1m,31d,2m", "30d,1m,2m", "28d,6x,13m", "-1d,6m,13m", "28d,,13m",
])
def test_followup_offsets_setting_refuses_what_is_not_three_increasing_offsets(
        text: str) -> None:
    with pytest.raises(ValueError):
        parse_offsets(text)


@pytest.mark.parametrize(("ended", "point", "due"), [
    (date(2026, 10, 27), FollowUpPoint.DAYS_28, date(2026, 11, 24)),
    (date(2026, 2, 1), FollowUpPoint.DAYS_28, date(2026, 3, 1)),
    (date(2026, 5, 24), FollowUpPoint.MONTHS_6, date(2026, 11, 24)),
    (date(2026, 8, 31), FollowUpPoint.MONTHS_6, date(2027, 2, 28)),
    (date(2027, 8, 31), FollowUpPoint.MONTHS_6, date(2028, 2, 29)),
    (date(2025, 10, 24), FollowUpPoint.MONTHS_13, date(2026, 11, 24)),
    (date(2025, 12, 31), FollowUpPoint.MONTHS_13, date(2027, 1, 31)),
])
def test_due_dates_of_the_three_points(ended: date, point: FollowUpPoint, due: date) -> None:
    assert due_on(ended, point) == due
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


# ---- the participant answers in their language ----------------------------------------------
async def test_question_in_every_participant_language_with_working_buttons(
    bot: BotHarness, people: People, db: Database
) -> None:
    chats = {language: 7000 + index for index, language in enumerate(PARTICIPANT_LANGUAGES)}
    await insert_participants(db, [joined(bo_id(people), chat, language=language)
                                   for language, chat in chats.items()])
    await plan(bot)
    await bot.dispatcher.drain()
    answers = list(FollowUpAnswer)
    for index, (language, chat) in enumerate(chats.items()):
        tr = Translator(language, STOCKHOLM)
        [question] = bot.api.bot_messages(chat)
        assert question.text == tr._(QUESTION_TEXTS[FollowUpPoint.DAYS_28])
        assert [label for label, _ in question.buttons] == [
            tr._(label) for label in ANSWER_BUTTONS.values()]
        answer = answers[index % len(answers)]
        first_button = question.buttons[0][1]
        user = FakeUser(chat, "P", language)
        [thanks] = await bot.press_data(user, question, question.button_data(
            tr._(ANSWER_BUTTONS[answer])))
        assert thanks.message_id == question.message_id and not thanks.buttons
        expected = ("That is fine. Thank you, and all the best!"
                    if answer == FollowUpAnswer.RATHER_NOT_SAY else
                    "Thank you for your answer! We wish you all the best.")
        assert thanks.text == tr._(expected)
        # A second tap changes nothing.
        [again] = await bot.press_data(user, thanks, first_button)
        assert again.text == tr._("Thank you, we already have your answer.")
    saved = await followups(db)
    assert len(saved) == len(PARTICIPANT_LANGUAGES)
    assert all(f.point == "28d" and f.source == "participant" and f.answered_at == TEST_NOW
               and f.due_on == date(2026, 11, 24) for f in saved)
    assert [f.answer for f in saved] == [answers[i % len(answers)].value
                                         for i in range(len(saved))]
    # A week later the coordinator's tasks are skipped: everyone answered.
    bot.clock.advance(timedelta(days=8))
    await bot.dispatcher.drain()
    tasks = await outbox_rows(db, "outcome_task")
    assert len(tasks) == len(chats) and {t.status for t in tasks} == {OutboxStatus.SKIPPED}
    assert not any("📋" in m.body for m in bot.api.bot_messages(people.bo.id))


async def test_nobody_who_stopped_or_gave_no_consent_is_asked_and_the_coordinator_is(
    bot: BotHarness, people: People, db: Database
) -> None:
    bo = bo_id(people)
    rows = [
        joined(bo, 7101, stopped_at=TEST_NOW - timedelta(days=3)),
        joined(bo, 7102, consent_at=None),
        joined(bo, 7103, unreachable_at=TEST_NOW - timedelta(days=9)),
        {**joined(bo, 7104), "chat_id": None, "telegram_user_id": None, "consent_at": None},
        {**joined(bo, 7105), "display_name": "—", "chat_id": None, "consent_at": None},
    ]
    ids = await insert_participants(db, rows)
    await plan(bot)
    await bot.dispatcher.drain()
    assert not any("📋" in m.body for m in bot.api.bot_messages(people.bo.id)), "not yet"
    bot.clock.advance(timedelta(days=7))
    await bot.dispatcher.drain()
    for chat in (7101, 7102, 7103, 7104, 7105):
        assert bot.api.bot_messages(chat) == []
    assert await outbox_rows(db, "outcome_question") == []
    saved = await followups(db)
    assert len(saved) == 4 and all(f.asked_at is None for f in saved), "erased: nothing"
    tasks = [m for m in bot.api.bot_messages(people.bo.id) if "📋" in m.body]
    assert len(tasks) == 4 and all("cannot be asked in the bot" in t.text for t in tasks)
    codes = [row["code"] for row in rows[:4]]
    assert sorted(code for t in tasks for code in codes if code in t.text) == sorted(codes)

    # Anna may not log it for Bo's participant, nor may a participant forge her own answer.
    task = next(t for t in tasks if codes[0] in t.text)
    [anchor] = await bot.send(people.anna.user, "/help")
    [refused] = await bot.press_data(people.anna.user, anchor, task.button_data("working"))
    assert codes[0] not in refused.body and "gått ut" in refused.body, "expired, in Swedish"
    other = FakeUser(7102, "P", "ar")
    [anchor] = await bot.send(other, "/next")
    await bot.press_data(other, anchor, task.button_data("working").replace("ofc", "ofa"))
    assert all(f.answered_at is None for f in await followups(db))

    [saved_reply] = await bot.press(people.bo.user, task, "studying")
    assert f"Saved for {codes[0]}" in saved_reply.text and "28 days" in saved_reply.text
    answered = next(f for f in await followups(db) if f.participant_id == ids[codes[0]])
    assert (answered.answer, answered.source, answered.logged_by) == (
        "studying", "coordinator", bo)


async def test_window_edges_at_28_days_follow_the_local_date(
    bot: BotHarness, people: People, db: Database
) -> None:
    bo = bo_id(people)
    # 00:30 on 24 November in Stockholm is still 23 November in UTC.
    bot.clock.set(datetime(2026, 11, 24, 0, 30, tzinfo=STOCKHOLM))
    rows = [
        joined(bo, 7201, ended_on=date(2026, 10, 27)),  # 28 days: due today
        joined(bo, 7202, ended_on=date(2026, 10, 28)),  # 27 days: tomorrow
        joined(bo, 7203, ended_on=date(2026, 10, 13)),  # due 10 Nov: last catch-up day
        joined(bo, 7204, ended_on=date(2026, 10, 12)),  # due 9 Nov: too long ago
        joined(bo, 7205, ended_on=date(2026, 5, 24)),  # 6 months today
        joined(bo, 7206, ended_on=date(2026, 5, 25)),  # 6 months tomorrow
        joined(bo, 7207, ended_on=date(2025, 10, 24)),  # 13 months today
    ]
    ids = await insert_participants(db, rows)
    by_id = {ids[row["code"]]: row["chat_id"] for row in rows}
    async with transaction(db.sessions) as session:
        assert await plan_outcome_followups(session, bot.settings, bot.clock.now()) == 4
    async with transaction(db.sessions) as session:
        assert await plan_outcome_followups(session, bot.settings, bot.clock.now()) == 0
    started = {by_id[f.participant_id]: f.point for f in await followups(db)}
    assert started == {7201: "28d", 7203: "28d", 7205: "6m", 7207: "13m"}
    questions = {row.chat_id: row.send_at.astimezone(STOCKHOLM)
                 for row in await outbox_rows(db, "outcome_question")}
    assert {chat: moment.strftime("%d %H:%M") for chat, moment in questions.items()} == {
        7201: "24 10:00", 7205: "24 10:00", 7207: "24 10:00",
        7203: "24 08:00",  # overdue, so now, but not in the quiet hours
    }
    tasks = [row.send_at.astimezone(STOCKHOLM).strftime("%m-%d %H:%M")
             for row in await outbox_rows(db, "outcome_task")]
    assert sorted(tasks) == ["12-01 08:00", "12-01 10:00", "12-01 10:00", "12-01 10:00"]

    # The next local day brings the 27-day and 6-months-tomorrow ones, nothing twice.
    bot.clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=STOCKHOLM))
    await plan(bot)
    started = {by_id[f.participant_id] for f in await followups(db)}
    assert started == {7201, 7202, 7203, 7205, 7206, 7207}
    assert len(await outbox_rows(db, "outcome_question")) == 6


async def test_configured_offsets_and_no_answer_days_move_question_and_task(
    bot: BotHarness, people: People, db: Database
) -> None:
    settings = bot.settings.model_copy(update={"outcome_followup_offsets": "14d,6m14d,12m",
                                               "outcome_followup_no_answer_days": 3})
    bot.clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=STOCKHOLM))
    rows = [
        joined(bo_id(people), 7501, ended_on=date(2026, 11, 10)),  # 14 days today
        # 28 days would be a catch-up today (17 Nov); 14 days fell due too long ago (3 Nov).
        joined(bo_id(people), 7502, ended_on=date(2026, 10, 20)),
        joined(bo_id(people), 7503, ended_on=date(2026, 5, 10)),  # 6 months 14 days today
        joined(bo_id(people), 7504, ended_on=date(2026, 5, 24)),  # 6 months: not yet
        joined(bo_id(people), 7505, ended_on=date(2025, 11, 24)),  # 12 months today
    ]
    ids = await insert_participants(db, rows)
    by_id = {ids[row["code"]]: row["chat_id"] for row in rows}
    async with transaction(db.sessions) as session:
        assert await plan_outcome_followups(session, settings, bot.clock.now()) == 3
    started = {by_id[f.participant_id]: (f.point, f.due_on) for f in await followups(db)}
    assert started == {7501: ("28d", date(2026, 11, 24)), 7503: ("6m", date(2026, 11, 24)),
                       7505: ("13m", date(2026, 11, 24))}
    tasks = {row.send_at.astimezone(STOCKHOLM).strftime("%m-%d %H:%M")
             for row in await outbox_rows(db, "outcome_task")}
    assert tasks == {"11-27 10:00"}


async def test_no_answer_after_seven_days_gives_the_coordinator_a_task_to_log_with_one_tap(
    bot: BotHarness, people: People, db: Database
) -> None:
    [code] = await insert_participants(db, [joined(bo_id(people), 7301, language="so")])
    await plan(bot)
    await bot.dispatcher.drain()
    [question] = bot.api.bot_messages(7301)
    first_button = question.buttons[0][1]
    bot.clock.advance(timedelta(days=6, hours=23))
    await bot.dispatcher.drain()
    assert not any("📋" in m.body for m in bot.api.bot_messages(people.bo.id))
    bot.clock.advance(timedelta(hours=1))
    await bot.dispatcher.drain()
    [task] = [m for m in bot.api.bot_messages(people.bo.id) if "📋" in m.body]
    assert code in task.text and "has not answered in the bot" in task.text
    assert [label for label, _ in task.buttons] == list(ANSWER_LABELS.values())
    [done] = await bot.press(people.bo.user, task, "looking for work")
    assert done.text == f"✅ Saved for {code}, 28 days after ending: looking for work."
    [saved] = await followups(db)
    assert (saved.answer, saved.source) == ("looking_for_work", "coordinator")
    # The participant's late tap does not overwrite what the coordinator logged.
    [late] = await bot.press_data(FakeUser(7301, "P", "so"), question, first_button)
    assert late.text == Translator("so", STOCKHOLM)._("Thank you, we already have your answer.")
    [saved] = await followups(db)
    assert saved.answer == "looking_for_work"


async def test_stopping_the_bot_cancels_the_question_but_not_the_coordinators_task(
    bot: BotHarness, people: People, db: Database
) -> None:
    bot.clock.set(datetime(2026, 11, 24, 7, 0, tzinfo=STOCKHOLM))
    await insert_participants(db, [joined(bo_id(people), 7401, language="uk")])
    await plan(bot)
    user = FakeUser(7401, "P", "uk")
    [confirm] = await bot.send(user, "/stop")
    await bot.press_data(user, confirm, "pstop:yes")
    bot.clock.advance(timedelta(days=8))
    await bot.dispatcher.drain()
    assert not any(m.buttons and m.buttons[0][1].startswith("ofa:")
                   for m in bot.api.bot_messages(7401))
    [question] = await outbox_rows(db, "outcome_question")
    assert question.status == OutboxStatus.CANCELLED
    assert any("📋" in m.body for m in bot.api.bot_messages(people.bo.id))
