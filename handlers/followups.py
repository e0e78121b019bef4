"""Follow-ups: /followup (/uppfoljning) to book, a card to cancel or move, /today (/idag).

`/followup P-0042 2026-12-03 10:00 meeting Place` books in one line; `/followup` alone runs
the booking flow (participant, day, time, kind, place). Either way a booking the checks
have concerns about (a clash, outside working hours, far ahead) asks "Book anyway?" first,
as a flow of its own. "Move" on a card runs the move flow: the new day and time typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import tzinfo

from telegram.ext import Application

from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import family
from bot.interaction.buttons import retire
from bot.outbox.digest import unanswered_lines
from bot.outbox.reminders import plan_reminders
from bot.outbox.reminders import tell_participant_of_change
from bot.outbox.reminders import told_text
from bot.outbox.reminders import withdraw_reminders
from bot.outbox.templates import FOLLOWUP_KIND_LABELS
from bot.outbox.templates import RESPONSE_LABELS
from bot.outbox.templates import FollowUpOpen
from bot.outbox.templates import agenda_text
from bot.outbox.templates import participant_appointment_text
from bot.outbox.timing import local_day_bounds
from bot.outbox.timing import local_moment
from bot.text.days import CLOCK_WORDS
from bot.text.days import parse_typed_moment
from bot.text.days import parse_typed_time
from bot.text.i18n import N_
from bot.text.i18n import SafeHtml
from bot.text.i18n import Translator
from bot.text.labels import FOLLOWUP_KIND_WORDS
from bot.text.labels import closest_word
from bot.text.labels import fold
from bot.text.render import Button
from bot.text.render import error_text
from bot.text.render import grid
from bot.text.render import keyboard
from handlers.kit.base import Turn
from handlers.kit.base import bind_button
from handlers.kit.base import bind_command
from handlers.kit.base import parse_coming_day
from handlers.kit.confirm import confirm_step
from handlers.kit.flows import AskText
from handlers.kit.flows import Flow
from handlers.kit.flows import Invalid
from handlers.kit.flows import Option
from handlers.kit.flows import ParticipantDraft
from handlers.kit.flows import PickDay
from handlers.kit.flows import PickOption
from handlers.kit.flows import bind_flow
from handlers.kit.flows import bind_guided_command
from handlers.kit.flows import ended_refusal
from handlers.kit.flows import pick_participant_step
from handlers.kit.flows import start
from storage import followups as queries
from storage import outbox
from storage.access import Action
from storage.errors import InvalidValue
from storage.models import FollowUpKind
from storage.models import FollowUpResponse
from storage.models import FollowUpState

DAY_BUTTONS = 10
_CLOCK_WORD = re.compile(rf"^(\S+\s+\S+\s+)(?:{CLOCK_WORDS})\s+(?=\d)", re.IGNORECASE)
TIME_BUTTONS = ("08:30", "09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00")


# ---- buttons: the follow-up card and the agenda ------------------------------------------
# `fu:o` (FollowUpOpen) is declared with the staff notices that carry it.
@family("fu:oa", command="today")
class FollowUpFromAgenda(ButtonPayload):
    """Open a follow-up from the agenda of `day`: its card has a way back."""

    followup_id: int
    day: date


@family("fu:ag", command="today")
class AgendaBack(ButtonPayload):
    """« Back: the agenda of `day` again, in place of the card."""

    day: date


@family("fu:x", command="today")
class FollowUpAskCancel(ButtonPayload):
    followup_id: int


@family("fu:xc", command="today")
class FollowUpCancel(ButtonPayload):
    followup_id: int


@family("fu:m", command="today")
class FollowUpMove(ButtonPayload):
    """Move: starts the move flow (the new day and time are typed)."""

    followup_id: int


# The booking's steps before the flow engine: their old buttons say "start again".
retire("fu:p", "fu:more", "fu:d", "fu:t", "fu:k", "fu:n", "fu:y", "fu:q", command="followup")


# ---- what a booking knows ----------------------------------------------------------------
@dataclass(frozen=True)
class BookingDraft(ParticipantDraft):
    """A booking as far as it is known: what a guided /followup has asked so far, or a
    complete one (typed in one line, or guided) waiting for "Book anyway"."""

    day: date | None = None
    at: time | None = None
    kind: FollowUpKind | None = None
    place: str = ""
    concerns: tuple[queries.BookingConcern, ...] = ()
    clashes: tuple[str, ...] = ()

    def due_at(self, tz: tzinfo) -> datetime:
        assert self.day is not None and self.at is not None
        return local_moment(self.day, self.at, tz)


# ---- /followup: one line, or guided ------------------------------------------------------
async def followup_command(turn: Turn) -> None:
    tr = turn.tr
    # `imorgon kl 10`: the clock word before the time is not a field of its own.
    words = _CLOCK_WORD.sub(r"\1", turn.text_after_command, count=1).split(maxsplit=4)
    if len(words) < 3:
        await turn.reply(usage(tr))
        return
    day = parse_coming_day(words[1], turn.today)
    at = parse_typed_time(words[2])
    kind = FOLLOWUP_KIND_WORDS.get(fold(words[3])) if len(words) > 3 else FollowUpKind.MEETING
    place = words[4] if len(words) > 4 else ""
    if len(words) > 3 and kind is None:
        # Not a kind: refused with the kinds, never taken as a meeting's place ("telfon").
        await turn.reply(unknown_kind_text(tr, words[3]))
        return
    if day is None or at is None or kind is None:
        await turn.reply(usage(tr))
        return
    await book_or_ask(turn, BookingDraft(code=words[0], day=day, at=at, kind=kind,
                                         place=place))


def unknown_kind_text(tr: Translator, word: str) -> str:
    guess = closest_word(word, FOLLOWUP_KIND_WORDS)
    # The words one types, as the usage names them.
    kinds = tr._("meeting, phone, question")
    if guess is not None:
        return tr._("“%(word)s” is not a kind of follow-up; nothing was booked. Did you mean "
                    "%(guess)s? Kinds: %(kinds)s. The place comes after the kind.", word=word,
                    guess=tr._(FOLLOWUP_KIND_LABELS[FOLLOWUP_KIND_WORDS[guess]]), kinds=kinds)
    return tr._("“%(word)s” is not a kind of follow-up; nothing was booked. Kinds: "
                "%(kinds)s. The place comes after the kind.", word=word, kinds=kinds)


def usage(tr: Translator) -> str:
    return tr._(
        "Write: <code>/followup P-0042 YYYY-MM-DD HH:MM kind place</code>, for example "
        "<code>/followup P-0042 2026-12-03 10:00 meeting Arbetsförmedlingen Växjö</code>. "
        "Kinds: meeting, phone, question. The day can also be today or tomorrow. "
        "Or send /followup alone to be guided."
    )


async def book_or_ask(turn: Turn, draft: BookingDraft) -> None:
    """Book a complete draft, unless the booking checks raise concerns: then ask first."""
    due_at = draft.due_at(turn.services.settings.tz)
    if due_at <= turn.now:
        raise queries.FollowUpInPast()
    async with turn.transaction() as session:
        concerns, clashes = await queries.booking_concerns(
            session, turn.require_viewer(), draft.code, due_at=due_at,
            tz=turn.services.settings.tz, now=turn.now)
    if concerns:
        await start(turn, CONCERNS_FLOW, replace(draft, concerns=tuple(concerns),
                                                 clashes=tuple(clashes)))
        return
    await book(turn, draft)


async def book(turn: Turn, draft: BookingDraft) -> None:
    tr = turn.tr
    assert draft.kind is not None
    async with turn.transaction() as session:
        participant, followup = await queries.book_followup(
            session, turn.require_viewer(), draft.code,
            due_at=draft.due_at(turn.services.settings.tz), kind=draft.kind,
            place=draft.place, now=turn.now)
        planned = await plan_reminders(session, turn.services.settings, followup, participant,
                                       now=turn.now)
    turn.services.wake()
    lines = [tr._("✅ Follow-up booked for <b>%(code)s</b> (%(name)s): %(appointment)s.",
                  code=tr.isolate(participant.code), name=participant.display_name,
                  appointment=SafeHtml(participant_appointment_text(tr, followup)))]
    if planned:
        lines.append(tr.ngettext("%(n)s reminder will be sent to the participant.",
                                 "%(n)s reminders will be sent to the participant.",
                                 len(planned)))
    else:
        lines.append(tr._("The participant has not joined the bot yet, so no reminder can be "
                          "sent. Invite them with /invite."))
    markup = keyboard([[(tr._("Open follow-up"), FollowUpOpen(followup.id or 0).encode())]])
    await turn.edit("\n".join(lines), markup)


# ---- the guided steps --------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class PickBookingDay(PickDay[BookingDraft]):
    """The coming weekdays as buttons with their weekday ("tis 1 dec"); any day from today
    on typed (2026-12-07, idag, imorgon)."""

    async def buttons(self, turn: Turn, draft: BookingDraft,
                      page: int) -> tuple[list[list[Button]], bool]:
        days = self.days(turn, draft)
        return grid([(turn.tr.date(day, "EEE d MMM"), day.isoformat()) for day in days], 2), False


def coming_weekdays(turn: Turn, _draft: BookingDraft) -> list[date]:
    days = [turn.today + timedelta(days=offset) for offset in range(0, 21)]
    return [day for day in days if day.weekday() < 5][:DAY_BUTTONS]


def not_before_today(turn: Turn, day: date) -> str | None:
    return error_text(turn.tr, queries.FollowUpInPast()) if day < turn.today else None


@dataclass(frozen=True, kw_only=True)
class PickTime(PickOption[BookingDraft]):
    """The usual times still ahead as buttons; any other time typed as HH:MM."""

    async def typed(self, turn: Turn, draft: BookingDraft, text: str) -> BookingDraft:
        at = parse_typed_time(text)
        if at is None:
            raise Invalid(turn.tr._("Write the time as HH:MM, for example 10:30."))
        answered = replace(draft, at=at)
        if answered.due_at(turn.services.settings.tz) <= turn.now:
            raise Invalid(error_text(turn.tr, queries.FollowUpInPast()))
        return answered


def time_options(turn: Turn, draft: BookingDraft) -> list[Option]:
    assert draft.day is not None
    tz = turn.services.settings.tz
    return [Option(label, label.replace(":", "")) for label in TIME_BUTTONS
            if replace(draft, at=parse_typed_time(label)).due_at(tz) > turn.now]


def kind_options(turn: Turn, _draft: BookingDraft) -> list[Option]:
    return [Option(turn.tr._(label), kind.value,
                   (label, *(word for word, meant in FOLLOWUP_KIND_WORDS.items()
                             if meant == kind)))
            for kind, label in FOLLOWUP_KIND_LABELS.items()]


def kind_prompt(tr: Translator, draft: BookingDraft) -> str:
    assert draft.day is not None and draft.at is not None
    return tr._("%(date)s %(time)s — what kind of follow-up?", date=tr.date(draft.day),
                time=tr.isolate(draft.at.strftime("%H:%M")))


def parse_place(turn: Turn, draft: BookingDraft, text: str) -> BookingDraft:
    if len(" ".join(text.split())) > queries.PLACE_MAX:
        raise Invalid(error_text(turn.tr, InvalidValue(field="place", max=queries.PLACE_MAX)))
    return replace(draft, place=text)


BOOKING_FLOW = Flow(
    "followup", command="followup", draft=BookingDraft,
    steps=(
        pick_participant_step(lambda tr: tr._("Follow-up with whom? Tap a participant."),
                              refuse=ended_refusal),
        PickBookingDay(
            name="day", days=coming_weekdays, accept=not_before_today,
            prompt=lambda tr, d: tr._("Which day for %(code)s?", code=tr.isolate(d.code)),
            choose=lambda d, day: replace(d, day=day)),
        PickTime(
            name="time", options=time_options, columns=4,
            prompt=lambda tr, d: tr._("%(date)s — what time? Tap one or type it (HH:MM).",
                                      date=tr.date(d.day, "full")),
            choose=lambda d, value: replace(d, at=parse_typed_time(value))),
        PickOption(name="kind", prompt=kind_prompt, options=kind_options, columns=3,
                   choose=lambda d, value: replace(d, kind=FollowUpKind(value))),
        AskText(name="place",
                prompt=lambda tr, _d: tr._("Where? Type the place (or a note), or tap “No "
                                           "place”."),
                parse=parse_place, skip=(N_("No place"), lambda d: replace(d, place=""))),
    ),
    finish=book_or_ask,
)


def concern_lines(tr: Translator, concerns: Sequence[queries.BookingConcern],
                  clashes: Sequence[str], day: date) -> list[str]:
    """What the booking checks found, a line each (for a booking and a move alike)."""
    lines = []
    if queries.BookingConcern.CLASH in concerns:
        lines.append(tr._("You already have a follow-up at about that time (%(codes)s).",
                          codes=", ".join(clashes)))
    if queries.BookingConcern.OUTSIDE_HOURS in concerns:
        lines.append(tr._("That is outside working hours (07:00–19:00)."))
    if queries.BookingConcern.FAR_AHEAD in concerns:
        lines.append(tr._("That is more than a year ahead (%(date)s).", date=tr.date(day)))
    return lines


def concerns_prompt(tr: Translator, draft: BookingDraft) -> str:
    assert draft.day is not None
    return "\n".join([*concern_lines(tr, draft.concerns, draft.clashes, draft.day),
                      tr._("Book it anyway?")])


CONCERNS_FLOW = Flow(
    "fuanyway", command="followup", draft=BookingDraft,
    steps=(confirm_step(prompt=concerns_prompt, label=lambda tr, _d: tr._("Book anyway")),),
    finish=book,
)
"""The booking checks' question, asked when a complete booking raises concerns (from the
guided flow and from a one-liner alike): "Book anyway", or the step's Cancel."""


