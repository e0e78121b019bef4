"""Command menus (setMyCommands) per audience and language, and the bot's description.

Strangers see the participant menu in their Telegram language (one call per shipped
language plus a default); a participant gets a chat-scoped menu in the language they
chose; each staff member gets a chat-scoped menu for their role in their own language,
refreshed when they join or change language.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from telegram import Bot
from telegram import BotCommand
from telegram import BotCommandScopeAllPrivateChats
from telegram import BotCommandScopeChat
from telegram.error import TelegramError

from bot.interaction.commands import Command
from bot.interaction.commands import participant_menu
from bot.interaction.commands import staff_menu
from bot.text.i18n import N_
from bot.text.i18n import Translator
from bot.text.languages import PARTICIPANT_LANGUAGES
from storage.models import Participant
from storage.models import Role
from storage.models import Staff

log = logging.getLogger(__name__)

# TRANSLATORS: participant
DESCRIPTION = N_("Koordinator sends reminders and short questions from your coordinator in "
                 "your language. Open the link you got from your coordinator to start.")
# TRANSLATORS: participant
SHORT_DESCRIPTION = N_("Reminders from your coordinator, in your language.")


def commands_for(tr: Translator, entries: Sequence[Command]) -> list[BotCommand]:
    return [BotCommand(entry.name, tr._(entry.menu or entry.name)) for entry in entries]


def menu_languages() -> list[str]:
    """Languages Telegram accepts a dedicated menu for: two-letter ISO 639-1 codes only.

    Dari (fa_AF) and Sorani (ckb) readers get the default menu; Telegram reports Dari
    speakers' apps as `fa` anyway.
    """
    return [code for code in PARTICIPANT_LANGUAGES if len(code) == 2]


async def publish_public_menus(bot: Bot, tz: ZoneInfo, default_language: str) -> None:
    """Participant menu and description for every menu language, plus the default."""
    for code in (None, *menu_languages()):
        tr = Translator(code or default_language, tz)
        await bot.set_my_commands(commands_for(tr, participant_menu()),
                                  scope=BotCommandScopeAllPrivateChats(), language_code=code)
        await bot.set_my_description(tr._(DESCRIPTION), language_code=code)
        await bot.set_my_short_description(tr._(SHORT_DESCRIPTION), language_code=code)


async def publish_participant_menu(bot: Bot, participant: Participant, tr: Translator) -> None:
    """The participant's own menu in the language they chose; best effort.

    A chat-scoped menu has no language restriction, so Sorani, Dari and Tigrinya
    readers get their own words too (the public menus exist only for two-letter codes).
    """
    if participant.chat_id is None:
        return
    try:
        await bot.set_my_commands(commands_for(tr, participant_menu()),
                                  scope=BotCommandScopeChat(participant.chat_id))
    except TelegramError as exc:
        log.info("no menu for participant %s: %s", participant.id, exc)


async def publish_staff_menu(bot: Bot, staff: Staff, tz: ZoneInfo, default_language: str) -> None:
    """The chat-scoped menu of one staff member, in their language; best effort."""
    tr = Translator(staff.language or default_language, tz)
    scope = BotCommandScopeChat(staff.telegram_user_id)
    try:
        if staff.active:
            await bot.set_my_commands(commands_for(tr, staff_menu(Role(staff.role))),
                                      scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramError as exc:  # e.g. the person never opened a chat with the bot
        log.info("no menu for staff %s: %s", staff.id, exc)
