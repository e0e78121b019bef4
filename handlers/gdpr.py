"""/forget (admin): erase a participant's personal data after a confirmation."""

from __future__ import annotations

from telegram.ext import Application

from bot.interaction.buttons import ButtonPayload, family
from bot.text.render import keyboard
from handlers.kit.base import (
    CancelFlow,
    Turn,
    ask_to_pick,
    bind_button,
    bind_command,
    picked_participant,
)
from storage import gdpr
from storage.models import Participant
from storage.participants import code_for, visible_participant, visible_participant_by_id


@family("forget:p", command="forget")
class ForgetPick(ButtonPayload):
    """A participant picked in the guided /forget: ask to confirm."""

    participant_id: int


@family("forget:more", command="forget")
class ForgetMore(ButtonPayload):
    page: int


@family("forget:yes", command="forget")
class ForgetConfirm(ButtonPayload):
    """"Yes, erase": the confirmation /forget asks for."""

    participant_id: int


async def forget_command(turn: Turn) -> None:
    tr = turn.tr
    if not turn.args:  # guided: pick among everyone the admin may see, then confirm
        await pick_to_forget(turn, 0, edit=False)
        return
    if len(turn.args) != 1:
        await turn.reply(tr._("Write <code>/forget P-0042</code>. I will ask you to confirm."))
        return
    async with turn.transaction() as session:
        participant = await visible_participant(session, turn.require_viewer(), turn.args[0])
    await ask_to_confirm(turn, participant)


async def pick_to_forget(turn: Turn, page: int, *, edit: bool) -> None:
    await ask_to_pick(turn, turn.tr._("Whose personal data should be erased? Tap a participant."),
                      lambda p: ForgetPick(p.id or 0), page=page, more=ForgetMore, edit=edit,
                      choices=gdpr.erasable_participants,
                      empty=turn.tr._("There is no participant whose data could be erased."))


async def forget_more(turn: Turn, payload: ForgetMore) -> None:
    await pick_to_forget(turn, payload.page, edit=True)


async def forget_picked(turn: Turn, payload: ForgetPick) -> None:
    await ask_to_confirm(turn, await picked_participant(turn, payload.participant_id),
                         edit=True)


async def ask_to_confirm(turn: Turn, participant: Participant, *, edit: bool = False) -> None:
    tr = turn.tr
    await (turn.edit if edit else turn.reply)(
        tr._("Erase the personal data of %(code)s (%(name)s)? Name, Telegram link, notes and "
             "places are removed for good; anonymous counts stay in the statistics.",
             code=tr.isolate(participant.code), name=participant.display_name),
        keyboard([[(tr._("Yes, erase"), ForgetConfirm(participant.id or 0).encode()),
                   (tr._("Cancel"), CancelFlow().encode())]]))


async def forget_confirmed(turn: Turn, payload: ForgetConfirm) -> None:
    async with turn.transaction() as session:
        participant = await visible_participant_by_id(session, turn.require_viewer(),
                                                      payload.participant_id)
        await gdpr.erase_participant(session, code_for(payload.participant_id),
                                     actor_staff_id=turn.require_viewer().staff_id, now=turn.now)
    await turn.edit(turn.tr._("The personal data of %(code)s has been erased.",
                              code=turn.tr.isolate(participant.code)))


def register(app: Application) -> None:
    bind_command(app, "forget", forget_command)
    bind_button(app, ForgetPick, forget_picked)
    bind_button(app, ForgetMore, forget_more)
    bind_button(app, ForgetConfirm, forget_confirmed)
