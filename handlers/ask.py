"""Questions in plain words: staff type a question, the bot answers as the command would.

`answer_question(turn, text)` parses the text with `bot.questions` (pure), then answers
only through the storage functions and renderers the commands use, within the asker's
Viewer: a participant card through `find_participants`/`visible_participant`, the agenda
through `followups.agenda`, the least recently seen through `participants.caseload`,
figures through `storage.stats` with the same filter `/stats` builds. Narrowing and
counting (a municipality, a status, no check-in since a day) happen in those queries,
never over rows here. Every answer ends
with how the question was understood and the command that gives the same answer.
What the text leaves open is asked back with buttons; what it does not say clearly is
answered with example questions, never with a guess.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from enum import StrEnum
from typing import Annotated

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardMarkup
from telegram.ext import Application

from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import Token
from bot.interaction.buttons import family
from bot.interaction.buttons import retire
from bot.interaction.commands import command_for
from bot.outbox.templates import FollowUpOpen
from bot.outbox.templates import agenda_text
from bot.outbox.templates import participant_appointment_text
from bot.outbox.timing import local_day_bounds
from bot.questions import EXAMPLES
from bot.questions import Ambiguous
from bot.questions import Intent
from bot.questions import NotUnderstood
from bot.questions import Parsed
from bot.questions import equivalent_command
from bot.questions import match_names
from bot.questions import name_variants
from bot.questions import parse
from bot.text import periods
from bot.text.i18n import SafeHtml
from bot.text.i18n import Translator
from bot.text.i18n import escape
from bot.text.labels import OUTCOME_LABELS
from bot.text.labels import STATUS_LABELS
from bot.text.render import Button
from bot.text.render import error_text
from bot.text.render import grid
from bot.text.render import keyboard
from bot.text.stats_text import CATEGORY_LABELS
from bot.text.stats_text import GENDER_GROUP_LABELS
from bot.text.stats_text import breakdown_text
from bot.text.stats_text import coordinator_label
from bot.text.stats_text import figures_text
from bot.text.stats_text import now_line
from bot.text.stats_text import percent
from bot.text.stats_text import period_label
from bot.text.stats_text import period_lines
from bot.text.stats_text import shares_line
from bot.text.stats_text import team_lines
from handlers.kit import participant_views
from handlers.kit.base import Audience
from handlers.kit.base import Turn
from handlers.kit.base import bind_button
from handlers.kit.base import picked_participant
from handlers.kit.flows import Flow
from handlers.kit.flows import Option
from handlers.kit.flows import PickOption
from handlers.kit.flows import bind_flow
from handlers.kit.flows import start
from handlers.kit.routing import TextSlot
from handlers.kit.routing import bind_text_route
from handlers.kit.stats_request import StatsRequest
from handlers.kit.stats_request import StatsView
from handlers.kit.stats_request import View
from handlers.kit.stats_request import filter_text
from storage import followups
from storage import participants as participant_queries
from storage import stats
from storage.access import Action
from storage.access import Viewer
from storage.access import can
from storage.errors import NotAllowed
from storage.models import OUTCOME_CATEGORY
from storage.models import Gender
from storage.models import Outcome
from storage.models import OutcomeCategory
from storage.models import Participant
from storage.models import Role
from storage.models import Status
from storage.municipalities import SWEDEN

log = logging.getLogger(__name__)

PICK_LIMIT = 8
_ANY_DAY = date(2000, 1, 1)
LIST_SHOWN = PICK_LIMIT * 3
"""Rows a list answer shows; the rest are counted ("… and 5 more")."""

ACTIONS: dict[Intent, Action | None] = {
    Intent.LIST_NEGLECTED: Action.LIST_CASELOAD,
    Intent.LIST_AGENDA: Action.VIEW_AGENDA,
    Intent.UNCONFIRMED_FOLLOWUPS: Action.VIEW_AGENDA,
    Intent.NEXT_FOLLOWUP: Action.VIEW_AGENDA,
    Intent.PARTICIPANT_CARD: Action.VIEW_PARTICIPANT,
    Intent.CASELOAD: Action.LIST_CASELOAD,
    Intent.LIST_BY_STATUS: Action.LIST_CASELOAD,
    Intent.COUNT_PARTICIPANTS: Action.VIEW_STATS,
    Intent.COUNT_OUTCOMES: Action.VIEW_STATS,
    Intent.SHARE_OUTCOMES: Action.VIEW_STATS,
    Intent.STATS: Action.VIEW_STATS,
    Intent.TEAM_OVERVIEW: Action.VIEW_TEAM,
    Intent.HELP: None,
}

# Outcome groups of the question → the statistics' categories (None: finer than /stats counts).
def categories_of(group: str) -> tuple[OutcomeCategory, ...]:
    """The outcome categories a question's outcome word counts: one category by its own
    name, "work or studies" as the statistics define it (`stats.TO_WORK_OR_STUDIES`), and
    none for a single end reason (`moved`), which the statistics do not count apart."""
    if group == "work_or_studies":
        return stats.TO_WORK_OR_STUDIES
    return (OutcomeCategory(group),) if group in set(OutcomeCategory) else ()


# ---- entry points ----------------------------------------------------------------------
async def answer_question(turn: Turn, text: str) -> None:
    """Answer free text from a staff member (not a command, not a step of a guided flow)."""
    result = parse(text, today=turn.today, language_hint=turn.tr.language)
    viewer = turn.require_viewer()
    log.info("question from staff %s: %s", viewer.staff_id, _kind(result))
    await answer(turn, result)


def _kind(result: Parsed | NotUnderstood | Ambiguous) -> str:
    if isinstance(result, Parsed):
        return f"intent={result.intent.value}"
    if isinstance(result, Ambiguous):
        return f"ambiguous={result.slot}"
    return f"not_understood={result.reason}"


async def answer(turn: Turn, result: Parsed | NotUnderstood | Ambiguous) -> None:
    if isinstance(result, NotUnderstood):
        await not_understood(turn, result)
    elif isinstance(result, Ambiguous):
        await ask_back(turn, result.slot, list(result.options))
    else:
        action = ACTIONS[result.intent]
        if action is not None and not can(turn.require_viewer(), action):
            await turn.reply(error_text(turn.tr, NotAllowed()))
            return
        await ANSWERS[result.intent](turn, result)


# ---- buttons ----------------------------------------------------------------------------
class PickKind(StrEnum):
    CARD = "c"
    NEXT = "n"


retire("ask:o", command="help")  # readings asked back before the flow engine


@family("ask:p", command="help")
class AskParticipant(ButtonPayload):
    """One of several participants a question named: show the card or the next follow-up."""

    kind: PickKind
    participant_id: int


@family("ask:x", command="help")
class AskExample(ButtonPayload):
    """An example question offered when one was not understood."""

    language: Annotated[str, Token(8)]
    index: int


async def participant_picked(turn: Turn, payload: AskParticipant) -> None:
    participant = await picked_participant(turn, payload.participant_id)
    intent = Intent.PARTICIPANT_CARD if payload.kind == PickKind.CARD else Intent.NEXT_FOLLOWUP
    parsed = Parsed(intent=intent, asked_on=turn.today, participant=participant.code)
    await (show_card if intent == Intent.PARTICIPANT_CARD else show_next)(
        turn, parsed, participant)


async def example_picked(turn: Turn, payload: AskExample) -> None:
    examples = EXAMPLES.get(payload.language, ())
    if payload.index >= len(examples):
        await turn.edit(turn.tr._("This question has expired. Ask it again."))
        return
    _, text = examples[payload.index]
    await answer(turn, parse(text, today=turn.today, language_hint=payload.language))


async def question_text(turn: Turn, text: str) -> bool:
    """Staff text that nothing else took: a question in plain words."""
    if turn.staff is None:
        return False
    await answer_question(turn, text)
    return True


def register(app: Application) -> None:
    bind_text_route(app, TextSlot.QUESTION, question_text)
    bind_flow(app, ASK_BACK_FLOW)
    for family_, picked in ((AskParticipant, participant_picked), (AskExample, example_picked)):
        bind_button(app, family_, picked, audience=Audience.STAFF)


def understood_line(tr: Translator, parsed: Parsed) -> str:
    return tr._("🔎 I understood: %(question)s", question=SafeHtml(_question(tr, parsed)))


def command_line(tr: Translator, parsed: Parsed) -> str:
    command = equivalent_command(parsed)
    if command is None:
        return tr._("No single command gives this answer.")
    command = command_for(tr.language, command)  # "/statistik …" for Swedish staff
    return tr._("Same as: %(command)s", command=SafeHtml(f"<code>{escape(command)}</code>"))


def footer(tr: Translator, parsed: Parsed, filters: str | None = None) -> list[str]:
    lines = ["", understood_line(tr, parsed)]
    if filters:
        lines.append(filters)
    lines.append(command_line(tr, parsed))
    return lines


def _question(tr: Translator, parsed: Parsed) -> str:
    """The question as understood, one sentence per intent (slots as placeholders)."""
    intent, period = parsed.intent, parsed.period
    if intent == Intent.LIST_NEGLECTED:
        if period is None or period.start is None:
            return tr._("your participants who have never had a check-in")
        return tr._("your participants with no check-in since %(date)s",
                    date=tr.date(period.start))
    if intent in {Intent.LIST_AGENDA, Intent.UNCONFIRMED_FOLLOWUPS}:
        assert period is not None and period.start is not None and period.end is not None
        if intent == Intent.LIST_AGENDA:
            if period.is_single_day:
                return tr._("your follow-ups on %(date)s", date=tr.date(period.start, "full"))
            return tr._("your follow-ups from %(start)s to %(end)s",
                        start=tr.date(period.start), end=tr.date(period.end))
        if period.is_single_day:
            return tr._("your follow-ups on %(date)s that the participant has not confirmed",
                        date=tr.date(period.start, "full"))
        return tr._("your follow-ups from %(start)s to %(end)s that the participant has "
                    "not confirmed", start=tr.date(period.start), end=tr.date(period.end))
    if intent == Intent.NEXT_FOLLOWUP:
        return tr._("the next follow-up with %(participant)s", participant=parsed.participant)
    if intent == Intent.PARTICIPANT_CARD:
        return tr._("the card of %(participant)s", participant=parsed.participant)
    if intent == Intent.CASELOAD:
        return tr._("your caseload, least recently seen first")
    if intent == Intent.LIST_BY_STATUS:
        return tr._("your participants whose status is now %(status)s",
                    status=tr._(STATUS_LABELS[Status(parsed.status)]))
    if intent == Intent.TEAM_OVERVIEW:
        if parsed.order == "most":
            return tr._("the coordinator with the most active participants")
        if parsed.order == "least":
            return tr._("the coordinator with the fewest active participants")
        return tr._("the team overview")
    if intent == Intent.HELP:
        return tr._("what you can ask me")
    when = _period_words(tr, parsed)
    if intent == Intent.COUNT_PARTICIPANTS:
        return tr._("how many participants, %(period)s", period=when)
    if intent == Intent.COUNT_OUTCOMES:
        if not parsed.outcomes:
            return tr._("how many ended, %(period)s", period=when)
        return tr._("how many ended with %(outcome)s, %(period)s",
                    outcome=_outcome_words(tr, parsed), period=when)
    if intent == Intent.SHARE_OUTCOMES:
        return tr._("the share of those who ended with %(outcome)s, %(period)s",
                    outcome=_outcome_words(tr, parsed), period=when)
    return tr._("the statistics, %(period)s", period=when)


def _period_words(tr: Translator, parsed: Parsed) -> str:
    return period_label(tr, _stats_period(parsed))


def _outcome_words(tr: Translator, parsed: Parsed) -> str:
    words = []
    for group in parsed.outcomes:
        if group == "work_or_studies":
            words.append(tr._("work or studies"))
        elif categories_of(group):
            words.append(tr._(CATEGORY_LABELS[OutcomeCategory(group)]))
        else:
            words.append(tr._(OUTCOME_LABELS[Outcome(group)]))
    return ", ".join(words)


# ---- not understood, and asking back -------------------------------------------------
async def not_understood(turn: Turn, result: NotUnderstood) -> None:
    tr = turn.tr
    reasons = {
        "out_of_scope": tr._("I only answer questions about the project: participants, "
                             "follow-ups and statistics."),
        "too_long": tr._("That is too long for a question. Ask it in a few words."),
        "unsupported": tr._("I can't answer that question yet."),
    }
    lines = [reasons.get(result.reason, tr._("I didn't understand that question."))]
    buttons: list[Button] = []
    if result.suggestions:
        lines.append(tr._("You could ask, for example:"))
        for suggestion in result.suggestions:
            lines.append(tr._("• %(question)s", question=suggestion))
            index = next(i for i, (_, text) in enumerate(EXAMPLES[result.language])
                         if text == suggestion)
            buttons.append((suggestion[:60], AskExample(result.language, index).encode()))
    lines.append(tr._("Send /help to see all commands."))
    await turn.reply("\n".join(lines), keyboard(grid(buttons, 1)) if buttons else None)


@dataclass(frozen=True)
class AskBackDraft:
    """A question asked back: which of its readings the person means."""

    slot: str
    options: tuple[Parsed, ...]
    chosen: int | None = None


def _ask_back_prompt(tr: Translator, draft: AskBackDraft) -> str:
    prompts = {
        "period": tr._("Which time do you mean?"),
        "duration": tr._("For how long?"),
        "participant": tr._("Which participant do you mean?"),
        "municipality": tr._("Which municipality do you mean?"),
        "coordinator": tr._("Which coordinator do you mean?"),
        "outcomes": tr._("Which outcome do you mean?"),
        "status": tr._("Which status do you mean?"),
    }
    return prompts.get(draft.slot, tr._("Which one do you mean?"))


def _readings(turn: Turn, draft: AskBackDraft) -> list[Option]:
    return [Option(_option_label(turn.tr, draft.slot, option)[:60], str(index))
            for index, option in enumerate(draft.options)]


async def _answer_reading(turn: Turn, draft: AskBackDraft) -> None:
    assert draft.chosen is not None
    await answer(turn, draft.options[draft.chosen])


ASK_BACK_FLOW = Flow(
    "askback", command="help", draft=AskBackDraft, passes_on=True,
    steps=(PickOption(name="reading", prompt=_ask_back_prompt, options=_readings,
                      choose=lambda draft, value: replace(draft, chosen=int(value)),
                      columns=1),),
    finish=_answer_reading,
)


async def ask_back(turn: Turn, slot: str, options: list[Parsed]) -> None:
    """Which reading? One button per option (or its words typed); the pick answers it.
    The readings are kept in the flow's draft, so the question survives a restart."""
    await start(turn, ASK_BACK_FLOW, AskBackDraft(slot, tuple(options)))


