"""Outbox templates: what a queued row says, rendered when it is sent.

Rendering at send time means the text follows the follow-up as it is *now* (moved,
answered, cancelled) and the reader's language as it is now. A template returns None
when the message is no longer relevant; the row is then marked skipped, not sent.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardMarkup

from bot.outbox.timing import local_day_bounds
from bot.text.i18n import N_, SafeHtml, Translator
from bot.text.render import keyboard
from storage import followups as followup_queries
from storage.access import Viewer
from storage.models import (
    FollowUp,
    FollowUpKind,
    FollowUpResponse,
    FollowUpState,
    OutboundMessage,
    Participant,
    Staff,
)

FOLLOWUP_KIND_LABELS: dict[FollowUpKind, str] = {
    # TRANSLATORS: participant
    FollowUpKind.MEETING: N_("meeting"),
    # TRANSLATORS: participant
    FollowUpKind.PHONE_CALL: N_("phone call"),
    # TRANSLATORS: participant
    FollowUpKind.CHECKIN_QUESTION: N_("check-in question"),
}

RESPONSE_LABELS: dict[FollowUpResponse, str] = {
    FollowUpResponse.PENDING: N_("no answer yet"),
    FollowUpResponse.CONFIRMED: N_("is coming"),
    FollowUpResponse.NEEDS_NEW_TIME: N_("needs another time"),
    FollowUpResponse.CANT_COME: N_("can't come"),
}


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    keyboard: InlineKeyboardMarkup | None = None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A claimed row about to be rendered, with the reader's translator and the time."""

    row: OutboundMessage
    tr: Translator
    now: datetime

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.row.params or "{}")


Template = Callable[[AsyncSession, Outgoing], Awaitable[Rendered | None]]
TEMPLATES: dict[str, Template] = {}

# Messages to participants (quiet hours apply; a 403 marks the participant unreachable).
PARTICIPANT_TEMPLATES = frozenset({"reminder"})


def template(name: str) -> Callable[[Template], Template]:
    def register(fn: Template) -> Template:
        TEMPLATES[name] = fn
        return fn

    return register


async def render(session: AsyncSession, outgoing: Outgoing) -> Rendered | None:
    fn = TEMPLATES.get(outgoing.row.template)
    if fn is None:
        raise LookupError(f"unknown outbox template {outgoing.row.template!r}")
    return await fn(session, outgoing)


def when_text(tr: Translator, followup: FollowUp) -> str:
    # TRANSLATORS: participant
    return tr._("%(weekday)s %(date)s at %(time)s",
                weekday=tr.date(tr.local(followup.due_at).date(), "EEEE"),
                date=tr.date(tr.local(followup.due_at).date()),
                time=tr.isolate(tr.time(followup.due_at)))


def response_keyboard(tr: Translator, followup_id: int) -> InlineKeyboardMarkup:
    return keyboard([
        # TRANSLATORS: participant
        [(tr._("✅ I'm coming"), f"fu:r:{followup_id}:{FollowUpResponse.CONFIRMED.value}")],
        # TRANSLATORS: participant
        [(tr._("🕒 I need another time"),
          f"fu:r:{followup_id}:{FollowUpResponse.NEEDS_NEW_TIME.value}")],
        # TRANSLATORS: participant
        [(tr._("❌ I can't come"), f"fu:r:{followup_id}:{FollowUpResponse.CANT_COME.value}")],
    ])


def participant_appointment_text(tr: Translator, followup: FollowUp) -> str:
    kind = tr._(FOLLOWUP_KIND_LABELS[FollowUpKind(followup.kind)])
    if followup.place:
        # TRANSLATORS: participant
        return tr._("%(kind)s on %(when)s, %(place)s", kind=kind,
                    when=SafeHtml(when_text(tr, followup)), place=followup.place)
    # TRANSLATORS: participant
    return tr._("%(kind)s on %(when)s", kind=kind, when=SafeHtml(when_text(tr, followup)))


async def _current(session: AsyncSession, row: OutboundMessage):
    if row.followup_id is None:
        return None
    item = await followup_queries.followup_with_participant(session, row.followup_id)
    if item is None or item.followup.state != FollowUpState.SCHEDULED:
        return None
    return item


@template("reminder")
async def reminder(session: AsyncSession, out: Outgoing) -> Rendered | None:
    tr = out.tr
    item = await _current(session, out.row)
    if item is None or item.followup.due_at <= out.now or not item.participant.reachable:
        return None
    return reminder_message(tr, item.followup)


