"""/entry and /pnr: the participant's entry data, end details and personnummer (ESF+).

Guided: the card's "Entry data" button (or `/entry P-0042`) lists every field with its
value; a tap on a field offers its values as buttons (the birth year is typed), and each
tap saves at once. One-liners: `/entry P-0042 employment:unemployed born:1990
education:3-4 tcn:yes sfi:C income_support:no af:yes` (any subset, `-` clears a field;
end details `subsidy:` and `qualification:`, `protected:yes` for a protected identity) and
`/pnr P-0042 199001011239` (`/pnr P-0042 -` removes it). The personnummer is never
repeated back: replies and the card show it masked, and the message that carried it is
deleted from the chat once it is read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import date
from typing import Annotated
from typing import Any
from typing import TypeVar

from telegram.error import TelegramError
from telegram.ext import Application

from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import Token
from bot.interaction.buttons import family
from bot.interaction.buttons import retire
from bot.text.funder_labels import EDUCATION_LABELS
from bot.text.funder_labels import EMPLOYMENT_LABELS
from bot.text.funder_labels import SENSITIVE_LABELS
from bot.text.funder_labels import SFI_LABELS
from bot.text.funder_labels import SUBSIDY_LABELS
from bot.text.funder_labels import NotUnderstood
from bot.text.funder_labels import parse_field
from bot.text.i18n import N_
from bot.text.i18n import Translator
from bot.text.render import Button
from bot.text.render import grid
from bot.text.render import keyboard
from handlers.kit.base import Turn
from handlers.kit.base import bind_button
from handlers.kit.base import expired
from handlers.kit.base import picked_participant
from handlers.kit.entry_data import EntryPick
from handlers.kit.entry_data import card_lines
from handlers.kit.entry_data import cipher_of
from handlers.kit.entry_data import shows_sensitive
from handlers.kit.flows import AskText
from handlers.kit.flows import Flow
from handlers.kit.flows import Invalid
from handlers.kit.flows import ParticipantDraft
from handlers.kit.flows import PickParticipant
from handlers.kit.flows import bind_flow
from handlers.kit.flows import bind_guided_command
from handlers.kit.flows import pick_participant_step
from handlers.kit.flows import start
from handlers.kit.routing import TextSlot
from handlers.kit.routing import bind_text_route
from storage import drafts
from storage import entry
from storage.models import Outcome
from storage.models import Participant
from storage.participants import visible_participant
from storage.participants import visible_participant_by_id
from storage.personnummer import InvalidPersonnummer
from storage.personnummer import Personnummer
from storage.personnummer import parse

log = logging.getLogger(__name__)
D = TypeVar("D")

_REMOVE_WORDS = {"-", "delete", "remove", "ta bort", "radera"}
_YEAR = re.compile(r"[0-9]{4}")
FIELD_KEY = Token(4)
"""A guided field's short key (`em`, `prot`, see GUIDED_FIELDS)."""
OPTION_CODE = Token(24)
"""A field value's code on a button (an enum value, `y`/`n`)."""


# ---- buttons ----------------------------------------------------------------------------


@family("ent:f", command="entry")
class EntryField(ButtonPayload):
    """A field tapped: its values."""

    participant_id: int
    key: Annotated[str, FIELD_KEY]


@family("ent:v", command="entry")
class EntryValue(ButtonPayload):
    """A value tapped (None: clear the field): saved at once."""

    participant_id: int
    key: Annotated[str, FIELD_KEY]
    code: Annotated[str, OPTION_CODE] | None


@family("ent:d", command="entry")
class EntryDone(ButtonPayload):
    participant_id: int


# The pickers and the typed steps these commands sent before the flow engine expire.
retire("ent:more", command="entry")
retire("pnr:p", "pnr:more", command="pnr")


# ---- /entry ------------------------------------------------------------------------------
async def entry_command(turn: Turn) -> None:
    tr = turn.tr
    if len(turn.args) == 1:
        async with turn.transaction() as session:
            participant = await visible_participant(session, turn.require_viewer(),
                                                    turn.args[0])
        await show_entry_menu(turn, participant)
        return
    changes: dict[str, object] = {}
    for word in turn.args[1:]:
        try:
            field, value = parse_field(word, today_year=turn.today.year)
        except NotUnderstood as error:
            await turn.reply(tr._("I don't understand “%(word)s”; nothing was saved.",
                                  word=error.word) + "\n\n" + usage_for(turn))
            return
        changes[field] = value
    async with turn.transaction() as session:
        participant = await entry.set_details(
            session, turn.require_viewer(), turn.args[0], changes, today=turn.today,
            now=turn.now, sensitive_allowed=turn.services.settings.sensitive_categories)
    lines = [tr._("✅ Saved for %(code)s.", code=tr.isolate(participant.code))]
    lines += card_lines(tr, participant, cipher_of(turn.services),
                        show_sensitive=shows_sensitive(turn, participant))
    await turn.reply("\n".join(lines))


