"""Guided flows, declared once and run by one engine.

A capability declares a flow as data — its steps and what to do with the finished draft —
and binds it with `bind_flow(app, FLOW)`; `start(turn, FLOW, Draft(...))` runs it:

    LOG = Flow("log", command="log", draft=LogDraft, steps=(
        PickParticipant("who", prompt=…, choose=lambda d, p: replace(d, participant_id=p.id),
                        done=lambda d: d.participant_id is not None),
        PickOption("channel", prompt=…, options=channel_options, choose=…),
        AskText("note", prompt=…, parse=…, skip=(N_("No note"), …)),
        …), finish=save_from_draft)

A command that runs its flow when sent alone (`/log`) and reads a one-liner otherwise
(`/log P-0042 phone`) binds both with `bind_guided_command(app, LOG, log_one_liner)`.

The engine keeps the typed draft (a dataclass, JSON through pydantic) in the database
(`storage.drafts`), so a step's buttons work after a restart and on any process. Every
step's buttons carry one `FlowTap` payload: the flow, its run, the step and the value. A tap
from another run or an earlier step answers "expired" and changes nothing. A step is
answered by a tap or by typing — the option's words, a participant's code or name, a date
— and the buttons of the step that was answered by typing are taken away. Every step has
« Back (to the previous step) and Cancel; pickers page with "More…".
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import date
from typing import Annotated
from typing import Any
from typing import Generic
from typing import Self
from typing import TypeVar

from pydantic import TypeAdapter
from telegram import InlineKeyboardMarkup
from telegram import Update
from telegram.ext import Application

from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import Token
from bot.interaction.buttons import decode
from bot.interaction.buttons import family
from bot.interaction.commands import BY_NAME
from bot.interaction.commands import command_for
from bot.text.i18n import Translator
from bot.text.labels import fold
from bot.text.render import Button
from bot.text.render import error_text
from bot.text.render import grid
from bot.text.render import keyboard
from bot.text.render import participant_keyboard
from handlers.kit.base import BUTTON_ROUTES_KEY
from handlers.kit.base import PICKER_PAGE
from handlers.kit.base import Context
from handlers.kit.base import HandlerFn
from handlers.kit.base import PickerSource
from handlers.kit.base import PTBCallback
from handlers.kit.base import Turn
from handlers.kit.base import bind_button
from handlers.kit.base import bind_command
from handlers.kit.base import expired
from handlers.kit.base import expired_tap
from handlers.kit.base import guarded
from handlers.kit.base import parse_coming_day
from handlers.kit.base import picked_participant
from handlers.kit.routing import TextSlot
from handlers.kit.routing import bind_text_route
from storage import drafts
from storage.access import can
from storage.errors import DomainError
from storage.errors import NotFound
from storage.errors import ParticipantEnded
from storage.models import Participant
from storage.participants import find_participants
from storage.participants import participants_for_picker
from storage.participants import visible_participant_by_id
from storage.personnummer import is_valid as is_personnummer

log = logging.getLogger(__name__)

D = TypeVar("D")
FLOWS_KEY = "koordinator.flows"
"""bot_data key: flow name → its `Flow` (see `bind_flow`)."""

MORE = "+"
"""A value starting with this is a picker page (`+2`), not an option."""
BACK, CANCEL, SKIP = "=back", "=cancel", "=skip"
MAX_PAGE = 10_000
"""Beyond any caseload: a larger page number is forged (and would overflow OFFSET)."""


@family("fl", command="cancel")
class FlowTap(ButtonPayload):
    """A tap on a step of a guided flow: which flow, which run of it, which step, what."""

    flow: Annotated[str, Token(8, r"[a-z]{1,8}")]
    run: int
    step: int
    value: Annotated[str, Token(24)]


@family("fl:for", command="help")
class FlowFor(ButtonPayload):
    """"Log check-in", "Book follow-up" on a card or a notice: start a flow with its
    participant already picked. Any capability can offer it by the flow's name, without
    importing the module that declares the flow."""

    flow: Annotated[str, Token(8, r"[a-z]{1,8}")]
    participant_id: int


class Invalid(Exception):
    """A typed answer the step cannot take; `message` (already localized) says why and
    the step waits for another answer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Option:
    """One choice of a `PickOption` step: its label, the value its button carries, and
    other words that pick it when typed (a Swedish alias, a short form)."""

    label: str
    value: str
    words: tuple[str, ...] = ()


