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
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from telegram.error import TelegramError
from telegram.ext import Application

from bot.interaction.buttons import ButtonPayload, Token, family
from bot.text.funder_labels import (
    EDUCATION_LABELS,
    EMPLOYMENT_LABELS,
    SENSITIVE_LABELS,
    SFI_LABELS,
    SUBSIDY_LABELS,
    NotUnderstood,
    parse_field,
)
from bot.text.i18n import N_, Translator
from bot.text.render import Button, grid, keyboard
from handlers.kit.base import (
    CancelFlow,
    Turn,
    ask_to_pick,
    bind_button,
    bind_command,
    bind_text_step,
    expired,
    picked_participant,
)
from handlers.kit.entry_data import EntryPick, card_lines, cipher_of, shows_sensitive
from storage import entry
from storage.models import Outcome, Participant
from storage.participants import visible_participant
from storage.personnummer import InvalidPersonnummer, parse

log = logging.getLogger(__name__)

_REMOVE_WORDS = {"-", "delete", "remove", "ta bort", "radera"}
_YEAR = re.compile(r"[0-9]{4}")
FIELD_KEY = Token(4)
"""A guided field's short key (`em`, `prot`, see GUIDED_FIELDS)."""
OPTION_CODE = Token(24)
"""A field value's code on a button (an enum value, `y`/`n`)."""


# ---- buttons ----------------------------------------------------------------------------
@family("ent:more", command="entry")
class EntryMore(ButtonPayload):
    page: int


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


@family("pnr:p", command="pnr")
class PnrPick(ButtonPayload):
    """A participant picked: their number is typed next."""

    participant_id: int


@family("pnr:more", command="pnr")
class PnrMore(ButtonPayload):
    page: int


# ---- /entry ------------------------------------------------------------------------------
async def entry_command(turn: Turn) -> None:
    tr = turn.tr
    if not turn.args:
        await pick_for_entry(turn, 0, edit=False)
        return
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


async def pick_for_entry(turn: Turn, page: int, *, edit: bool) -> None:
    await ask_to_pick(turn, turn.tr._("Whose entry data? Tap a participant."),
                      lambda p: EntryPick(p.id), page=page, more=EntryMore, edit=edit)


async def entry_more(turn: Turn, payload: EntryMore) -> None:
    await pick_for_entry(turn, payload.page, edit=True)


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
async def pnr_command(turn: Turn) -> None:
    if not turn.args:  # guided: pick, then type the number (deleted like the one-liner)
        await pick_for_pnr(turn, 0, edit=False)
        return
    # The number is personal: take it out of the chat history whatever happens next.
    await delete_typed_message(turn)
    if len(turn.args) == 1:
        async with turn.transaction() as session:
            participant = await visible_participant(session, turn.require_viewer(),
                                                    turn.args[0])
        await ask_for_number(turn, participant, edit=False)
        return
    await save_pnr(turn, turn.args[0], " ".join(turn.args[1:]))


async def pick_for_pnr(turn: Turn, page: int, *, edit: bool) -> None:
    await ask_to_pick(turn, turn.tr._("Whose personal identity number? Tap a participant."),
                      lambda p: PnrPick(p.id), page=page, more=PnrMore, edit=edit)


async def pnr_more(turn: Turn, payload: PnrMore) -> None:
    await pick_for_pnr(turn, payload.page, edit=True)