@dataclass(frozen=True)
class EntryDraft:
    """/entry alone: whose entry data (then the menu, a card of its own)."""

    participant_id: int | None = None


async def menu_from_draft(turn: Turn, draft: EntryDraft) -> None:
    assert draft.participant_id is not None
    await show_entry_menu(turn, await picked_participant(turn, draft.participant_id),
                          edit=True)


ENTRY_FLOW = Flow(
    "entry", command="entry", draft=EntryDraft,
    steps=(PickParticipant(
        name="who", prompt=lambda tr, _d: tr._("Whose entry data? Tap a participant."),
        choose=lambda d, p: replace(d, participant_id=p.id)),),
    finish=menu_from_draft,
)


def usage_for(turn: Turn) -> str:
    if turn.services.settings.sensitive_categories:
        return entry_usage(turn.tr) + "\n" + sensitive_usage(turn.tr)
    return entry_usage(turn.tr)


def entry_usage(tr: Translator) -> str:
    return tr._(
        "Write: <code>/entry P-0042 employment:unemployed born:1990 education:3-4 tcn:yes "
        "sfi:C income_support:no af:yes</code> — any of the fields, in any order; "
        "<code>-</code> clears one.\n"
        "employment: unemployed, long_term_unemployed, inactive, employed · education: 0-2, "
        "3-4, 5-8, unknown · sfi: A, B, C, D, done, none · tcn (third-country national), "
        "income_support, af (registered at Arbetsförmedlingen), establishment "
        "(establishment programme): yes or no.\n"
        "On ending: subsidy: nystartsjobb, extratjanst, introduktionsjobb, lonebidrag, "
        "yrkesintroduktion, other · qualification: yes or no. "
        "Protected identity: protected:yes."
    )


def sensitive_usage(tr: Translator) -> str:
    return tr._("This project also records disability: and foreign_background: — yes, no or "
                "declined (declined to answer); only you, as the participant's coordinator, "
                "see them.")


# ---- /pnr --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PnrDraft(ParticipantDraft):
    """A guided /pnr: whose number, then the number typed. The number is only ever in the
    draft the last step hands to `finish`; the engine stores a draft between steps, never
    after the last one, so it never reaches the database in clear."""

    number: str = field(default="", repr=False)
    """The canonical digits, or "" to remove the number."""


def number_prompt(tr: Translator, draft: PnrDraft) -> str:
    return tr._("Write the personal identity number of %(code)s (YYYYMMDD-NNNN; coordination "
                "numbers too), or <code>-</code> to remove it. Your message is deleted once "
                "it is read.", code=tr.isolate(draft.code))


def read_number(turn: Turn, text: str) -> Personnummer | None:
    """The number typed, or None for "remove it"; Invalid (saying what is wrong, never
    repeating it) when it is not one."""
    if text.strip().lower() in _REMOVE_WORDS:
        return None
    try:
        return parse(text, today=turn.today)
    except InvalidPersonnummer as error:
        raise Invalid(invalid_text(turn.tr, error.reason)) from None


async def parse_number(turn: Turn, draft: PnrDraft, text: str) -> PnrDraft:
    # The number is personal: take it out of the chat history whatever happens next.
    await delete_typed_message(turn)
    number = read_number(turn, text)
    return replace(draft, number=number.digits if number else "")


async def pnr_from_draft(turn: Turn, draft: PnrDraft) -> None:
    number = parse(draft.number, today=turn.today) if draft.number else None
    await save_pnr(turn, draft.code, number)


PNR_FLOW = Flow(
    "pnr", command="pnr", draft=PnrDraft,
    steps=(
        pick_participant_step(
            lambda tr: tr._("Whose personal identity number? Tap a participant.")),
        AskText(name="number", prompt=number_prompt, parse=parse_number),
    ),
    finish=pnr_from_draft,
)