def tap_or_stop(tr: Translator) -> str:
    return tr._("Tap one of the buttons above, or send %(command)s to stop.",
                command=tr.isolate(command_for(tr.language, "/cancel")))


def _always(_draft: Any) -> bool:
    return True


def _never(_draft: Any) -> bool:
    return False


async def _maybe(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


# ---- steps ------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Step(Generic[D]):
    """What every step has: a name, a prompt, and when it applies.

    `when` false: the step is not asked (an end's subsidy kind unless subsidised);
    `done` true: its answer is already in the draft (a participant picked on the card).
    """

    name: str
    prompt: Callable[[Translator, D], str]
    when: Callable[[D], bool] = _always
    done: Callable[[D], bool] = _never

    def applies(self, draft: D) -> bool:
        return self.when(draft) and not self.done(draft)

    async def buttons(self, turn: Turn, draft: D, page: int) -> tuple[list[list[Button]], bool]:
        """The step's own buttons as (label, value) rows, and whether a next page exists."""
        return [], False

    async def tapped(self, turn: Turn, draft: D, value: str) -> D:
        raise Invalid(tap_or_stop(turn.tr))

    async def typed(self, turn: Turn, draft: D, text: str) -> D:
        raise Invalid(tap_or_stop(turn.tr))


@dataclass(frozen=True, kw_only=True)
class AskText(Step[D]):
    """Ask for text; `parse(turn, draft, text)` returns the new draft or raises Invalid.
    `skip` is an optional button (label msgid, draft after skipping): "No note"."""

    parse: Callable[[Turn, D, str], D | Awaitable[D]]
    skip: tuple[str, Callable[[D], D]] | None = None

    async def buttons(self, turn: Turn, draft: D, page: int) -> tuple[list[list[Button]], bool]:
        return ([[(turn.tr._(self.skip[0]), SKIP)]] if self.skip else []), False

    async def tapped(self, turn: Turn, draft: D, value: str) -> D:
        if value == SKIP and self.skip is not None:
            return self.skip[1](draft)
        raise NotFound()

    async def typed(self, turn: Turn, draft: D, text: str) -> D:
        return await _maybe(self.parse(turn, draft, text))


@dataclass(frozen=True, kw_only=True)
class PickOption(Step[D]):
    """Pick one of a few options, by tap or by typing its label or one of its words.
    `options(turn, draft)` may be async (staff to hand over to); `choose(draft, value)`."""

    options: Callable[[Turn, D], Sequence[Option] | Awaitable[Sequence[Option]]]
    choose: Callable[[D, str], D]
    columns: int = 2
    page_size: int = 10

    async def _options(self, turn: Turn, draft: D) -> Sequence[Option]:
        return await _maybe(self.options(turn, draft))

    async def buttons(self, turn: Turn, draft: D, page: int) -> tuple[list[list[Button]], bool]:
        options = await self._options(turn, draft)
        shown = options[page * self.page_size:(page + 1) * self.page_size]
        return (grid([(option.label, option.value) for option in shown], self.columns),
                len(options) > (page + 1) * self.page_size)

    async def tapped(self, turn: Turn, draft: D, value: str) -> D:
        if not any(option.value == value for option in await self._options(turn, draft)):
            raise NotFound()  # an option that is no longer offered: expired
        return self.choose(draft, value)

    async def typed(self, turn: Turn, draft: D, text: str) -> D:
        options = await self._options(turn, draft)
        word = fold(text)
        matches = [option for option in options
                   if word in {fold(option.label), fold(option.value),
                               *(fold(w) for w in option.words)}]
        if len(matches) != 1:
            raise Invalid(turn.tr._(
                "I did not recognise “%(text)s”. Tap one of the buttons, or write one of: "
                "%(choices)s.", text=text,
                choices=", ".join(option.label for option in options)))
        return self.choose(draft, matches[0].value)


@dataclass(frozen=True, kw_only=True)
class PickParticipant(Step[D]):
    """Pick a participant within the person's scope: the likely ones as buttons a page at
    a time, or a code or part of a name typed (searched in the whole scope)."""

    choose: Callable[[D, Participant], D]
    choices: PickerSource = participants_for_picker
    empty: Callable[[Translator], str] | None = None
    refuse: Callable[[Translator, Participant], str | None] | None = None
    """Why a participant cannot be picked here (`ended_refusal`: a check-in, a booking, a
    status, an end, an invitation), or None: her code typed, her button tapped or a card's
    button is refused at once, not after the flow's last step."""

    def _chosen(self, turn: Turn, draft: D, participant: Participant) -> D:
        reason = self.refuse(turn.tr, participant) if self.refuse is not None else None
        if reason is not None:
            raise Invalid(reason)
        return self.choose(draft, participant)

    async def buttons(self, turn: Turn, draft: D, page: int) -> tuple[list[list[Button]], bool]:
        async with turn.transaction() as session:
            found = await self.choices(session, turn.require_viewer(), limit=PICKER_PAGE + 1,
                                       offset=page * PICKER_PAGE)
        if not found and page == 0:
            raise Invalid(self.empty(turn.tr) if self.empty else turn.tr._(
                "You have no active participants yet. Add one with /add."))
        return _participant_rows(found[:PICKER_PAGE]), len(found) > PICKER_PAGE

    async def _by_id(self, turn: Turn, value: str) -> Participant:
        if not value.isdigit() or not value.isascii():
            raise NotFound()
        async with turn.transaction() as session:
            return await visible_participant_by_id(session, turn.require_viewer(), int(value))

    async def tapped(self, turn: Turn, draft: D, value: str) -> D:
        return self._chosen(turn, draft, await self._by_id(turn, value))

    async def typed(self, turn: Turn, draft: D, text: str) -> D:
        async with turn.transaction() as session:
            found = await find_participants(session, turn.require_viewer(), text,
                                            limit=PICKER_PAGE + 1)
        if len(found) == 1:
            return self._chosen(turn, draft, found[0])
        if not found:
            raise Invalid(turn.tr._(
                "No participant you can see matches “%(text)s”. Write a code (P-0042) or "
                "part of a name, or tap one above.", text=text))
        raise Matches(found[:PICKER_PAGE])


@dataclass(frozen=True)
class ParticipantDraft:
    """The start of a draft about one participant, picked first (`pick_participant_step`)
    or already known (a card's `FlowFor`): its id, and its code for the later prompts.
    A flow's draft adds its own answers after these two fields; such a flow starts from a
    card, and its first step picks, with `for_participant`, unless told otherwise."""

    participant_id: int | None = None
    code: str = ""

    @classmethod
    def for_participant(cls, participant: Participant) -> Self:
        """The draft with `participant` picked: a flow's `for_participant`."""
        return cls(participant.id, participant.code)


def ended_refusal(tr: Translator, participant: Participant) -> str | None:
    """A `PickParticipant.refuse` for what an ended participation cannot take."""
    if not participant.is_ended:
        return None
    return error_text(tr, ParticipantEnded(code=participant.code))


def pick_participant_step(prompt: Callable[[Translator], str],
                          choose: Callable[[Participant], D] | None = None, **options: Any
                          ) -> PickParticipant[D]:
    """The first step of a flow about one participant (the draft's `participant_id`):
    `choose` makes the draft from the participant picked (by default a `ParticipantDraft`'s
    own `for_participant`), and the step is passed over when the flow starts for a
    participant already (from the card). `options`: `choices`, `empty` of
    `PickParticipant`."""

    def picked(draft: D, participant: Participant) -> D:
        if choose is not None:
            return choose(participant)
        assert isinstance(draft, ParticipantDraft), "pick_participant_step needs `choose`"
        return type(draft).for_participant(participant)

    return PickParticipant(name="who", prompt=lambda tr, _d: prompt(tr), choose=picked,
                           done=lambda draft: draft.participant_id is not None, **options)


def ask_name_step(prompt: Callable[[Translator], str], *, max_length: int) -> AskText[Any]:
    """Ask a name — a participant's alias (/add), a colleague's (/staff add) — of 1 to
    `max_length` characters, kept in the draft's `name`. The refusal names 120: the limit
    of both."""

    def parse(turn: Turn, draft: Any, text: str) -> Any:
        if not text or len(text) > max_length:
            raise Invalid(turn.tr._("The name must be 1–120 characters; nothing was saved."))
        return replace(draft, name=text)

    return AskText(name="name", prompt=lambda tr, _d: prompt(tr), parse=parse)


class Matches(Exception):
    """A typed search found several participants: offer them as this step's buttons."""

    def __init__(self, found: Sequence[Participant]) -> None:
        super().__init__(len(found))
        self.found = found


def _participant_rows(found: Sequence[Participant]) -> list[list[Button]]:
    """Participant buttons as the pickers label them, carrying the id as the value."""
    markup = participant_keyboard(found, lambda p: str(p.id))
    return [[(button.text, str(button.callback_data)) for button in line]
            for line in markup.inline_keyboard]


@dataclass(frozen=True, kw_only=True)
class PickDay(Step[D]):
    """Pick a day: the offered days as buttons (`days(turn, draft)`), or a date typed
    (`2026-12-07`, `imorgon`, `7/12`, `7 dec`, `fredag`: the coming one, see
    `bot.text.days`), refused outside `accept(turn, day)`."""

    days: Callable[[Turn, D], Sequence[date]]
    choose: Callable[[D, date], D]
    accept: Callable[[Turn, date], str | None] = lambda _turn, _day: None
    """None when the day is fine, else the localized reason it is refused."""

    async def buttons(self, turn: Turn, draft: D, page: int) -> tuple[list[list[Button]], bool]:
        return grid([(turn.tr.date(day), day.isoformat()) for day in self.days(turn, draft)],
                    2), False

    def _checked(self, turn: Turn, draft: D, day: date | None, text: str) -> D:
        if day is None:
            raise Invalid(turn.tr._(
                "“%(text)s” is not a date I understand. Write it like 2026-12-07, or tap one "
                "above.", text=text))
        reason = self.accept(turn, day)
        if reason is not None:
            raise Invalid(reason)
        return self.choose(draft, day)

    async def tapped(self, turn: Turn, draft: D, value: str) -> D:
        return self._checked(turn, draft, parse_coming_day(value, turn.today), value)

    async def typed(self, turn: Turn, draft: D, text: str) -> D:
        return self._checked(turn, draft, parse_coming_day(text, turn.today), text)


# ---- the flow and its engine --------------------------------------------------------------
@dataclass(frozen=True)
class Flow(Generic[D]):
    """A guided flow: `name` (≤ 8 letters, it goes into buttons), the registry `command`
    whose guard and "start again with" it shares, the draft type, the steps in order, and
    what to do when every step that applies is answered."""

    name: str
    command: str
    draft: type[D]
    steps: tuple[Step[D], ...]
    finish: Callable[[Turn, D], Awaitable[None]]
    for_participant: Callable[[Participant], D] | None = None
    """The draft when started from a card (`FlowFor`): the participant already picked. A
    `ParticipantDraft` brings its own."""
    passes_on: bool = False
    """Typed text that answers no step ends the flow and goes on to the next route (a
    question asked back: a new question typed instead of a pick is a new question)."""
    _codec: TypeAdapter[Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name.isascii() or not self.name.isalpha() or len(self.name) > 8:
            raise ValueError(f"flow name {self.name!r}: at most 8 ASCII letters")
        object.__setattr__(self, "_codec", TypeAdapter(self.draft))
        if self.for_participant is None and issubclass(self.draft, ParticipantDraft):
            object.__setattr__(self, "for_participant", self.draft.for_participant)

    def dump(self, draft: D) -> str:
        return self._codec.dump_json(draft).decode()

    def load(self, data: str) -> D:
        return self._codec.validate_json(data)

    def next_step(self, draft: D, after: int) -> int | None:
        return next((index for index in range(after + 1, len(self.steps))
                     if self.steps[index].applies(draft)), None)

    def previous_step(self, draft: D, before: int, first: int = 0) -> int | None:
        """The step « Back goes to: the nearest earlier one that applies, not before the
        step the run began at."""
        return next((index for index in range(before - 1, first - 1, -1)
                     if self.steps[index].when(draft)), None)


async def start_for_participant(turn: Turn, flow: Flow[D], participant: Participant) -> None:
    """Start `flow` with `participant` already picked (a card's button). A button on a card
    shown before she ended is refused at once by a flow that refuses her (its picker's
    `refuse`), as her code typed there is."""
    assert flow.for_participant is not None
    for step in flow.steps:
        if isinstance(step, PickParticipant) and step.refuse is not None:
            reason = step.refuse(turn.tr, participant)
            if reason is not None:
                await turn.reply(reason)
                return
    await start(turn, flow, flow.for_participant(participant))


FlowEntry = tuple["Flow[Any]", PTBCallback, PTBCallback]
"""A bound flow: the flow, its guarded tap handler, its guarded start-for-participant."""


def bind_flow(app: Application, flow: Flow[Any]) -> None:
    """Make `flow` answerable in this application: its taps and its typed answers."""
    flows: dict[str, FlowEntry] = app.bot_data.setdefault(FLOWS_KEY, {})
    if flow.name in flows:
        raise ValueError(f"flow {flow.name!r} bound twice")
    row = BY_NAME[flow.command]

    async def on_tap(turn: Turn) -> None:
        query = turn.update.callback_query
        payload = FlowTap.parse(query.data if query else None)
        assert payload is not None  # the router decoded it
        await _tap(turn, flow, payload)

    async def on_start(turn: Turn) -> None:
        query = turn.update.callback_query
        payload = FlowFor.parse(query.data if query else None)
        assert payload is not None and flow.for_participant is not None
        try:
            participant = await picked_participant(turn, payload.participant_id)
        except NotFound:
            await expired(turn, flow.command)
            return
        await start_for_participant(turn, flow, participant)

    on_tap.__name__ = f"flow_{flow.name}"
    on_start.__name__ = f"flow_{flow.name}_for"
    guard = guarded(row.audience, row.action)
    flows[flow.name] = (flow, guard(on_tap), guard(on_start))
    routes: dict[type[ButtonPayload], PTBCallback] = app.bot_data.setdefault(
        BUTTON_ROUTES_KEY, {})
    routes.setdefault(FlowTap, _route_tap)
    routes.setdefault(FlowFor, _route_tap)
    bind_text_route(app, TextSlot.FLOW_STEP, answer_text)


def bind_guided_command(app: Application, flow: Flow[Any], one_liner: HandlerFn) -> None:
    """Bind `flow` and its command: the command sent alone runs the flow from an empty
    draft (`/status`, then taps); words after it go to `one_liner` (`/status P-0042 active`)."""

    @functools.wraps(one_liner)
    async def command(turn: Turn) -> None:
        if not turn.args:
            await start(turn, flow, flow.draft())
            return
        await one_liner(turn)

    bind_command(app, flow.command, command)
    bind_flow(app, flow)


def bind_old_card_button(app: Application, family: type[ButtonPayload],
                         flow: Flow[Any]) -> None:
    """A card button sent before the flow engine (`LogPick`, `StatusPick`, `EndPick`: a
    family of its own carrying a `participant_id`) starts `flow` with the participant
    already picked, as `FlowFor` does now."""
    if flow.for_participant is None:
        raise ValueError(f"flow {flow.name!r} cannot start for a participant")

    async def start_for(turn: Turn, payload: Any) -> None:
        participant = await picked_participant(turn, payload.participant_id)
        await start_for_participant(turn, flow, participant)

    start_for.__name__ = f"{flow.name}_from_old_card"
    bind_button(app, family, start_for)


async def _route_tap(update: Update, context: Context) -> None:
    """Both flow families to the flow they name, through that flow's command's guard."""
    query = update.callback_query
    payload = decode(query.data if query else None)
    flows: dict[str, FlowEntry] = context.bot_data.get(FLOWS_KEY, {})
    entry = flows.get(payload.flow) if isinstance(payload, FlowTap | FlowFor) else None
    if entry is None or (isinstance(payload, FlowFor) and entry[0].for_participant is None):
        await expired_tap(update, context)
        return
    await (entry[1] if isinstance(payload, FlowTap) else entry[2])(update, context)


async def start(turn: Turn, flow: Flow[D], draft: D) -> None:
    """Run `flow` from its first step that applies (the draft may already answer some).
    It replaces whatever flow the person was in."""
    first = flow.next_step(draft, -1)
    if first is None:
        await flow.finish(turn, draft)
        return
    async with turn.transaction() as session:
        row = await drafts.start_draft(session, turn.user_id, flow=flow.name, step=first,
                                       data=flow.dump(draft), now=turn.now)
    await _show(turn, flow, row, draft, first)


async def cancel(turn: Turn) -> bool:
    """End whatever flow the person is in; whether there was one."""
    async with turn.transaction() as session:
        had = await drafts.current_draft(session, turn.user_id, now=turn.now)
        await drafts.end_draft(session, turn.user_id)
    return had is not None


async def answer_text(turn: Turn, text: str) -> bool:
    """Typed text as the answer to the person's current step; False when not in a flow."""
    flows: dict[str, FlowEntry] = turn.context.bot_data.get(FLOWS_KEY, {})
    async with turn.transaction() as session:
        row = await drafts.current_draft(session, turn.user_id, now=turn.now)
    entry = flows.get(row.flow) if row is not None else None
    if row is None or entry is None:
        return False
    flow = entry[0]
    row_command = BY_NAME[flow.command]
    if row_command.action is not None and (
            turn.viewer is None or not can(turn.viewer, row_command.action)):
        return False
    draft = flow.load(row.data)
    step = flow.steps[row.step]
    if not isinstance(step, AskText) and is_personnummer(text, today=turn.today):
        # A picker's refusal repeats what was typed: a personal identity number must never
        # be repeated in the chat. Not an answer, then: the router deletes it (/pnr asks
        # for it in an AskText step).
        return False
    try:
        answered = await step.typed(turn, draft, text)
    except Invalid as refused:
        if flow.passes_on:
            await cancel(turn)
            await _retire(turn, row)
            return False
        await turn.reply(refused.message)
        return True
    except Matches as several:
        await _retire(turn, row)
        await _show(turn, flow, row, draft, row.step, found=several.found)
        return True
    await _retire(turn, row)
    await _advance(turn, flow, row, answered, row.step)
    return True


async def _tap(turn: Turn, flow: Flow[D], payload: FlowTap) -> None:
    async with turn.transaction() as session:
        row = await drafts.current_draft(session, turn.user_id, now=turn.now)
    if row is None or (row.flow, row.run, row.step) != (flow.name, payload.run, payload.step):
        await expired(turn, flow.command)
        return
    draft: D = flow.load(row.data)
    step = flow.steps[row.step]
    value = payload.value
    if value == CANCEL:
        await cancel(turn)
        await turn.edit(turn.tr._("Cancelled. Nothing was changed."))
        return
    if value == BACK:
        previous = flow.previous_step(draft, row.step, row.first_step)
        if previous is None:
            await expired(turn, flow.command)
            return
        await _show(turn, flow, row, draft, previous)
        return
    if value.startswith(MORE):
        page = value[1:]
        if not (page.isascii() and page.isdigit()) or int(page) > MAX_PAGE:
            await expired(turn, flow.command)  # no button sends it: forged
            return
        await _show(turn, flow, row, draft, row.step, page=int(page))
        return
    try:
        answered = await step.tapped(turn, draft, value)
    except Invalid as refused:
        await turn.reply(refused.message)
        return
    except NotFound:
        await expired(turn, flow.command)
        return
    await _advance(turn, flow, row, answered, row.step)


async def _advance(turn: Turn, flow: Flow[D], row: drafts.Draft, draft: D, answered: int) -> None:
    following = flow.next_step(draft, answered)
    if following is None:
        try:
            await flow.finish(turn, draft)
        except DomainError:
            # Refused (rolled back, nothing changed): the last step still stands, to be
            # answered again or cancelled, instead of starting the whole flow over.
            raise
        except BaseException:
            await _end_run(turn, row.run)
            raise
        await _end_run(turn, row.run)
        return
    await _show(turn, flow, row, draft, following)


async def _end_run(turn: Turn, run: int) -> None:
    async with turn.transaction() as session:
        await drafts.end_run(session, turn.user_id, run)


async def _show(turn: Turn, flow: Flow[D], row: drafts.Draft, draft: D, index: int, *,
                page: int = 0, found: Sequence[Participant] | None = None) -> None:
    """Ask step `index` (editing the tapped message, or a new message after typing) and
    remember where the person now stands."""
    step = flow.steps[index]
    tr = turn.tr
    try:
        if found is not None:
            own, has_more = _participant_rows(found), False
        else:
            own, has_more = await step.buttons(turn, draft, page)
    except Invalid as nothing:
        async with turn.transaction() as session:
            await drafts.end_draft(session, turn.user_id)
        await turn.edit(nothing.message)
        return

    def tap(value: str) -> str:
        return FlowTap(flow.name, row.run, index, value).encode()

    rows: list[list[Button]] = [[(label, tap(value)) for label, value in line] for line in own]
    extra: list[Button] = []
    if has_more:
        extra.append((tr._("More…"), tap(f"{MORE}{page + 1}")))
    if flow.previous_step(draft, index, row.first_step) is not None:
        extra.append((tr._("« Back"), tap(BACK)))
    extra.append((tr._("Cancel"), tap(CANCEL)))
    markup: InlineKeyboardMarkup = keyboard([*rows, extra])
    await turn.edit(step.prompt(tr, draft), markup)
    saved = drafts.Draft(flow.name, index, row.run, flow.dump(draft), turn.prompt_message_id,
                         row.first_step)
    async with turn.transaction() as session:
        await drafts.save_draft(session, turn.user_id, saved, now=turn.now)


async def _retire(turn: Turn, row: drafts.Draft) -> None:
    if row.prompt_message_id is not None:
        await turn.retire_prompt(row.prompt_message_id)