def _option_label(tr: Translator, slot: str, option: Parsed) -> str:
    if slot == "duration" and option.duration is not None:
        amount, unit = option.duration.amount, option.duration.unit
        return _duration_words(tr, amount, unit)
    if slot in {"period", "duration"} and option.period is not None:
        if option.period.is_single_day and option.period.start is not None:
            return tr.date(option.period.start, "full")
        return period_label(tr, _stats_period(option))
    if slot == "outcomes":
        return _outcome_words(tr, option)
    if slot == "status" and option.status:
        return tr._(STATUS_LABELS[Status(option.status)])
    return str(getattr(option, slot, "") or "")


def _duration_words(tr: Translator, amount: int, unit: str) -> str:
    if unit == "day":
        return tr.ngettext("%(n)s day", "%(n)s days", amount)
    if unit == "week":
        return tr.ngettext("%(n)s week", "%(n)s weeks", amount)
    if unit == "month":
        return tr.ngettext("%(n)s month", "%(n)s months", amount)
    return tr.ngettext("%(n)s year", "%(n)s years", amount)


# ---- participants: card and next follow-up ------------------------------------------
async def answer_participant(turn: Turn, parsed: Parsed) -> None:
    tr = turn.tr
    viewer = turn.require_viewer()
    assert parsed.participant is not None
    async with turn.transaction() as session:
        if parsed.participant_is_code:
            # The command's own lookup: someone you may not see is "not found", as there.
            found: Sequence[Participant] = [await participant_queries.visible_participant(
                session, viewer, parsed.participant)]
        else:
            found = await _participants_named(session, viewer, parsed.participant, turn)
    if not found:
        await turn.reply("\n".join([
            tr._("No participant you can see matches “%(text)s”.", text=parsed.participant),
            *footer(tr, parsed)]))
        return
    if len(found) > 1:
        kind = PickKind.CARD if parsed.intent == Intent.PARTICIPANT_CARD else PickKind.NEXT
        buttons: list[Button] = [(f"{p.code} {p.display_name}"[:40],
                                  AskParticipant(kind, p.id).encode())
                                 for p in found[:PICK_LIMIT]]
        await turn.reply(tr._("Several participants match “%(text)s”. Which one do you mean?",
                              text=parsed.participant), keyboard(grid(buttons, 1)))
        return
    participant = found[0]
    resolved = replace(parsed, participant=participant.code)
    await (show_card if parsed.intent == Intent.PARTICIPANT_CARD else show_next)(
        turn, resolved, participant)


