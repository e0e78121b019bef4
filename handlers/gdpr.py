"""/forget (admin): erase a participant's personal data after a confirmation."""

from __future__ import annotations

from telegram.ext import Application

from bot.interaction.buttons import ButtonPayload, family
from bot.text.render import keyboard
from handlers.base import CancelFlow, Turn, bind_button, bind_command
from storage import gdpr
from storage.participants import code_for, visible_participant, visible_participant_by_id


@family("forget:yes", command="forget")
class ForgetConfirm(ButtonPayload):
    """"Yes, erase": the confirmation /forget asks for."""

    participant_id: int


async def forget_command(turn: Turn) -> None:
    tr = turn.tr
    if len(turn.args) != 1:
        await turn.reply(tr._("Write <code>/forget P-0042</code>. I will ask you to confirm."))
        return
    async with turn.transaction() as session:
        participant = await visible_participant(session, turn.require_viewer(), turn.args[0])
    await turn.reply(
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
    bind_button(app, ForgetConfirm, forget_confirmed)
