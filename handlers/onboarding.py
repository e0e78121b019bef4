"""Participants join and take part: /invite (QR + deep link), /start <token> with consent and
language, /next, /stop, and the one-tap answers to reminders."""

from __future__ import annotations

import io
import secrets
from datetime import timedelta

import segno
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.interaction import menus
from bot.outbox.reminders import notify_staff_now, plan_reminders
from bot.outbox.templates import (
    ReminderAnswer,
    changed_text,
    participant_appointment_text,
    response_keyboard,
    thanks_text,
)
from bot.text.i18n import SafeHtml, Translator
from bot.text.languages import ENDONYMS, PARTICIPANT_LANGUAGES
from bot.text.render import grid, keyboard
from handlers.base import (
    Audience,
    Turn,
    ask_to_pick,
    callback_parts,
    expired,
    guarded,
    participant_only,
    staff_only,
)
from storage import followups as followup_queries
from storage import invites as invite_queries
from storage.access import Action
from storage.followups import FollowUpChanged
from storage.invites import InviteProblem
from storage.participants import (
    code_for,
    set_participant_language,
    stop_messages,
)

TOKEN_BYTES = 24  # 192 bits; token_urlsafe gives 32 characters, within /start's 64 limit

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
@staff_only(Action.INVITE_PARTICIPANT)
async def invite_command(turn: Turn) -> None:
    if not turn.args:
        await ask_to_pick(turn, turn.tr._("Invite whom? Tap a participant."), "inv")
        return
    await create_and_send(turn, turn.args[0])


@staff_only(Action.INVITE_PARTICIPANT)
async def invite_button(turn: Turn) -> None:
    parts = callback_parts(turn)
    if len(parts) != 2 or not parts[1].isdigit():
        await expired(turn, "/invite")
        return
    await turn.edit(turn.tr._("Creating the invitation…"))
    await create_and_send(turn, code_for(int(parts[1])))


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
        [(tr._("✅ I agree"), f"ob:yes:{opened.invite.id}")],
        # TRANSLATORS: participant
        [(tr._("No, thank you"), f"ob:no:{opened.invite.id}")],
    ]))


def consent_text(tr: Translator) -> str:
    # TRANSLATORS: participant
    return tr._(
        "Welcome! Your coordinator uses this bot to send you reminders about meetings and "
        "short questions about how things are going.\n\n"
        "What is stored: your name or alias, your municipality, your language, your "
        "appointments and your answers. Only the project's staff can see it. You can stop "
        "at any time with /stop.\n\nDo you agree?"
    )


@guarded(Audience.ANYONE)
async def consent_button(turn: Turn) -> None:
    parts = callback_parts(turn)
    user = turn.update.effective_user
    chat = turn.update.effective_chat
    assert user is not None and chat is not None
    if len(parts) != 3 or not parts[2].isdigit() or turn.staff is not None:
        await expired(turn, "/start")
        return
    if parts[1] == "no":
        async with turn.transaction() as session:  # the language the consent was shown in
            language = await invite_queries.invite_language(session, int(parts[2]),
                                                            telegram_user_id=user.id)
        tr = Translator(language, turn.services.settings.tz) if language else turn.tr
        # TRANSLATORS: participant
        await turn.edit(tr._("OK. Nothing was stored. You can open the link again while "
                             "it is valid."))
        return
    async with turn.transaction() as session:
        accepted = await invite_queries.accept_invite(
            session, int(parts[2]), telegram_user_id=user.id, chat_id=chat.id, now=turn.now)
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


async def ask_language(turn: Turn, tr: Translator, *, preselect: str | None) -> None:
    ordered = sorted(PARTICIPANT_LANGUAGES, key=lambda code: code != preselect)
    buttons = [(("✓ " if code == preselect else "") + ENDONYMS[code], f"pl:{code}")
               for code in ordered]
    # TRANSLATORS: participant
    await turn.reply(tr._("Which language do you want messages in?"), keyboard(grid(buttons, 2)))


@participant_only()
async def participant_language_button(turn: Turn) -> None:
    parts = callback_parts(turn)
    participant = turn.participant
    if participant is None or participant.id is None or len(parts) != 2 \
            or parts[1] not in PARTICIPANT_LANGUAGES:
        await expired(turn, "/language")
        return
    async with turn.transaction() as session:
        updated = await set_participant_language(session, participant.id, parts[1], now=turn.now)
        upcoming = await followup_queries.next_followup_for_participant(
            session, participant.id, now=turn.now)
        # Reminders for follow-ups booked before the participant joined.
        if upcoming is not None:
            await plan_reminders(session, turn.services.settings, upcoming, updated,
                                 now=turn.now)
    turn.services.wake()
    tr = Translator(parts[1], turn.services.settings.tz)
    await menus.publish_participant_menu(turn.context.bot, updated, tr)
    # TRANSLATORS: participant
    await turn.edit(tr._("Done: I will write to you in English.") + "\n\n" + participant_help(tr))


def participant_hint(tr: Translator) -> str:
    """What a participant sees when they type text or an unknown command."""
    # TRANSLATORS: participant
    return tr._("I can only answer with buttons and these commands:") + "\n" + participant_help(tr)


def participant_help(tr: Translator) -> str:
    # TRANSLATORS: participant
    return tr._("/next — your next appointment\n/language — change language\n"
                "/stop — stop all messages")


# ---- participant commands ------------------------------------------------------------
@participant_only()
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


@participant_only()
async def stop_command(turn: Turn) -> None:
    tr = turn.tr
    # TRANSLATORS: participant
    question = tr._("Stop all messages from this bot? Your coordinator will be told.")
    # TRANSLATORS: participant
    yes = tr._("Yes, stop")
    # TRANSLATORS: participant
    no = tr._("No, keep them")
    await turn.reply(question, keyboard([[(yes, "pstop:yes"), (no, "pstop:no")]]))


@participant_only()
async def stop_button(turn: Turn) -> None:
    parts = callback_parts(turn)
    participant = turn.participant
    assert participant is not None and participant.id is not None
    tr = turn.tr
    if parts[-1] != "yes":
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


@participant_only()
async def response_button(turn: Turn) -> None:
    """fu:r:<followup id>:<answer>[:<stamp>] — the participant answers a reminder with one tap."""
    query = turn.update.callback_query
    answer = ReminderAnswer.parse(query.data or "") if query else None
    participant = turn.participant
    assert participant is not None and participant.id is not None
    tr = turn.tr
    if answer is None:
        await expired(turn, "/next")
        return
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
        await turn.edit(tr._("This appointment is no longer open. Send /next to see your next "
                             "appointment."))
        return
    turn.services.wake()
    await turn.edit(participant_appointment_text(tr, item.followup) + "\n"
                    + thanks_text(tr, item.followup, response))


def register(app: Application) -> None:
    app.add_handler(CommandHandler(["invite", "bjud"], invite_command))
    app.add_handler(CommandHandler(["next", "nasta"], next_command))
    app.add_handler(CommandHandler("stop", stop_command))
    app.add_handler(CallbackQueryHandler(invite_button, pattern=r"^inv:"))
    app.add_handler(CallbackQueryHandler(consent_button, pattern=r"^ob:"))
    app.add_handler(CallbackQueryHandler(participant_language_button, pattern=r"^pl:"))
    app.add_handler(CallbackQueryHandler(stop_button, pattern=r"^pstop:"))
    app.add_handler(CallbackQueryHandler(response_button, pattern=r"^fu:r:"))
