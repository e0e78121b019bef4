"""Outcome follow-up through the outbox: 28 days, 6 and 13 months after ending, the
participant is asked in their language what they do now (one tap); no answer within
OUTCOME_FOLLOWUP_NO_ANSWER_DAYS, and the coordinator gets a task to ask by phone and log
it with a tap. OUTCOME_FOLLOWUP_OFFSETS moves the questions; reports count by the points.

`plan_outcome_followups` runs from the DailyPlanner once per local day. It starts one
`OutcomeFollowUp` row per participant and point and queues the question (dedupe key
`ofu:<participant>:<point>`) and the coordinator's task (`…:task`), so planning again
adds nothing. Participants who stopped the bot, withdrew consent, never joined or
cannot be reached are never asked: their coordinator gets the task at the same time as
for an unanswered question (so planning never sends anything at once, and a project
that starts using this gets its tasks spread out). Both messages are rendered when
sent and skipped once the question has been answered.
"""

from __future__ import annotations

from datetime import datetime
from datetime import time
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardMarkup

from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import family
from bot.outbox.reminders import quiet_hours
from bot.outbox.templates import Outgoing
from bot.outbox.templates import Rendered
from bot.outbox.timing import local_moment
from bot.outbox.timing import outside_quiet_hours
from bot.runtime.config import Settings
from bot.text.funder_labels import ANSWER_LABELS
from bot.text.funder_labels import POINT_LABELS
from bot.text.i18n import N_
from bot.text.i18n import Translator
from bot.text.render import grid
from bot.text.render import keyboard
from storage import outbox
from storage import outcome_followups as queries
from storage.gdpr import is_erased
from storage.models import FollowUpAnswer
from storage.models import FollowUpPoint
from storage.models import OutboxTemplate
from storage.models import Staff

ASK_AT = time(10, 0)
"""Local time of day the question goes out on its due date."""
CATCH_UP_DAYS = 14
"""A question whose day passed unplanned (downtime) is still asked within this many days."""
QUESTION = OutboxTemplate.OUTCOME_QUESTION
TASK = OutboxTemplate.OUTCOME_TASK

QUESTION_TEXTS: dict[FollowUpPoint, str] = {
    # TRANSLATORS: participant
    FollowUpPoint.DAYS_28: N_("Hello! About a month has passed since you finished the project. "
                              "We would like to know how you are doing. What are you doing "
                              "now? Tap one answer. Only the project's staff see it."),
    # TRANSLATORS: participant
    FollowUpPoint.MONTHS_6: N_("Hello! About six months have passed since you finished the "
                               "project. We would like to know how you are doing. What are you "
                               "doing now? Tap one answer. Only the project's staff see it."),
    # TRANSLATORS: participant
    FollowUpPoint.MONTHS_13: N_("Hello! More than a year has passed since you finished the "
                                "project. We would like to know how you are doing. What are "
                                "you doing now? Tap one answer. Only the project's staff see "
                                "it."),
}

@family("ofa", command="next")
class OutcomeAnswer(ButtonPayload):
    """The participant's own one-tap answer (handlers/outcome_followups.py)."""

    followup_id: int
    answer: FollowUpAnswer


@family("ofc", command="participant")
class OutcomeLog(ButtonPayload):
    """The coordinator logs what the participant said on the phone."""

    followup_id: int
    answer: FollowUpAnswer


ANSWER_BUTTONS: dict[FollowUpAnswer, str] = {
    # TRANSLATORS: participant
    FollowUpAnswer.WORKING: N_("💼 I am working"),
    # TRANSLATORS: participant
    FollowUpAnswer.STUDYING: N_("📚 I am studying"),
    # TRANSLATORS: participant
    FollowUpAnswer.LOOKING_FOR_WORK: N_("🔎 I am looking for work"),
    # TRANSLATORS: participant
    FollowUpAnswer.OTHER: N_("Something else"),
    # TRANSLATORS: participant
    FollowUpAnswer.RATHER_NOT_SAY: N_("I'd rather not say"),
}


