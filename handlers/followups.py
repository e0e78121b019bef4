"""Follow-ups: /followup (/uppfoljning) to book, a card to cancel or move, /today (/idag)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.outbox.reminders import plan_reminders, tell_participant_of_change, told_text
from bot.outbox.templates import (
    FOLLOWUP_KIND_LABELS,
    RESPONSE_LABELS,
    agenda_text,
    participant_appointment_text,
)
from bot.outbox.timing import local_day_bounds, local_moment
from bot.text.i18n import SafeHtml, Translator
from bot.text.labels import fold
from bot.text.periods import parse_iso_day
from bot.text.render import Button, error_text, grid, keyboard
from handlers.base import (
    Turn,
    ask_to_pick,
    callback_parts,
    expired,
    on_text,
    parse_day,
    picked_participant,
    staff_only,
)
from storage import followups as queries
from storage import outbox
from storage.access import Action
from storage.models import FollowUpKind, FollowUpResponse
from storage.participants import code_for

_TIME_RE = re.compile(r"^(\d{1,2})[:.](\d{2})$")
KIND_WORDS: dict[str, FollowUpKind] = {
    "meeting": FollowUpKind.MEETING, "mote": FollowUpKind.MEETING, "traff": FollowUpKind.MEETING,
    "phone": FollowUpKind.PHONE_CALL, "call": FollowUpKind.PHONE_CALL,
    "telefon": FollowUpKind.PHONE_CALL, "samtal": FollowUpKind.PHONE_CALL,
    "question": FollowUpKind.CHECKIN_QUESTION, "checkin": FollowUpKind.CHECKIN_QUESTION,
    "fraga": FollowUpKind.CHECKIN_QUESTION, "avstamning": FollowUpKind.CHECKIN_QUESTION,
}
DAY_BUTTONS = 10
TIME_BUTTONS = ("08:30", "09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00")


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
@staff_only(Action.BOOK_FOLLOWUP)
async def followup_command(turn: Turn) -> None:
    tr = turn.tr
    if not turn.args:
        await ask_to_pick(turn, tr._("Follow-up with whom? Tap a participant."), "fu:p")
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
        kind, place = FollowUpKind.MEETING, " ".join(words[3:])
    if day is None or at is None or kind is None:
        await turn.reply(usage(tr))
        return
    await book(turn, words[0], local_moment(day, at, turn.services.settings.tz), kind, place)


def usage(tr: Translator) -> str:
    return tr._(
        "Write: <code>/followup P-0042 YYYY-MM-DD HH:MM kind place</code>, for example "
        "<code>/followup P-0042 2026-12-03 10:00 meeting Arbetsförmedlingen Växjö</code>. "
        "Kinds: meeting, phone, question. The day can also be today or tomorrow. "
        "Or send /followup alone to be guided."
    )


async def book(turn: Turn, code: str, due_at: datetime, kind: FollowUpKind, place: str,
               *, edit: bool = False) -> None:
    tr = turn.tr
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
    markup = keyboard([[(tr._("Open follow-up"), f"fu:o:{followup.id}")]])
    await (turn.edit if edit else turn.reply)("\n".join(lines), markup)


@staff_only(Action.BOOK_FOLLOWUP)
async def followup_button(turn: Turn) -> None:
    parts = callback_parts(turn)
    tr = turn.tr
    step = parts[1] if len(parts) > 1 else ""
    if step == "p" and len(parts) == 3 and parts[2].isdigit():
        participant = await picked_participant(turn, int(parts[2]))
        days = [turn.today + timedelta(days=offset) for offset in range(0, 21)]
        weekdays = [day for day in days if day.weekday() < 5][:DAY_BUTTONS]
        buttons: list[Button] = [(tr.date(day, "EEE d MMM"), f"fu:d:{participant.id}:{day}")
                                 for day in weekdays]
        await turn.edit(tr._("Which day for %(code)s?", code=tr.isolate(participant.code)),
                        keyboard(grid(buttons, 2)))
    elif step == "d" and len(parts) == 4 and parts[2].isdigit():
        day = _iso_day(parts[3])
        if day is None:
            await expired(turn, "/followup")
            return
        turn.start_flow("followup", "time", pid=int(parts[2]), day=day.isoformat())
        settings = turn.services.settings
        buttons = [(label, f"fu:t:{parts[2]}:{day}:{label.replace(':', '')}")
                   for label in TIME_BUTTONS
                   if local_moment(day, parse_time(label) or time(0), settings.tz) > turn.now]
        await turn.edit(tr._("%(date)s — what time? Tap one or type it (HH:MM).",
                             date=tr.date(day, "full")), keyboard(grid(buttons, 4)))
    elif step == "t" and len(parts) == 5 and parts[2].isdigit():
        await ask_kind(turn, int(parts[2]), parts[3], parts[4])
    elif step == "k" and len(parts) == 6 and parts[2].isdigit():
        day, at = _iso_day(parts[3]), parse_time(f"{parts[4][:2]}:{parts[4][2:]}")
        if day is None or at is None or parts[5] not in set(FollowUpKind):
            await expired(turn, "/followup")
            return
        turn.start_flow("followup", "place", pid=int(parts[2]), day=day.isoformat(),
                        at=parts[4], kind=parts[5])
        await turn.edit(tr._("Where? Type the place (or a note), or tap “No place”."),
                        keyboard([[(tr._("No place"), "fu:n")]]))
    elif step == "n":
        state = turn.flow("followup")
        if state is None or state["step"] != "place":
            await expired(turn, "/followup")
            return
        await book_from_state(turn, state, "", edit=True)
    else:
        await expired(turn, "/followup")


async def ask_kind(turn: Turn, participant_id: int, iso_day: str, hhmm: str,
                   *, edit: bool = True) -> None:
    tr = turn.tr
    day, at = _iso_day(iso_day), parse_time(f"{hhmm[:2]}:{hhmm[2:]}")
    if day is None or at is None:
        await expired(turn, "/followup")
        return
    if local_moment(day, at, turn.services.settings.tz) <= turn.now:
        await turn.reply(error_text(tr, queries.FollowUpInPast()))
        return
    buttons = [(tr._(label), f"fu:k:{participant_id}:{day}:{hhmm}:{kind.value}")
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


@on_text("followup")
async def followup_text_step(turn: Turn, state: dict[str, Any], text: str) -> None:
    tr = turn.tr
    if state["step"] == "time":
        at = parse_time(text)
        if at is None:
            await turn.reply(tr._("Write the time as HH:MM, for example 10:30."))
            return
        await ask_kind(turn, state["pid"], state["day"], at.strftime("%H%M"), edit=False)
    elif state["step"] == "place":
        await book_from_state(turn, state, text)
    elif state["step"] == "move":
        await move_from_text(turn, state, text)
    else:
        await turn.reply(tr._("Tap one of the buttons above, or start again with /followup."))


def _iso_day(text: str) -> date | None:
    return parse_iso_day(text)


# ---- the follow-up card: cancel, move -------------------------------------------------
@staff_only(Action.BOOK_FOLLOWUP)
async def card_button(turn: Turn) -> None:
    """fu:o:<id> open · fu:x:<id> ask to cancel · fu:xc:<id> cancel · fu:m:<id> move."""
    parts = callback_parts(turn)
    tr = turn.tr
    if len(parts) != 3 or not parts[2].isdigit():
        await expired(turn, "/today")
        return
    followup_id = int(parts[2])
    if parts[1] == "o":
        await show_card(turn, followup_id)
    elif parts[1] == "x":
        await turn.edit(tr._("Cancel this follow-up? The participant's reminders are stopped."),
                        keyboard([[(tr._("Yes, cancel it"), f"fu:xc:{followup_id}"),
                                   (tr._("No"), f"fu:o:{followup_id}")]]))
    elif parts[1] == "xc":
        async with turn.transaction() as session:
            item = await queries.cancel_followup(session, turn.require_viewer(), followup_id,
                                                 now=turn.now)
            await outbox.cancel_pending(session, followup_id=followup_id)
            told = await tell_participant_of_change(session, turn.services.settings, item,
                                                    now=turn.now)
        turn.services.wake()
        await turn.edit(tr._("Follow-up with %(code)s on %(when)s is cancelled.",
                             code=tr.isolate(item.participant.code),
                             when=tr.short_datetime(item.followup.due_at))
                        + ("\n" + told_text(tr) if told else ""))
    elif parts[1] == "m":
        async with turn.transaction() as session:
            await queries.visible_followup(session, turn.require_viewer(), followup_id)
        turn.start_flow("followup", "move", followup_id=followup_id)
        await turn.edit(tr._("New day and time? Write YYYY-MM-DD HH:MM, for example "
                             "%(example)s.", example=f"{turn.today + timedelta(days=1)} 10:00"))
    else:
        await expired(turn, "/today")


async def show_card(turn: Turn, followup_id: int) -> None:
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
    markup = keyboard([[(tr._("Move"), f"fu:m:{followup_id}"),
                        (tr._("Cancel follow-up"), f"fu:x:{followup_id}")]])
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
@staff_only(Action.VIEW_AGENDA)
async def today_command(turn: Turn) -> None:
    tr = turn.tr
    assert turn.viewer is not None
    start, end = local_day_bounds(turn.today, turn.services.settings.tz)
    async with turn.transaction() as session:
        items = await queries.agenda(session, turn.viewer, start=start, end=end)
    if not items:
        await turn.reply(tr._("No follow-ups booked for today (%(date)s).",
                              date=tr.date(turn.today, "full")))
        return
    buttons = [(f"{tr.time(item.followup.due_at)} {item.participant.code}",
                f"fu:o:{item.followup.id}") for item in items]
    await turn.reply(agenda_text(tr, turn.today, items), keyboard(grid(buttons, 2)))


def register(app: Application) -> None:
    app.add_handler(CommandHandler(["followup", "uppfoljning"], followup_command))
    app.add_handler(CommandHandler(["today", "idag"], today_command))
    app.add_handler(CallbackQueryHandler(card_button, pattern=r"^fu:(o|x|xc|m):"))
    app.add_handler(CallbackQueryHandler(followup_button, pattern=r"^fu:(p|d|t|k|n)(:|$)"))
