"""A participant's entry data as the card shows it, and the card's "Entry data" button.

Shared by the participant card (handlers/participants.py) and /entry (handlers/entry.py),
so neither imports the other: the entry, end-detail and personnummer lines
(`card_lines`), who sees the sensitive categories (`shows_sensitive`), the personnummer
key (`cipher_of`), and the `EntryPick` family (prefix and fields unchanged) that opens
/entry's field menu, bound by handlers/entry.py.
"""

from __future__ import annotations

from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import family
from bot.runtime.services import Services
from bot.text.funder_labels import EDUCATION_LABELS
from bot.text.funder_labels import EMPLOYMENT_LABELS
from bot.text.funder_labels import SENSITIVE_LABELS
from bot.text.funder_labels import SFI_LABELS
from bot.text.funder_labels import SUBSIDY_LABELS
from bot.text.i18n import N_
from bot.text.i18n import Translator
from handlers.kit.base import Turn
from storage import entry
from storage.models import EducationLevel
from storage.models import EntryEmployment
from storage.models import Outcome
from storage.models import Participant
from storage.models import SensitiveAnswer
from storage.models import SfiLevel
from storage.models import SubsidyType
from storage.personnummer import PersonnummerCipher


@family("ent:p", command="entry")
class EntryPick(ButtonPayload):
    """A participant picked (or the card's "Entry data"): the field menu."""

    participant_id: int


def cipher_of(services: Services) -> PersonnummerCipher | None:
    return PersonnummerCipher.from_setting(services.settings.personnummer_key)


def shows_sensitive(turn: Turn, participant: Participant) -> bool:
    """Disability and foreign background: only where the project records them, and only
    to the participant's own coordinator."""
    return (turn.services.settings.sensitive_categories and turn.viewer is not None
            and entry.sees_sensitive(turn.viewer, participant))


def _yes_no(tr: Translator, value: bool | None) -> str:
    if value is None:
        return "–"
    return tr._("yes") if value else tr._("no")


def card_lines(tr: Translator, participant: Participant, cipher: PersonnummerCipher | None,
               *, show_sensitive: bool = False) -> list[str]:
    """Entry data, end details and the masked personnummer, for the participant card;
    the sensitive categories only with `show_sensitive` (see `shows_sensitive`)."""
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
    if show_sensitive:
        sensitive = (
            (participant.disability, N_("disability: %(value)s")),
            (participant.foreign_background, N_("foreign background: %(value)s")),
        )
        parts += [tr._(msgid, value=tr._(SENSITIVE_LABELS[SensitiveAnswer(value)]))
                  for value, msgid in sensitive if value is not None]
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
