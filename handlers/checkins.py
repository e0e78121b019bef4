"""/log (/logg): record a check-in in seconds, as a one-liner or with buttons."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from bot.interaction.buttons import ButtonPayload, family
from bot.text.labels import CHANNEL_LABELS, STATUS_LABELS, parse_word
from bot.text.render import grid, keyboard
from handlers.kit.base import (
    Turn,
    ask_to_pick,
    bind_button,
    bind_command,
    bind_text_step,
    expired,
    picked_participant,
)
from storage import checkins as queries
from storage import participants as participant_queries
from storage.models import CHANGEABLE_STATUSES, Channel, Status
from storage.staff import first_note_warning


# ---- buttons ----------------------------------------------------------------------------
@family("log:p", command="log")
class LogPick(ButtonPayload):
    """A participant picked: ask how they met."""

    participant_id: int


@family("log:more", command="log")
class LogMore(ButtonPayload):
    """The next page of the participant picker."""

    page: int


@family("log:c", command="log")
class LogChannel(ButtonPayload):
    """How they met: ask for a note."""

    participant_id: int
    channel: Channel


@family("log:n", command="log")
class LogNoNote(ButtonPayload):
    """The check-in has no note: ask about the status."""


@family("log:s", command="log")
class LogStatus(ButtonPayload):
    """The new status (None: no change): save the check-in."""

    status: Status | None


# ---- the command and its steps ----------------------------------------------------------
async def log_command(turn: Turn) -> None:
    if not turn.args:
        await pick(turn, 0, edit=False)
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


async def pick(turn: Turn, page: int, *, edit: bool) -> None:
    await ask_to_pick(turn, turn.tr._("Check-in with whom? Tap a participant."),
                      lambda p: LogPick(p.id), page=page, more=LogMore, edit=edit)


async def more_picked(turn: Turn, payload: LogMore) -> None:
    await pick(turn, payload.page, edit=True)


async def participant_picked(turn: Turn, payload: LogPick) -> None:
    tr = turn.tr
    participant = await picked_participant(turn, payload.participant_id)
    buttons = [(tr._(label), LogChannel(participant.id, channel).encode())
               for channel, label in CHANNEL_LABELS.items()]
    await turn.edit(tr._("Check-in with %(code)s (%(name)s). How did you meet?",
                         code=tr.isolate(participant.code), name=participant.display_name),
                    keyboard(grid(buttons, 2)))


async def channel_picked(turn: Turn, payload: LogChannel) -> None:
    tr = turn.tr
    turn.start_flow("log", "note", pid=payload.participant_id, channel=payload.channel.value)
    await turn.edit(
        tr._("%(channel)s — write a short note, or tap “No note”.",
             channel=tr._(CHANNEL_LABELS[payload.channel])),
        keyboard([[(tr._("No note"), LogNoNote().encode())]]),
    )


async def no_note(turn: Turn, _payload: LogNoNote) -> None:
    state = turn.flow("log")
    if state is None or state["step"] != "note":
        await expired(turn, "log")
        return
    await ask_status(turn, state, note="", edit=True)


async def status_picked(turn: Turn, payload: LogStatus) -> None:
    state = turn.flow("log")
    if state is None or state["step"] != "status" or payload.status == Status.ENDED:
        await expired(turn, "log")
        return
    await save(turn, participant_queries.code_for(state["pid"]), Channel(state["channel"]),
               state["note"], payload.status, edit=True)


async def ask_status(turn: Turn, state: dict[str, Any], *, note: str, edit: bool) -> None:
    tr = turn.tr
    turn.start_flow("log", "status", pid=state["pid"], channel=state["channel"], note=note)
    buttons = [(tr._("No change"), LogStatus(None).encode())]
    buttons += [(tr._(STATUS_LABELS[s]), LogStatus(s).encode()) for s in CHANGEABLE_STATUSES]
    text = tr._("Has the participant's status changed?")
    markup = keyboard(grid(buttons, 2))
    await (turn.edit(text, markup) if edit else turn.reply(text, markup))


async def log_text_step(turn: Turn, state: dict[str, Any], text: str) -> None:
    tr = turn.tr
    if state["step"] != "note":
        await turn.reply(tr._("Tap one of the buttons above, or start again with /log."))
        return
    limit = turn.services.settings.note_max_length
    if len(text) > limit:
        await turn.reply(tr._(
            "The note is longer than %(max)s characters; nothing was saved. Shorten it.",
            max=tr.number(limit)))
        return
    await ask_status(turn, state, note=text, edit=False)


def register(app: Application) -> None:
    bind_command(app, "log", log_command)
    bind_button(app, LogPick, participant_picked)
    bind_button(app, LogMore, more_picked)
    bind_button(app, LogChannel, channel_picked)
    bind_button(app, LogNoNote, no_note)
    bind_button(app, LogStatus, status_picked)
    bind_text_step(app, "log", log_text_step)
