"""What a participant reads outside the outbox: the consent when joining and the help.

Pure text (a Translator in, HTML out): onboarding sends them, /start's help answers with
them, and /preview shows them to staff as the participant would read them.
"""

from __future__ import annotations

from bot.text.i18n import Translator


def consent_text(tr: Translator) -> str:
    # TRANSLATORS: participant
    return tr._(
        "Welcome! Your coordinator uses this bot to send you reminders about meetings and "
        "short questions about how things are going.\n\n"
        "What is stored: your name or alias, your municipality, your language, your "
        "appointments and your answers. Only the project's staff can see it. You can stop "
        "at any time with %(stop_command)s.\n\nDo you agree?",
        stop_command=tr.command("/stop"),
    )


def participant_help(tr: Translator) -> str:
    # TRANSLATORS: participant
    return tr._("%(next_command)s — your next appointment\n"
                "%(language_command)s — change language\n"
                "%(stop_command)s — stop all messages",
                next_command=tr.command("/next"), language_command=tr.command("/language"),
                stop_command=tr.command("/stop"))


def participant_hint(tr: Translator) -> str:
    """What a participant sees when they type text or an unknown command."""
    # TRANSLATORS: participant
    return tr._("I can only answer with buttons and these commands:") + "\n" + participant_help(tr)
