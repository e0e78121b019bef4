"""Names for the funder-reporting codes (entry data, end details, follow-up answers), and
the words staff type for them in Swedish and English (matched folded, like `bot.text.labels`)."""

from __future__ import annotations

import re

from bot.text.i18n import N_
from bot.text.labels import fold
from storage.models import EducationLevel
from storage.models import EntryEmployment
from storage.models import FollowUpAnswer
from storage.models import FollowUpPoint
from storage.models import SensitiveAnswer
from storage.models import SfiLevel
from storage.models import SubsidyType

EMPLOYMENT_LABELS: dict[EntryEmployment, str] = {
    EntryEmployment.UNEMPLOYED: N_("unemployed"),
    EntryEmployment.LONG_TERM_UNEMPLOYED: N_("long-term unemployed"),
    EntryEmployment.INACTIVE: N_("inactive"),
    EntryEmployment.EMPLOYED: N_("employed, incl. self-employed"),
}

EDUCATION_LABELS: dict[EducationLevel, str] = {
    EducationLevel.ISCED_0_2: N_("ISCED 0–2 (up to lower secondary)"),
    EducationLevel.ISCED_3_4: N_("ISCED 3–4 (upper secondary)"),
    EducationLevel.ISCED_5_8: N_("ISCED 5–8 (tertiary)"),
    EducationLevel.UNKNOWN: N_("education unknown"),
}

SFI_LABELS: dict[SfiLevel, str] = {
    SfiLevel.A: N_("SFI A"),
    SfiLevel.B: N_("SFI B"),
    SfiLevel.C: N_("SFI C"),
    SfiLevel.D: N_("SFI D"),
    SfiLevel.COMPLETED: N_("SFI completed"),
    SfiLevel.NONE: N_("no SFI"),
}

SUBSIDY_LABELS: dict[SubsidyType, str] = {
    SubsidyType.NYSTARTSJOBB: N_("nystartsjobb"),
    SubsidyType.EXTRATJANST: N_("extratjänst"),
    SubsidyType.INTRODUKTIONSJOBB: N_("introduktionsjobb"),
    SubsidyType.LONEBIDRAG: N_("lönebidrag"),
    SubsidyType.YRKESINTRODUKTION: N_("yrkesintroduktion"),
    SubsidyType.OTHER: N_("other subsidy"),
}

SENSITIVE_LABELS: dict[SensitiveAnswer, str] = {
    SensitiveAnswer.YES: N_("yes"),
    SensitiveAnswer.NO: N_("no"),
    SensitiveAnswer.DECLINED: N_("declined to answer"),
}

POINT_LABELS: dict[FollowUpPoint, str] = {
    FollowUpPoint.DAYS_28: N_("28 days"),
    FollowUpPoint.MONTHS_6: N_("6 months"),
    FollowUpPoint.MONTHS_13: N_("13 months"),
}

ANSWER_LABELS: dict[FollowUpAnswer, str] = {
    FollowUpAnswer.WORKING: N_("working"),
    FollowUpAnswer.STUDYING: N_("studying"),
    FollowUpAnswer.LOOKING_FOR_WORK: N_("looking for work"),
    FollowUpAnswer.OTHER: N_("something else"),
    FollowUpAnswer.RATHER_NOT_SAY: N_("would rather not say"),
}

# ---- words staff type in `/entry` (folded) ------------------------------------------------
FIELD_WORDS: dict[str, str] = {
    "employment": "entry_employment", "sysselsattning": "entry_employment",
    "status": "entry_employment",
    "born": "birth_year", "birth_year": "birth_year", "fodd": "birth_year",
    "fodelsear": "birth_year",
    "education": "education_level", "utbildning": "education_level", "isced": "education_level",
    "tcn": "third_country_national", "third_country": "third_country_national",
    "tredjeland": "third_country_national",
    "sfi": "sfi_level",
    "income_support": "income_support", "forsorjningsstod": "income_support",
    "fs": "income_support",
    "af": "registered_af", "arbetsformedlingen": "registered_af",
    "establishment": "establishment_programme", "etablering": "establishment_programme",
    "ep": "establishment_programme",
    "subsidy": "subsidy_type", "stod": "subsidy_type", "subvention": "subsidy_type",
    "qualification": "gained_qualification", "kvalifikation": "gained_qualification",
    "protected": "protected_identity", "skyddad": "protected_identity",
    "disability": "disability", "funktionsnedsattning": "disability",
    "foreign_background": "foreign_background", "background": "foreign_background",
    "utlandsk_bakgrund": "foreign_background", "bakgrund": "foreign_background",
}