# ---- the follow-up card: cancel, move ----------------------------------------------------
async def card_opened(turn: Turn, payload: FollowUpOpen) -> None:
    await show_card(turn, payload.followup_id)


async def card_from_agenda(turn: Turn, payload: FollowUpFromAgenda) -> None:
    await show_card(turn, payload.followup_id, agenda=payload.day)


async def ask_cancel(turn: Turn, payload: FollowUpAskCancel) -> None:
    tr = turn.tr
    followup_id = payload.followup_id
    if await cancelled_already(turn, followup_id):
        return
    await turn.edit(tr._("Cancel this follow-up? The participant's reminders are stopped."),
                    keyboard([[(tr._("Yes, cancel it"), FollowUpCancel(followup_id).encode()),
                               (tr._("No"), FollowUpOpen(followup_id).encode())]]))


async def cancelled_already(turn: Turn, followup_id: int) -> bool:
    """A button under a card shown before the follow-up was cancelled (Move, Cancel…): the
    card as it is now, saying so, instead."""
    async with turn.transaction() as session:
        item = await queries.visible_followup(session, turn.require_viewer(), followup_id)
    if item.followup.state != FollowUpState.CANCELLED:
        return False
    await show_card(turn, followup_id)
    return True


async def cancel(turn: Turn, payload: FollowUpCancel) -> None:
    tr = turn.tr
    try:
        async with turn.transaction() as session:
            item = await queries.cancel_followup(session, turn.require_viewer(),
                                                 payload.followup_id, now=turn.now)
            told = await withdraw_reminders(session, turn.services.settings, item, now=turn.now)
    except queries.FollowUpNotFound:
        # Cancelled already (a Cancel under a card shown before): the card as it is now,
        # which says so; a follow-up the person cannot see stays not found there.
        await show_card(turn, payload.followup_id)
        return
    turn.services.wake()
    await turn.edit(cancelled_text(tr, item) + ("\n" + told_text(tr) if told else ""))