def question_message(tr: Translator, point: FollowUpPoint, followup_id: int) -> Rendered:
    """What the participant gets (also usable for a preview)."""
    return Rendered(tr._(QUESTION_TEXTS[point]), answer_keyboard(tr, followup_id))


def answer_keyboard(tr: Translator, followup_id: int) -> InlineKeyboardMarkup:
    return keyboard([[(tr._(label), OutcomeAnswer(followup_id, answer).encode())]
                     for answer, label in ANSWER_BUTTONS.items()])


def staff_keyboard(tr: Translator, followup_id: int) -> InlineKeyboardMarkup:
    buttons = [(tr._(label), OutcomeLog(followup_id, answer).encode())
               for answer, label in ANSWER_LABELS.items()]
    return keyboard(grid(buttons, 2))


# ---- planning ----------------------------------------------------------------------------
async def plan_outcome_followups(session: AsyncSession, settings: Settings,
                                 now: datetime) -> int:
    """Start every question due today (local date) or missed within the catch-up days."""
    tz = settings.tz
    today = now.astimezone(tz).date()
    due = await queries.due_questions(session, today=today,
                                      catch_up=timedelta(days=CATCH_UP_DAYS),
                                      offsets=settings.followup_offsets)
    planned = 0
    for question in due:
        participant = question.participant
        ask_at = max(local_moment(question.due_on, ASK_AT, tz), now)
        ask_at = outside_quiet_hours(ask_at, ask_at + timedelta(days=1), tz,
                                     quiet_hours(settings))
        reachable = participant.reachable
        row = await queries.start(session, question, asked_at=ask_at if reachable else None,
                                  now=now)
        if row is None or row.id is None:
            continue
        key = f"ofu:{participant.id}:{question.point.value}"
        if reachable:
            assert participant.chat_id is not None
            await outbox.enqueue(
                session, chat_id=participant.chat_id, template=QUESTION,
                language=participant.language, send_at=ask_at, params={"followup": row.id},
                participant_id=participant.id, dedupe_key=key, now=now)
        coordinator = await session.get(Staff, participant.coordinator_id)
        if coordinator is not None:
            # Not tied to the participant's id: /stop cancels the question, not the task.
            await outbox.enqueue_for_staff(
                session, coordinator, default_language=settings.default_language,
                template=TASK,
                send_at=ask_at + timedelta(days=settings.outcome_followup_no_answer_days),
                params={"followup": row.id, "reason": "no_answer" if reachable
                        else "unreachable"},
                dedupe_key=f"{key}:task", now=now)
        planned += 1
    return planned


# ---- the outbox templates ----------------------------------------------------------------
async def question_template(session: AsyncSession, out: Outgoing) -> Rendered | None:
    item = await queries.followup_item(session, out.params["followup"])
    if item is None or item.followup.answered_at is not None or not item.participant.reachable:
        return None
    assert item.followup.id is not None
    return question_message(out.tr, FollowUpPoint(item.followup.point), item.followup.id)


TASK_TEXTS = {
    "no_answer": N_("📋 Outcome follow-up %(point)s after ending: %(code)s (%(name)s) has not "
                    "answered in the bot. Please ask them (by phone, for example) what they "
                    "are doing now, and tap the answer:"),
    "unreachable": N_("📋 Outcome follow-up %(point)s after ending: %(code)s (%(name)s) cannot "
                      "be asked in the bot. Please ask them (by phone, for example) what they "
                      "are doing now, and tap the answer:"),
}


async def task_template(session: AsyncSession, out: Outgoing) -> Rendered | None:
    tr = out.tr
    item = await queries.followup_item(session, out.params["followup"])
    if item is None or item.followup.answered_at is not None or is_erased(item.participant):
        return None
    assert item.followup.id is not None
    text = tr._(TASK_TEXTS.get(out.params.get("reason"), TASK_TEXTS["no_answer"]),
                point=tr._(POINT_LABELS[FollowUpPoint(item.followup.point)]),
                code=tr.isolate(item.participant.code), name=item.participant.display_name)
    return Rendered(text, staff_keyboard(tr, item.followup.id))