def reminder_message(tr: Translator, followup: FollowUp) -> Rendered:
    """The reminder a participant gets (also what /preview shows a coordinator)."""
    # TRANSLATORS: participant
    text = tr._("🔔 Reminder: you have a %(appointment)s with your coordinator. "
                "Can you come?",
                appointment=SafeHtml(participant_appointment_text(tr, followup)))
    return Rendered(text, response_keyboard(tr, followup.id or 0))


def _code(tr: Translator, participant: Participant) -> str:
    return tr.isolate(participant.code)


@template("no_answer")
async def no_answer(session: AsyncSession, out: Outgoing) -> Rendered | None:
    tr = out.tr
    item = await _current(session, out.row)
    if item is None or item.followup.response != FollowUpResponse.PENDING:
        return None
    return Rendered(tr._("⏳ No confirmation from %(code)s (%(name)s) for %(when)s.",
                         code=_code(tr, item.participant), name=item.participant.display_name,
                         when=SafeHtml(when_text(tr, item.followup))),
                    keyboard([[(tr._("Open follow-up"), f"fu:o:{item.followup.id}")]]))


@template("response_notice")
async def response_notice(session: AsyncSession, out: Outgoing) -> Rendered | None:
    tr, row, params = out.tr, out.row, out.params
    item = await _current(session, row)
    if item is None:
        return None
    response = FollowUpResponse(params["response"])
    return Rendered(tr._("📬 %(code)s (%(name)s) %(response)s: %(when)s.",
                         code=_code(tr, item.participant), name=item.participant.display_name,
                         response=tr._(RESPONSE_LABELS[response]),
                         when=SafeHtml(when_text(tr, item.followup))),
                    keyboard([[(tr._("Open follow-up"), f"fu:o:{item.followup.id}")]]))


@template("participant_notice")
async def participant_notice(session: AsyncSession, out: Outgoing) -> Rendered | None:
    """A participant stopped the bot, or Telegram says they cannot be reached."""
    tr, params = out.tr, out.params
    participant = await session.get(Participant, params["participant_id"])
    if participant is None:
        return None
    texts = {
        "stopped": N_("🛑 %(code)s (%(name)s) stopped the bot: no more reminders will be sent. "
                      "Their data is kept as the project's rules say."),
        "unreachable": N_("⚠️ %(code)s (%(name)s) cannot be reached in Telegram (the bot was "
                          "blocked or the account deleted). Their reminders are stopped; "
                          "please contact them another way."),
        "skipped": N_("⚠️ A reminder to %(code)s (%(name)s) was not sent in time because the "
                      "bot was offline, and was skipped. Please check their follow-up."),
    }
    event_text = texts[params["event"]]
    return Rendered(tr._(event_text, code=_code(tr, participant), name=participant.display_name))


@template("participant_joined")
async def participant_joined(session: AsyncSession, out: Outgoing) -> Rendered | None:
    participant = await session.get(Participant, out.params["participant_id"])
    if participant is None:
        return None
    return Rendered(out.tr._("🤝 %(code)s (%(name)s) joined the bot and gave consent. "
                             "Reminders can now reach them.",
                             code=_code(out.tr, participant), name=participant.display_name))


@template("agenda")
async def agenda(session: AsyncSession, out: Outgoing) -> Rendered | None:
    tr, row, params = out.tr, out.row, out.params
    staff = await session.get(Staff, row.staff_id) if row.staff_id else None
    if staff is None or not staff.active or staff.id is None:
        return None
    day = date.fromisoformat(params["date"])
    start, end = local_day_bounds(day, tr.tz)
    items = await followup_queries.agenda(session, Viewer.of(staff), start=start, end=end)
    if not items:
        return None
    return Rendered(agenda_text(tr, day, items))


def agenda_text(tr: Translator, day: date, items: list[followup_queries.AgendaItem]) -> str:
    lines = [tr.ngettext("<b>Your day, %(date)s: %(n)s follow-up</b>",
                         "<b>Your day, %(date)s: %(n)s follow-ups</b>", len(items),
                         date=tr.date(day, "full"))]
    for item in items:
        lines.append(tr._("%(time)s · %(code)s %(name)s · %(kind)s%(place)s · %(response)s",
                          time=tr.isolate(tr.time(item.followup.due_at)),
                          code=_code(tr, item.participant), name=item.participant.display_name,
                          kind=tr._(FOLLOWUP_KIND_LABELS[FollowUpKind(item.followup.kind)]),
                          place=f", {item.followup.place}" if item.followup.place else "",
                          response=tr._(RESPONSE_LABELS[FollowUpResponse(item.followup.response)])))
    return "\n".join(lines)