def cancelled_text(tr: Translator, item: queries.AgendaItem) -> str:
    return tr._("Follow-up with %(code)s on %(when)s is cancelled.",
                code=tr.isolate(item.participant.code),
                when=tr.short_datetime(item.followup.due_at))


async def ask_new_time(turn: Turn, payload: FollowUpMove) -> None:
    if await cancelled_already(turn, payload.followup_id):
        return
    await start(turn, MOVE_FLOW, MoveDraft(payload.followup_id,
                                           example=f"{turn.today + timedelta(days=1)} 10:00"))


async def show_card(turn: Turn, followup_id: int, *, agenda: date | None = None) -> None:
    """The card of one follow-up; opened from an agenda, with « Back to it."""
    tr = turn.tr
    async with turn.transaction() as session:
        item = await queries.visible_followup(session, turn.require_viewer(), followup_id)
    lines = [
        tr._("<b>Follow-up with %(code)s</b> (%(name)s)", code=tr.isolate(item.participant.code),
             name=item.participant.display_name),
        participant_appointment_text(tr, item.followup),
        tr._("Answer: %(response)s",
             response=tr._(RESPONSE_LABELS[FollowUpResponse(item.followup.response)])),
    ]
    rows: list[list[Button]] = [[(tr._("Move"), FollowUpMove(followup_id).encode()),
                                 (tr._("Cancel follow-up"),
                                  FollowUpAskCancel(followup_id).encode())]]
    if item.followup.state == FollowUpState.CANCELLED:  # nothing left to move or cancel
        lines, rows = [cancelled_text(tr, item)], []
    if agenda is not None:
        rows.append([(tr._("« Back"), AgendaBack(agenda).encode())])
    markup = keyboard(rows)
    await turn.edit("\n".join(lines), markup)