async def _participants_named(session: AsyncSession, viewer: Viewer, name: str,
                              turn: Turn) -> Sequence[Participant]:
    """By part of the name (the /find query), then accent-insensitive and fuzzy among the
    names in the asker's own caseload; always within the viewer's scope."""
    for variant in name_variants(name):
        found = await participant_queries.find_participants(session, viewer, variant)
        if found:
            return found
    matched = match_names(name, await participant_queries.caseload_names(session, viewer))
    if not matched:
        return []
    rows, _ = await participant_queries.caseload(session, viewer, now=turn.now,
                                                 limit=PICK_LIMIT, names=matched)
    # Best match first, as `match_names` ranks the names.
    return sorted((row.participant for row in rows),
                  key=lambda p: matched.index(p.display_name))


async def show_card(turn: Turn, parsed: Parsed, participant: Participant) -> None:
    """The card exactly as /participant shows it, then how the question was understood."""
    await participant_views.open_card(turn, participant)
    shown = replace(parsed, participant=participant.code)
    await turn.reply("\n".join(footer(turn.tr, shown)[1:]))


async def show_next(turn: Turn, parsed: Parsed, participant: Participant) -> None:
    tr = turn.tr
    assert participant.id is not None
    async with turn.transaction() as session:
        followup = await followups.next_followup_for_participant(session, participant.id,
                                                                 now=turn.now)
    shown = replace(parsed, participant=participant.code)
    if followup is None:
        head = tr._("No follow-up is booked with %(code)s (%(name)s).",
                    code=tr.isolate(participant.code), name=participant.display_name)
    else:
        head = tr._("Next follow-up with %(code)s (%(name)s): %(appointment)s.",
                    code=tr.isolate(participant.code), name=participant.display_name,
                    appointment=SafeHtml(participant_appointment_text(tr, followup)))
    await turn.reply("\n".join([head, *footer(tr, shown)]))