async def pnr_command(turn: Turn) -> None:
    # The number is personal: take it out of the chat history whatever happens next.
    await delete_typed_message(turn)
    if len(turn.args) == 1:
        async with turn.transaction() as session:
            participant = await visible_participant(session, turn.require_viewer(),
                                                    turn.args[0])
        await start(turn, PNR_FLOW, PnrDraft.for_participant(participant))
        return
    try:
        number = read_number(turn, " ".join(turn.args[1:]))
    except Invalid as refused:
        await turn.reply(refused.message)
        return
    await save_pnr(turn, turn.args[0], number)


async def save_pnr(turn: Turn, code: str, number: Personnummer | None) -> None:
    """Store `number` for `code`, or remove theirs (None); the reply shows it masked."""
    tr = turn.tr
    async with turn.transaction() as session:
        participant = await entry.set_personnummer(session, turn.require_viewer(), code,
                                                   number, cipher=cipher_of(turn.services),
                                                   now=turn.now)
    if number is None:
        text = tr._("✅ The personal identity number of %(code)s was removed.",
                    code=tr.isolate(participant.code))
    elif number.coordination:
        text = tr._("✅ Coordination number saved for %(code)s: %(masked)s (stored encrypted).",
                    code=tr.isolate(participant.code), masked=tr.isolate(number.masked))
    else:
        text = tr._("✅ Personal identity number saved for %(code)s: %(masked)s "
                    "(stored encrypted).", code=tr.isolate(participant.code),
                    masked=tr.isolate(number.masked))
    await turn.edit(text)


async def delete_typed_message(turn: Turn) -> None:
    """Take a message that carried a personal identity number out of the chat."""
    message = turn.update.effective_message
    if message is None:
        return
    try:
        await message.delete()
    except TelegramError as exc:  # e.g. older than 48 hours; the reply never repeats it
        log.info("could not delete a /pnr message for user %s: %s", turn.user_id, exc)


def is_personnummer(text: str, today: date) -> bool:
    try:
        parse(text, today=today)
    except InvalidPersonnummer:
        return False
    return True


async def stray_personnummer(turn: Turn) -> None:
    """A valid number typed outside /pnr (its step expired, say): deleted, not answered."""
    await delete_typed_message(turn)
    await turn.reply(turn.tr._("That looks like a personal identity number, so I deleted "
                               "your message. To store one, use /pnr."))


def invalid_text(tr: Translator, reason: str) -> str:
    texts = {
        "format": tr._("That is not a personal identity number: write 10 or 12 digits, "
                       "e.g. YYYYMMDD-NNNN. Nothing was saved."),
        "date": tr._("That number has no valid date of birth. Nothing was saved."),
        "checksum": tr._("The check digit of that number is wrong (a typo?). "
                         "Nothing was saved."),
    }
    return texts.get(reason, texts["format"])


# ---- the guided flow: field menu → values as buttons → saved at once ---------------------
@dataclass(frozen=True, slots=True)
class GuidedField:
    key: str
    """Short name on the buttons (`EntryField.key`, at most 4 characters)."""
    field: str
    label: str
    options: tuple[tuple[str, object, str], ...] = ()
    """(code on the button, stored value, label msgid); empty = typed (birth year)."""
    clearable: bool = True

    def value_of(self, participant: Participant) -> object:
        return getattr(participant, self.field)


_YES_NO = (("y", True, N_("yes")), ("n", False, N_("no")))


def _enum_options(labels: dict[Any, str]) -> tuple[tuple[str, object, str], ...]:
    return tuple((value.value, value, label) for value, label in labels.items())


GUIDED_FIELDS: tuple[GuidedField, ...] = (
    GuidedField("em", "entry_employment", N_("Employment status"),
                _enum_options(EMPLOYMENT_LABELS)),
    GuidedField("by", "birth_year", N_("Birth year")),
    GuidedField("ed", "education_level", N_("Education"), _enum_options(EDUCATION_LABELS)),
    GuidedField("sfi", "sfi_level", N_("SFI level"), _enum_options(SFI_LABELS)),
    GuidedField("tcn", "third_country_national", N_("Third-country national"), _YES_NO),
    GuidedField("inc", "income_support", N_("Income support"), _YES_NO),
    GuidedField("af", "registered_af", N_("Registered at AF"), _YES_NO),
    GuidedField("est", "establishment_programme", N_("Establishment programme"), _YES_NO),
    GuidedField("dis", "disability", N_("Disability"), _enum_options(SENSITIVE_LABELS)),
    GuidedField("fb", "foreign_background", N_("Foreign background"),
                _enum_options(SENSITIVE_LABELS)),
    GuidedField("sub", "subsidy_type", N_("Kind of subsidised job"),
                _enum_options(SUBSIDY_LABELS)),
    GuidedField("q", "gained_qualification", N_("Gained a qualification"), _YES_NO),
    GuidedField("prot", "protected_identity", N_("Protected identity"), _YES_NO,
                clearable=False),
)
_BY_KEY = {guided.key: guided for guided in GUIDED_FIELDS}