async def save_pnr(turn: Turn, code: str, text: str) -> bool:
    """Store (or with `-` remove) the number typed for `code`; False when it is invalid."""
    tr = turn.tr
    cipher = cipher_of(turn.services)
    if text.strip().lower() in _REMOVE_WORDS:
        async with turn.transaction() as session:
            participant = await entry.set_personnummer(session, turn.require_viewer(), code, None,
                                                       cipher=cipher, now=turn.now)
        await turn.reply(tr._("✅ The personal identity number of %(code)s was removed.",
                              code=tr.isolate(participant.code)))
        return True
    try:
        number = parse(text, today=turn.today)
    except InvalidPersonnummer as error:
        await turn.reply(invalid_text(tr, error.reason))
        return False
    async with turn.transaction() as session:
        participant = await entry.set_personnummer(session, turn.require_viewer(), code, number,
                                                   cipher=cipher, now=turn.now)
    if number.coordination:
        text = tr._("✅ Coordination number saved for %(code)s: %(masked)s (stored encrypted).",
                    code=tr.isolate(participant.code), masked=tr.isolate(number.masked))
    else:
        text = tr._("✅ Personal identity number saved for %(code)s: %(masked)s "
                    "(stored encrypted).", code=tr.isolate(participant.code),
                    masked=tr.isolate(number.masked))
    await turn.reply(text)
    return True


async def ask_for_number(turn: Turn, participant: Participant, *, edit: bool) -> None:
    tr = turn.tr
    turn.start_flow("pnr", "number", pid=participant.id)
    text = tr._("Write the personal identity number of %(code)s (YYYYMMDD-NNNN; coordination "
                "numbers too), or <code>-</code> to remove it. Your message is deleted once "
                "it is read.", code=tr.isolate(participant.code))
    cancel = keyboard([[(tr._("Cancel"), CancelFlow().encode())]])
    await (turn.edit(text, cancel) if edit else turn.reply(text, cancel))


async def pnr_picked(turn: Turn, payload: PnrPick) -> None:
    await ask_for_number(turn, await picked_participant(turn, payload.participant_id),
                         edit=True)


async def pnr_text_step(turn: Turn, state: dict[str, Any], text: str) -> None:
    await delete_typed_message(turn)
    participant = await picked_participant(turn, int(state["pid"]))
    if await save_pnr(turn, participant.code, text):
        turn.end_flow()


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
    await (turn.edit(text, keyboard(rows)) if edit else turn.reply(text, keyboard(rows)))


async def entry_participant(turn: Turn, participant_id: int) -> Participant:
    """The participant a tap names; any tap leaves the typed birth-year step."""
    if turn.flow("entry") is not None:
        turn.end_flow()
    return await picked_participant(turn, participant_id)


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
    tr = turn.tr
    back = (tr._("Back"), EntryPick(participant.id).encode())
    clear = (tr._("Clear"), EntryValue(participant.id, guided.key, None).encode())
    if not guided.options:  # typed: the birth year
        turn.start_flow("entry", "year", pid=participant.id)
        await turn.edit(tr._("Write the birth year of %(code)s, e.g. 1990.",
                             code=tr.isolate(participant.code)),
                        keyboard([[clear, back]]))
        return
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


async def entry_text_step(turn: Turn, state: dict[str, Any], text: str) -> None:
    tr = turn.tr
    word = text.strip()
    # ASCII digits only: `int("¹⁹⁹⁰")` would raise (PITFALLS.md).
    if not (_YEAR.fullmatch(word) and entry.OLDEST_BIRTH_YEAR <= int(word) <= turn.today.year):
        await turn.reply(tr._("Write a year between %(first)s and %(last)s, e.g. 1990, or "
                              "/cancel.", first=entry.OLDEST_BIRTH_YEAR, last=turn.today.year))
        return
    turn.end_flow()
    participant = await picked_participant(turn, int(state["pid"]))
    await save_field(turn, participant.code, _BY_KEY["by"], int(word), edit=False)


def register(app: Application) -> None:
    bind_command(app, "entry", entry_command)
    bind_button(app, EntryPick, entry_picked)
    bind_button(app, EntryMore, entry_more)
    bind_button(app, EntryField, field_picked)
    bind_button(app, EntryValue, value_picked)
    bind_button(app, EntryDone, entry_done)
    bind_text_step(app, "entry", entry_text_step)
    bind_command(app, "pnr", pnr_command)
    bind_button(app, PnrPick, pnr_picked)
    bind_button(app, PnrMore, pnr_more)
    bind_text_step(app, "pnr", pnr_text_step)