# ---- the agenda ---------------------------------------------------------------------
async def answer_agenda(turn: Turn, parsed: Parsed) -> None:
    tr = turn.tr
    viewer = turn.require_viewer()
    period = parsed.period
    assert period is not None and period.start is not None and period.end is not None
    tz = turn.services.settings.tz
    start, _ = local_day_bounds(period.start, tz)
    _, end = local_day_bounds(period.end, tz)
    found, municipality = await _list_municipality(turn, parsed)
    if not found:
        return
    async with turn.transaction() as session:
        items = await followups.agenda(
            session, viewer, start=start, end=end, municipality=municipality,
            unconfirmed=parsed.intent == Intent.UNCONFIRMED_FOLLOWUPS)
    lines: list[str] = []
    days: dict[date, list[followups.AgendaItem]] = {}
    for item in items:
        days.setdefault(tr.local(item.followup.due_at).date(), []).append(item)
    for day, of_day in days.items():
        lines.append(agenda_text(tr, day, of_day))
    if not items:
        lines.append(_no_followups(tr, parsed))
    buttons = [(f"{tr.time(i.followup.due_at)} {i.participant.code}",
                FollowUpOpen(i.followup.id or 0).encode())
               for i in items[:PICK_LIMIT * 2]]
    filters = _municipality_filter(tr, municipality)
    await turn.reply("\n".join([*lines, *footer(tr, parsed, filters)]),
                     keyboard(grid(buttons, 2)) if buttons else None)


