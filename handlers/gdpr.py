"""/forget (admin): erase a participant's personal data after a confirmation."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.text.render import keyboard
from handlers.base import Turn, callback_parts, expired, staff_only
from storage import gdpr
from storage.access import Action
from storage.participants import code_for, visible_participant, visible_participant_by_id


@staff_only(Action.ERASE_PARTICIPANT)
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
        keyboard([[(tr._("Yes, erase"), f"forget:yes:{participant.id}"),
                   (tr._("Cancel"), "flow:cancel")]]))


@staff_only(Action.ERASE_PARTICIPANT)
async def forget_button(turn: Turn) -> None:
    parts = callback_parts(turn)
    if len(parts) != 3 or parts[1] != "yes" or not parts[2].isdigit():
        await expired(turn, "/forget")
        return
    async with turn.transaction() as session:
        participant = await visible_participant_by_id(session, turn.require_viewer(),
                                                      int(parts[2]))
        await gdpr.erase_participant(session, code_for(int(parts[2])),
                                     actor_staff_id=turn.require_viewer().staff_id, now=turn.now)
    await turn.edit(turn.tr._("The personal data of %(code)s has been erased.",
                              code=turn.tr.isolate(participant.code)))


def register(app: Application) -> None:
    app.add_handler(CommandHandler(["forget", "glom"], forget_command))
    app.add_handler(CallbackQueryHandler(forget_button, pattern=r"^forget:"))
