"""/start and /help: who you are decides what you are told. Also the free-text router."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application
from telegram.ext import MessageHandler
from telegram.ext import filters

from bot.interaction.commands import Section
from bot.interaction.commands import closest_command
from bot.interaction.commands import help_lines
from bot.text.i18n import Translator
from bot.text.labels import ROLE_LABELS
from bot.text.participant_texts import participant_help
from bot.text.participant_texts import participant_hint
from handlers.kit import flows
from handlers.kit.base import Audience
from handlers.kit.base import CancelFlow
from handlers.kit.base import Context
from handlers.kit.base import Turn
from handlers.kit.base import bind_button
from handlers.kit.base import bind_command
from handlers.kit.base import guarded
from handlers.kit.base import register_button_router
from handlers.kit.base import run_typed_command
from handlers.kit.base import stranger_text
from handlers.kit.routing import open_start_token
from handlers.kit.routing import route_text
from storage.models import Role


async def start_command(turn: Turn) -> None:
    """A deep-link token starts onboarding; otherwise /start is /help."""
    if not (turn.args and await open_start_token(turn, turn.args[0])):
        await reply_help(turn)


async def help_command(turn: Turn) -> None:
    await reply_help(turn)


async def reply_help(turn: Turn) -> None:
    """What this person can do: staff by role, participants theirs, strangers who we are."""
    if turn.staff is not None:
        await turn.reply(help_text(turn.tr, Role(turn.staff.role), turn.staff.name))
    else:
        await hint_for_non_staff(turn, with_hint=False)


def help_text(tr: Translator, role: Role, name: str) -> str:
    lines = [
        tr._("Hello %(name)s! You are signed in as %(role)s.", name=name,
             role=tr._(ROLE_LABELS[role])),
    ]
    for section, heading in ((Section.DAILY, tr._("<b>Every day</b>")),
                             (Section.FIGURES, tr._("<b>Figures</b>")),
                             (Section.LEAD, tr._("<b>Project lead</b>")),
                             (Section.ADMIN, None)):
        entries = [tr._(line) for line in help_lines(role, section)]
        if entries:
            lines += (["", heading] if heading else []) + entries
    lines += ["", tr._("<b>Ask me</b>"),
              tr._("You can also just write a question, for example:"),
              tr._("• who haven't I seen in two weeks?"),
              tr._("• which meetings do I have tomorrow?"),
              tr._("• how many went to work this year?")]
    lines += ["", tr._("Every command also works without arguments: I guide you with buttons.")]
    return "\n".join(lines)


@guarded(Audience.ANYONE)
async def text_router(turn: Turn) -> None:
    """Text that is not a command: offered to the bound routes in their order (the relay,
    a reply to a relayed message, a guided step, a stray personnummer, a question)."""
    if turn.staff is None and turn.participant is None:
        await hint_for_non_staff(turn)
        return
    message = turn.update.effective_message
    text = (message.text or "").strip() if message else ""
    if not await route_text(turn, text) and turn.participant is not None:
        await hint_for_non_staff(turn)


async def cancel_button(turn: Turn, _payload: CancelFlow) -> None:
    """A Cancel from before the flow engine: its flow is long over. The flow going on now
    (its own Cancel carries its run) is not this button's to end."""
    await turn.edit(turn.tr._("Cancelled. Nothing was changed."))


async def cancel_command(turn: Turn) -> None:
    await flows.cancel(turn)
    await turn.reply(turn.tr._("Cancelled. Nothing was changed."))


async def hint_for_non_staff(turn: Turn, *, with_hint: bool = True) -> None:
    user = turn.update.effective_user
    assert user is not None
    if turn.participant is None:
        await turn.reply(stranger_text(turn.tr, user.id))
    elif with_hint:
        await turn.reply(participant_hint(turn.tr))
    else:
        await turn.reply(participant_help(turn.tr))


async def command_as_typed(update: Update, context: Context) -> None:
    """A command Telegram did not match — a Swedish name typed with å, ä or ö, capitals, a
    slip: run the command it names, else say which one it may have meant."""
    message = update.effective_message
    typed, *args = (message.text or "").split() if message else [""]
    if not await run_typed_command(update, context, typed, args):
        await unknown_command(update, context)


@guarded(Audience.ANYONE)
async def unknown_command(turn: Turn) -> None:
    if turn.staff is None:
        await hint_for_non_staff(turn)
        return
    message = turn.update.effective_message
    typed = ((message.text or "").split() or [""])[0][:40] if message else ""
    suggestion = closest_command(typed, Role(turn.staff.role))
    if suggestion is not None:
        await turn.reply(turn.tr._("I don't know %(typed)s. Did you mean %(command)s?",
                                   typed=typed, command=suggestion))
        return
    await turn.reply(turn.tr._("I don't know that command. Send /help to see what I can do."))


def register(app: Application) -> None:
    bind_command(app, "start", start_command)
    bind_command(app, "help", help_command)
    bind_command(app, "cancel", cancel_command)
    bind_button(app, CancelFlow, cancel_button)


def register_fallbacks(app: Application) -> None:
    """Registered last: every button family's router, free text and unknown commands."""
    register_button_router(app)
    # Before free text: a client that sends `/hjälp` without a command entity still means
    # a command.
    app.add_handler(MessageHandler(filters.COMMAND | filters.Regex(r"^/[^\W\d]"),
                                   command_as_typed))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, text_router))

