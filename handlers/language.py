"""/language (/sprak): each person picks the language the bot speaks to them."""

from __future__ import annotations

from typing import Annotated

from telegram.ext import Application

from bot.interaction import menus
from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import Token
from bot.interaction.buttons import family
from bot.text.i18n import Translator
from bot.text.languages import ENDONYMS
from bot.text.languages import STAFF_LANGUAGES
from bot.text.render import grid
from bot.text.render import keyboard
from handlers.kit.base import Audience
from handlers.kit.base import Turn
from handlers.kit.base import bind_button
from handlers.kit.base import bind_command
from handlers.kit.base import expired
from handlers.kit.base import stranger_text
from handlers.kit.participant_language import ask_language
from storage.access import Action
from storage.staff import set_staff_language


@family("lang", command="language")
class StaffLanguage(ButtonPayload):
    """A staff member's language (participants pick theirs with onboarding's buttons)."""

    language: Annotated[str, Token(8)]


async def language_command(turn: Turn) -> None:
    """Staff choose among the staff languages; participants among all participant languages."""
    if turn.staff is None:
        if turn.participant is None:
            user = turn.update.effective_user
            assert user is not None
            await turn.reply(stranger_text(turn.tr, user.id))
            return
        await ask_language(turn, turn.tr, preselect=turn.participant.language)
        return
    choice = turn.args[0] if turn.args else None
    if choice in STAFF_LANGUAGES:
        await save(turn, choice, edit=False)
        return
    buttons = [(ENDONYMS[code], StaffLanguage(code).encode()) for code in STAFF_LANGUAGES]
    await turn.reply(turn.tr._("Choose your language:"), keyboard(grid(buttons, 2)))


async def language_picked(turn: Turn, payload: StaffLanguage) -> None:
    if payload.language not in STAFF_LANGUAGES:
        await expired(turn, "language")
        return
    await save(turn, payload.language, edit=True)


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
    await turn.respond(text, edit=edit)


def register(app: Application) -> None:
    bind_command(app, "language", language_command)
    # /language is everyone's; this button is staff's (participants have onboarding's).
    bind_button(app, StaffLanguage, language_picked, audience=Audience.STAFF,
                action=Action.CHANGE_OWN_LANGUAGE)
