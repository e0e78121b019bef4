"""Outbox templates: what a queued row says, rendered when it is sent.

Rendering at send time means the text follows the follow-up as it is *now* (moved,
answered, cancelled) and the reader's language as it is now. A template returns None
when the message is no longer relevant; the row is then marked skipped, not sent.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardMarkup

from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import family
from bot.interaction.buttons import trailing
from bot.outbox.timing import local_day_bounds
from bot.text.i18n import N_
from bot.text.i18n import SafeHtml
from bot.text.i18n import Translator
from bot.text.i18n import escape
from bot.text.render import keyboard
from storage import followups as followup_queries
from storage import outbox as outbox_queries
from storage.access import Viewer
from storage.models import FollowUp
from storage.models import FollowUpKind
from storage.models import FollowUpResponse
from storage.models import FollowUpState
from storage.models import OutboundMessage
from storage.models import OutboxTemplate
from storage.models import Participant
from storage.models import Staff


@family("fu:o", command="today")
class FollowUpOpen(ButtonPayload):
    """"Open follow-up": its card (Move, Cancel). Declared here because staff notices
    carry it; handlers/followups.py answers it."""

    followup_id: int


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
    FollowUpResponse.ALL_GOOD: N_("is doing well"),
    FollowUpResponse.WANTS_CONTACT: N_("would like to talk"),
}
"""An answer in a few words, for staff (the card, the agenda)."""

KIND_RESPONSE_LABELS: dict[tuple[FollowUpKind, FollowUpResponse], str] = {
    (FollowUpKind.MEETING, FollowUpResponse.CONFIRMED): N_("is coming to the meeting"),
    (FollowUpKind.MEETING, FollowUpResponse.NEEDS_NEW_TIME):
        N_("needs another time for the meeting"),
    (FollowUpKind.MEETING, FollowUpResponse.CANT_COME): N_("can't come to the meeting"),
    (FollowUpKind.PHONE_CALL, FollowUpResponse.CONFIRMED): N_("will answer the phone call"),
    (FollowUpKind.PHONE_CALL, FollowUpResponse.NEEDS_NEW_TIME):
        N_("asks to be called at another time"),
    (FollowUpKind.PHONE_CALL, FollowUpResponse.CANT_COME): N_("can't take the phone call"),
    (FollowUpKind.CHECKIN_QUESTION, FollowUpResponse.ALL_GOOD):
        N_("answered the check-in question: all is well"),
    (FollowUpKind.CHECKIN_QUESTION, FollowUpResponse.WANTS_CONTACT):
        N_("answered the check-in question: would like to talk"),
}
"""What the coordinator's notice says the participant answered, for each kind."""


def response_label(tr: Translator, followup: FollowUp, response: FollowUpResponse) -> str:
    label = KIND_RESPONSE_LABELS.get((FollowUpKind(followup.kind), response))
    return tr._(label or RESPONSE_LABELS[response])