# ---- moving: the new day and time typed --------------------------------------------------
@dataclass(frozen=True)
class MoveDraft:
    """A move started from the follow-up card; `example` is the day after it was started."""

    followup_id: int
    example: str = ""
    due_at: datetime | None = None
    concerns: tuple[queries.BookingConcern, ...] = ()
    """What the booking checks found at the new time: asked about before moving."""
    clashes: tuple[str, ...] = ()


def parse_new_time(turn: Turn, draft: MoveDraft, text: str) -> MoveDraft:
    moment = parse_typed_moment(text, turn.today, ahead=True)
    if moment is None:
        raise Invalid(turn.tr._("Write the new day and time as YYYY-MM-DD HH:MM."))
    due_at = local_moment(*moment, turn.services.settings.tz)
    if due_at <= turn.now:
        raise Invalid(error_text(turn.tr, queries.FollowUpInPast()))
    return replace(draft, due_at=due_at)


async def move_or_ask(turn: Turn, draft: MoveDraft) -> None:
    """Move, unless the new time raises the booking checks' concerns: then ask first."""
    assert draft.due_at is not None
    async with turn.transaction() as session:
        viewer = turn.require_viewer()
        item = await queries.visible_followup(session, viewer, draft.followup_id)
        concerns, clashes = await queries.booking_concerns(
            session, viewer, item.participant.code, due_at=draft.due_at,
            tz=turn.services.settings.tz, now=turn.now, moving=draft.followup_id)
    if concerns:
        await start(turn, MOVE_ANYWAY_FLOW, replace(draft, concerns=tuple(concerns),
                                                    clashes=tuple(clashes)))
        return
    await move(turn, draft)


