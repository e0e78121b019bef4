"""The one-tap answers to the outcome follow-up: the participant's own (`ofa:`), and the
coordinator's who asked by phone (`ofc:`). Questions and tasks are queued by
`bot.outbox.outcome_questions`."""

from __future__ import annotations

from telegram.ext import Application

from bot.outbox.outcome_questions import OutcomeAnswer
from bot.outbox.outcome_questions import OutcomeLog
from bot.text.funder_labels import ANSWER_LABELS
from bot.text.funder_labels import POINT_LABELS
from handlers.kit.base import Turn
from handlers.kit.base import bind_button
from handlers.kit.base import expired
from storage import outcome_followups as queries
from storage.access import Action
from storage.models import FollowUpAnswer
from storage.models import FollowUpPoint


async def answer_button(turn: Turn, payload: OutcomeAnswer) -> None:
    """The participant answers the question with one tap."""
    participant = turn.participant
    assert participant is not None and participant.id is not None
    tr = turn.tr
    followup_id, answer = payload.followup_id, payload.answer
    async with turn.transaction() as session:
        item = await queries.answer_by_participant(session, participant.id, followup_id, answer,
                                                   now=turn.now)
    if item is None:
        # TRANSLATORS: participant
        await turn.edit(tr._("Thank you, we already have your answer."))
        return
    if answer == FollowUpAnswer.RATHER_NOT_SAY:
        # TRANSLATORS: participant
        await turn.edit(tr._("That is fine. Thank you, and all the best!"))
    else:
        # TRANSLATORS: participant
        await turn.edit(tr._("Thank you for your answer! We wish you all the best."))


async def log_button(turn: Turn, payload: OutcomeLog) -> None:
    """The coordinator logs what the participant told them."""
    tr = turn.tr
    followup_id, answer = payload.followup_id, payload.answer
    async with turn.transaction() as session:
        logged = await queries.answer_by_staff(session, turn.require_viewer(), followup_id,
                                               answer, now=turn.now)
    if logged is None:
        await expired(turn, "/participant")
        return
    item, saved = logged
    code = tr.isolate(item.participant.code)
    if not saved and item.followup.answer is not None:
        await turn.edit(tr._("%(code)s has already answered in the bot: %(answer)s.", code=code,
                             answer=tr._(ANSWER_LABELS[FollowUpAnswer(item.followup.answer)])))
        return
    await turn.edit(tr._("✅ Saved for %(code)s, %(point)s after ending: %(answer)s.", code=code,
                         point=tr._(POINT_LABELS[FollowUpPoint(item.followup.point)]),
                         answer=tr._(ANSWER_LABELS[answer])))


def register(app: Application) -> None:
    bind_button(app, OutcomeAnswer, answer_button)
    # Logging an answer is its own right, not the card's (OutcomeLog starts again there).
    bind_button(app, OutcomeLog, log_button, action=Action.LOG_OUTCOME_FOLLOWUP)
