"""/log (/logg): record a check-in in seconds, as a one-liner or with buttons."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace

from telegram.ext import Application

from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import family
from bot.interaction.buttons import retire
from bot.text.i18n import N_
from bot.text.i18n import Translator
from bot.text.labels import CHANNEL_LABELS
from bot.text.labels import STATUS_LABELS
from bot.text.labels import parse_word
from handlers.kit.base import Turn
from handlers.kit.flows import AskText
from handlers.kit.flows import Flow
from handlers.kit.flows import Invalid
from handlers.kit.flows import Option
from handlers.kit.flows import PickOption
from handlers.kit.flows import bind_guided_command
from handlers.kit.flows import bind_old_card_button
from handlers.kit.flows import ended_refusal
from handlers.kit.flows import pick_participant_step
from storage import checkins as queries
from storage.models import CHANGEABLE_STATUSES
from storage.models import Channel
from storage.models import Participant
from storage.models import Status
from storage.staff import first_note_warning


# ---- the guided flow -------------------------------------------------------------------
@dataclass(frozen=True)
class LogDraft:
    """What a guided /log has asked so far."""

    participant_id: int | None = None
    code: str = ""
    name: str = ""
    channel: Channel | None = None
    note: str = ""
    status: Status | None = None


def for_participant(participant: Participant) -> LogDraft:
    return LogDraft(participant.id, participant.code, participant.display_name)


def channel_prompt(tr: Translator, draft: LogDraft) -> str:
    return tr._("Check-in with %(code)s (%(name)s). How did you meet?",
                code=tr.isolate(draft.code), name=draft.name)


def channel_options(turn: Turn, _draft: LogDraft) -> list[Option]:
    return [Option(turn.tr._(label), channel.value, (label,))
            for channel, label in CHANNEL_LABELS.items()]


def note_prompt(tr: Translator, draft: LogDraft) -> str:
    assert draft.channel is not None
    return tr._("%(channel)s — write a short note, or tap “No note”.",
                channel=tr._(CHANNEL_LABELS[draft.channel]))


def parse_note(turn: Turn, draft: LogDraft, text: str) -> LogDraft:
    limit = turn.services.settings.note_max_length
    if len(text) > limit:
        raise Invalid(turn.tr._(
            "The note is longer than %(max)s characters; nothing was saved. Shorten it.",
            max=turn.tr.number(limit)))
    return replace(draft, note=text)


NO_CHANGE = "same"


def status_options(turn: Turn, _draft: LogDraft) -> list[Option]:
    tr = turn.tr
    return [Option(tr._("No change"), NO_CHANGE, ("No change",)),
            *(Option(tr._(STATUS_LABELS[s]), s.value, (STATUS_LABELS[s],))
              for s in CHANGEABLE_STATUSES)]


async def save_from_draft(turn: Turn, draft: LogDraft) -> None:
    assert draft.channel is not None
    await save(turn, draft.code, draft.channel, draft.note, draft.status, edit=True)


LOG_FLOW = Flow(
    "log", command="log", draft=LogDraft, for_participant=for_participant,
    steps=(
        pick_participant_step(lambda tr: tr._("Check-in with whom? Tap a participant."),
                              for_participant, refuse=ended_refusal),
        PickOption(name="channel", prompt=channel_prompt, options=channel_options,
                   choose=lambda d, value: replace(d, channel=Channel(value))),
        AskText(name="note", prompt=note_prompt, parse=parse_note,
                skip=(N_("No note"), lambda d: replace(d, note=""))),
        PickOption(name="status",
                   prompt=lambda tr, _d: tr._("Has the participant's status changed?"),
                   options=status_options,
                   choose=lambda d, value: replace(
                       d, status=None if value == NO_CHANGE else Status(value))),
    ),
    finish=save_from_draft,
)


@family("log:p", command="log")
class LogPick(ButtonPayload):
    """"Log check-in" on cards sent before the flow engine: still starts /log for them."""

    participant_id: int


retire("log:more", "log:c", "log:n", "log:s", command="log")


# ---- the command and its steps ----------------------------------------------------------
async def log_command(turn: Turn) -> None:
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
    await turn.respond("\n".join(lines), edit=edit)


def register(app: Application) -> None:
    bind_guided_command(app, LOG_FLOW, log_command)
    bind_old_card_button(app, LogPick, LOG_FLOW)
