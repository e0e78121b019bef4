"""/log (/logg): record a check-in in seconds, as a one-liner or with buttons."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.text.labels import CHANNEL_LABELS, STATUS_LABELS, parse_word
from bot.text.render import grid, keyboard
from handlers.base import (
    Turn,
    ask_to_pick,
    callback_parts,
    expired,
    on_text,
    picked_participant,
    staff_only,
)
from storage import checkins as queries
from storage import participants as participant_queries
from storage.access import Action
from storage.models import CHANGEABLE_STATUSES, Channel, Status
from storage.staff import first_note_warning


@staff_only(Action.LOG_CHECKIN)
async def log_command(turn: Turn) -> None:
    tr = turn.tr
    if not turn.args:
        await ask_to_pick(turn, tr._("Check-in with whom? Tap a participant."), "log:p")
        return
    words = turn.text_after_command.split(maxsplit=2)
    channel = parse_word(Channel, words[1]) if len(words) > 1 else None
    if channel is None:
        await turn.reply(usage(turn))
        return
    note = words[2] if len(words) > 2 else ""
    await save(turn, words[0], channel, note, None)


def usage(turn: Turn) -> str:
    tr = turn.tr
    return tr._(
        "Write: <code>/log P-0042 channel note</code>, for example "
        "<code>/log P-0042 phone Talked about the internship</code>. "
        "Channels: %(channels)s. Or send /log alone to be guided.",
        channels=", ".join(tr._(label) for label in CHANNEL_LABELS.values()),
    )


async def save(turn: Turn, code: str, channel: Channel, note: str, status: Status | None,
               *, edit: bool = False) -> None:
    tr = turn.tr
    async with turn.transaction() as session:
        participant, checkin = await queries.log_checkin(
            session, turn.require_viewer(), code, channel=channel, note=note,
            happened_at=turn.now, now=turn.now, status_change=status,
            note_max_length=turn.services.settings.note_max_length,
        )
        assert turn.staff is not None  # require_viewer() above: staff only
        warn = bool(note) and await first_note_warning(session, turn.staff, now=turn.now)
    turn.end_flow()
    lines = [tr._("✅ Check-in saved for <b>%(code)s</b> (%(name)s): %(channel)s, %(when)s.",
                  code=tr.isolate(participant.code), name=participant.display_name,
                  channel=tr._(CHANNEL_LABELS[channel]),
                  when=tr.short_datetime(checkin.happened_at))]
    if note:
        lines.append(tr._("Note: %(note)s", note=note))
    if status is not None:
        lines.append(tr._("New status: %(status)s", status=tr._(STATUS_LABELS[status])))
    if warn:
        lines.append(tr._(
            "ℹ️ Notes are read by your colleagues and can be requested by the participant. "
            "Write only what the follow-up needs: never health, religion, ethnicity, "
            "politics, sexuality or criminal matters. (Shown once.)"))
    await (turn.edit if edit else turn.reply)("\n".join(lines))


@staff_only(Action.LOG_CHECKIN)
async def log_button(turn: Turn) -> None:
    """log:p:<id> → channel buttons; log:c:<id>:<channel> → ask note; log:s:<status|none>."""
    parts = callback_parts(turn)
    tr = turn.tr
    if len(parts) == 3 and parts[1] == "p" and parts[2].isdigit():
        participant = await picked_participant(turn, int(parts[2]))
        buttons = [(tr._(label), f"log:c:{participant.id}:{channel.value}")
                   for channel, label in CHANNEL_LABELS.items()]
        await turn.edit(tr._("Check-in with %(code)s (%(name)s). How did you meet?",
                             code=tr.isolate(participant.code), name=participant.display_name),
                        keyboard(grid(buttons, 2)))
    elif len(parts) == 4 and parts[1] == "c" and parts[2].isdigit():
        channel = parse_word(Channel, parts[3])
        if channel is None:
            await expired(turn, "/log")
            return
        turn.start_flow("log", "note", pid=int(parts[2]), channel=channel.value)
        await turn.edit(
            tr._("%(channel)s — write a short note, or tap “No note”.",
                 channel=tr._(CHANNEL_LABELS[channel])),
            keyboard([[(tr._("No note"), "log:n")]]),
        )
    elif len(parts) == 2 and parts[1] == "n":
        state = turn.flow("log")
        if state is None or state["step"] != "note":
            await expired(turn, "/log")
            return
        await ask_status(turn, state, note="", edit=True)
    elif len(parts) == 3 and parts[1] == "s":
        state = turn.flow("log")
        if state is None or state["step"] != "status":
            await expired(turn, "/log")
            return
        status = None if parts[2] == "none" else parse_word(Status, parts[2])
        if parts[2] != "none" and (status is None or status == Status.ENDED):
            await expired(turn, "/log")
            return
        await save(turn, participant_queries.code_for(state["pid"]), Channel(state["channel"]),
                   state["note"], status, edit=True)
    else:
        await expired(turn, "/log")


async def ask_status(turn: Turn, state: dict[str, Any], *, note: str, edit: bool) -> None:
    tr = turn.tr
    turn.start_flow("log", "status", pid=state["pid"], channel=state["channel"], note=note)
    buttons = [(tr._("No change"), "log:s:none")]
    buttons += [(tr._(STATUS_LABELS[s]), f"log:s:{s.value}") for s in CHANGEABLE_STATUSES]
    text = tr._("Has the participant's status changed?")
    markup = keyboard(grid(buttons, 2))
    await (turn.edit(text, markup) if edit else turn.reply(text, markup))


@on_text("log")
async def log_text_step(turn: Turn, state: dict[str, Any], text: str) -> None:
    tr = turn.tr
    if state["step"] != "note":
        await turn.reply(tr._("Tap one of the buttons above, or start again with /log."))
        return
    limit = turn.services.settings.note_max_length
    if len(text) > limit:
        await turn.reply(tr._(
            "The note is longer than %(max)s characters; nothing was saved. Shorten it.",
            max=limit))
        return
    await ask_status(turn, state, note=text, edit=False)


def register(app: Application) -> None:
    app.add_handler(CommandHandler(["log", "logg"], log_command))
    app.add_handler(CallbackQueryHandler(log_button, pattern=r"^log:"))
