"""What a question means: an intent with slots, or "not understood", or "which one?".

Plain values only (strings, dates, ints): the storage enums are named by their values
(`"internship"`, `"woman"`, outcome codes) so this package stays free of SQL imports; the
tests check that every value here is a member of the matching enum in `storage.models`.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from enum import StrEnum

from bot.text.periods import Period
from bot.text.periods import add_months


class Intent(StrEnum):
    LIST_NEGLECTED = "list_neglected"
    """Own participants not seen (no check-in) since a date."""
    LIST_AGENDA = "list_agenda"
    """Own follow-ups booked in a period (default: today)."""
    UNCONFIRMED_FOLLOWUPS = "unconfirmed_followups"
    """Own follow-ups in a period that the participant has not confirmed."""
    NEXT_FOLLOWUP = "next_followup"
    """The next booked follow-up with one participant."""
    PARTICIPANT_CARD = "participant_card"
    CASELOAD = "caseload"
    """Own caseload, least recently seen first (`/mine`)."""
    LIST_BY_STATUS = "list_by_status"
    """Own participants with a status now (internship, studies, ...)."""
    COUNT_PARTICIPANTS = "count_participants"
    """How many participants (enrolled / current), filtered; by coordinator too."""
    COUNT_OUTCOMES = "count_outcomes"
    """How many ended, and with which outcome, in a period."""
    SHARE_OUTCOMES = "share_outcomes"
    """The share of ended participants with an outcome (the funder's percentage)."""
    STATS = "stats"
    """The whole `/stats` message for a period and filters."""
    TEAM_OVERVIEW = "team_overview"
    """Per coordinator (`/team`), optionally "who has the most ..."."""
    HELP = "help"


# Outcome groups people ask about → outcome codes (values of storage.models.Outcome).
OUTCOME_GROUPS: dict[str, tuple[str, ...]] = {
    "work": ("employed", "self_employed"),
    "subsidised_work": ("subsidised",),
    "studies": ("studies",),
    # The funder's indicator "to work or studies": work + subsidised work + studies.
    "work_or_studies": ("employed", "self_employed", "subsidised", "studies"),
    "self_employed": ("self_employed",),
    "other_education": ("other_education",),
    "labour_market_programme": ("labour_market_programme",),
    "job_seeking": ("job_seeking",),
    "other": ("other_education", "labour_market_programme", "job_seeking", "other"),
    "dropout": ("parental_leave", "moved", "illness", "dropout_other"),
    "parental_leave": ("parental_leave",),
    "moved": ("moved",),
    "illness": ("illness",),
    "unknown": ("unknown",),
}

STATUSES: tuple[str, ...] = (
    "active", "internship", "subsidised_employment", "employed", "studies", "paused", "ended",
)
GENDERS: tuple[str, ...] = ("woman", "man", "other")
SPLITS: tuple[str, ...] = ("municipality", "coordinator", "gender")
UNITS: tuple[str, ...] = ("day", "week", "month", "year")


@dataclass(frozen=True, slots=True)
class Duration:
    """An amount of time as said: "two weeks" is Duration(2, "week")."""

    amount: int
    unit: str

    def before(self, day: date) -> date:
        """The day this long before `day` (months and years keep the day of month)."""
        if self.unit == "day":
            return day - timedelta(days=self.amount)
        if self.unit == "week":
            return day - timedelta(weeks=self.amount)
        months = self.amount * (12 if self.unit == "year" else 1)
        return add_months(day, -months)

    def after(self, day: date) -> date:
        if self.unit == "day":
            return day + timedelta(days=self.amount)
        if self.unit == "week":
            return day + timedelta(weeks=self.amount)
        months = self.amount * (12 if self.unit == "year" else 1)
        return add_months(day, months)


@dataclass(frozen=True, slots=True)
class Parsed:
    """A structured query: what is asked (`intent`) and about what (the slots).

    Names (`participant`, `municipality`, `coordinator`) are the text as typed, without
    the preposition; the handler matches them against what the asker may see.
    """

    intent: Intent
    language: str = "sv"
    asked_on: date | None = None
    """The local "today" the question was read against (relative words depend on it)."""
    period: Period | None = None
    duration: Duration | None = None
    """As said, for neglected participants ("two weeks"); `period.start` is then the cutoff."""
    municipality: str | None = None
    coordinator: str | None = None
    mine: bool = False
    """The asker spoke of their own caseload ("my", "jag", "mina")."""
    gender: str | None = None
    status: str | None = None
    outcomes: tuple[str, ...] = ()
    """Outcome groups (keys of OUTCOME_GROUPS); empty for "ended, whatever the outcome"."""
    participant: str | None = None
    """A participant code (`P-0042`) or a name as typed."""
    split_by: str | None = None
    order: str | None = None
    """For team overview: "most" or "least" (of `status`, default participants)."""
    assumed: frozenset[str] = field(default_factory=frozenset)
    """Slots filled with a default, not said: the handler says so."""

    @property
    def outcome_codes(self) -> frozenset[str]:
        return frozenset(code for group in self.outcomes for code in OUTCOME_GROUPS[group])

    @property
    def participant_is_code(self) -> bool:
        return self.participant is not None and self.participant.startswith("P-")


@dataclass(frozen=True, slots=True)
class NotUnderstood:
    """No confident reading. `suggestions` are 2–3 example questions close to the text."""

    reason: str
    """"empty", "too_long", "out_of_scope", "unsupported" or "unknown"."""
    suggestions: tuple[str, ...]
    language: str = "sv"


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """The text itself allows several readings of one slot: ask back with `options`."""

    slot: str
    """"period", "duration", "participant", "municipality", "coordinator", "status",
    "outcomes" or "gender"."""
    options: tuple[Parsed, ...]
    language: str = "sv"


Result = Parsed | NotUnderstood | Ambiguous
