"""/preview: a coordinator sees exactly what a participant receives, with a gloss.

`/preview P-0042` shows the participant's next reminder (or a sample one) in the
participant's language; `/preview ar meeting|phone|question|moved|cancelled|consent|help`
shows a sample in any shipped language (`reminder`, the default, is a meeting's). The
gloss underneath is in the coordinator's own language, so they can check what the
participant reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from datetime import timedelta

from telegram.ext import Application

from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import family
from bot.interaction.buttons import retire
from bot.outbox.templates import CANCELLED
from bot.outbox.templates import MOVED
from bot.outbox.templates import change_message
from bot.outbox.templates import reminder_message
from bot.outbox.timing import local_moment
from bot.text.i18n import SafeHtml
from bot.text.i18n import Translator
from bot.text.labels import FOLLOWUP_KIND_WORDS
from bot.text.labels import fold
from bot.text.languages import ENDONYMS
from bot.text.languages import PARTICIPANT_LANGUAGES
from bot.text.languages import normalize_language
from bot.text.participant_texts import consent_text
from bot.text.participant_texts import participant_help
from bot.text.render import keyboard
from handlers.kit.base import Turn
from handlers.kit.base import bind_button
from handlers.kit.base import picked_participant
from handlers.kit.flows import Flow
from handlers.kit.flows import PickParticipant
from handlers.kit.flows import bind_guided_command
from storage import followups as followup_queries
from storage.models import FollowUp
from storage.models import FollowUpKind
from storage.models import Participant
from storage.participants import visible_participant

SAMPLE_KINDS: dict[str, FollowUpKind] = {
    "reminder": FollowUpKind.MEETING, "paminnelse": FollowUpKind.MEETING,
    **FOLLOWUP_KIND_WORDS}
"""Sample word → the kind of follow-up whose reminder is shown."""
SAMPLE_NOTICES = {"moved": MOVED, "flyttad": MOVED, "cancelled": CANCELLED,
                  "installd": CANCELLED}
SAMPLES = (*SAMPLE_KINDS, *SAMPLE_NOTICES, "consent", "help")
SAMPLE_TIME = time(10, 0)


@dataclass(frozen=True)
class PreviewDraft:
    """Whose messages to show (the guided /preview)."""

    participant_id: int | None = None


async def preview_picked(turn: Turn, draft: PreviewDraft) -> None:
    assert draft.participant_id is not None
    await show_participant(turn, await picked_participant(turn, draft.participant_id))


PREVIEW_FLOW = Flow(
    "preview", command="preview", draft=PreviewDraft,
    steps=(PickParticipant(
        name="who",
        prompt=lambda tr, _d: tr._("Whose messages do you want to see? Tap a participant."),
        choose=lambda _d, p: PreviewDraft(p.id)),),
    finish=preview_picked,
)

retire("pv:p", "pv:more", command="preview")


@family("pv:noop", command="preview")
class SampleButton(ButtonPayload):
    """A button of the previewed message: it only shows what the participant would see."""


async def preview_command(turn: Turn) -> None:
    tr = turn.tr
    args = turn.args
    # A language first: participant codes ("P-0042") are never language tags, and
    # `ps` (Pashto) must not be taken for one.
    language = normalize_language(args[0])
    if language in PARTICIPANT_LANGUAGES:
        sample = fold(args[1]) if len(args) > 1 else "reminder"
        if sample not in SAMPLES:
            await turn.reply(usage(tr))
            return
        await show(turn, language, sample, followup=sample_followup(turn, sample), code=None)
        return
    async with turn.transaction() as session:
        participant = await visible_participant(session, turn.require_viewer(), args[0])
    await show_participant(turn, participant)


async def show_participant(turn: Turn, participant: Participant) -> None:
    """What the participant would get now: their next follow-up's reminder, in their language."""
    assert participant.id is not None
    async with turn.transaction() as session:
        upcoming = await followup_queries.next_followup_for_participant(
            session, participant.id, now=turn.now)
    followup = upcoming or sample_followup(turn)
    sample = next(word for word, kind in SAMPLE_KINDS.items() if kind == followup.kind)
    await show(turn, participant.language, sample, followup=followup, code=participant.code)


def usage(tr: Translator) -> str:
    return tr._("Write <code>/preview P-0042</code> to see what a participant receives, or "
                "<code>/preview ar phone</code> (samples: meeting, phone, question, moved, "
                "cancelled, consent, help; languages: %(languages)s).",
                languages=", ".join(PARTICIPANT_LANGUAGES))


def sample_followup(turn: Turn, sample: str = "reminder") -> FollowUp:
    tomorrow = turn.today + timedelta(days=1)
    due_at = local_moment(tomorrow, SAMPLE_TIME, turn.services.settings.tz)
    kind = SAMPLE_KINDS.get(sample, FollowUpKind.MEETING)
    return FollowUp(id=0, participant_id=0, coordinator_id=0, due_at=due_at, kind=kind,
                    place="Arbetsförmedlingen Växjö" if kind == FollowUpKind.MEETING else "")


def render_sample(tr: Translator, sample: str, followup: FollowUp) -> str:
    if sample == "consent":
        return consent_text(tr)
    if sample == "help":
        return participant_help(tr)
    if sample in SAMPLE_NOTICES:
        return change_message(tr, followup, SAMPLE_NOTICES[sample])
    return reminder_message(tr, followup).text


async def show(turn: Turn, language: str, sample: str, *, followup: FollowUp,
               code: str | None) -> None:
    tr = turn.tr
    reader = Translator(language, turn.services.settings.tz)
    participant_text = render_sample(reader, sample, followup)
    gloss = render_sample(tr, sample, followup)
    header = (tr._("What %(code)s receives (%(language)s):", code=tr.isolate(code),
                   language=ENDONYMS[language]) if code else
              tr._("Sample in %(language)s:", language=ENDONYMS[language]))
    text = tr._("%(header)s\n\n%(text)s\n\n<i>%(gloss_label)s</i>\n%(gloss)s",
                header=header, text=SafeHtml(participant_text),
                gloss_label=tr._("In your language:"), gloss=SafeHtml(gloss))
    buttons = []
    if sample in SAMPLE_KINDS:
        sample_keyboard = reminder_message(reader, followup).keyboard
        assert sample_keyboard is not None
        noop = SampleButton().encode()
        buttons = [[(button.text, noop)] for row in sample_keyboard.inline_keyboard
                   for button in row]
    await turn.edit(text, keyboard(buttons) if buttons else None)


async def sample_tapped(turn: Turn, _payload: SampleButton) -> None:
    """The sample's own buttons do nothing but say so."""
    query = turn.update.callback_query
    assert query is not None
    turn._answered = True
    await query.answer(turn.tr._("This is only a preview."))


def register(app: Application) -> None:
    # Alone, guided: tap one of your participants.
    bind_guided_command(app, PREVIEW_FLOW, preview_command)
    bind_button(app, SampleButton, sample_tapped)
