"""/language (/sprak): each person picks the language the bot speaks to them."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.interaction import menus
from bot.text.i18n import Translator
from bot.text.languages import ENDONYMS, STAFF_LANGUAGES
from bot.text.render import grid, keyboard
from handlers import onboarding
from handlers.base import (
    Audience,
    Turn,
    callback_parts,
    expired,
    guarded,
    staff_only,
    stranger_text,
)
from storage.access import Action
from storage.staff import set_staff_language


@guarded(Audience.ANYONE)
async def language_command(turn: Turn) -> None:
    """Staff choose among the staff languages; participants among all participant languages."""
    if turn.staff is None:
        if turn.participant is None:
            user = turn.update.effective_user
            assert user is not None
            await turn.reply(stranger_text(turn.tr, user.id))
            return
        await onboarding.ask_language(turn, turn.tr, preselect=turn.participant.language)
        return
    choice = turn.args[0] if turn.args else None
    if choice in STAFF_LANGUAGES:
        await save(turn, choice, edit=False)
        return
    buttons = [(ENDONYMS[code], f"lang:{code}") for code in STAFF_LANGUAGES]
    await turn.reply(turn.tr._("Choose your language:"), keyboard(grid(buttons, 2)))


@staff_only(Action.CHANGE_OWN_LANGUAGE)
async def language_button(turn: Turn) -> None:
    parts = callback_parts(turn)
    if len(parts) != 2 or parts[1] not in STAFF_LANGUAGES:
        await expired(turn, "/language")
        return
    await save(turn, parts[1], edit=True)


async def save(turn: Turn, language: str, *, edit: bool) -> None:
    assert turn.staff is not None and turn.staff.id is not None
    async with turn.transaction() as session:
        await set_staff_language(session, turn.staff.id, language, now=turn.now)
    turn.staff.language = language
    settings = turn.services.settings
    await menus.publish_staff_menu(turn.context.bot, turn.staff, settings.tz,
                                   settings.default_language)
    tr = Translator(language, settings.tz)
    text = tr._("Done: I will write to you in English.")
    await (turn.edit(text) if edit else turn.reply(text))


def register(app: Application) -> None:
    app.add_handler(CommandHandler(["language", "sprak"], language_command))
    app.add_handler(CallbackQueryHandler(language_button, pattern=r"^lang:"))