# What the participant reads about each kind of follow-up. One whole sentence per kind
# (never a kind word put into a shared sentence): a phone call is not "Can you come?".
REMINDER_TEXTS: dict[FollowUpKind, str] = {
    # TRANSLATORS: participant
    FollowUpKind.MEETING: N_("🔔 Reminder: you have a meeting with your coordinator on "
                             "%(when)s."),
    # TRANSLATORS: participant
    FollowUpKind.PHONE_CALL: N_("🔔 Reminder: your coordinator will call you on %(when)s."),
    # TRANSLATORS: participant
    FollowUpKind.CHECKIN_QUESTION: N_("💬 Your coordinator would like to know how things are "
                                      "going for you. Please answer by %(when)s."),
}
REMINDER_QUESTIONS: dict[FollowUpKind, str] = {
    # TRANSLATORS: participant
    FollowUpKind.MEETING: N_("Can you come?"),
    # TRANSLATORS: participant
    FollowUpKind.PHONE_CALL: N_("Can you answer the phone then?"),
    # TRANSLATORS: participant
    FollowUpKind.CHECKIN_QUESTION: N_("How are things going?"),
}
MOVED_TEXTS: dict[FollowUpKind, str] = {
    # TRANSLATORS: participant
    FollowUpKind.MEETING: N_("📅 Your meeting with your coordinator has been moved. "
                             "The new time is %(when)s."),
    # TRANSLATORS: participant
    FollowUpKind.PHONE_CALL: N_("📅 Your coordinator's phone call to you has been moved. "
                                "The new time is %(when)s."),
    # TRANSLATORS: participant
    FollowUpKind.CHECKIN_QUESTION: N_("📅 Your coordinator's question has a new date: please "
                                      "answer by %(when)s."),
}
CANCELLED_TEXTS: dict[FollowUpKind, str] = {
    # TRANSLATORS: participant
    FollowUpKind.MEETING: N_("❌ Your meeting with your coordinator on %(when)s is cancelled."),
    # TRANSLATORS: participant
    FollowUpKind.PHONE_CALL: N_("❌ Your coordinator's phone call to you on %(when)s is "
                                "cancelled."),
    # TRANSLATORS: participant
    FollowUpKind.CHECKIN_QUESTION: N_("❌ Your coordinator's question for %(when)s is "
                                      "cancelled. You do not need to answer it."),
}
ANSWER_LABELS: dict[tuple[FollowUpKind, FollowUpResponse], str] = {
    # TRANSLATORS: participant
    (FollowUpKind.MEETING, FollowUpResponse.CONFIRMED): N_("✅ I'm coming"),
    # TRANSLATORS: participant
    (FollowUpKind.MEETING, FollowUpResponse.NEEDS_NEW_TIME): N_("🕒 I need another time"),
    # TRANSLATORS: participant
    (FollowUpKind.MEETING, FollowUpResponse.CANT_COME): N_("❌ I can't come"),
    # TRANSLATORS: participant
    (FollowUpKind.PHONE_CALL, FollowUpResponse.CONFIRMED): N_("📞 I'll answer"),
    # TRANSLATORS: participant
    (FollowUpKind.PHONE_CALL, FollowUpResponse.NEEDS_NEW_TIME): N_("🕒 Call me another time"),
    # TRANSLATORS: participant
    (FollowUpKind.CHECKIN_QUESTION, FollowUpResponse.ALL_GOOD): N_("👍 All is well"),
    (FollowUpKind.CHECKIN_QUESTION, FollowUpResponse.WANTS_CONTACT):
        # TRANSLATORS: participant
        N_("💬 I would like to talk"),
}
THANKS: dict[tuple[FollowUpKind, FollowUpResponse], str] = {
    (FollowUpKind.MEETING, FollowUpResponse.CONFIRMED):
        # TRANSLATORS: participant
        N_("Thank you! See you then. Your coordinator has been told."),
    (FollowUpKind.MEETING, FollowUpResponse.NEEDS_NEW_TIME):
        # TRANSLATORS: participant
        N_("Thank you. Your coordinator has been told and will suggest another time."),
    (FollowUpKind.MEETING, FollowUpResponse.CANT_COME):
        # TRANSLATORS: participant
        N_("Thank you for telling us. Your coordinator has been told."),
    (FollowUpKind.PHONE_CALL, FollowUpResponse.CONFIRMED):
        # TRANSLATORS: participant
        N_("Thank you! Your coordinator will call you then."),
    (FollowUpKind.PHONE_CALL, FollowUpResponse.NEEDS_NEW_TIME):
        # TRANSLATORS: participant
        N_("Thank you. Your coordinator has been told and will suggest another time for the "
           "call."),
    (FollowUpKind.CHECKIN_QUESTION, FollowUpResponse.ALL_GOOD):
        # TRANSLATORS: participant
        N_("Thank you! Good to hear. Your coordinator has been told."),
    (FollowUpKind.CHECKIN_QUESTION, FollowUpResponse.WANTS_CONTACT):
        # TRANSLATORS: participant
        N_("Thank you. Your coordinator has been told and will contact you."),
}
PLACE_MARKS = {FollowUpKind.MEETING: "📍"}
"""A meeting's "place" is where; for a call or a question it is a note."""


STAMP_MAX = 10**12 - 1
"""A stamp is epoch seconds (`due_stamp`): past INTEGER's range from 2038, and never a query
parameter, so it may use the twelve digits the first stamped buttons were allowed."""


@family("fu:r", command="next")
class ReminderAnswer(ButtonPayload):
    """A participant's one-tap answer to a reminder: `fu:r:<follow-up id>:<answer>:<stamp>`.

    The stamp is the follow-up's time when the message was made (`due_stamp`): a tap on
    a message about an earlier time changes nothing. Buttons sent before stamps existed
    (`fu:r:<id>:<answer>`) are still in chats and decode with `stamp=None`.
    """

    followup_id: int
    response: FollowUpResponse
    stamp: int | None = trailing(max_value=STAMP_MAX)

    def accepts(self) -> bool:
        return self.response != FollowUpResponse.PENDING  # not an answer