def move_concerns_prompt(tr: Translator, draft: MoveDraft) -> str:
    assert draft.due_at is not None
    day = draft.due_at.astimezone(tr.tz).date()
    return "\n".join([*concern_lines(tr, draft.concerns, draft.clashes, day),
                      tr._("Move it anyway?")])


async def move(turn: Turn, draft: MoveDraft) -> None:
    tr = turn.tr
    assert draft.due_at is not None
    async with turn.transaction() as session:
        item = await queries.move_followup(session, turn.require_viewer(), draft.followup_id,
                                           due_at=draft.due_at, now=turn.now)
        await outbox.cancel_pending(session, followup_id=draft.followup_id)
        planned = await plan_reminders(session, turn.services.settings, item.followup,
                                       item.participant, now=turn.now)
        told = await tell_participant_of_change(session, turn.services.settings, item,
                                                now=turn.now)
    turn.services.wake()
    text = tr._("✅ Moved: %(appointment)s.",
                appointment=SafeHtml(participant_appointment_text(tr, item.followup)))
    if told:
        text += "\n" + told_text(tr)
    if planned:
        text += "\n" + tr._("The reminders follow the new time.")
    await turn.edit(text)


MOVE_FLOW = Flow(
    "fumove", command="followup", draft=MoveDraft,
    steps=(AskText(name="when", parse=parse_new_time,
                   prompt=lambda tr, d: tr._("New day and time? Write YYYY-MM-DD HH:MM, for "
                                             "example %(example)s.", example=d.example)),),
    finish=move_or_ask,
)

