"""/entry and /pnr: the participant's entry data, end details and personnummer (ESF+).

One-liners: `/entry P-0042 employment:unemployed born:1990 education:3-4 tcn:yes sfi:C
income_support:no af:yes` (any subset, `-` clears a field; end details `subsidy:` and
`qualification:`, and `protected:yes` for a protected identity) and
`/pnr P-0042 199001011239` (`/pnr P-0042 -` removes it). The personnummer is never
repeated back: replies and the card show it masked, and the message that carried it is
deleted from the chat once it is read.
"""

from __future__ import annotations

import logging

from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler

from bot.funder_labels import (
    EDUCATION_LABELS,
    EMPLOYMENT_LABELS,
    SFI_LABELS,
    SUBSIDY_LABELS,
    NotUnderstood,
    parse_field,
)
from bot.i18n import N_, Translator
from bot.runtime import Services
from handlers.base import Turn, staff_only
from storage import entry
from storage.access import Action
from storage.models import (
    EducationLevel,
    EntryEmployment,
    Outcome,
    Participant,
    SfiLevel,
    SubsidyType,
)
from storage.personnummer import InvalidPersonnummer, PersonnummerCipher, parse

log = logging.getLogger(__name__)

_REMOVE_WORDS = {"-", "delete", "remove", "ta bort", "radera"}


def cipher_of(services: Services) -> PersonnummerCipher | None:
    return PersonnummerCipher.from_setting(services.settings.personnummer_key)


# ---- /entry ------------------------------------------------------------------------------
@staff_only(Action.EDIT_ENTRY_DATA)
async def entry_command(turn: Turn) -> None:
    tr = turn.tr
    if len(turn.args) < 2:
        await turn.reply(entry_usage(tr))
        return
    changes: dict[str, object] = {}
    for word in turn.args[1:]:
        try:
            field, value = parse_field(word, today_year=turn.today.year)
        except NotUnderstood as error:
            await turn.reply(tr._("I don't understand “%(word)s”; nothing was saved.",
                                  word=error.word) + "\n\n" + entry_usage(tr))
            return
        changes[field] = value
    async with turn.transaction() as session:
        participant = await entry.set_details(session, turn.require_viewer(), turn.args[0],
                                              changes, today=turn.today, now=turn.now)
    lines = [tr._("✅ Saved for %(code)s.", code=tr.isolate(participant.code))]
    lines += card_lines(tr, participant, cipher_of(turn.services))
    await turn.reply("\n".join(lines))


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


# ---- /pnr --------------------------------------------------------------------------------
@staff_only(Action.SET_PERSONNUMMER)
async def pnr_command(turn: Turn) -> None:
    tr = turn.tr
    if len(turn.args) < 2:
        await turn.reply(pnr_usage(tr))
        return
    # The number is personal: take it out of the chat history whatever happens next.
    await _delete_command_message(turn)
    code, text = turn.args[0], " ".join(turn.args[1:])
    cipher = cipher_of(turn.services)
    if text.strip().lower() in _REMOVE_WORDS:
        async with turn.transaction() as session:
            participant = await entry.set_personnummer(session, turn.require_viewer(), code, None,
                                                       cipher=cipher, now=turn.now)
        await turn.reply(tr._("✅ The personal identity number of %(code)s was removed.",
                              code=tr.isolate(participant.code)))
        return
    try:
        number = parse(text, today=turn.today)
    except InvalidPersonnummer as error:
        await turn.reply(invalid_text(tr, error.reason))
        return
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


async def _delete_command_message(turn: Turn) -> None:
    message = turn.update.effective_message
    if message is None:
        return
    try:
        await message.delete()
    except TelegramError as exc:  # e.g. older than 48 hours; the reply never repeats it
        log.info("could not delete a /pnr message for user %s: %s", turn.user_id, exc)


def invalid_text(tr: Translator, reason: str) -> str:
    texts = {
        "format": tr._("That is not a personal identity number: write 10 or 12 digits, "
                       "e.g. YYYYMMDD-NNNN. Nothing was saved."),
        "date": tr._("That number has no valid date of birth. Nothing was saved."),
        "checksum": tr._("The check digit of that number is wrong (a typo?). "
                         "Nothing was saved."),
    }
    return texts.get(reason, texts["format"])


def pnr_usage(tr: Translator) -> str:
    return tr._(
        "Write: <code>/pnr P-0042 YYYYMMDD-NNNN</code> (10 or 12 digits; coordination numbers "
        "too). It is stored encrypted, shown masked, and your message is deleted from the "
        "chat. <code>/pnr P-0042 -</code> removes it."
    )


# ---- the card's lines --------------------------------------------------------------------
def _yes_no(tr: Translator, value: bool | None) -> str:
    if value is None:
        return "–"
    return tr._("yes") if value else tr._("no")


def card_lines(tr: Translator, participant: Participant,
               cipher: PersonnummerCipher | None) -> list[str]:
    """Entry data, end details and the masked personnummer, for the participant card."""
    lines: list[str] = []
    parts: list[str] = []
    if participant.entry_employment:
        parts.append(tr._(EMPLOYMENT_LABELS[EntryEmployment(participant.entry_employment)]))
    if participant.birth_year:
        parts.append(tr._("born %(year)s", year=participant.birth_year))
    if participant.education_level:
        parts.append(tr._(EDUCATION_LABELS[EducationLevel(participant.education_level)]))
    if participant.sfi_level:
        parts.append(tr._(SFI_LABELS[SfiLevel(participant.sfi_level)]))
    flags = (
        (participant.third_country_national, N_("third-country national: %(value)s")),
        (participant.income_support, N_("income support: %(value)s")),
        (participant.registered_af, N_("registered at AF: %(value)s")),
        (participant.establishment_programme, N_("establishment programme: %(value)s")),
    )
    parts += [tr._(msgid, value=_yes_no(tr, value)) for value, msgid in flags
              if value is not None]
    if parts:
        lines.append(tr._("On entry: %(details)s", details=" · ".join(parts)))
    ending: list[str] = []
    if participant.subsidy_type and participant.outcome == Outcome.SUBSIDISED:
        ending.append(tr._(SUBSIDY_LABELS[SubsidyType(participant.subsidy_type)]))
    if participant.gained_qualification is not None:
        ending.append(tr._("gained a qualification: %(value)s",
                           value=_yes_no(tr, participant.gained_qualification)))
    if ending:
        lines.append(tr._("On ending: %(details)s", details=" · ".join(ending)))
    if participant.personnummer_encrypted:
        number = entry.stored_personnummer(participant, cipher)
        masked = number.masked if number else tr._("stored, key missing")
        lines.append(tr._("Personal identity number: %(masked)s", masked=tr.isolate(masked)))
    if participant.protected_identity:
        lines.append(tr._("🔒 Protected identity: left out of every export"))
    return lines


def register(app: Application) -> None:
    app.add_handler(CommandHandler(["entry", "inskrivning"], entry_command))
    app.add_handler(CommandHandler(["pnr", "personnummer"], pnr_command))
