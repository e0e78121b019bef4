"""Participants join and take part: /invite (QR + deep link), /start <token> with consent and
language, /next, /stop, and the one-tap answers to reminders."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import segno
from telegram.constants import ParseMode
from telegram.ext import Application

from bot.interaction import menus
from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import family
from bot.interaction.buttons import retire
from bot.outbox.reminders import notify_staff_now
from bot.outbox.reminders import plan_reminders
from bot.outbox.templates import ReminderAnswer
from bot.outbox.templates import changed_text
from bot.outbox.templates import participant_appointment_text
from bot.outbox.templates import response_keyboard
from bot.outbox.templates import thanks_text
from bot.text.i18n import SafeHtml
from bot.text.i18n import Translator
from bot.text.languages import PARTICIPANT_LANGUAGES
from bot.text.participant_texts import consent_text
from bot.text.participant_texts import participant_help
from bot.text.render import keyboard
from handlers.kit.base import Audience
from handlers.kit.base import Turn
from handlers.kit.base import bind_button
from handlers.kit.base import bind_command
from handlers.kit.base import expired
from handlers.kit.flows import Flow
from handlers.kit.flows import PickParticipant
from handlers.kit.flows import bind_guided_command
from handlers.kit.flows import ended_refusal
from handlers.kit.participant_language import ParticipantLanguage
from handlers.kit.participant_language import ask_language
from handlers.kit.routing import bind_start_token
from storage import followups as followup_queries
from storage import invites as invite_queries
from storage.followups import FollowUpChanged
from storage.invites import InviteProblem
from storage.participants import set_participant_language
from storage.participants import stop_messages

TOKEN_BYTES = 24  # 192 bits; token_urlsafe gives 32 characters, within /start's 64 limit


class Choice(StrEnum):
    YES = "yes"
    NO = "no"


# ---- buttons (the reminder answer, `fu:r`, is bot.outbox.templates.ReminderAnswer) ---------
retire("inv", "inv:more", command="invite")  # /invite's picker before the flow engine


@family("ob", command="start")
class Consent(ButtonPayload):
    """The answer to the consent question of one opened invitation."""

    answer: Choice
    invite_id: int


@family("pstop", command="stop")
class StopMessages(ButtonPayload):
    """The answer to "Stop all messages?"."""

    answer: Choice


def problem_text(tr: Translator, problem: InviteProblem) -> str:
    texts = {
        # TRANSLATORS: participant
        InviteProblem.UNKNOWN: tr._("This invitation link is not valid. "
                                    "Ask your coordinator for a new one."),
        # TRANSLATORS: participant
        InviteProblem.EXPIRED: tr._("This invitation link has expired. "
                                    "Ask your coordinator for a new one."),
        # TRANSLATORS: participant
        InviteProblem.USED: tr._("This invitation link has already been used. "
                                 "Ask your coordinator if you need a new one."),
        # TRANSLATORS: participant
        InviteProblem.REVOKED: tr._("This invitation link has been replaced by a newer one. "
                                    "Use the newest link from your coordinator."),
        # TRANSLATORS: participant
        InviteProblem.OTHER_USER: tr._("This invitation link was opened by another Telegram "
                                       "account. Ask your coordinator for a new one."),
    }
    return texts[problem]


# ---- /invite ---------------------------------------------------------------------------
@dataclass(frozen=True)
class InviteDraft:
    code: str | None = None


INVITE_FLOW = Flow(
    "invite", command="invite", draft=InviteDraft,
    for_participant=lambda participant: InviteDraft(participant.code),
    steps=(PickParticipant(
        name="who", prompt=lambda tr, _draft: tr._("Invite whom? Tap a participant."),
        choose=lambda _draft, participant: InviteDraft(participant.code),
        done=lambda draft: draft.code is not None, refuse=ended_refusal),),
    finish=lambda turn, draft: invite_from_flow(turn, draft),
)


async def invite_command(turn: Turn) -> None:
    await create_and_send(turn, turn.args[0])


async def invite_from_flow(turn: Turn, draft: InviteDraft) -> None:
    assert draft.code is not None
    await turn.edit(turn.tr._("Creating the invitation…"))
    await create_and_send(turn, draft.code)


async def create_and_send(turn: Turn, code: str) -> None:
    tr = turn.tr
    token = secrets.token_urlsafe(TOKEN_BYTES)
    ttl = timedelta(days=turn.services.settings.invite_ttl_days)
    async with turn.transaction() as session:
        participant, invite = await invite_queries.create_invite(
            session, turn.require_viewer(), code, token=token, ttl=ttl, now=turn.now)
    link = f"https://t.me/{turn.context.bot.username}?start={token}"
    image = io.BytesIO()
    segno.make(link, error="m").save(image, kind="png", scale=8, border=3)
    image.seek(0)
    caption = tr._(
        "Invitation for <b>%(code)s</b> (%(name)s). Show the QR code or send the link; it "
        "works once and expires %(date)s. A new invitation replaces this one.\n%(link)s",
        code=tr.isolate(participant.code), name=participant.display_name,
        date=tr.date(tr.local(invite.expires_at).date()), link=link)
    chat = turn.update.effective_chat
    assert chat is not None
    await turn.context.bot.send_photo(chat.id, image, caption=caption, parse_mode=ParseMode.HTML)


# ---- /start <token>: consent and language ---------------------------------------------
async def open_invite(turn: Turn, token: str) -> None:
    user = turn.update.effective_user
    assert user is not None
    if turn.staff is not None:
        await turn.reply(turn.tr._("You are staff; invitation links are for participants."))
        return
    async with turn.transaction() as session:
        opened = await invite_queries.open_invite(session, token[:100], telegram_user_id=user.id,
                                                  now=turn.now)
    if opened.problem is not None or opened.invite is None or opened.participant is None:
        await turn.reply(problem_text(turn.tr, opened.problem or InviteProblem.UNKNOWN))
        return
    tr = Translator(opened.participant.language, turn.services.settings.tz)
    await turn.reply(consent_text(tr), keyboard([
        # TRANSLATORS: participant
        [(tr._("✅ I agree"), Consent(Choice.YES, opened.invite.id or 0).encode())],
        # TRANSLATORS: participant
        [(tr._("No, thank you"), Consent(Choice.NO, opened.invite.id or 0).encode())],
    ]))


async def consent_button(turn: Turn, payload: Consent) -> None:
    user = turn.update.effective_user
    chat = turn.update.effective_chat
    assert user is not None and chat is not None
    if turn.staff is not None:
        await expired(turn, "start")
        return
    if payload.answer == Choice.NO:
        async with turn.transaction() as session:  # the language the consent was shown in
            language = await invite_queries.invite_language(session, payload.invite_id,
                                                            telegram_user_id=user.id)
        tr = Translator(language, turn.services.settings.tz) if language else turn.tr
        # TRANSLATORS: participant
        await turn.edit(tr._("OK. Nothing was stored. You can open the link again while "
                             "it is valid."))
        return
    async with turn.transaction() as session:
        accepted = await invite_queries.accept_invite(
            session, payload.invite_id, telegram_user_id=user.id, chat_id=chat.id, now=turn.now)
        if accepted.problem is None and accepted.participant is not None:
            await notify_staff_now(
                session, turn.services.settings, accepted.participant.coordinator_id,
                "participant_joined", {"participant_id": accepted.participant.id},
                now=turn.now)
    if accepted.problem is not None or accepted.participant is None:
        await turn.edit(problem_text(turn.tr, accepted.problem or InviteProblem.UNKNOWN))
        return
    turn.services.wake()
    tr = Translator(accepted.participant.language, turn.services.settings.tz)
    # TRANSLATORS: participant
    await turn.edit(tr._("Thank you!"))
    # The coordinator's choice, not the phone's: Telegram has no Tigrinya, Somali, Pashto
    # or Sorani interface, so the phone's language is least right for those who need it.
    await ask_language(turn, tr, preselect=accepted.participant.language)


async def participant_language_button(turn: Turn, payload: ParticipantLanguage) -> None:
    participant = turn.participant
    if participant is None or participant.id is None \
            or payload.language not in PARTICIPANT_LANGUAGES:
        await expired(turn, "language")
        return
    async with turn.transaction() as session:
        updated = await set_participant_language(session, participant.id, payload.language,
                                                 now=turn.now)
        upcoming = await followup_queries.next_followup_for_participant(
            session, participant.id, now=turn.now)
        # Reminders for follow-ups booked before the participant joined.
        if upcoming is not None:
            await plan_reminders(session, turn.services.settings, upcoming, updated,
                                 now=turn.now)
    turn.services.wake()
    tr = Translator(payload.language, turn.services.settings.tz)
    await menus.publish_participant_menu(turn.context.bot, updated, tr)
    # TRANSLATORS: participant
    await turn.edit(tr._("Done: I will write to you in English.") + "\n\n" + participant_help(tr))


# ---- participant commands ------------------------------------------------------------
async def next_command(turn: Turn) -> None:
    participant = turn.participant
    assert participant is not None and participant.id is not None
    async with turn.transaction() as session:
        upcoming = await followup_queries.next_followup_for_participant(
            session, participant.id, now=turn.now)
    tr = turn.tr
    if upcoming is None:
        # TRANSLATORS: participant
        await turn.reply(tr._("You have no appointment booked right now."))
        return
    assert upcoming.id is not None
    await turn.reply(
        # TRANSLATORS: participant
        tr._("Your next appointment: %(appointment)s.",
             appointment=SafeHtml(participant_appointment_text(tr, upcoming))),
        response_keyboard(tr, upcoming))


async def stop_command(turn: Turn) -> None:
    tr = turn.tr
    # TRANSLATORS: participant
    question = tr._("Stop all messages from this bot? Your coordinator will be told.")
    # TRANSLATORS: participant
    yes = tr._("Yes, stop")
    # TRANSLATORS: participant
    no = tr._("No, keep them")
    await turn.reply(question, keyboard([[(yes, StopMessages(Choice.YES).encode()),
                                          (no, StopMessages(Choice.NO).encode())]]))


async def stop_button(turn: Turn, payload: StopMessages) -> None:
    participant = turn.participant
    assert participant is not None and participant.id is not None
    tr = turn.tr
    if payload.answer != Choice.YES:
        # TRANSLATORS: participant
        await turn.edit(tr._("OK, nothing changed."))
        return
    async with turn.transaction() as session:
        changed = await stop_messages(session, participant.id, now=turn.now, reason="stopped")
        if changed is not None:
            await notify_staff_now(
                session, turn.services.settings, participant.coordinator_id,
                "participant_notice", {"participant_id": participant.id, "event": "stopped"},
                now=turn.now)
    turn.services.wake()
    # TRANSLATORS: participant
    await turn.edit(tr._("Done. You will get no more messages. If you change your mind, "
                         "ask your coordinator for a new invitation."))


async def response_button(turn: Turn, answer: ReminderAnswer) -> None:
    """The participant answers a reminder with one tap (old buttons carry no stamp)."""
    participant = turn.participant
    assert participant is not None and participant.id is not None
    tr = turn.tr
    response = answer.response
    try:
        async with turn.transaction() as session:
            item = await followup_queries.record_response(
                session, participant.id, answer.followup_id, response, now=turn.now,
                stamp=answer.stamp)
            if item is not None and item.changed:
                await notify_staff_now(
                    session, turn.services.settings, item.followup.coordinator_id,
                    "response_notice", {"response": response.value},
                    followup_id=item.followup.id, now=turn.now)
    except FollowUpChanged:
        await turn.edit(changed_text(tr))
        return
    if item is None:
        # TRANSLATORS: participant
        await turn.edit(tr._("This appointment is no longer open. Send %(next_command)s to see "
                             "your next appointment.", next_command=tr.command("/next")))
        return
    turn.services.wake()
    await turn.edit(participant_appointment_text(tr, item.followup) + "\n"
                    + thanks_text(tr, item.followup, response))


def register(app: Application) -> None:
    bind_start_token(app, open_invite)
    bind_guided_command(app, INVITE_FLOW, invite_command)
    # Anyone may tap "I agree": the person who opened the link is not a participant yet.
    bind_button(app, Consent, consent_button)
    bind_button(app, ParticipantLanguage, participant_language_button,
                audience=Audience.PARTICIPANT)
    bind_command(app, "next", next_command)
    bind_command(app, "stop", stop_command)
    bind_button(app, StopMessages, stop_button, audience=Audience.PARTICIPANT)
    bind_button(app, ReminderAnswer, response_button, audience=Audience.PARTICIPANT)
