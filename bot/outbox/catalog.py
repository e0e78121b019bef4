"""Every outbox template in one place: which function renders which kind of row.

The composition root (`bot.app.build_application`) hands this mapping to the dispatcher;
nothing registers a template by being imported. A kind added to
`storage.models.OutboxTemplate` must be added here too (tests/test_outbox_catalog.py).
"""

from __future__ import annotations

from bot.outbox import digest
from bot.outbox import hours_reminder
from bot.outbox import outcome_questions
from bot.outbox import templates
from bot.outbox.templates import Template
from storage.models import OutboxTemplate


def outbox_templates() -> dict[str, Template]:
    """Kind → the function that renders a row of that kind when it is sent."""
    return {
        OutboxTemplate.REMINDER: templates.reminder,
        OutboxTemplate.FOLLOWUP_CHANGED: templates.followup_changed,
        OutboxTemplate.NO_ANSWER: templates.no_answer,
        OutboxTemplate.RESPONSE_NOTICE: templates.response_notice,
        OutboxTemplate.PARTICIPANT_NOTICE: templates.participant_notice,
        OutboxTemplate.PARTICIPANT_JOINED: templates.participant_joined,
        OutboxTemplate.AGENDA: templates.agenda,
        OutboxTemplate.DIGEST: digest.digest_template,
        OutboxTemplate.HOURS_REMINDER: hours_reminder.hours_reminder,
        OutboxTemplate.OUTCOME_QUESTION: outcome_questions.question_template,
        OutboxTemplate.OUTCOME_TASK: outcome_questions.task_template,
    }