def offered_fields(turn: Turn, participant: Participant) -> list[GuidedField]:
    """The fields that apply: sensitive ones per `shows_sensitive`, end details once ended."""
    offered = []
    for guided in GUIDED_FIELDS:
        if guided.field in entry.SENSITIVE_FIELDS and not shows_sensitive(turn, participant):
            continue
        if guided.field == "gained_qualification" and not participant.is_ended:
            continue
        if guided.field == "subsidy_type" and participant.outcome != Outcome.SUBSIDISED:
            continue
        offered.append(guided)
    return offered


def shown_value(tr: Translator, guided: GuidedField, participant: Participant) -> str:
    value = guided.value_of(participant)
    if value is None:
        return "–"
    for _code, option, label in guided.options:
        if option == value:
            return tr._(label)
    return str(value)


async def show_entry_menu(turn: Turn, participant: Participant, *, saved: bool = False,
                          edit: bool = False) -> None:
    tr = turn.tr
    fields = offered_fields(turn, participant)
    lines = [tr._("✅ Saved.")] if saved else []
    lines.append(tr._("<b>Entry data for %(code)s</b> — tap a field to set it; each tap is "
                      "saved at once.", code=tr.isolate(participant.code)))
    lines += [tr._("%(field)s: %(value)s", field=tr._(guided.label),
                   value=shown_value(tr, guided, participant)) for guided in fields]
    buttons: list[Button] = [(tr._(guided.label), EntryField(participant.id, guided.key).encode())
                             for guided in fields]
    rows = [*grid(buttons, 2), [(tr._("Done"), EntryDone(participant.id).encode())]]
    text = "\n".join(lines)
    await turn.respond(text, keyboard(rows), edit=edit)


async def entry_participant(turn: Turn, participant_id: int) -> Participant:
    """The participant a menu tap names; any tap on the menu leaves its typed step, so the
    next text is not taken for a birth year."""
    async with turn.transaction() as session:
        current = await drafts.current_draft(session, turn.user_id, now=turn.now)
        if current is not None and current.flow == TYPED_FIELD_FLOW.name:
            await drafts.end_draft(session, turn.user_id)
        return await visible_participant_by_id(session, turn.require_viewer(), participant_id)


def offered_field(turn: Turn, participant: Participant, key: str) -> GuidedField | None:
    guided = _BY_KEY.get(key)
    return guided if guided is not None and guided in offered_fields(turn, participant) else None


async def entry_picked(turn: Turn, payload: EntryPick) -> None:
    await show_entry_menu(turn, await entry_participant(turn, payload.participant_id),
                          edit=True)


async def entry_done(turn: Turn, payload: EntryDone) -> None:
    tr = turn.tr
    participant = await entry_participant(turn, payload.participant_id)
    lines = [tr._("✅ Entry data of %(code)s is up to date.", code=tr.isolate(participant.code))]
    lines += card_lines(tr, participant, cipher_of(turn.services),
                        show_sensitive=shows_sensitive(turn, participant))
    await turn.edit("\n".join(lines))


async def field_picked(turn: Turn, payload: EntryField) -> None:
    participant = await entry_participant(turn, payload.participant_id)
    guided = offered_field(turn, participant, payload.key)
    if guided is None:
        await expired(turn, "entry")
        return
    await ask_field(turn, participant, guided)


async def value_picked(turn: Turn, payload: EntryValue) -> None:
    participant = await entry_participant(turn, payload.participant_id)
    guided = offered_field(turn, participant, payload.key)
    value = _option_value(guided, payload.code) if guided is not None else _INVALID
    if guided is None or value is _INVALID:
        await expired(turn, "entry")
        return
    await save_field(turn, participant.code, guided, value, edit=True)


_INVALID = object()


def _option_value(guided: GuidedField, code: str | None) -> object:
    if code is None:
        return None if guided.clearable else _INVALID
    return next((value for option, value, _label in guided.options if option == code),
                _INVALID)


