"""Participants write to their coordinator through the bot; staff answer the same way.

A participant's text, voice message, photo, video or document is copied (Telegram's
copyMessage: nothing downloaded, nothing stored but the mapping) to whoever reads her
messages today — her coordinator, their out-of-office delegate, or a lead when the
coordinator has left — under a header with her code, name and language. Staff answer by
replying to it, or with `/reply P-0042 text` (/svara). The coordinator's phone number
stays private and a hand-over brings the conversation along.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Message
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application
from telegram.ext import MessageHandler
from telegram.ext import filters

from bot.interaction.buttons import retire
from bot.outbox.ratelimit import TelegramRateLimiter
from bot.outbox.timing import QuietHours
from bot.text.i18n import Translator
from bot.text.i18n import escape
from bot.text.languages import ENDONYMS
from handlers.kit.base import Audience
from handlers.kit.base import Turn
from handlers.kit.base import guarded
from handlers.kit.base import stranger_text
from handlers.kit.flows import AskText
from handlers.kit.flows import Flow
from handlers.kit.flows import PickParticipant
from handlers.kit.flows import bind_guided_command
from handlers.kit.relay import bind_relay
from handlers.kit.routing import TextSlot
from handlers.kit.routing import bind_text_route
from storage import relay
from storage.errors import NotFound
from storage.models import Participant
from storage.models import Staff
from storage.participants import visible_participant
from storage.participants import visible_participant_by_id

log = logging.getLogger(__name__)

BURST_WINDOW = timedelta(minutes=1)
"""Messages within a minute of the last one are copied silently, without a new header."""

MEDIA = (filters.PHOTO | filters.VOICE | filters.VIDEO | filters.Document.ALL | filters.AUDIO
         | filters.VIDEO_NOTE)


# ---- participant → staff ---------------------------------------------------------------
async def participant_wrote(turn: Turn) -> None:
    """Relay what a linked participant sent (not a command, not a button)."""
    participant, message = turn.participant, turn.update.effective_message
    assert participant is not None and participant.id is not None and message is not None
    tr = turn.tr
    if participant.stopped_at is not None or participant.consent_at is None:
        # TRANSLATORS: participant
        await turn.reply(tr._("You have stopped messages from Koordinator, so this message "
                              "was not passed on. To start again, ask your coordinator for a "
                              "new invitation link."))
        return
    async with turn.transaction() as session:
        recipient = await relay.relay_recipient(session, participant, today=turn.today)
        earlier = await relay.written_since(session, participant.id, turn.now - BURST_WINDOW)
    if recipient is None:
        log.warning("no one to relay participant %s's message to", participant.id)
        await _not_passed_on(turn)
        return
    silent = earlier > 0 or _quiet_now(turn, recipient)
    try:
        header = None
        if earlier == 0:
            await _pace(turn, recipient.telegram_user_id)
            header = await turn.context.bot.send_message(
                recipient.telegram_user_id, _header(turn, recipient, participant),
                parse_mode=ParseMode.HTML, disable_notification=silent)
        # The header (or, in a burst, the first one) rang; the copies never do.
        await _pace(turn, recipient.telegram_user_id)
        copy = await turn.context.bot.copy_message(
            recipient.telegram_user_id, from_chat_id=message.chat_id,
            message_id=message.message_id, disable_notification=True)
    except TelegramError as exc:
        log.warning("relay of participant %s's message failed: %s", participant.id,
                    type(exc).__name__)
        await _not_passed_on(turn)
        return
    async with turn.transaction() as session:
        await relay.record_incoming(
            session, participant, staff_chat_id=recipient.telegram_user_id,
            copy_message_id=copy.message_id,
            header_message_id=header.message_id if header else None, at=turn.now)
    if earlier == 0:
        # TRANSLATORS: participant
        await turn.reply(tr._("✅ Your coordinator got your message."))


async def _pace(turn: Turn, chat_id: int) -> None:
    """Keep Telegram's per-chat pace with everything else the bot sends to this chat.

    The bot's rate limiter holds the overall limit and remembers every chat's last send
    (the outbox dispatcher reads the same record); waiting here holds up only this
    participant's own updates, which are handled in order anyway.
    """
    interval = turn.services.settings.per_chat_interval_seconds
    limiter = getattr(turn.context.bot, "rate_limiter", None)
    last = limiter.last_sent(chat_id) if isinstance(limiter, TelegramRateLimiter) else None
    if interval > 0 and last is not None:
        wait = last + interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(min(wait, interval))


def _header(turn: Turn, recipient: Staff, participant: Participant) -> str:
    staff_tr = Translator(recipient.language or turn.services.settings.default_language,
                          turn.services.settings.tz)
    return staff_tr._(
        "💬 <b>%(code)s</b> %(name)s wrote (%(language)s). Reply to the message to answer.",
        code=staff_tr.isolate(participant.code), name=participant.display_name,
        language=ENDONYMS.get(participant.language, participant.language))


def _quiet_now(turn: Turn, recipient: Staff) -> bool:
    """Staff get it without sound during quiet hours rather than not at all."""
    settings = turn.services.settings
    local = turn.now.astimezone(settings.tz).time()
    return QuietHours(settings.quiet_hours_start, settings.quiet_hours_end).contains(local)


async def _not_passed_on(turn: Turn) -> None:
    # TRANSLATORS: participant
    await turn.reply(turn.tr._("I could not pass your message on right now. Please try "
                               "again later."))


# ---- staff → participant ---------------------------------------------------------------
# The picker and the typed step /reply sent before the flow engine: their buttons expire.
retire("reply:p", "reply:more", command="reply")


@dataclass(frozen=True)
class ReplyDraft:
    """A guided /reply: to whom, then the message (typed last, so never stored)."""

    participant_id: int | None = None
    code: str = ""
    name: str = ""
    text: str = field(default="", repr=False)


def message_prompt(tr: Translator, draft: ReplyDraft) -> str:
    return tr._("Write your message to %(code)s (%(name)s).", code=tr.isolate(draft.code),
                name=draft.name)


def unreachable_refusal(tr: Translator, participant: Participant) -> str | None:
    """Why nothing can be written to the participant now, or None."""
    if participant.reachable:
        return None
    return tr._("%(code)s does not get messages from the bot (not joined, stopped or consent "
                "withdrawn). Nothing was sent.", code=tr.isolate(participant.code))


async def send_from_draft(turn: Turn, draft: ReplyDraft) -> None:
    assert draft.participant_id is not None
    async with turn.transaction() as session:
        participant = await visible_participant_by_id(session, turn.require_viewer(),
                                                      draft.participant_id)
    await answer(turn, participant, text=draft.text)


REPLY_FLOW = Flow(
    "reply", command="reply", draft=ReplyDraft,
    steps=(
        PickParticipant(
            name="who",
            prompt=lambda tr, _d: tr._("Who do you want to write to? Tap a participant."),
            choose=lambda d, p: replace(d, participant_id=p.id, code=p.code,
                                        name=p.display_name),
            # Before the message is written, not after: she cannot get it.
            refuse=unreachable_refusal),
        AskText(name="text", prompt=message_prompt,
                parse=lambda _turn, d, text: replace(d, text=text)),
    ),
    finish=send_from_draft,
)


async def reply_command(turn: Turn) -> None:
    """`/reply P-0042 text` (/svara); alone, pick a participant and then type."""
    tr = turn.tr
    code, _, text = turn.text_after_command.partition(" ")
    if not text.strip():
        await turn.reply(tr._("Write <code>/reply P-0042 your message</code>, or reply to the "
                              "participant's message in this chat."))
        return
    async with turn.transaction() as session:
        participant = await visible_participant(session, turn.require_viewer(), code)
    await answer(turn, participant, text=text.strip())


async def staff_replied(turn: Turn, participant_id: int) -> None:
    """A staff member replied (text or media) to a relayed message."""
    async with turn.transaction() as session:
        participant = await _answerable(turn, session, participant_id)
    if participant is None:
        await turn.reply(turn.tr._("This conversation is no longer yours: the participant "
                                   "has another coordinator now. Nothing was sent."))
        return
    message = turn.update.effective_message
    assert message is not None
    await answer(turn, participant, text=message.text, media=None if message.text else message)


async def _answerable(turn: Turn, session: AsyncSession,
                      participant_id: int) -> Participant | None:
    """Her, if this staff member may answer: she is in their scope, or they are who reads
    her messages today (a delegate, or a lead while the coordinator has left)."""
    viewer = turn.require_viewer()
    try:
        return await visible_participant_by_id(session, viewer, participant_id)
    except NotFound:
        pass
    participant = await session.get(Participant, participant_id)
    if participant is None:
        return None
    recipient = await relay.relay_recipient(session, participant, today=turn.today)
    return participant if recipient is not None and recipient.id == viewer.staff_id else None


async def answer(turn: Turn, participant: Participant, *, text: str | None,
                 media: Message | None = None) -> None:
    tr, staff = turn.tr, turn.staff
    assert staff is not None
    refused = unreachable_refusal(tr, participant)
    if refused is not None:
        await turn.reply(refused)
        return
    assert participant.chat_id is not None  # reachable
    ptr = Translator(participant.language, turn.services.settings.tz)
    first_name = staff.name.split()[0] if staff.name.split() else staff.name
    # TRANSLATORS: participant
    signature = ptr._("✉️ From %(name)s, your coordinator:", name=first_name)
    try:
        if media is None:
            sent = await turn.context.bot.send_message(
                participant.chat_id, f"{signature}\n{escape(text or '')}",
                parse_mode=ParseMode.HTML)
        else:
            caption = signature + (f"\n{escape(media.caption)}" if media.caption else "")
            sent = await turn.context.bot.copy_message(
                participant.chat_id, from_chat_id=media.chat_id, message_id=media.message_id,
                caption=caption, parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        log.warning("reply to participant %s failed: %s", participant.id, type(exc).__name__)
        await turn.reply(tr._("The message could not be delivered to %(code)s. Nothing was "
                              "sent; try again later.", code=tr.isolate(participant.code)))
        return
    async with turn.transaction() as session:
        fresh = await session.get(Participant, participant.id)
        assert fresh is not None
        await relay.record_answer(session, fresh, staff=staff, staff_message_id=sent.message_id,
                                  at=turn.now)
    await turn.reply(tr._("✅ Sent to %(code)s.", code=tr.isolate(participant.code)))


async def replied_participant(turn: Turn) -> int | None:
    """The participant whose relayed message this staff message answers, if any."""
    message = turn.update.effective_message
    replied = message.reply_to_message if message is not None else None
    if replied is None or turn.staff is None or message is None:
        return None
    async with turn.transaction() as session:
        return await relay.participant_for_reply(session, message.chat_id, replied.message_id)


# ---- media of anyone -------------------------------------------------------------------
@guarded(Audience.ANYONE)
async def media_message(turn: Turn) -> None:
    """A photo, voice message, video or document: relayed from participants; from staff,
    relayed when it answers a participant's message."""
    if turn.participant is not None:
        await participant_wrote(turn)
        return
    if turn.staff is None:
        await turn.reply(stranger_text(turn.tr, turn.user_id))
        return
    participant_id = await replied_participant(turn)
    if participant_id is not None:
        await staff_replied(turn, participant_id)
        return
    await turn.reply(turn.tr._("To send this to a participant, reply to her message with it."))


async def participant_text(turn: Turn, _text: str) -> bool:
    """Text from a linked participant is a message to her coordinator: relay it."""
    if turn.participant is None:
        return False
    await participant_wrote(turn)
    return True


async def reply_to_relayed(turn: Turn, _text: str) -> bool:
    """Staff text that replies to a relayed message goes back to that participant."""
    if turn.staff is None or (participant_id := await replied_participant(turn)) is None:
        return False
    await staff_replied(turn, participant_id)
    return True


def register(app: Application) -> None:
    bind_text_route(app, TextSlot.PARTICIPANT_MESSAGE, participant_text)
    bind_text_route(app, TextSlot.REPLY_TO_RELAYED, reply_to_relayed)
    bind_guided_command(app, REPLY_FLOW, reply_command)
    bind_relay(app, media_message)
    app.add_handler(MessageHandler(MEDIA & ~filters.COMMAND, media_message))