def thanks_text(tr: Translator, followup: FollowUp, response: FollowUpResponse) -> str:
    """What the participant reads after answering (an old button may give any answer)."""
    text = (THANKS.get((FollowUpKind(followup.kind), response))
            or THANKS.get((FollowUpKind.MEETING, response))
            or THANKS[(FollowUpKind.CHECKIN_QUESTION, FollowUpResponse.WANTS_CONTACT)])
    return tr._(text)


def changed_text(tr: Translator) -> str:
    """The answer to a tap on a message about a time the follow-up no longer has."""
    # TRANSLATORS: participant
    return tr._("⚠️ This appointment has changed since this message was sent, so your answer "
                "was not saved. Send %(next_command)s to see the current time.",
                next_command=tr.command("/next"))


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the outbox sent: its row and where it is in Telegram."""

    row_id: int
    chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    keyboard: InlineKeyboardMarkup | None = None
    retire: tuple[SentMessage, ...] = ()
    """Earlier messages whose answer buttons are removed before this one is sent."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A claimed row about to be rendered, with the reader's translator and the time."""

    row: OutboundMessage
    tr: Translator
    now: datetime

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.row.params or "{}")


async def active_addressee(session: AsyncSession, out: Outgoing) -> Staff | None:
    """The staff member the row is for, if they are still active (else: nothing to send)."""
    staff = await session.get(Staff, out.row.staff_id) if out.row.staff_id else None
    return staff if staff is not None and staff.active and staff.id is not None else None


Template = Callable[[AsyncSession, Outgoing], Awaitable[Rendered | None]]
"""Renders one row; which function renders which kind is listed in one place,
`bot.outbox.catalog.outbox_templates()`, and handed to the dispatcher by the composition
root."""

# Messages to participants (quiet hours apply; a 403 marks the participant unreachable).
PARTICIPANT_TEMPLATES = frozenset({OutboxTemplate.REMINDER, OutboxTemplate.FOLLOWUP_CHANGED})