def _no_followups(tr: Translator, parsed: Parsed) -> str:
    period = parsed.period
    assert period is not None and period.start is not None and period.end is not None
    unconfirmed = parsed.intent == Intent.UNCONFIRMED_FOLLOWUPS
    if period.is_single_day:
        if unconfirmed:
            return tr._("Every follow-up on %(date)s is confirmed, or none is booked.",
                        date=tr.date(period.start, "full"))
        return tr._("No follow-ups booked for %(date)s.", date=tr.date(period.start, "full"))
    if unconfirmed:
        return tr._("Every follow-up from %(start)s to %(end)s is confirmed, or none is "
                    "booked.", start=tr.date(period.start), end=tr.date(period.end))
    return tr._("No follow-ups booked from %(start)s to %(end)s.", start=tr.date(period.start),
                end=tr.date(period.end))


# ---- the asker's own caseload: neglected, by status, all ---------------------------
async def answer_caseload(turn: Turn, parsed: Parsed) -> None:
    """Your caseload exactly as /mine shows it, then how the question was understood."""
    await participant_views.show_caseload(turn, page=0)
    await turn.reply("\n".join(footer(turn.tr, parsed)[1:]))


async def answer_list(turn: Turn, parsed: Parsed) -> None:
    """Who has had no check-in since a day, or has a status now, least recently seen first:
    in the asker's own caseload (/mine's rows) or among all she may see (the digest's list).
    One query, `participants.caseload`, with the same narrowing either way."""
    tr = turn.tr
    found, municipality = await _list_municipality(turn, parsed)
    if not found:
        return
    own = _own_caseload(turn, parsed)
    neglected = parsed.intent == Intent.LIST_NEGLECTED
    cutoff = parsed.period.start if neglected and parsed.period else None
    no_checkin = None
    if neglected:
        # From the start of the cutoff's local day; no date: never any check-in.
        since = local_day_bounds(cutoff, turn.services.settings.tz)[0] if cutoff else None
        no_checkin = participant_queries.NoCheckIn(since)
    status = None if neglected else Status(parsed.status)
    async with turn.transaction() as session:
        rows, total = await participant_queries.caseload(
            session, turn.require_viewer(), now=turn.now, limit=LIST_SHOWN, own=own,
            status=status, municipality=municipality, no_checkin=no_checkin)
    lines = [_list_head(tr, parsed, total, own=own)]
    for row in rows:
        if neglected and not own:
            lines.append(tr._("%(code)s (%(coordinator)s) — %(seen)s",
                              code=tr.isolate(row.participant.code),
                              coordinator=coordinator_label(tr, row),
                              seen=participant_views.seen_text(tr, row)))
        else:
            lines.append(participant_views.caseload_line(tr, row))
    if total > len(rows):
        lines.append(tr._("… and %(n)s more: see /mine.", n=total - len(rows)) if own else
                     tr.ngettext("…and %(n)s more", "…and %(n)s more", total - len(rows)))
    buttons = [(row.participant.code,
                participant_views.ParticipantCard(row.participant.id or 0).encode())
               for row in rows[:PICK_LIMIT]]
    filters = _municipality_filter(tr, municipality)
    if own:
        lines += footer(tr, parsed, filters)
    else:
        lines += ["", tr._("🔎 I understood: %(question)s",
                           question=_in_scope_question(tr, parsed, cutoff)),
                  *([filters] if filters else []), tr._("No single command gives this answer.")]
    await turn.reply("\n".join(lines), keyboard(grid(buttons, 4)) if buttons else None)


def _list_head(tr: Translator, parsed: Parsed, total: int, *, own: bool) -> str:
    if parsed.intent == Intent.LIST_NEGLECTED:
        if own:
            return tr.ngettext("<b>%(n)s participant</b> with no check-in in that time:",
                               "<b>%(n)s participants</b> with no check-in in that time:", total)
        return tr.ngettext("<b>%(n)s participant</b> with no check-in in that time, among all "
                           "you can see:",
                           "<b>%(n)s participants</b> with no check-in in that time, among all "
                           "you can see:", total)
    status = tr._(STATUS_LABELS[Status(parsed.status)])
    if own:
        return tr.ngettext("<b>%(n)s participant</b> with status %(status)s:",
                           "<b>%(n)s participants</b> with status %(status)s:", total,
                           status=status)
    return tr.ngettext("<b>%(n)s participant</b> with status %(status)s, among all you can "
                       "see:",
                       "<b>%(n)s participants</b> with status %(status)s, among all you can "
                       "see:", total, status=status)


def _in_scope_question(tr: Translator, parsed: Parsed, cutoff: date | None) -> str:
    """A list question over all the asker may see, as understood (no command gives it)."""
    if parsed.intent == Intent.LIST_BY_STATUS:
        return tr._("participants you can see whose status is now %(status)s",
                    status=tr._(STATUS_LABELS[Status(parsed.status)]))
    if cutoff is None:
        return tr._("participants you can see who have never had a check-in")
    return tr._("participants you can see with no check-in since %(date)s",
                date=tr.date(cutoff))


def _own_caseload(turn: Turn, parsed: Parsed) -> bool:
    """A question is about the asker's own caseload when it says "my"/"mina" or the asker
    is a coordinator (whose scope is their caseload); else about everything they may see."""
    return parsed.mine or turn.require_viewer().role == Role.COORDINATOR