MOVE_ANYWAY_FLOW = Flow(
    "moveany", command="followup", draft=MoveDraft,
    steps=(confirm_step(prompt=move_concerns_prompt,
                        label=lambda tr, _d: tr._("Move anyway")),),
    finish=move,
)
"""A move's booking checks: "Move anyway", or the step's Cancel (the follow-up stays)."""


# ---- /today ------------------------------------------------------------------------------
async def today_command(turn: Turn) -> None:
    await show_agenda(turn, turn.today)


async def agenda_back(turn: Turn, payload: AgendaBack) -> None:
    await show_agenda(turn, payload.day, edit=True)


async def show_agenda(turn: Turn, day: date, *, edit: bool = False) -> None:
    """The caller's follow-ups of one local day; each opens its card (with « Back here)."""
    tr = turn.tr
    start, end = local_day_bounds(day, turn.services.settings.tz)
    async with turn.transaction() as session:
        items = await queries.agenda(session, turn.require_viewer(), start=start, end=end)
        waiting = await unanswered_lines(session, tr, turn.require_viewer(), turn.now)
    extra = "\n\n" + "\n".join(waiting) if waiting else ""
    if not items:
        text = tr._("No follow-ups booked for today (%(date)s).", date=tr.date(day, "full"))
        await turn.respond(text + extra, edit=edit)
        return
    buttons = [(f"{tr.time(item.followup.due_at)} {item.participant.code}",
                FollowUpFromAgenda(item.followup.id or 0, day).encode()) for item in items]
    await turn.respond(agenda_text(tr, day, items) + extra, keyboard(grid(buttons, 2)),
                       edit=edit)


def register(app: Application) -> None:
    bind_guided_command(app, BOOKING_FLOW, followup_command)
    bind_flow(app, CONCERNS_FLOW)
    bind_flow(app, MOVE_FLOW)
    bind_flow(app, MOVE_ANYWAY_FLOW)
    bind_command(app, "today", today_command)
    bind_button(app, AgendaBack, agenda_back)
    # The card changes bookings: the booking action, whichever list it was opened from.
    bind_button(app, FollowUpOpen, card_opened, action=Action.BOOK_FOLLOWUP)
    bind_button(app, FollowUpFromAgenda, card_from_agenda, action=Action.BOOK_FOLLOWUP)
    bind_button(app, FollowUpAskCancel, ask_cancel, action=Action.BOOK_FOLLOWUP)
    bind_button(app, FollowUpCancel, cancel, action=Action.BOOK_FOLLOWUP)
    bind_button(app, FollowUpMove, ask_new_time, action=Action.BOOK_FOLLOWUP)