MESSAGE_LIMIT = 4096
"""Telegram's limit for a message's text, in UTF-16 code units (an emoji is two)."""
CUT_MARK = "…"


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fit_message(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """`text` cut to Telegram's limit at a line break, so no tag or entity is split.

    Every template builds its text from whole lines, each closing the tags it opens, so
    dropping lines from the end (and saying so with "…") keeps valid HTML. A first line
    that alone is too long loses its markup and is cut as plain text.
    """
    if utf16_length(text) <= limit:
        return text
    lines = text.split("\n")
    while len(lines) > 1:
        lines.pop()
        candidate = "\n".join([*lines, CUT_MARK])
        if utf16_length(candidate) <= limit:
            return candidate
    plain = html.escape(html.unescape(re.sub(r"<[^>]*>", "", lines[0])), quote=False)
    cut = plain
    while utf16_length(cut + CUT_MARK) > limit:
        cut = cut[: len(cut) - max(1, (utf16_length(cut + CUT_MARK) - limit) // 2)]
        cut = cut[: cut.rfind("&")] if cut.rfind("&") > cut.rfind(";") else cut
    return cut + CUT_MARK


def when_text(tr: Translator, followup: FollowUp) -> str:
    """"torsdag 3 december 2026 kl. 10:00": the full date and the clock time as the
    reader's language writes them (see bot/text/dates.py)."""
    # TRANSLATORS: participant
    return tr._("%(date)s at %(time)s",
                date=SafeHtml(tr.full_date(tr.local(followup.due_at).date())),
                time=SafeHtml(tr.isolate(tr.clock(followup.due_at))))


def response_keyboard(tr: Translator, followup: FollowUp) -> InlineKeyboardMarkup:
    """The answer buttons for this kind of follow-up, stamped with its current time."""
    kind = FollowUpKind(followup.kind)
    stamp = followup_queries.due_stamp(followup)
    return keyboard([
        [(tr._(ANSWER_LABELS[(kind, response)]),
          ReminderAnswer(followup.id or 0, response, stamp).encode())]
        for response in followup_queries.ANSWERS[kind]
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


async def reminder(session: AsyncSession, out: Outgoing) -> Rendered | None:
    tr = out.tr
    item = await _current(session, out.row)
    if item is None or item.followup.due_at <= out.now or not item.participant.reachable:
        return None
    return reminder_message(tr, item.followup)


def reminder_message(tr: Translator, followup: FollowUp) -> Rendered:
    """The reminder a participant gets (also what /preview shows a coordinator)."""
    kind = FollowUpKind(followup.kind)
    lines = [tr._(REMINDER_TEXTS[kind], when=SafeHtml(when_text(tr, followup)))]
    lines += _place_line(followup)
    lines.append(tr._(REMINDER_QUESTIONS[kind]))
    return Rendered("\n".join(lines), response_keyboard(tr, followup))


def _place_line(followup: FollowUp) -> list[str]:
    if not followup.place:
        return []
    mark = PLACE_MARKS.get(FollowUpKind(followup.kind), "📝")
    return [f"{mark} {escape(followup.place)}"]


def change_message(tr: Translator, followup: FollowUp, event: str) -> str:
    """What the participant is told when the follow-up is moved or cancelled."""
    kind = FollowUpKind(followup.kind)
    texts = MOVED_TEXTS if event == MOVED else CANCELLED_TEXTS
    lines = [tr._(texts[kind], when=SafeHtml(when_text(tr, followup)))]
    return "\n".join(lines + _place_line(followup))


MOVED, CANCELLED = "moved", "cancelled"
ANSWERED_TEMPLATES = (OutboxTemplate.REMINDER,)
"""Templates whose messages carry answer buttons (retired when the follow-up changes)."""


async def followup_changed(session: AsyncSession, out: Outgoing) -> Rendered | None:
    """Tell the participant the follow-up moved or was cancelled; retire older buttons.

    Skipped when a later change made this one out of date (the later notice tells).
    """
    params = out.params
    if out.row.followup_id is None:
        return None
    item = await followup_queries.followup_with_participant(session, out.row.followup_id)
    if item is None or not item.participant.reachable:
        return None
    followup, event = item.followup, params.get("event")
    if event == MOVED:
        if (followup.state != FollowUpState.SCHEDULED or followup.due_at <= out.now
                or followup_queries.due_stamp(followup) != params.get("stamp")):
            return None
    elif event != CANCELLED or followup.state != FollowUpState.CANCELLED:
        return None
    retire = await outbox_queries.answer_buttons_to_retire(
        session, out.row.followup_id, templates=ANSWERED_TEMPLATES, before=out.row.created_at)
    return Rendered(change_message(out.tr, followup, event),
                    retire=tuple(SentMessage(r.id or 0, r.chat_id, r.message_id or 0)
                                 for r in retire))


def open_followup_keyboard(tr: Translator, followup: FollowUp) -> InlineKeyboardMarkup:
    return keyboard([[(tr._("Open follow-up"), FollowUpOpen(followup.id or 0).encode())]])


def _code(tr: Translator, participant: Participant) -> str:
    return tr.isolate(participant.code)


async def no_answer(session: AsyncSession, out: Outgoing) -> Rendered | None:
    tr = out.tr
    item = await _current(session, out.row)
    if item is None or item.followup.response != FollowUpResponse.PENDING:
        return None
    return Rendered(tr._("⏳ No confirmation from %(code)s (%(name)s) for %(when)s.",
                         code=_code(tr, item.participant), name=item.participant.display_name,
                         when=SafeHtml(when_text(tr, item.followup))),
                    open_followup_keyboard(tr, item.followup))


async def response_notice(session: AsyncSession, out: Outgoing) -> Rendered | None:
    tr, row, params = out.tr, out.row, out.params
    item = await _current(session, row)
    if item is None:
        return None
    response = FollowUpResponse(params["response"])
    return Rendered(tr._("📬 %(code)s (%(name)s) %(response)s: %(when)s.",
                         code=_code(tr, item.participant), name=item.participant.display_name,
                         response=response_label(tr, item.followup, response),
                         when=SafeHtml(when_text(tr, item.followup))),
                    open_followup_keyboard(tr, item.followup))


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
        "expired": N_("⚠️ A message to %(code)s (%(name)s) could not be delivered: Telegram "
                      "could not be reached until it was too late to be useful. Please "
                      "contact them another way."),
    }
    event_text = texts[params["event"]]
    return Rendered(tr._(event_text, code=_code(tr, participant), name=participant.display_name))


async def participant_joined(session: AsyncSession, out: Outgoing) -> Rendered | None:
    participant = await session.get(Participant, out.params["participant_id"])
    if participant is None:
        return None
    return Rendered(out.tr._("🤝 %(code)s (%(name)s) joined the bot and gave consent. "
                             "Reminders can now reach them.",
                             code=_code(out.tr, participant), name=participant.display_name))


async def agenda(session: AsyncSession, out: Outgoing) -> Rendered | None:
    tr, params = out.tr, out.params
    staff = await active_addressee(session, out)
    if staff is None:
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