async def ask_field(turn: Turn, participant: Participant, guided: GuidedField) -> None:
    if not guided.options:  # typed: the birth year
        await start(turn, TYPED_FIELD_FLOW,
                    TypedFieldDraft(participant.id or 0, participant.code, guided.key))
        return
    tr = turn.tr
    back = (tr._("Back"), EntryPick(participant.id).encode())
    clear = (tr._("Clear"), EntryValue(participant.id, guided.key, None).encode())
    buttons: list[Button] = [(tr._(label), EntryValue(participant.id, guided.key, code).encode())
                             for code, _value, label in guided.options]
    last_row = [clear, back] if guided.clearable else [back]
    note = sensitive_note(tr) if guided.field in entry.SENSITIVE_FIELDS else ""
    await turn.edit(tr._("%(field)s for %(code)s?", field=tr._(guided.label),
                         code=tr.isolate(participant.code)) + note,
                    keyboard([*grid(buttons, 2), last_row]))


def sensitive_note(tr: Translator) -> str:
    return "\n" + tr._("Ask only if the participant wants to answer; “declined to answer” is "
                       "always fine. Only you see the answer; reports count it.")


async def save_field(turn: Turn, code: str, guided: GuidedField, value: object, *,
                     edit: bool) -> None:
    async with turn.transaction() as session:
        participant = await entry.set_details(
            session, turn.require_viewer(), code, {guided.field: value}, today=turn.today,
            now=turn.now, sensitive_allowed=turn.services.settings.sensitive_categories)
    await show_entry_menu(turn, participant, saved=True, edit=edit)


# ---- the menu's typed field (the birth year): a one-step flow --------------------------------
MENU = "menu"


@dataclass(frozen=True)
class TypedFieldDraft:
    """A typed field of the entry menu: whose, which field, and what was typed."""

    participant_id: int
    code: str
    key: str
    value: int | None = None
    to_menu: bool = False
    """« Back: nothing saved, the menu again."""


@dataclass(frozen=True, kw_only=True)
class AskFromMenu(AskText[D]):
    """AskText opened from a menu, with « Back to it: the engine's « Back goes to an earlier
    step, and this flow has only one. `back(draft)` is the draft that says so."""

    back: Callable[[D], D]

    async def buttons(self, turn: Turn, draft: D, page: int) -> tuple[list[list[Button]], bool]:
        own, _more = await super().buttons(turn, draft, page)
        return [[*(own[0] if own else []), (turn.tr._("« Back"), MENU)]], False

    async def tapped(self, turn: Turn, draft: D, value: str) -> D:
        return self.back(draft) if value == MENU else await super().tapped(turn, draft, value)


def parse_year(turn: Turn, draft: TypedFieldDraft, text: str) -> TypedFieldDraft:
    word = text.strip()
    # ASCII digits only: `int("¹⁹⁹⁰")` would raise (PITFALLS.md).
    if not (_YEAR.fullmatch(word) and entry.OLDEST_BIRTH_YEAR <= int(word) <= turn.today.year):
        raise Invalid(turn.tr._("Write a year between %(first)s and %(last)s, e.g. 1990, or "
                                "/cancel.", first=entry.OLDEST_BIRTH_YEAR,
                                last=turn.today.year))
    return replace(draft, value=int(word))


async def typed_field_from_draft(turn: Turn, draft: TypedFieldDraft) -> None:
    if draft.to_menu:
        await show_entry_menu(turn, await picked_participant(turn, draft.participant_id),
                              edit=True)
        return
    await save_field(turn, draft.code, _BY_KEY[draft.key], draft.value, edit=True)


TYPED_FIELD_FLOW = Flow(
    "year", command="entry", draft=TypedFieldDraft,
    steps=(AskFromMenu(
        name="year", prompt=lambda tr, d: tr._("Write the birth year of %(code)s, e.g. 1990.",
                                               code=tr.isolate(d.code)),
        parse=parse_year, skip=(N_("Clear"), lambda d: replace(d, value=None)),
        back=lambda d: replace(d, to_menu=True)),),
    finish=typed_field_from_draft,
)


async def personnummer_text(turn: Turn, text: str) -> bool:
    if turn.staff is None or not is_personnummer(text, turn.today):
        return False
    await stray_personnummer(turn)
    return True


def register(app: Application) -> None:
    bind_text_route(app, TextSlot.PERSONNUMMER, personnummer_text)
    bind_guided_command(app, ENTRY_FLOW, entry_command)
    bind_button(app, EntryPick, entry_picked)
    bind_button(app, EntryField, field_picked)
    bind_button(app, EntryValue, value_picked)
    bind_button(app, EntryDone, entry_done)
    bind_flow(app, TYPED_FIELD_FLOW)
    # Alone, guided: pick, then type the number (deleted like the one-liner).
    bind_guided_command(app, PNR_FLOW, pnr_command)