_VALUE_WORDS: dict[str, dict[str, object]] = {
    "entry_employment": {
        "unemployed": EntryEmployment.UNEMPLOYED, "arbetslos": EntryEmployment.UNEMPLOYED,
        "long_term_unemployed": EntryEmployment.LONG_TERM_UNEMPLOYED,
        "long_term": EntryEmployment.LONG_TERM_UNEMPLOYED,
        "ltu": EntryEmployment.LONG_TERM_UNEMPLOYED,
        "langtidsarbetslos": EntryEmployment.LONG_TERM_UNEMPLOYED,
        "inactive": EntryEmployment.INACTIVE, "inaktiv": EntryEmployment.INACTIVE,
        "employed": EntryEmployment.EMPLOYED, "anstalld": EntryEmployment.EMPLOYED,
        "self_employed": EntryEmployment.EMPLOYED, "foretagare": EntryEmployment.EMPLOYED,
    },
    "education_level": {
        "0_2": EducationLevel.ISCED_0_2, "0-2": EducationLevel.ISCED_0_2,
        "3_4": EducationLevel.ISCED_3_4, "3-4": EducationLevel.ISCED_3_4,
        "5_8": EducationLevel.ISCED_5_8, "5-8": EducationLevel.ISCED_5_8,
        "unknown": EducationLevel.UNKNOWN, "okand": EducationLevel.UNKNOWN,
    },
    "sfi_level": {
        "a": SfiLevel.A, "b": SfiLevel.B, "c": SfiLevel.C, "d": SfiLevel.D,
        "completed": SfiLevel.COMPLETED, "done": SfiLevel.COMPLETED, "klar": SfiLevel.COMPLETED,
        "none": SfiLevel.NONE, "no": SfiLevel.NONE, "ingen": SfiLevel.NONE,
    },
    "subsidy_type": {
        **{kind.value: kind for kind in SubsidyType},
        "extra": SubsidyType.EXTRATJANST, "lonebidrag": SubsidyType.LONEBIDRAG,
        "annat": SubsidyType.OTHER,
    },
    **{field: {
        "yes": SensitiveAnswer.YES, "ja": SensitiveAnswer.YES, "y": SensitiveAnswer.YES,
        "j": SensitiveAnswer.YES,
        "no": SensitiveAnswer.NO, "nej": SensitiveAnswer.NO, "n": SensitiveAnswer.NO,
        "declined": SensitiveAnswer.DECLINED, "decline": SensitiveAnswer.DECLINED,
        "avstar": SensitiveAnswer.DECLINED, "vill_inte_svara": SensitiveAnswer.DECLINED,
    } for field in ("disability", "foreign_background")},
}
_YES = {"yes", "ja", "y", "j", "true", "1"}
_NO = {"no", "nej", "n", "false", "0"}
CLEAR_WORDS = {"-", "?", "none_stated"}


class NotUnderstood(ValueError):
    """A `key:value` word whose key or value is not known; `word` is what was typed."""

    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


def parse_field(word: str, *, today_year: int) -> tuple[str, object]:
    """`education:3-4` → (`education_level`, EducationLevel.ISCED_3_4); `-` clears a field."""
    key, separator, raw = word.partition(":") if ":" in word else word.partition("=")
    field = FIELD_WORDS.get(fold(key).replace("-", "_"))
    value = raw.strip()
    if not separator or field is None or not value:
        raise NotUnderstood(word)
    folded = fold(value)
    if folded in CLEAR_WORDS and field != "protected_identity":
        return field, None
    if field == "birth_year":
        # ASCII digits only: "¹⁹⁹⁰".isdigit() is true, but int() raises (PITFALLS.md).
        if not re.fullmatch(r"[0-9]{4}", value) or not 1900 <= int(value) <= today_year:
            raise NotUnderstood(word)
        return field, int(value)
    if field in _VALUE_WORDS:
        words = _VALUE_WORDS[field]
        found = words.get(folded) or words.get(folded.replace("-", "_").replace(" ", "_"))
        if found is None:
            raise NotUnderstood(word)
        return field, found
    if folded in _YES:
        return field, True
    if folded in _NO:
        return field, False
    raise NotUnderstood(word)
