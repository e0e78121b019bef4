"""/forget (admin): erase a participant's personal data after a confirmation."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import Application

from bot.interaction.buttons import retire
from bot.text.i18n import Translator
from handlers.kit.base import Turn
from handlers.kit.confirm import confirm_step
from handlers.kit.flows import Flow
from handlers.kit.flows import bind_guided_command
from handlers.kit.flows import pick_participant_step
from handlers.kit.flows import start_for_participant
from storage import gdpr
from storage.models import Participant
from storage.participants import code_for
from storage.participants import visible_participant
from storage.participants import visible_participant_by_id

# The picker and the confirmation /forget sent before the flow engine: their buttons expire.
retire("forget:p", "forget:more", "forget:yes", command="forget")


@dataclass(frozen=True)
class ForgetDraft:
    """Whose data a guided /forget erases (code and name for the confirmation)."""

    participant_id: int | None = None
    code: str = ""
    name: str = ""


def forget_for(participant: Participant) -> ForgetDraft:
    return ForgetDraft(participant.id, participant.code, participant.display_name)


def erased_refusal(tr: Translator, participant: Participant) -> str | None:
    """Nothing is left to erase: said at once, not after a confirmation."""
    if not gdpr.is_erased(participant):
        return None
    return tr._("The personal data of %(code)s is already erased; nothing was changed.",
                code=tr.isolate(participant.code))


def confirm_prompt(tr: Translator, draft: ForgetDraft) -> str:
    return tr._("Erase the personal data of %(code)s (%(name)s)? Name, Telegram link, notes and "
                "places are removed for good; anonymous counts stay in the statistics.",
                code=tr.isolate(draft.code), name=draft.name)


async def erase_from_draft(turn: Turn, draft: ForgetDraft) -> None:
    assert draft.participant_id is not None
    async with turn.transaction() as session:
        participant = await visible_participant_by_id(session, turn.require_viewer(),
                                                      draft.participant_id)
        await gdpr.erase_participant(session, code_for(draft.participant_id),
                                     actor_staff_id=turn.require_viewer().staff_id, now=turn.now)
    await turn.edit(turn.tr._("The personal data of %(code)s has been erased.",
                              code=turn.tr.isolate(participant.code)))


FORGET_FLOW = Flow(
    "forget", command="forget", draft=ForgetDraft, for_participant=forget_for,
    steps=(
        pick_participant_step(
            lambda tr: tr._("Whose personal data should be erased? Tap a participant."),
            forget_for, choices=gdpr.erasable_participants, refuse=erased_refusal,
            empty=lambda tr: tr._("There is no participant whose data could be erased.")),
        confirm_step(prompt=confirm_prompt, label=lambda tr, _d: tr._("Yes, erase")),
    ),
    finish=erase_from_draft,
)


async def forget_command(turn: Turn) -> None:
    tr = turn.tr
    if len(turn.args) != 1:
        await turn.reply(tr._("Write <code>/forget P-0042</code>. I will ask you to confirm."))
        return
    async with turn.transaction() as session:
        participant = await visible_participant(session, turn.require_viewer(), turn.args[0])
    await start_for_participant(turn, FORGET_FLOW, participant)


def register(app: Application) -> None:
    # Alone, guided: pick among everyone the admin may see, then confirm.
    bind_guided_command(app, FORGET_FLOW, forget_command)
