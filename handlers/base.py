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
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.runtime.services import Services, services_of
from bot.text.i18n import Translator, resolve_language
from bot.text.labels import command_for, fold
from bot.text.periods import parse_iso_day
from bot.text.render import (
    TELEGRAM_TEXT_LIMIT,
    error_text,
    fit_html,
    participant_keyboard,
)
from storage.access import Action, Viewer, can
from storage.db import transaction
from storage.errors import DomainError, NotAllowed
from storage.invites import participant_by_telegram_id
from storage.models import Participant, Staff
from storage.participants import participants_for_picker, visible_participant_by_id
from storage.staff import active_staff_by_telegram_id

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
FLOW_KEY = "flow"
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
        parts = text.split(maxsplit=1)
        return parts[1].strip() if len(parts) > 1 else ""

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
        return await self.context.bot.send_message(
            chat.id, _fit(text), parse_mode=ParseMode.HTML, reply_markup=keyboard
        )

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

    async def _answer_query(self) -> None:
        # Every reply passes here first: no connection or open transaction is held while
        # we wait for Telegram.
        if self._session is not None and self._session.in_transaction():
            await self.release()
        query = self.update.callback_query
        if query is not None and not self._answered:
            self._answered = True
            await query.answer()

    # ---- guided flows: what the next typed text means -------------------------------
    def start_flow(self, name: str, step: str, **data: Any) -> None:
        assert self.context.user_data is not None
        self.context.user_data[FLOW_KEY] = {"name": name, "step": step, **data}

    def flow(self, name: str) -> dict[str, Any] | None:
        state = (self.context.user_data or {}).get(FLOW_KEY)
        return state if state and state.get("name") == name else None

    def end_flow(self) -> None:
        if self.context.user_data is not None:
            self.context.user_data.pop(FLOW_KEY, None)


TextStep = Callable[["Turn", dict[str, Any], str], Awaitable[None]]
TEXT_STEPS: dict[str, TextStep] = {}
"""Flow name → what to do with the next typed text (filled by `on_text`)."""


def on_text(flow_name: str) -> Callable[[TextStep], TextStep]:
    def register(fn: TextStep) -> TextStep:
        TEXT_STEPS[flow_name] = fn
        return fn

    return register


def _fit(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> str:
    return fit_html(text, limit)


def translator_for(services: Services, update: Update, staff: Staff | None = None,
                   participant: Participant | None = None) -> Translator:
    user = update.effective_user
    if participant is not None:
        return Translator(participant.language, services.settings.tz)
    language = resolve_language(
        staff.language if staff else None,
        user.language_code if user else None,
        default=services.settings.default_language,
    )
    return Translator(language, services.settings.tz)


HandlerFn = Callable[[Turn], Awaitable[None]]
PTBCallback = Callable[[Update, Context], Awaitable[None]]


class Audience(Enum):
    STAFF = "staff"
    PARTICIPANT = "participant"
    ANYONE = "anyone"


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
                staff = await active_staff_by_telegram_id(session, user.id, cached=True)
                participant = (None if staff else
                               await participant_by_telegram_id(session, user.id))
                if participant is not None:
                    # Detached as before: a rollback in the handler must not expire it.
                    session.expunge(participant)
            except BaseException:
                await session.close()
                raise
            turn = Turn(update, context, services,
                        translator_for(services, update, staff, participant), _session=session)
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


# ---- pieces shared by handler modules: participant pickers, stale buttons ---------------
def picker_keyboard(participants: Sequence[Participant], prefix: str) -> InlineKeyboardMarkup:
    return participant_keyboard(participants, lambda p: f"{prefix}:{p.id}")


async def ask_to_pick(turn: Turn, prompt: str, prefix: str) -> None:
    """Offer the caller's own recent participants as buttons (the guided start of a flow)."""
    async with turn.transaction() as session:
        recent = await participants_for_picker(session, turn.require_viewer())
    if not recent:
        await turn.reply(turn.tr._("You have no active participants yet. Add one with /add."))
        return
    await turn.reply(prompt, picker_keyboard(recent, prefix))


async def picked_participant(turn: Turn, participant_id: int) -> Participant:
    """The participant a button names by id, within the caller's scope (a forged or stale
    id gets the same "can't find" as an unknown code)."""
    async with turn.transaction() as session:
        return await visible_participant_by_id(session, turn.require_viewer(), participant_id)


def callback_parts(turn: Turn) -> list[str]:
    query = turn.update.callback_query
    assert query is not None and query.data is not None
    return query.data.split(":")


async def expired(turn: Turn, command: str) -> None:
    # TRANSLATORS: participant
    command = command_for(turn.tr.language, command)
    await turn.edit(turn.tr._("This step has expired. Start again with %(command)s.",
                              command=turn.tr.isolate(command)))



# ---- small parsers shared by handler modules ------------------------------------------
def parse_day(text: str, today: date) -> date | None:
    """`2026-11-03`, `today`/`idag`, `yesterday`/`igår`; None when not a date."""
    word = fold(text)
    if word in {"today", "idag", "i dag"}:
        return today
    if word in {"yesterday", "igar", "i gar"}:
        return today - timedelta(days=1)
    return parse_iso_day(text)


def split_fields(text: str) -> list[str]:
    """Split a one-liner's fields on `|`, `;` or `,` (whichever the text uses)."""
    for separator in ("|", ";", ","):
        if separator in text:
            return [part.strip() for part in text.split(separator)]
    return [text.strip()] if text.strip() else []