async def _list_municipality(turn: Turn, parsed: Parsed) -> tuple[bool, str | None]:
    """The municipality a list question names, matched among those the asker sees.

    (False, None) when it was answered here: a name nobody has, or several to pick from.
    """
    if not parsed.municipality:
        return True, None
    async with turn.transaction() as session:
        known = await stats.municipalities_in_scope(session, turn.require_viewer())
    matched = match_municipality(parsed.municipality, known)
    if len(matched) == 1:
        return True, matched[0]
    if matched:
        await ask_back(turn, "municipality",
                       [replace(parsed, municipality=name) for name in matched])
    else:
        await turn.reply(_unknown_municipality(turn.tr, parsed.municipality, known))
    return False, None


def match_municipality(typed: str, known: list[str]) -> list[str]:
    """The municipalities among `known` the text means: the official one alone when the
    text names it exactly (so differently typed stored names never offer two "Växjö"
    buttons), else as `match_names` finds them."""
    found = SWEDEN.resolve(typed).municipality
    if found is not None and found.name in known:
        return [found.name]
    return match_names(typed, known)


def _municipality_filter(tr: Translator, municipality: str | None) -> str | None:
    if not municipality:
        return None
    return tr._("Filter: %(filters)s",
                filters=tr._("municipality %(name)s", name=municipality))


def _unknown_municipality(tr: Translator, name: str, known: list[str]) -> str:
    # The same words as /stats kommun:… uses for a name it does not know.
    return tr._("I don't know the municipality “%(name)s” among the participants you can "
                "see. Known: %(known)s.", name=name, known=", ".join(known) or "–")


def _unknown_coordinator(tr: Translator, name: str, known: list[str]) -> str:
    return tr._("I don't know one coordinator called “%(name)s” among the participants you "
                "can see. Known: %(known)s.", name=name, known=", ".join(known) or "–")


# ---- figures: the same filter and numbers as /stats ----------------------------------
def _stats_period(parsed: Parsed) -> periods.Period:
    """The /stats period for the question's dates (its label is the /stats period word;
    labels are absolute dates, so "today" plays no part in reading them back)."""
    if parsed.period is None:
        return periods.ALL
    return periods.parse_period(parsed.period.label, parsed.asked_on or _ANY_DAY) or periods.ALL


async def resolve_figures(turn: Turn, parsed: Parsed) -> tuple[
        Parsed, StatsRequest] | None:
    """Names matched among what the asker sees, as /stats would resolve its filter words.

    Replies itself (and returns None) when a name is unknown or matches several.
    """
    tr = turn.tr
    viewer = turn.require_viewer()
    async with turn.transaction() as session:
        municipalities = await stats.municipalities_in_scope(session, viewer)
        team = await stats.coordinators_in_scope(session, viewer)
    names = {name: staff_id for staff_id, name in team}
    municipality = coordinator = None
    coordinator_id: int | None = None
    if parsed.municipality:
        matched = match_municipality(parsed.municipality, municipalities)
        if not matched and parsed.coordinator is None and match_names(parsed.municipality,
                                                                      list(names)):
            # "statistik för Bo": not a municipality, but a coordinator.
            return await resolve_figures(turn, replace(parsed, municipality=None,
                                                       coordinator=parsed.municipality))
        if not matched:
            await turn.reply(_unknown_municipality(tr, parsed.municipality, municipalities))
            return None
        if len(matched) > 1:
            await ask_back(turn, "municipality",
                           [replace(parsed, municipality=name) for name in matched])
            return None
        municipality = matched[0]
    if parsed.coordinator:
        matched = match_names(parsed.coordinator, list(names))
        if not matched:
            await turn.reply(_unknown_coordinator(tr, parsed.coordinator, list(names)))
            return None
        if len(matched) > 1:
            await ask_back(turn, "coordinator",
                           [replace(parsed, coordinator=name) for name in matched])
            return None
        coordinator, coordinator_id = matched[0], names[matched[0]]
    elif parsed.mine and viewer.role != Role.COORDINATOR:
        own = next((name for staff_id, name in team if staff_id == viewer.staff_id), None)
        coordinator, coordinator_id = own, viewer.staff_id
    resolved = replace(parsed, municipality=municipality, coordinator=coordinator)
    request = StatsRequest(
        _stats_period(parsed), municipality, coordinator_id,
        Gender(parsed.gender) if parsed.gender else None)
    return resolved, request


