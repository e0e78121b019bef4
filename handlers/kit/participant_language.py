"""The participant's language question: asked when she joins (onboarding) and by
/language (which staff use too), so it lives in the kit rather than in either module."""

from __future__ import annotations

from typing import Annotated

from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import Token
from bot.interaction.buttons import family
from bot.text.i18n import Translator
from bot.text.languages import ENDONYMS
from bot.text.languages import PARTICIPANT_LANGUAGES
from bot.text.render import grid
from bot.text.render import keyboard
from handlers.kit.base import Turn


@family("pl", command="language")
class ParticipantLanguage(ButtonPayload):
    """The language a participant wants messages in."""

    language: Annotated[str, Token(8)]


async def ask_language(turn: Turn, tr: Translator, *, preselect: str | None) -> None:
    ordered = sorted(PARTICIPANT_LANGUAGES, key=lambda code: code != preselect)
    buttons = [(("✓ " if code == preselect else "") + ENDONYMS[code],
                ParticipantLanguage(code).encode()) for code in ordered]
    # TRANSLATORS: participant
    await turn.reply(tr._("Which language do you want messages in?"), keyboard(grid(buttons, 2)))
