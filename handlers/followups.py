"""Follow-ups: /followup (/uppfoljning) to book, a card to cancel or move, /today (/idag)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from telegram.ext import Application

from bot.interaction.buttons import ButtonPayload, Token, family
from bot.outbox.digest import unanswered_lines
from bot.outbox.reminders import plan_reminders, tell_participant_of_change, told_text
from bot.outbox.templates import (
    FOLLOWUP_KIND_LABELS,
    RESPONSE_LABELS,
    FollowUpOpen,
    agenda_text,
    participant_appointment_text,
)
from bot.outbox.timing import local_day_bounds, local_moment
from bot.text.i18n import SafeHtml, Translator
from bot.text.labels import FOLLOWUP_KIND_WORDS as KIND_WORDS
from bot.text.labels import closest_word, fold
from bot.text.render import Button, error_text, grid, keyboard
from handlers.kit.base import (
    Turn,
    ask_to_pick,
    bind_button,
    bind_command,
    bind_text_step,
    expired,
    parse_day,
    picked_participant,
)
from storage import followups as queries
from storage import outbox
from storage.access import Action
from storage.models import FollowUpKind, FollowUpResponse
from storage.participants import code_for

_TIME_RE = re.compile(r"^(\d{1,2})[:.](\d{2})$")
DAY_BUTTONS = 10
TIME_BUTTONS = ("08:30", "09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00")
HHMM = Token(4, pattern=r"[0-9]{4}")
"""A time of day on a button: `1030` (checked again by `parse_time`)."""


# ---- buttons: booking ------------------------------------------------------------------
@family("fu:p", command="followup")
class FollowUpPick(ButtonPayload):
    """A participant picked: offer days."""

    participant_id: int


@family("fu:more", command="followup")
class FollowUpMore(ButtonPayload):
    page: int


@family("fu:d", command="followup")
class FollowUpDay(ButtonPayload):
    """A day picked: offer times (or a typed one)."""

    participant_id: int
    day: date


@family("fu:t", command="followup")
class FollowUpTime(ButtonPayload):
    """A time picked: offer kinds."""

    participant_id: int
    day: date
    at: Annotated[str, HHMM]


@family("fu:k", command="followup")
class FollowUpKindPick(ButtonPayload):
    """A kind picked: ask for the place (typed) or "No place"."""

    participant_id: int
    day: date
    at: Annotated[str, HHMM]
    kind: FollowUpKind


@family("fu:n", command="followup")
class FollowUpNoPlace(ButtonPayload):
    """No place: book it."""


# ---- buttons: the follow-up card and the agenda ------------------------------------------
# `fu:o` (FollowUpOpen) is declared with the staff notices that carry it.
@family("fu:y", command="followup")
class FollowUpBookAnyway(ButtonPayload):
    """"Book anyway" after a concern (a clash, late, far ahead): the booking waits in the
    flow."""


@family("fu:q", command="followup")
class FollowUpDontBook(ButtonPayload):
    """"Cancel" after a concern: nothing is booked."""


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
    """Move: the new day and time are typed."""

    followup_id: int


def parse_time(text: str) -> time | None:
    match = _TIME_RE.match(text.strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    return time(hour, minute) if hour < 24 and minute < 60 else None


def parse_followup_day(text: str, today: date) -> date | None:
    if fold(text) in {"tomorrow", "imorgon", "i morgon"}:
        return today + timedelta(days=1)
    return parse_day(text, today)


# ---- booking ---------------------------------------------------------------------------
async def followup_command(turn: Turn) -> None:
    tr = turn.tr
    if not turn.args:
        await pick(turn, 0, edit=False)
        return
    words = turn.text_after_command.split(maxsplit=4)
    if len(words) < 3:
        await turn.reply(usage(tr))
        return
    day = parse_followup_day(words[1], turn.today)
    at = parse_time(words[2])
    kind = KIND_WORDS.get(fold(words[3])) if len(words) > 3 else FollowUpKind.MEETING
    place = words[4] if len(words) > 4 else ""
    if len(words) > 3 and kind is None:
        # Not a kind: refused with the kinds, never taken as a meeting's place ("telfon").
        await turn.reply(unknown_kind_text(tr, words[3]))
        return
    if day is None or at is None or kind is None:
        await turn.reply(usage(tr))
        return
    await book(turn, words[0], local_moment(day, at, turn.services.settings.tz), kind, place)


def unknown_kind_text(tr: Translator, word: str) -> str:
    guess = closest_word(word, KIND_WORDS)
    # The words one types, as the usage names them.
    kinds = tr._("meeting, phone, question")
    if guess is not None:
        return tr._("“%(word)s” is not a kind of follow-up; nothing was booked. Did you mean "
                    "%(guess)s? Kinds: %(kinds)s. The place comes after the kind.", word=word,
                    guess=tr._(FOLLOWUP_KIND_LABELS[KIND_WORDS[guess]]), kinds=kinds)
    return tr._("“%(word)s” is not a kind of follow-up; nothing was booked. Kinds: "
                "%(kinds)s. The place comes after the kind.", word=word, kinds=kinds)


def concerns_text(tr: Translator, concerns: list[queries.BookingConcern], clashes: list[str],
                  due_at: datetime) -> str:
    lines = []
    if queries.BookingConcern.CLASH in concerns:
        lines.append(tr._("You already have a follow-up at about that time (%(codes)s).",
                          codes=", ".join(clashes)))
    if queries.BookingConcern.OUTSIDE_HOURS in concerns:
        lines.append(tr._("That is outside working hours (07:00–19:00)."))
    if queries.BookingConcern.FAR_AHEAD in concerns:
        lines.append(tr._("That is more than a year ahead (%(date)s).", date=tr.date(due_at)))
    lines.append(tr._("Book it anyway?"))
    return "\n".join(lines)


def usage(tr: Translator) -> str:
    return tr._(
        "Write: <code>/followup P-0042 YYYY-MM-DD HH:MM kind place</code>, for example "
        "<code>/followup P-0042 2026-12-03 10:00 meeting Arbetsförmedlingen Växjö</code>. "
        "Kinds: meeting, phone, question. The day can also be today or tomorrow. "
        "Or send /followup alone to be guided."
    )


async def book(turn: Turn, code: str, due_at: datetime, kind: FollowUpKind, place: str,
               *, edit: bool = False, confirmed: bool = False) -> None:
    tr = turn.tr
    if not confirmed:
        async with turn.transaction() as session:
            concerns, clashes = await queries.booking_concerns(
                session, turn.require_viewer(), code, due_at=due_at,
                tz=turn.services.settings.tz, now=turn.now)
        if concerns:
            # The booking waits in the flow until "Book anyway" (fu:y) or "Cancel" (fu:q).
            turn.start_flow("followup", "confirm", code=code, due=due_at.isoformat(),
                            kind=kind.value, place=place)
            await (turn.edit if edit else turn.reply)(
                concerns_text(tr, concerns, clashes, due_at),
                keyboard([[(tr._("Book anyway"), FollowUpBookAnyway().encode()),
                           (tr._("Cancel"), FollowUpDontBook().encode())]]))
            return
    async with turn.transaction() as session:
        participant, followup = await queries.book_followup(
            session, turn.require_viewer(), code, due_at=due_at, kind=kind, place=place,
            now=turn.now)
        planned = await plan_reminders(session, turn.services.settings, followup, participant,
                                       now=turn.now)
    turn.end_flow()
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
    await (turn.edit if edit else turn.reply)("\n".join(lines), markup)


async def pick(turn: Turn, page: int, *, edit: bool) -> None:
    await ask_to_pick(turn, turn.tr._("Follow-up with whom? Tap a participant."),
                      lambda p: FollowUpPick(p.id), page=page, more=FollowUpMore, edit=edit)


async def more_picked(turn: Turn, payload: FollowUpMore) -> None:
    await pick(turn, payload.page, edit=True)


async def participant_picked(turn: Turn, payload: FollowUpPick) -> None:
    tr = turn.tr
    participant = await picked_participant(turn, payload.participant_id)
    assert participant.id is not None
    days = [turn.today + timedelta(days=offset) for offset in range(0, 21)]
    weekdays = [day for day in days if day.weekday() < 5][:DAY_BUTTONS]
    buttons: list[Button] = [(tr.date(day, "EEE d MMM"),
                              FollowUpDay(participant.id, day).encode()) for day in weekdays]
    await turn.edit(tr._("Which day for %(code)s?", code=tr.isolate(participant.code)),
                    keyboard(grid(buttons, 2)))


async def day_picked(turn: Turn, payload: FollowUpDay) -> None:
    tr = turn.tr
    pid, day = payload.participant_id, payload.day
    turn.start_flow("followup", "time", pid=pid, day=day.isoformat())
    settings = turn.services.settings
    buttons = [(label, FollowUpTime(pid, day, label.replace(":", "")).encode())
               for label in TIME_BUTTONS
               if local_moment(day, parse_time(label) or time(0), settings.tz) > turn.now]
    await turn.edit(tr._("%(date)s — what time? Tap one or type it (HH:MM).",
                         date=tr.date(day, "full")), keyboard(grid(buttons, 4)))


async def time_picked(turn: Turn, payload: FollowUpTime) -> None:
    await ask_kind(turn, payload.participant_id, payload.day, payload.at)


async def kind_picked(turn: Turn, payload: FollowUpKindPick) -> None:
    tr = turn.tr
    if _hhmm_time(payload.at) is None:
        await expired(turn, "followup")
        return
    turn.start_flow("followup", "place", pid=payload.participant_id,
                    day=payload.day.isoformat(), at=payload.at, kind=payload.kind.value)
    await turn.edit(tr._("Where? Type the place (or a note), or tap “No place”."),
                    keyboard([[(tr._("No place"), FollowUpNoPlace().encode())]]))


async def no_place(turn: Turn, _payload: FollowUpNoPlace) -> None:
    state = turn.flow("followup")
    if state is None or state["step"] != "place":
        await expired(turn, "followup")
        return
    await book_from_state(turn, state, "", edit=True)


async def book_anyway(turn: Turn, _payload: FollowUpBookAnyway) -> None:
    state = turn.flow("followup")
    if state is None or state["step"] != "confirm":
        await expired(turn, "followup")
        return
    await book(turn, state["code"], datetime.fromisoformat(state["due"]),
               FollowUpKind(state["kind"]), state["place"], edit=True, confirmed=True)


async def dont_book(turn: Turn, _payload: FollowUpDontBook) -> None:
    if turn.flow("followup") is None:
        await expired(turn, "followup")
        return
    turn.end_flow()
    await turn.edit(turn.tr._("Nothing was booked."))


def _hhmm_time(hhmm: str) -> time | None:
    """`1030` → 10:30; None when it is not a time of day."""
    return parse_time(f"{hhmm[:2]}:{hhmm[2:]}") if len(hhmm) == 4 else None


async def ask_kind(turn: Turn, participant_id: int, day: date, hhmm: str,
                   *, edit: bool = True) -> None:
    tr = turn.tr
    at = _hhmm_time(hhmm)
    if at is None:
        await expired(turn, "followup")
        return
    if local_moment(day, at, turn.services.settings.tz) <= turn.now:
        await turn.reply(error_text(tr, queries.FollowUpInPast()))
        return
    buttons = [(tr._(label), FollowUpKindPick(participant_id, day, hhmm, kind).encode())
               for kind, label in FOLLOWUP_KIND_LABELS.items()]
    text = tr._("%(date)s %(time)s — what kind of follow-up?", date=tr.date(day),
                time=tr.isolate(at.strftime("%H:%M")))
    await (turn.edit if edit else turn.reply)(text, keyboard(grid(buttons, 3)))


async def book_from_state(turn: Turn, state: dict[str, Any], place: str, *,
                          edit: bool = False) -> None:
    day = date.fromisoformat(state["day"])
    at = time(int(state["at"][:2]), int(state["at"][2:]))
    await book(turn, code_for(state["pid"]), local_moment(day, at, turn.services.settings.tz),
               FollowUpKind(state["kind"]), place, edit=edit)


async def followup_text_step(turn: Turn, state: dict[str, Any], text: str) -> None:
    tr = turn.tr
    if state["step"] == "time":
        at = parse_time(text)
        if at is None:
            await turn.reply(tr._("Write the time as HH:MM, for example 10:30."))
            return
        await ask_kind(turn, state["pid"], date.fromisoformat(state["day"]), at.strftime("%H%M"),
                       edit=False)
    elif state["step"] == "place":
        await book_from_state(turn, state, text)
    elif state["step"] == "move":
        await move_from_text(turn, state, text)
    else:
        await turn.reply(tr._("Tap one of the buttons above, or start again with /followup."))


# ---- the follow-up card: cancel, move -------------------------------------------------
async def card_opened(turn: Turn, payload: FollowUpOpen) -> None:
    await show_card(turn, payload.followup_id)


async def card_from_agenda(turn: Turn, payload: FollowUpFromAgenda) -> None:
    await show_card(turn, payload.followup_id, agenda=payload.day)


async def ask_cancel(turn: Turn, payload: FollowUpAskCancel) -> None:
    tr = turn.tr
    followup_id = payload.followup_id
    await turn.edit(tr._("Cancel this follow-up? The participant's reminders are stopped."),
                    keyboard([[(tr._("Yes, cancel it"), FollowUpCancel(followup_id).encode()),
                               (tr._("No"), FollowUpOpen(followup_id).encode())]]))


async def cancel(turn: Turn, payload: FollowUpCancel) -> None:
    tr = turn.tr
    async with turn.transaction() as session:
        item = await queries.cancel_followup(session, turn.require_viewer(), payload.followup_id,
                                             now=turn.now)
        await outbox.cancel_pending(session, followup_id=payload.followup_id)
        told = await tell_participant_of_change(session, turn.services.settings, item,
                                                now=turn.now)
    turn.services.wake()
    await turn.edit(tr._("Follow-up with %(code)s on %(when)s is cancelled.",
                         code=tr.isolate(item.participant.code),
                         when=tr.short_datetime(item.followup.due_at))
                    + ("\n" + told_text(tr) if told else ""))


async def ask_new_time(turn: Turn, payload: FollowUpMove) -> None:
    async with turn.transaction() as session:
        await queries.visible_followup(session, turn.require_viewer(), payload.followup_id)
    turn.start_flow("followup", "move", followup_id=payload.followup_id)
    await turn.edit(turn.tr._("New day and time? Write YYYY-MM-DD HH:MM, for example "
                              "%(example)s.", example=f"{turn.today + timedelta(days=1)} 10:00"))


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
    if agenda is not None:
        rows.append([(tr._("« Back"), AgendaBack(agenda).encode())])
    markup = keyboard(rows)
    await turn.edit("\n".join(lines), markup)


async def move_from_text(turn: Turn, state: dict[str, Any], text: str) -> None:
    tr = turn.tr
    words = text.split()
    day = parse_followup_day(words[0], turn.today) if words else None
    at = parse_time(words[1]) if len(words) > 1 else None
    if day is None or at is None:
        await turn.reply(tr._("Write the new day and time as YYYY-MM-DD HH:MM."))
        return
    due_at = local_moment(day, at, turn.services.settings.tz)
    async with turn.transaction() as session:
        item = await queries.move_followup(session, turn.require_viewer(),
                                           state["followup_id"], due_at=due_at, now=turn.now)
        await outbox.cancel_pending(session, followup_id=state["followup_id"])
        planned = await plan_reminders(session, turn.services.settings, item.followup,
                                       item.participant, now=turn.now)
        told = await tell_participant_of_change(session, turn.services.settings, item,
                                                now=turn.now)
    turn.end_flow()
    turn.services.wake()
    text = tr._("✅ Moved: %(appointment)s.",
                appointment=SafeHtml(participant_appointment_text(tr, item.followup)))
    if told:
        text += "\n" + told_text(tr)
    if planned:
        text += "\n" + tr._("The reminders follow the new time.")
    await turn.reply(text)


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
        await (turn.edit if edit else turn.reply)(text + extra)
        return
    buttons = [(f"{tr.time(item.followup.due_at)} {item.participant.code}",
                FollowUpFromAgenda(item.followup.id or 0, day).encode()) for item in items]
    await (turn.edit if edit else turn.reply)(agenda_text(tr, day, items) + extra,
                                              keyboard(grid(buttons, 2)))


def register(app: Application) -> None:
    bind_command(app, "followup", followup_command)
    bind_button(app, FollowUpPick, participant_picked)
    bind_button(app, FollowUpMore, more_picked)
    bind_button(app, FollowUpDay, day_picked)
    bind_button(app, FollowUpTime, time_picked)
    bind_button(app, FollowUpKindPick, kind_picked)
    bind_button(app, FollowUpNoPlace, no_place)
    bind_button(app, FollowUpBookAnyway, book_anyway)
    bind_button(app, FollowUpDontBook, dont_book)
    bind_text_step(app, "followup", followup_text_step)
    bind_command(app, "today", today_command)
    bind_button(app, AgendaBack, agenda_back)
    # The card changes bookings: the booking action, whichever list it was opened from.
    bind_button(app, FollowUpOpen, card_opened, action=Action.BOOK_FOLLOWUP)
    bind_button(app, FollowUpFromAgenda, card_from_agenda, action=Action.BOOK_FOLLOWUP)
    bind_button(app, FollowUpAskCancel, ask_cancel, action=Action.BOOK_FOLLOWUP)
    bind_button(app, FollowUpCancel, cancel, action=Action.BOOK_FOLLOWUP)
    bind_button(app, FollowUpMove, ask_new_time, action=Action.BOOK_FOLLOWUP)
