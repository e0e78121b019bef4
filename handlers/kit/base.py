"""What every handler module shares: the per-update `Turn`, the staff guard, flow state.

A handler is `async def handler(turn: Turn) -> None`: parse `turn.args`, call storage
inside `turn.transaction()`, answer with `turn.reply()`. The guard has already decided
who is asking and in which language; domain errors become localized messages here,
after the transaction rolled back, so rejected input changes nothing.

One update, one transaction: the guard's lookups (when the staff cache cannot answer)
open the session that the handler's first `turn.transaction()` continues, instead of a
transaction of their own (a pool checkout, BEGIN and COMMIT less per update).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from typing import Any
from typing import Protocol
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardMarkup
from telegram import Message
from telegram import Update
from telegram.constants import ChatType
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application
from telegram.ext import CallbackQueryHandler
from telegram.ext import CommandHandler
from telegram.ext import ContextTypes

from bot.interaction import buttons
from bot.interaction.buttons import ButtonPayload
from bot.interaction.commands import BY_NAME
from bot.interaction.commands import Audience
from bot.interaction.commands import command_for
from bot.interaction.commands import resolve
from bot.runtime.services import Services
from bot.runtime.services import services_of
from bot.text.days import parse_typed_day
from bot.text.i18n import Translator
from bot.text.i18n import resolve_language
from bot.text.languages import PARTICIPANT_LANGUAGES
from bot.text.languages import STAFF_LANGUAGES
from bot.text.render import TELEGRAM_TEXT_LIMIT
from bot.text.render import error_text
from bot.text.render import fit_html
from storage.access import Action
from storage.access import Viewer
from storage.access import can
from storage.db import transaction
from storage.errors import DomainError
from storage.errors import NotAllowed
from storage.errors import NotFound
from storage.invites import participant_by_telegram_id
from storage.models import Participant
from storage.models import Staff
from storage.participants import visible_participant_by_id
from storage.staff import active_staff_by_telegram_id

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
CAPTION_LIMIT = 1024


@dataclass
class Turn:
    """One incoming update, with the person behind it resolved."""

    update: Update
    context: Context
    services: Services
    tr: Translator
    staff: Staff | None = None
    viewer: Viewer | None = None
    participant: Participant | None = None
    prompt_message_id: int | None = None
    """The last message this turn sent or edited with buttons: a guided step's prompt."""
    _answered: bool = field(default=False, repr=False)
    _session: AsyncSession | None = field(default=None, repr=False)
    """The guard's session, handed to the first `transaction()` (see the module docstring)."""

    @property
    def now(self) -> datetime:
        return self.services.clock.now()

    @property
    def today(self) -> date:
        return self.now.astimezone(self.services.settings.tz).date()

    @property
    def args(self) -> list[str]:
        return list(self.context.args or [])

    @property
    def text_after_command(self) -> str:
        """Everything after the command word, whitespace kept (notes, names with spaces)."""
        message = self.update.effective_message
        text = (message.text or "") if message else ""
        if not text.startswith("/"):
            return text.strip()
        words = text.split(maxsplit=1)
        return words[1].strip() if len(words) > 1 else ""

    @property
    def user_id(self) -> int:
        assert self.update.effective_user is not None
        return self.update.effective_user.id

    def require_viewer(self) -> Viewer:
        if self.viewer is None:
            raise NotAllowed()
        return self.viewer

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commit on success, roll back on any error."""
        session, self._session = self._session, None
        if session is None:
            async with transaction(self.services.sessions) as fresh:
                yield fresh
            return
        # The guard's session, perhaps with its lookups' transaction already begun: this
        # block continues it. Nothing was written yet, so the guarantee is the same.
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        finally:
            await session.close()

    async def release(self) -> None:
        """Give back the guard's session unused (its read transaction and connection)."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def reply(self, text: str, keyboard: InlineKeyboardMarkup | None = None) -> Message:
        await self._answer_query()
        chat = self.update.effective_chat
        assert chat is not None
        sent = await self.context.bot.send_message(
            chat.id, _fit(text), parse_mode=ParseMode.HTML, reply_markup=keyboard
        )
        self._remember_prompt(sent.message_id, keyboard)
        return sent

    async def reply_photo(self, png: bytes, caption: str, filename: str,
                          keyboard: InlineKeyboardMarkup | None = None) -> Message:
        """Send a picture (a chart) with a short HTML caption."""
        await self._answer_query()
        chat = self.update.effective_chat
        assert chat is not None
        return await self.context.bot.send_photo(
            chat.id, png, caption=_fit(caption, CAPTION_LIMIT), filename=filename,
            parse_mode=ParseMode.HTML, reply_markup=keyboard)

    async def reply_document(self, content: bytes, filename: str, caption: str) -> Message:
        """Send a file (an export) with a short HTML caption."""
        await self._answer_query()
        chat = self.update.effective_chat
        assert chat is not None
        return await self.context.bot.send_document(
            chat.id, content, filename=filename, caption=_fit(caption, CAPTION_LIMIT),
            parse_mode=ParseMode.HTML)

    async def respond(self, text: str, keyboard: InlineKeyboardMarkup | None = None, *,
                      edit: bool = False) -> None:
        """A new message, or with `edit` the message whose button was pressed, replaced:
        what one answer looks like whether typed (a one-liner) or tapped (a flow's end)."""
        if edit:
            await self.edit(text, keyboard)
        else:
            await self.reply(text, keyboard)

    async def edit(self, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
        """Replace the message whose button was pressed (falls back to a new message)."""
        query = self.update.callback_query
        await self._answer_query()
        if query is None or query.message is None:
            await self.reply(text, keyboard)
            return
        try:
            await query.edit_message_text(_fit(text), parse_mode=ParseMode.HTML,
                                          reply_markup=keyboard)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise
        self._remember_prompt(query.message.message_id, keyboard)

    def _remember_prompt(self, message_id: int, markup: InlineKeyboardMarkup | None) -> None:
        """The message whose buttons belong to the current step of a guided flow: when the
        step is answered by typing, its buttons are taken away (an old "No note" under a
        saved check-in would otherwise invite a second one)."""
        if markup is not None:
            self.prompt_message_id = message_id

    async def retire_prompt(self, message_id: int) -> None:
        """Remove the buttons of a step the person answered by typing."""
        chat = self.update.effective_chat
        if chat is None:
            return
        try:
            await self.context.bot.edit_message_reply_markup(chat.id, message_id,
                                                             reply_markup=None)
        except BadRequest:  # already gone or unchanged: nothing to retire
            pass

    async def _answer_query(self) -> None:
        # Every reply passes here first: no connection or open transaction is held while
        # we wait for Telegram.
        if self._session is not None and self._session.in_transaction():
            await self.release()
        query = self.update.callback_query
        if query is not None and not self._answered:
            self._answered = True
            await query.answer()


def _fit(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> str:
    return fit_html(text, limit)


def translator_for(services: Services, update: Update, staff: Staff | None = None,
                   participant: Participant | None = None, *,
                   stranger: bool = False) -> Translator:
    """Staff read sv/en; a participant their chosen language; a `stranger` (known to be
    neither, e.g. someone who lost their link) their phone's language when a participant
    language, else the default."""
    user = update.effective_user
    if participant is not None:
        return Translator(participant.language, services.settings.tz)
    language = resolve_language(
        staff.language if staff else None,
        user.language_code if user else None,
        allowed=PARTICIPANT_LANGUAGES if stranger and staff is None else STAFF_LANGUAGES,
        default=services.settings.default_language,
    )
    return Translator(language, services.settings.tz)


HandlerFn = Callable[[Turn], Awaitable[None]]
PTBCallback = Callable[[Update, Context], Awaitable[None]]


def guarded(audience: Audience, action: Action | None = None) -> Callable[[HandlerFn], PTBCallback]:
    """Resolve who is asking, enforce private chats and the access policy, localize errors.

    Staff handlers refuse everyone else with the polite stranger text; participant
    handlers need a participant whose chat is linked by an accepted invite.
    """

    def decorate(fn: HandlerFn) -> PTBCallback:
        @functools.wraps(fn)
        async def wrapper(update: Update, context: Context) -> None:
            services = services_of(context.bot_data)
            user = update.effective_user
            if user is None or update.effective_chat is None:
                return
            # Not begun: with the staff cache answering, no connection is taken here.
            session = services.sessions()
            try:
                staff = await active_staff_by_telegram_id(session, user.id,
                                                          cache=services.staff_cache)
                participant = (None if staff else
                               await participant_by_telegram_id(session, user.id))
                if participant is not None:
                    # Detached as before: a rollback in the handler must not expire it.
                    session.expunge(participant)
            except BaseException:
                await session.close()
                raise
            turn = Turn(update, context, services,
                        translator_for(services, update, staff, participant,
                                       stranger=staff is None and participant is None),
                        _session=session)
            turn.staff, turn.participant = staff, participant
            try:
                await _guarded_turn(turn, fn, audience, action)
            finally:
                await turn.release()

        return wrapper

    return decorate


async def _guarded_turn(turn: Turn, fn: HandlerFn, audience: Audience,
                        action: Action | None) -> None:
    """The guard's decisions, once the person behind the update is known."""
    update, staff, participant = turn.update, turn.staff, turn.participant
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    if update.effective_chat.type != ChatType.PRIVATE:
        if staff is not None:
            await turn.reply(turn.tr._(
                "For the participants' privacy I only work in a private chat. "
                "Write to me directly."))
        return
    if audience == Audience.STAFF and staff is None:
        await turn.reply(stranger_text(turn.tr, user.id))
        return
    if audience == Audience.PARTICIPANT and participant is None:
        await turn.reply(stranger_text(turn.tr, user.id))
        return
    if staff is not None:
        turn.viewer = Viewer.of(staff)
        if action is not None and not can(turn.viewer, action):
            await turn.reply(error_text(turn.tr, NotAllowed()))
            return
    try:
        await fn(turn)
    except DomainError as error:
        log.info("refused %s for user %s: %s", fn.__name__, user.id, error.code)
        await turn.reply(error_text(turn.tr, error))


def staff_only(action: Action | None = None) -> Callable[[HandlerFn], PTBCallback]:
    return guarded(Audience.STAFF, action)


def participant_only() -> Callable[[HandlerFn], PTBCallback]:
    return guarded(Audience.PARTICIPANT)


def stranger_text(tr: Translator, telegram_id: int) -> str:
    # TRANSLATORS: participant
    return tr._(
        "Hello! I am Koordinator, the follow-up assistant of a labour-market "
        "integration project. I only work for the project's staff and for participants "
        "who got an invitation from their coordinator. If you are a participant, ask "
        "your coordinator for your personal link. If you are new staff, give your "
        "project lead your Telegram id: %(telegram_id)s",
        telegram_id=telegram_id,
    )


# ---- binding commands and buttons -------------------------------------------------------
@buttons.family("flow:cancel", command="cancel")
class CancelFlow(ButtonPayload):
    """"Cancel" under a guided step before the flow engine (whose steps carry their own):
    kept so such a message still answers (handlers/start.py); no longer sent."""


P = TypeVar("P", bound=ButtonPayload)
ButtonFn = Callable[[Turn, Any], Awaitable[None]]
BUTTON_ROUTES_KEY = "koordinator.button_routes"
COMMAND_ROUTES_KEY = "koordinator.command_routes"


def bind_command(app: Application, name: str, fn: HandlerFn) -> None:
    """Register a command by its registry row: both names, its audience and access action."""
    row = BY_NAME.get(name)
    if row is None or row.name != name:
        raise ValueError(f"/{name} is not in bot.interaction.commands.COMMANDS")
    callback = guarded(row.audience, row.action)(fn)
    app.add_handler(CommandHandler(list(row.names), callback))
    app.bot_data.setdefault(COMMAND_ROUTES_KEY, {})[row.name] = callback


async def run_typed_command(update: Update, context: Context, typed: str,
                            args: list[str]) -> bool:
    """Run the command a word names however it was typed (`/Hjälp`, `/sök anna`), as its
    own handler would; False when no command has that name."""
    row = resolve(typed)
    routes: dict[str, PTBCallback] = context.bot_data.get(COMMAND_ROUTES_KEY, {})
    callback = routes.get(row.name) if row is not None else None
    if callback is None:
        return False
    context.args = args
    await callback(update, context)
    return True


def bind_button(app: Application, family: type[P], fn: Callable[[Turn, P], Awaitable[None]],
                *, audience: Audience | None = None, action: Action | None = None) -> None:
    """Route taps of one button family to `fn(turn, payload)`.

    The guard is the family's command's (its audience and access action) unless given.
    A payload naming something the person cannot see (any "not found") answers like an
    expired button: a forged id learns nothing.
    """
    row = BY_NAME[family.COMMAND]
    routes: dict[type[ButtonPayload], PTBCallback] = app.bot_data.setdefault(
        BUTTON_ROUTES_KEY, {})
    if family in routes:
        raise ValueError(f"button family {family.PREFIX!r} bound twice")

    async def on_tap(turn: Turn) -> None:
        query = turn.update.callback_query
        payload = buttons.decode(query.data if query else None)
        if not isinstance(payload, family):
            await expired(turn, family.COMMAND)
            return
        try:
            await fn(turn, payload)
        except NotFound:
            await expired(turn, family.COMMAND)

    on_tap.__name__ = getattr(fn, "__name__", family.__name__)
    routes[family] = guarded(audience or row.audience,
                             action if action is not None else row.action)(on_tap)


def register_button_router(app: Application) -> None:
    """The one CallbackQueryHandler: decode, then hand to the family's bound function."""
    app.add_handler(CallbackQueryHandler(route_button))


async def route_button(update: Update, context: Context) -> None:
    query = update.callback_query
    payload = buttons.decode(query.data if query else None)
    routes: dict[type[ButtonPayload], PTBCallback] = context.bot_data.get(BUTTON_ROUTES_KEY, {})
    callback = routes.get(type(payload)) if payload is not None else None
    if callback is None:
        await expired_tap(update, context)
        return
    await callback(update, context)


@guarded(Audience.ANYONE)
async def expired_tap(turn: Turn) -> None:
    """Data no family decodes (forged, odd, from an older version): expired, nothing done."""
    query = turn.update.callback_query
    command = buttons.command_of(query.data if query else None)
    log.info("undecodable button data from user %s", turn.user_id)
    await expired(turn, command or "help")


async def expired(turn: Turn, command: str) -> None:
    # TRANSLATORS: participant
    command = command_for(turn.tr.language, "/" + command.removeprefix("/"))
    await turn.edit(turn.tr._("This step has expired. Start again with %(command)s.",
                              command=turn.tr.isolate(command)))


# ---- participant pickers -----------------------------------------------------------------
PICKER_PAGE = 8


class PickerSource(Protocol):
    """Which participants a picker offers: one page of them, within the viewer's scope."""

    def __call__(self, session: AsyncSession, viewer: Viewer, *, limit: int,
                 offset: int) -> Awaitable[Sequence[Participant]]: ...


async def picked_participant(turn: Turn, participant_id: int) -> Participant:
    """The participant a button names by id, within the caller's scope (a forged or stale
    id gets the same "can't find" as an unknown code)."""
    async with turn.transaction() as session:
        return await visible_participant_by_id(session, turn.require_viewer(), participant_id)


# ---- small parsers shared by handler modules ------------------------------------------
def parse_day(text: str, today: date) -> date | None:
    """A day that has been, as typed: `2026-11-03`, `idag`, `igår`, `3/11`, `3 nov`,
    `måndag` (the last Monday); None when not a date."""
    return parse_typed_day(text, today, ahead=False)


def parse_coming_day(text: str, today: date) -> date | None:
    """A day something is booked for, as typed: `imorgon`, `7/12` (the next 7 December),
    `fredag` (the coming Friday), …; None when not a date."""
    return parse_typed_day(text, today, ahead=True)


def split_fields(text: str) -> list[str]:
    """Split a one-liner's fields on `|`, `;` or `,` (whichever the text uses)."""
    for separator in ("|", ";", ","):
        if separator in text:
            return [part.strip() for part in text.split(separator)]
    return [text.strip()] if text.strip() else []