async def answer_figures(turn: Turn, parsed: Parsed) -> None:
    tr = turn.tr
    if parsed.intent in {Intent.COUNT_OUTCOMES, Intent.SHARE_OUTCOMES} and any(
            not categories_of(group) for group in parsed.outcomes):
        await turn.reply("\n".join([
            tr._("The statistics count outcomes by category only: work, subsidised work, "
                 "studies, other, dropout and unknown."), *footer(tr, parsed)]))
        return
    if parsed.intent == Intent.COUNT_PARTICIPANTS and parsed.status not in {None, "active"}:
        await answer_status_count(turn, parsed)
        return
    resolved = await resolve_figures(turn, parsed)
    if resolved is None:
        return
    parsed, request = resolved
    viewer = turn.require_viewer()
    flt = request.stats_filter(turn)
    async with turn.transaction() as session:
        filters = await filter_text(session, turn, request)
        if parsed.split_by in stats.BREAKDOWNS:
            table = await stats.breakdown(session, viewer, flt, parsed.split_by)  # type: ignore[arg-type]
            result = breakdown_text(tr, request.period, None, table)
            figures = table.total
        else:
            figures = await stats.project_figures(session, viewer, flt)
            result = None
        genders: dict[Gender, stats.Figures] = {}
        if parsed.split_by == "gender":
            # Every gender value that occurs, so the lines add up to the headline.
            for gender in stats.SPLIT_GENDERS:
                if figures.gender(gender).participants:
                    genders[gender] = await stats.project_figures(
                        session, viewer, replace(flt, gender=gender))
    if parsed.intent == Intent.STATS:
        lines = [result or figures_text(tr, request.period, None, figures)]
    else:
        lines = _headline(tr, parsed, figures)
        lines += [_gender_line(tr, parsed, gender, of_gender)
                  for gender, of_gender in genders.items()]
        if result is not None:
            lines += ["", result]
    markup = _refine_keyboard(tr, request)
    await turn.reply("\n".join([*lines, *footer(tr, parsed, filters)]), markup)


def _headline(tr: Translator, parsed: Parsed, figures: stats.Figures) -> list[str]:
    """The number asked for, with the base it is counted from (as /stats shows them)."""
    if parsed.intent == Intent.COUNT_PARTICIPANTS:
        if parsed.period is None:  # "how many does Bo have": the caseload now
            return [tr._("<b>Active now: %(n)s</b>", n=tr.number(figures.active)),
                    *period_lines(tr, figures)]
        return [tr._("<b>In the project at some time in the period: %(n)s</b>",
                     n=tr.number(figures.participants)),
                period_lines(tr, figures)[1], now_line(tr, figures)]
    if not parsed.outcomes:
        return [tr.ngettext("<b>%(n)s participant ended</b> in the period.",
                            "<b>%(n)s participants ended</b> in the period.", figures.ended)]
    if not figures.ended:
        return [tr._("Nobody ended in this period, so there are no outcomes yet.")]
    count = _count(parsed, figures)
    outcome = _outcome_words(tr, parsed)
    if parsed.intent == Intent.COUNT_OUTCOMES:
        return [tr._("Ended with %(outcome)s: <b>%(count)s</b> of %(ended)s who ended in the "
                     "period.", outcome=outcome, count=tr.number(count),
                     ended=tr.number(figures.ended)), *_counted_lines(tr, parsed, figures)]
    lines = [tr._("Ended with %(outcome)s: <b>%(share)s</b> of those who ended "
                  "(%(count)s of %(ended)s).", outcome=outcome,
                  share=percent(tr, stats.share(count, figures.ended)),
                  count=tr.number(count), ended=tr.number(figures.ended))]
    if parsed.outcomes == ("work_or_studies",):
        lines.append(shares_line(tr, figures))
    return [*lines, *_counted_lines(tr, parsed, figures)]


def _counted_lines(tr: Translator, parsed: Parsed, figures: stats.Figures) -> list[str]:
    """Which end reasons the answer counted and, where it counted only part of "to work or
    studies" ("got a job": not subsidised jobs), the broader figure next to it."""
    categories = {category for group in parsed.outcomes
                  for category in categories_of(group)}
    reasons = [tr._(OUTCOME_LABELS[reason]) for reason, category in OUTCOME_CATEGORY.items()
               if category in categories]
    lines = [tr._("Counted end reasons: %(reasons)s.", reasons=", ".join(reasons))] \
        if reasons else []
    wider = set(stats.TO_WORK_OR_STUDIES)
    if categories and categories < wider:
        left = [tr._("%(category)s %(count)s", category=tr._(CATEGORY_LABELS[category]),
                     count=tr.number(figures.outcome(category)))
                for category in stats.TO_WORK_OR_STUDIES if category not in categories]
        lines.append(tr._("Not counted here: %(left)s. All to work or studies (work, "
                          "subsidised work, CSN studies): %(count)s of %(ended)s who ended "
                          "(%(share)s).", left=", ".join(left),
                          count=tr.number(figures.to_work_or_studies),
                          ended=tr.number(figures.ended),
                          share=percent(tr, figures.share_of_ended)))
    return lines


def _count(parsed: Parsed, figures: stats.Figures) -> int:
    return sum(figures.outcome(category) for group in parsed.outcomes
               for category in categories_of(group))


def _gender_line(tr: Translator, parsed: Parsed, gender: Gender,
                 figures: stats.Figures) -> str:
    """One gender's answer: the count, or the share, among that gender's ended."""
    count = _count(parsed, figures) if parsed.outcomes else figures.ended
    label = tr._(GENDER_GROUP_LABELS[gender])
    if parsed.intent == Intent.SHARE_OUTCOMES:
        return tr._("%(gender)s: %(share)s (%(count)s of %(ended)s who ended)", gender=label,
                    share=percent(tr, stats.share(count, figures.ended)),
                    count=tr.number(count), ended=tr.number(figures.ended))
    if parsed.intent == Intent.COUNT_PARTICIPANTS:
        return tr._("%(gender)s: %(base)s in the project at some time in the period, "
                    "%(count)s active now", gender=label, count=tr.number(figures.active),
                    base=tr.number(figures.participants))
    return tr._("%(gender)s: %(count)s of %(ended)s who ended", gender=label,
                count=tr.number(count), ended=tr.number(figures.ended))


