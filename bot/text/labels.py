"""Human names for stored codes, and the words people type for them.

Labels are msgids (translated where the reader is known). Input words are matched
case- and accent-insensitively in Swedish and English, so `/log P-1 telefon …` and
`/log P-1 phone …` mean the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TypeVar

from rapidfuzz import fuzz
from rapidfuzz import process

from bot.text.i18n import N_
from bot.text.words import unaccented
from storage.models import Channel
from storage.models import FollowUpKind
from storage.models import Gender
from storage.models import Outcome
from storage.models import Role
from storage.models import Status

E = TypeVar("E", bound=StrEnum)

STATUS_LABELS: dict[Status, str] = {
    Status.ACTIVE: N_("active"),
    Status.INTERNSHIP: N_("internship"),
    Status.SUBSIDISED_EMPLOYMENT: N_("subsidised employment"),
    Status.EMPLOYED: N_("employed"),
    Status.STUDIES: N_("studies"),
    Status.PAUSED: N_("paused"),
    Status.ENDED: N_("ended"),
}

OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.EMPLOYED: N_("employed"),
    Outcome.SELF_EMPLOYED: N_("self-employed"),
    Outcome.SUBSIDISED: N_("subsidised employment"),
    Outcome.STUDIES: N_("studies (CSN)"),
    Outcome.OTHER_EDUCATION: N_("other education"),
    Outcome.LABOUR_MARKET_PROGRAMME: N_("labour-market programme"),
    Outcome.JOB_SEEKING: N_("job seeking"),
    Outcome.OTHER: N_("other"),
    Outcome.PARENTAL_LEAVE: N_("parental leave"),
    Outcome.MOVED: N_("moved"),
    Outcome.ILLNESS: N_("illness"),
    Outcome.DROPOUT_OTHER: N_("dropped out, other reason"),
    Outcome.UNKNOWN: N_("unknown"),
}

CHANNEL_LABELS: dict[Channel, str] = {
    Channel.MEETING: N_("meeting"),
    Channel.PHONE: N_("phone"),
    Channel.MESSAGE: N_("message"),
    Channel.VISIT: N_("visit"),
}

GENDER_LABELS: dict[Gender, str] = {
    Gender.WOMAN: N_("woman"),
    Gender.MAN: N_("man"),
    Gender.OTHER: N_("other"),
    Gender.UNSPECIFIED: N_("not stated"),
}

ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: N_("admin"),
    Role.LEAD: N_("project lead"),
    Role.COORDINATOR: N_("coordinator"),
}

# Words people type, in Swedish and English (folded: lower case, no accents).
_WORDS: dict[type[StrEnum], dict[str, StrEnum]] = {
    Status: {
        "active": Status.ACTIVE, "aktiv": Status.ACTIVE,
        "internship": Status.INTERNSHIP, "praktik": Status.INTERNSHIP,
        "subsidised": Status.SUBSIDISED_EMPLOYMENT, "subsidized": Status.SUBSIDISED_EMPLOYMENT,
        "subventionerad": Status.SUBSIDISED_EMPLOYMENT,
        "subventionerad anstallning": Status.SUBSIDISED_EMPLOYMENT,
        "employed": Status.EMPLOYED, "anstalld": Status.EMPLOYED, "arbete": Status.EMPLOYED,
        "jobb": Status.EMPLOYED, "work": Status.EMPLOYED,
        "studies": Status.STUDIES, "studier": Status.STUDIES, "studerar": Status.STUDIES,
        "paused": Status.PAUSED, "pausad": Status.PAUSED, "paus": Status.PAUSED,
    },
    Outcome: {
        "employed": Outcome.EMPLOYED, "anstalld": Outcome.EMPLOYED, "arbete": Outcome.EMPLOYED,
        "jobb": Outcome.EMPLOYED, "work": Outcome.EMPLOYED,
        "self_employed": Outcome.SELF_EMPLOYED, "foretagare": Outcome.SELF_EMPLOYED,
        "egenforetagare": Outcome.SELF_EMPLOYED, "egen foretagare": Outcome.SELF_EMPLOYED,
        "subsidised": Outcome.SUBSIDISED, "subsidized": Outcome.SUBSIDISED,
        "subventionerad": Outcome.SUBSIDISED,
        "subventionerad anstallning": Outcome.SUBSIDISED,
        "studies": Outcome.STUDIES, "studier": Outcome.STUDIES, "csn": Outcome.STUDIES,
        "other_education": Outcome.OTHER_EDUCATION, "utbildning": Outcome.OTHER_EDUCATION,
        "annan utbildning": Outcome.OTHER_EDUCATION, "komvux": Outcome.OTHER_EDUCATION,
        "programme": Outcome.LABOUR_MARKET_PROGRAMME, "program": Outcome.LABOUR_MARKET_PROGRAMME,
        "labour_market_programme": Outcome.LABOUR_MARKET_PROGRAMME,
        "arbetsmarknadsprogram": Outcome.LABOUR_MARKET_PROGRAMME,
        "job_seeking": Outcome.JOB_SEEKING, "arbetssokande": Outcome.JOB_SEEKING,
        "arbetslos": Outcome.JOB_SEEKING,
        "other": Outcome.OTHER, "annat": Outcome.OTHER, "ovrigt": Outcome.OTHER,
        "parental_leave": Outcome.PARENTAL_LEAVE, "foraldraledig": Outcome.PARENTAL_LEAVE,
        "foraldraledighet": Outcome.PARENTAL_LEAVE,
        "moved": Outcome.MOVED, "flyttat": Outcome.MOVED, "flyttade": Outcome.MOVED,
        "flytt": Outcome.MOVED,
        "illness": Outcome.ILLNESS, "sjuk": Outcome.ILLNESS, "sjukdom": Outcome.ILLNESS,
        "sjukskriven": Outcome.ILLNESS,
        "dropout": Outcome.DROPOUT_OTHER, "avbrott": Outcome.DROPOUT_OTHER,
        "dropout_other": Outcome.DROPOUT_OTHER,
        "unknown": Outcome.UNKNOWN, "okant": Outcome.UNKNOWN,
    },
    Channel: {
        "meeting": Channel.MEETING, "mote": Channel.MEETING, "traff": Channel.MEETING,
        "phone": Channel.PHONE, "telefon": Channel.PHONE, "call": Channel.PHONE,
        "samtal": Channel.PHONE, "telefonsamtal": Channel.PHONE, "ringde": Channel.PHONE,
        "message": Channel.MESSAGE, "meddelande": Channel.MESSAGE, "sms": Channel.MESSAGE,
        "mejl": Channel.MESSAGE, "mail": Channel.MESSAGE, "e_post": Channel.MESSAGE,
        "email": Channel.MESSAGE,
        "visit": Channel.VISIT, "besok": Channel.VISIT, "hembesok": Channel.VISIT,
    },
    Role: {
        "admin": Role.ADMIN, "administrator": Role.ADMIN,
        "lead": Role.LEAD, "ledare": Role.LEAD, "projektledare": Role.LEAD,
        "coordinator": Role.COORDINATOR, "koordinator": Role.COORDINATOR,
        "samordnare": Role.COORDINATOR,
    },
    Gender: {
        "woman": Gender.WOMAN, "w": Gender.WOMAN, "f": Gender.WOMAN, "female": Gender.WOMAN,
        "kvinna": Gender.WOMAN, "k": Gender.WOMAN,
        "man": Gender.MAN, "m": Gender.MAN, "male": Gender.MAN,
        "other": Gender.OTHER, "annat": Gender.OTHER, "annan": Gender.OTHER,
        "unspecified": Gender.UNSPECIFIED, "-": Gender.UNSPECIFIED, "?": Gender.UNSPECIFIED,
        "ej angivet": Gender.UNSPECIFIED, "not stated": Gender.UNSPECIFIED,
    },
}


# The kinds of follow-up as typed (`/followup P-0042 … telefon`, `/preview ar fraga`), folded.
FOLLOWUP_KIND_WORDS: dict[str, FollowUpKind] = {
    "meeting": FollowUpKind.MEETING, "mote": FollowUpKind.MEETING, "traff": FollowUpKind.MEETING,
    "phone": FollowUpKind.PHONE_CALL, "call": FollowUpKind.PHONE_CALL,
    "telefon": FollowUpKind.PHONE_CALL, "samtal": FollowUpKind.PHONE_CALL,
    "telefonsamtal": FollowUpKind.PHONE_CALL, "phone_call": FollowUpKind.PHONE_CALL,
    "question": FollowUpKind.CHECKIN_QUESTION, "checkin": FollowUpKind.CHECKIN_QUESTION,
    "fraga": FollowUpKind.CHECKIN_QUESTION, "avstamning": FollowUpKind.CHECKIN_QUESTION,
    "avstamningsfraga": FollowUpKind.CHECKIN_QUESTION,
}


# The word a Swedish reader is shown for each outcome (all are accepted by `parse_word`).
SWEDISH_OUTCOME_WORDS: dict[Outcome, str] = {
    Outcome.EMPLOYED: "anställd", Outcome.SELF_EMPLOYED: "egenföretagare",
    Outcome.SUBSIDISED: "subventionerad", Outcome.STUDIES: "studier",
    Outcome.OTHER_EDUCATION: "utbildning", Outcome.LABOUR_MARKET_PROGRAMME: "program",
    Outcome.JOB_SEEKING: "arbetssökande", Outcome.OTHER: "annat",
    Outcome.PARENTAL_LEAVE: "föräldraledig", Outcome.MOVED: "flyttat",
    Outcome.ILLNESS: "sjuk", Outcome.DROPOUT_OTHER: "avbrott", Outcome.UNKNOWN: "okänt",
}


def outcome_words(language: str) -> list[str]:
    """The outcome words to show a reader: Swedish ones to Swedish staff, else the codes."""
    if language == "sv":
        return [SWEDISH_OUTCOME_WORDS[outcome] for outcome in Outcome]
    return [outcome.value for outcome in Outcome]


def fold(text: str) -> str:
    """Trimmed, lower case, without diacritics: ` Möte` → `mote`, `Växjö` → `vaxjo`."""
    return unaccented(text.strip())


def closest_word(typed: str, words: Iterable[str], cutoff: float = 75.0) -> str | None:
    """The one known word `typed` is a slip of ("telfon" → "telefon"), for a "did you
    mean"; None when none is close."""
    found = process.extractOne(fold(typed), list(words), scorer=fuzz.ratio,
                               score_cutoff=cutoff)
    return found[0] if found is not None else None


def parse_word(kind: type[E], text: str) -> E | None:
    """The enum member a typed word means (its code or a Swedish/English word), else None."""
    folded = fold(text).replace("-", "_") if text.strip() != "-" else "-"
    try:
        return kind("_".join(folded.split()))
    except ValueError:
        pass
    found = _WORDS[kind].get(folded) or _WORDS[kind].get(folded.replace("_", " "))
    return kind(found) if found is not None else None


# The commands' Swedish aliases, so texts for Swedish readers name the commands they use.
