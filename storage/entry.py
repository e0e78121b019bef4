"""Entry data, end details and the personnummer of a participant (ESF+ reporting).

All optional, all set within the viewer's scope, all audited — the audit row names the
fields that changed, never their values (entry data and identity numbers are personal).
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.access import Viewer
from storage.errors import DomainError
from storage.errors import InvalidValue
from storage.models import EducationLevel
from storage.models import EntryEmployment
from storage.models import Participant
from storage.models import SensitiveAnswer
from storage.models import SfiLevel
from storage.models import SubsidyType
from storage.participants import visible_participant
from storage.personnummer import InvalidToken
from storage.personnummer import Personnummer
from storage.personnummer import PersonnummerCipher

ENTRY_FIELDS: dict[str, type] = {
    "entry_employment": EntryEmployment,
    "birth_year": int,
    "education_level": EducationLevel,
    "third_country_national": bool,
    "sfi_level": SfiLevel,
    "income_support": bool,
    "registered_af": bool,
    "establishment_programme": bool,
    "subsidy_type": SubsidyType,
    "gained_qualification": bool,
    "protected_identity": bool,
    "disability": SensitiveAnswer,
    "foreign_background": SensitiveAnswer,
}
"""Field → type of what `set_details` accepts (None clears a field, except the flag)."""
SENSITIVE_FIELDS = frozenset({"disability", "foreign_background"})
"""Recorded only when the project allows it, and only by the participant's own coordinator:
nobody else sees them one by one (reports count them)."""
OLDEST_BIRTH_YEAR = 1900


class PersonnummerNotConfigured(DomainError):
    """PERSONNUMMER_KEY is empty: numbers cannot be stored (or read)."""

    code = "personnummer_not_configured"


def _check(field: str, value: Any, today: date) -> Any:
    kind = ENTRY_FIELDS.get(field)
    if kind is None:
        raise InvalidValue(field=field)
    if value is None:
        if field == "protected_identity":
            raise InvalidValue(field=field)
        return None
    if kind is bool:
        if not isinstance(value, bool):
            raise InvalidValue(field=field)
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or not (
                OLDEST_BIRTH_YEAR <= value <= today.year):
            raise InvalidValue(field="birth_year")
        return value
    assert issubclass(kind, StrEnum)
    try:
        return kind(value)
    except ValueError:
        raise InvalidValue(field=field) from None


async def set_details(
    session: AsyncSession, viewer: Viewer, code: str, changes: dict[str, Any], *,
    today: date, now: datetime, sensitive_allowed: bool = False,
) -> Participant:
    """Set entry data and end details (`ENTRY_FIELDS`); ended participants too.

    `SENSITIVE_FIELDS` need `sensitive_allowed` (the project's setting) and the viewer to be
    the participant's own coordinator.
    """
    participant = await visible_participant(session, viewer, code)
    checked = {field: _check(field, value, today) for field, value in changes.items()}
    if not checked:
        raise InvalidValue()
    if SENSITIVE_FIELDS & checked.keys():
        if not sensitive_allowed:
            raise InvalidValue(field="sensitive_off")
        if not sees_sensitive(viewer, participant):
            raise InvalidValue(field="sensitive_owner")
    for field, value in checked.items():
        setattr(participant, field, value)
    participant.updated_at = now
    session.add(participant)
    audit.record(session, actor_staff_id=viewer.staff_id, action="participant.details",
                 target=participant.code, at=now, fields=sorted(checked))
    return participant


def sees_sensitive(viewer: Viewer, participant: Participant) -> bool:
    """Only the participant's own coordinator sees (and records) the sensitive categories."""
    return viewer.staff_id == participant.coordinator_id


async def set_personnummer(
    session: AsyncSession, viewer: Viewer, code: str, number: Personnummer | None, *,
    cipher: PersonnummerCipher | None, now: datetime,
) -> Participant:
    """Store `number` encrypted (None removes it); the audit row says only set/removed."""
    if cipher is None and number is not None:
        raise PersonnummerNotConfigured()
    participant = await visible_participant(session, viewer, code)
    participant.personnummer_encrypted = (cipher.encrypt(number)
                                          if cipher is not None and number is not None else None)
    participant.updated_at = now
    session.add(participant)
    audit.record(session, actor_staff_id=viewer.staff_id, action="participant.personnummer",
                 target=participant.code, at=now, stored=number is not None)
    return participant


def stored_personnummer(participant: Participant,
                        cipher: PersonnummerCipher | None) -> Personnummer | None:
    """The participant's number decrypted, or None (none stored, no key, or a wrong key)."""
    return decrypt_token(participant.personnummer_encrypted, cipher)


def decrypt_token(token: str | None, cipher: PersonnummerCipher | None) -> Personnummer | None:
    if token is None or cipher is None:
        return None
    try:
        return cipher.decrypt(token)
    except (InvalidToken, ValueError):
        return None


def age_band(birth_year: int | None, on: date) -> str | None:
    """ESF+ age band by year of birth: `<18`, `18-29`, `30-54`, `55+` (None if unknown)."""
    if birth_year is None:
        return None
    age = on.year - birth_year
    if age < 18:
        return "<18"
    if age < 30:
        return "18-29"
    if age < 55:
        return "30-54"
    return "55+"