def _refine_keyboard(tr: Translator, request: StatsRequest
                     ) -> InlineKeyboardMarkup | None:
    """Open the full /stats message, or split it, with the same filter (its own buttons)."""
    fields = request.fields()
    return keyboard([
        [(tr._("📊 All figures"), StatsView(View.FIGURES, *fields).encode())],
        [(tr._("By municipality"), StatsView(View.MUNICIPALITY, *fields).encode()),
         (tr._("By coordinator"), StatsView(View.COORDINATOR, *fields).encode())],
    ])


async def answer_status_count(turn: Turn, parsed: Parsed) -> None:
    """How many have a status now: in the asker's own caseload (as /mine lists it), or
    among all she may see (a lead's question without "my")."""
    tr = turn.tr
    own = _own_caseload(turn, parsed)
    if parsed.coordinator or parsed.gender or parsed.period or (own and parsed.municipality):
        await turn.reply("\n".join([
            tr._("The statistics have no figures by current status yet; I can count it only "
                 "in your own caseload (ask “how many of mine are in an internship?”)."),
            *footer(tr, parsed)]))
        return
    found, municipality = await _list_municipality(turn, parsed)
    if not found:
        return
    status = Status(parsed.status)
    async with turn.transaction() as session:
        _, count = await participant_queries.caseload(
            session, turn.require_viewer(), now=turn.now, limit=0, own=own, status=status,
            municipality=municipality)
    label = tr._(STATUS_LABELS[status])
    if own:
        head = tr.ngettext("<b>%(n)s of your participants</b> has status %(status)s now.",
                           "<b>%(n)s of your participants</b> have status %(status)s now.",
                           count, status=label)
        await turn.reply("\n".join([head, *footer(tr, replace(parsed,
                                                               intent=Intent.LIST_BY_STATUS))]))
        return
    filters = _municipality_filter(tr, municipality)
    await turn.reply("\n".join([
        tr.ngettext("<b>%(n)s participant you can see</b> has status %(status)s now.",
                    "<b>%(n)s participants you can see</b> have status %(status)s now.",
                    count, status=label),
        "", tr._("🔎 I understood: %(question)s", question=_in_scope_question(tr, parsed, None)),
        *([filters] if filters else []), tr._("No single command gives this answer.")]))


# ---- the team ----------------------------------------------------------------------
async def answer_team(turn: Turn, parsed: Parsed) -> None:
    tr = turn.tr
    async with turn.transaction() as session:
        team = await stats.team_overview(session, turn.require_viewer(), turn.now)
    if not team:
        await turn.reply("\n".join([
            tr._("There are no coordinators in your part of the project yet."),
            *footer(tr, parsed)]))
        return
    lines: list[str] = []
    # Ranked among active coordinators: the deactivated staff's row (last) is no one.
    ranked = [row for row in team if row.active]
    if parsed.order in {"most", "least"} and ranked:
        pick = max if parsed.order == "most" else min
        best = pick(row.caseload for row in ranked)
        leaders = [row.name for row in ranked if row.caseload == best]
        lines.append(tr.ngettext("<b>%(names)s</b>: %(n)s active participant.",
                                 "<b>%(names)s</b>: %(n)s active participants.", best,
                                 names=", ".join(leaders)))
        ranked.sort(key=lambda row: -row.caseload if parsed.order == "most" else row.caseload)
        team = ranked + [row for row in team if not row.active]
    lines += team_lines(tr, team)
    await turn.reply("\n".join([*lines, *footer(tr, parsed)]))


async def answer_help(turn: Turn, parsed: Parsed) -> None:
    tr = turn.tr
    language = parsed.language if parsed.language in EXAMPLES else "en"
    lines = [tr._("Ask me in your own words, for example:")]
    lines += [tr._("• %(question)s", question=text) for _, text in EXAMPLES[language][:6]]
    lines.append(tr._("Send /help to see all commands."))
    await turn.reply("\n".join(lines))


Answer = Callable[[Turn, Parsed], Awaitable[None]]
ANSWERS: dict[Intent, Answer] = {
    Intent.LIST_NEGLECTED: answer_list,
    Intent.LIST_BY_STATUS: answer_list,
    Intent.CASELOAD: answer_caseload,
    Intent.LIST_AGENDA: answer_agenda,
    Intent.UNCONFIRMED_FOLLOWUPS: answer_agenda,
    Intent.NEXT_FOLLOWUP: answer_participant,
    Intent.PARTICIPANT_CARD: answer_participant,
    Intent.COUNT_PARTICIPANTS: answer_figures,
    Intent.COUNT_OUTCOMES: answer_figures,
    Intent.SHARE_OUTCOMES: answer_figures,
    Intent.STATS: answer_figures,
    Intent.TEAM_OVERVIEW: answer_team,
    Intent.HELP: answer_help,
}

