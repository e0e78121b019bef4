"""/start and /help: who you are decides what you are told. Also the free-text router."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.text.i18n import Translator
from bot.text.labels import ROLE_LABELS
from handlers import ask, entry, onboarding
from handlers.base import TEXT_STEPS, Audience, Turn, guarded, staff_only, stranger_text
from storage.models import Role


@guarded(Audience.ANYONE)
async def start_command(turn: Turn) -> None:
    """A deep-link token starts onboarding; otherwise /start is /help."""
    if turn.args:
        await onboarding.open_invite(turn, turn.args[0])
    else:
        await reply_help(turn)


@guarded(Audience.ANYONE)
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
        "",
        tr._("<b>Every day</b>"),
        tr._("/add — register a participant (/ny)"),
        tr._("/log — log a check-in: <code>/log P-0042 phone note</code> (/logg)"),
        tr._("/mine — your caseload, least recently seen first (/mina)"),
        tr._("/find — search by code or name (/sok)"),
        tr._("/participant — a participant's card: <code>/participant P-0042</code> (/visa)"),
        tr._("/status — change status: <code>/status P-0042 internship</code>"),
        tr._("/end — end with an outcome: <code>/end P-0042 employed</code> (/avsluta)"),
        tr._("/followup — book a follow-up: "
             "<code>/followup P-0042 2026-12-03 10:00 meeting Place</code> (/uppfoljning)"),
        tr._("/today — today's follow-ups (/idag)"),
        tr._("/invite — invitation link and QR code for a participant (/bjud)"),
        tr._("/entry — entry data for the funder: "
             "<code>/entry P-0042 employment:unemployed born:1990 education:3-4</code>; "
             "/pnr — personal identity number (stored encrypted)"),
        tr._("/hours — attendance hours: <code>/hours P-0042 2026-11 32</code>; "
             "/attendance — sheets to sign"),
        tr._("/preview — see what a participant receives: <code>/preview P-0042</code>"),
        tr._("/away — a colleague gets your notices while you are away (/borta)"),
        tr._("/language — change your language (/sprak)"),
        tr._("/cancel — stop a guided step (/avbryt)"),
    ]
    lines += ["", tr._("<b>Figures</b>"),
              tr._("/stats — outcomes and counts: <code>/stats 2026-Q3 kommun:Växjö</code> "
                   "(/statistik)"),
              tr._("/chart — charts (/diagram)"),
              tr._("/export — XLSX and CSV for reports")]
    if role in (Role.ADMIN, Role.LEAD):
        lines += ["", tr._("<b>Project lead</b>"),
                  tr._("/team — each coordinator's caseload and follow-ups"),
                  tr._("/digest — this week's summary now"),
                  tr._("/report — ESF+ indicators, SCB starts and ends, outcome rates"),
                  tr._("/staff — list staff; <code>/staff add 123456789 coordinator Name</code>"),
                  tr._("/handover — move a caseload: <code>/handover Anna Bo</code>")]
    if role == Role.ADMIN:
        lines.append(tr._("/forget — erase a participant's personal data (GDPR)"))
    lines += ["", tr._("<b>Ask me</b>"),
              tr._("You can also just write a question, for example:"),
              tr._("• who haven't I seen in two weeks?"),
              tr._("• which meetings do I have tomorrow?"),
              tr._("• how many went to work this year?")]
    lines += ["", tr._("Every command also works without arguments: I guide you with buttons.")]
    return "\n".join(lines)


@guarded(Audience.ANYONE)
async def text_router(turn: Turn) -> None:
    """Text that is not a command: the next step of a guided flow, else a hint."""
    if turn.staff is None:
        await hint_for_non_staff(turn)
        return
    message = turn.update.effective_message
    text = (message.text or "").strip() if message else ""
    state = (turn.context.user_data or {}).get("flow")
    step = TEXT_STEPS.get(state["name"]) if state else None
    if step is None or state is None:
        if entry.is_personnummer(text, turn.today):
            await entry.stray_personnummer(turn)
            return
        # Not a step of a guided flow: a question in plain words.
        await ask.answer_question(turn, text)
        return
    await step(turn, state, text)


@staff_only()
async def cancel_button(turn: Turn) -> None:
    turn.end_flow()
    await turn.edit(turn.tr._("Cancelled. Nothing was changed."))


@staff_only()
async def cancel_command(turn: Turn) -> None:
    turn.end_flow()
    await turn.reply(turn.tr._("Cancelled. Nothing was changed."))


async def hint_for_non_staff(turn: Turn, *, with_hint: bool = True) -> None:
    user = turn.update.effective_user
    assert user is not None
    if turn.participant is None:
        await turn.reply(stranger_text(turn.tr, user.id))
    elif with_hint:
        await turn.reply(onboarding.participant_hint(turn.tr))
    else:
        await turn.reply(onboarding.participant_help(turn.tr))


@guarded(Audience.ANYONE)
async def unknown_command(turn: Turn) -> None:
    if turn.staff is None:
        await hint_for_non_staff(turn)
        return
    await turn.reply(turn.tr._("I don't know that command. Send /help to see what I can do."))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start_command))
    app.add_handler(CommandHandler(["help", "hjalp"], help_command))
    app.add_handler(CommandHandler(["cancel", "avbryt"], cancel_command))
    app.add_handler(CallbackQueryHandler(cancel_button, pattern=r"^flow:cancel$"))


def register_fallbacks(app: Application) -> None:
    """Registered last: free text and unknown commands."""
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, text_router))
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))

