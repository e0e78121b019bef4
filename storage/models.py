"""SQLModel tables. Times are aware datetimes stored in UTC; dates are calendar dates."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import Column
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import false
from sqlmodel import Field
from sqlmodel import SQLModel

# A naming convention lets Alembic's batch mode alter SQLite tables by constraint name.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    ADMIN = "admin"
    LEAD = "lead"
    COORDINATOR = "coordinator"


class Gender(StrEnum):
    WOMAN = "woman"
    MAN = "man"
    OTHER = "other"
    UNSPECIFIED = "unspecified"


class Status(StrEnum):
    """What the participant is doing now; `ended` once they have left the project."""

    ACTIVE = "active"
    INTERNSHIP = "internship"
    SUBSIDISED_EMPLOYMENT = "subsidised_employment"
    EMPLOYED = "employed"
    STUDIES = "studies"
    PAUSED = "paused"
    ENDED = "ended"


class OutcomeCategory(StrEnum):
    WORK = "work"
    SUBSIDISED_WORK = "subsidised_work"
    STUDIES = "studies"
    OTHER = "other"
    DROPOUT = "dropout"
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    """End reasons (DESIGN.md "Outcomes"); codes are stable, never renamed."""

    EMPLOYED = "employed"
    SELF_EMPLOYED = "self_employed"
    SUBSIDISED = "subsidised"
    STUDIES = "studies"
    OTHER_EDUCATION = "other_education"
    LABOUR_MARKET_PROGRAMME = "labour_market_programme"
    JOB_SEEKING = "job_seeking"
    OTHER = "other"
    PARENTAL_LEAVE = "parental_leave"
    MOVED = "moved"
    ILLNESS = "illness"
    DROPOUT_OTHER = "dropout_other"
    UNKNOWN = "unknown"

    @property
    def category(self) -> OutcomeCategory:
        return OUTCOME_CATEGORY[self]


OUTCOME_CATEGORY: dict[Outcome, OutcomeCategory] = {
    Outcome.EMPLOYED: OutcomeCategory.WORK,
    Outcome.SELF_EMPLOYED: OutcomeCategory.WORK,
    Outcome.SUBSIDISED: OutcomeCategory.SUBSIDISED_WORK,
    Outcome.STUDIES: OutcomeCategory.STUDIES,
    Outcome.OTHER_EDUCATION: OutcomeCategory.OTHER,
    Outcome.LABOUR_MARKET_PROGRAMME: OutcomeCategory.OTHER,
    Outcome.JOB_SEEKING: OutcomeCategory.OTHER,
    Outcome.OTHER: OutcomeCategory.OTHER,
    Outcome.PARENTAL_LEAVE: OutcomeCategory.DROPOUT,
    Outcome.MOVED: OutcomeCategory.DROPOUT,
    Outcome.ILLNESS: OutcomeCategory.DROPOUT,
    Outcome.DROPOUT_OTHER: OutcomeCategory.DROPOUT,
    Outcome.UNKNOWN: OutcomeCategory.UNKNOWN,
}


DEFAULT_DROPOUT_REASONS: tuple[Outcome, ...] = (
    Outcome.PARENTAL_LEAVE, Outcome.ILLNESS, Outcome.MOVED, Outcome.DROPOUT_OTHER)
"""The end reasons counted as avbrott (dropout) unless DROPOUT_REASONS says otherwise."""
DROPOUT_CANDIDATES: tuple[Outcome, ...] = tuple(
    reason for reason, category in OUTCOME_CATEGORY.items()
    if category in (OutcomeCategory.OTHER, OutcomeCategory.DROPOUT))
"""End reasons a project may count as dropouts: neither work, studies nor unknown."""


def set_dropout_reasons(reasons: tuple[Outcome, ...]) -> None:
    """Which end reasons count as dropouts, for every figure (the DROPOUT_REASONS setting).

    Which endings are avbrott is the project's decision, not the code's; the rest of the
    candidates count as "other". Changed in place, so every module that imported
    OUTCOME_CATEGORY counts alike; the application sets it once, from its settings.
    """
    unknown = [reason for reason in reasons if reason not in DROPOUT_CANDIDATES]
    if unknown:
        raise ValueError(f"cannot count {', '.join(unknown)} as dropouts")
    for reason in DROPOUT_CANDIDATES:
        OUTCOME_CATEGORY[reason] = (OutcomeCategory.DROPOUT if reason in reasons
                                    else OutcomeCategory.OTHER)


def dropout_reasons() -> tuple[Outcome, ...]:
    """The end reasons counted as dropouts now (in the order of the Outcome codes)."""
    return tuple(reason for reason in Outcome
                 if OUTCOME_CATEGORY[reason] == OutcomeCategory.DROPOUT)


CHANGEABLE_STATUSES: tuple[Status, ...] = tuple(s for s in Status if s != Status.ENDED)


# ---- funder reporting (DESIGN.md "Funder reporting"): entry data, end details ---------------
class EntryEmployment(StrEnum):
    """Employment status on entry, as the ESF+ common indicators count it (exactly one)."""

    UNEMPLOYED = "unemployed"
    LONG_TERM_UNEMPLOYED = "long_term_unemployed"
    INACTIVE = "inactive"
    EMPLOYED = "employed"


class SensitiveAnswer(StrEnum):
    """A sensitive ESF+ category (disability, foreign background), recorded only when the
    project switches them on; the participant may always decline to answer."""

    YES = "yes"
    NO = "no"
    DECLINED = "declined"


class EducationLevel(StrEnum):
    """Highest education on entry, in ISCED bands."""

    ISCED_0_2 = "isced_0_2"
    ISCED_3_4 = "isced_3_4"
    ISCED_5_8 = "isced_5_8"
    UNKNOWN = "unknown"


class SfiLevel(StrEnum):
    """Swedish for immigrants: the course the participant is in, or done/none."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    COMPLETED = "completed"
    NONE = "none"


class SubsidyType(StrEnum):
    """The kind of subsidised employment, for the `subsidised` outcome."""

    NYSTARTSJOBB = "nystartsjobb"
    EXTRATJANST = "extratjanst"
    INTRODUKTIONSJOBB = "introduktionsjobb"
    LONEBIDRAG = "lonebidrag"
    YRKESINTRODUKTION = "yrkesintroduktion"
    OTHER = "other"


class FollowUpPoint(StrEnum):
    """When after ending the participant is asked what they are doing now."""

    DAYS_28 = "28d"
    MONTHS_6 = "6m"
    MONTHS_13 = "13m"


class FollowUpAnswer(StrEnum):
    WORKING = "working"
    STUDYING = "studying"
    LOOKING_FOR_WORK = "looking_for_work"
    OTHER = "other"
    RATHER_NOT_SAY = "rather_not_say"


class AnswerSource(StrEnum):
    PARTICIPANT = "participant"
    COORDINATOR = "coordinator"


class Channel(StrEnum):
    MEETING = "meeting"
    PHONE = "phone"
    MESSAGE = "message"
    VISIT = "visit"


class Staff(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    name: str = Field(max_length=120)
    role: Role = Field(sa_column=Column(String(20), nullable=False))
    municipality: str | None = Field(default=None, max_length=80)
    language: str | None = Field(default=None, max_length=10)
    active: bool = Field(default=True)
    delegate_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("staff.id", ondelete="SET NULL")))
    """While away (until `away_until`, inclusive), this colleague gets their notices."""
    away_until: date | None = None
    notes_warned_at: datetime | None = None
    """When they were first told what a note may hold (shown once, with their first note)."""
    created_at: datetime = Field(default_factory=utcnow)


# What the statistics read of each participant (storage/stats.py), after the group keys.
FIGURE_COLUMNS = ("status", "enrolled_on", "ended_on", "outcome", "gender")


class Participant(SQLModel, table=True):
    __table_args__ = (
        # A caseload, and the statistics' pass over the participants of a scope grouped
        # by coordinator or municipality: each index holds both group keys and every
        # column the counts read (storage/stats.py), so the pass reads the index in group
        # order, not the table.
        Index("ix_participant_coordinator_figures",
              "coordinator_id", "municipality", *FIGURE_COLUMNS),
        Index("ix_participant_municipality_figures",
              "municipality", "coordinator_id", *FIGURE_COLUMNS),
        # Statistics count endings per period (storage/stats.py).
        Index("ix_participant_ended_on", "ended_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(20), unique=True, nullable=False))
    display_name: str = Field(max_length=120)
    municipality: str = Field(max_length=80)
    gender: Gender = Field(sa_column=Column(String(20), nullable=False))
    language: str = Field(max_length=10)
    telegram_user_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    coordinator_id: int = Field(
        sa_column=Column(Integer, ForeignKey("staff.id"), nullable=False)
    )
    enrolled_on: date
    status: Status = Field(sa_column=Column(String(30), nullable=False))
    ended_on: date | None = None
    outcome: Outcome | None = Field(default=None, sa_column=Column(String(40)))
    consent_at: datetime | None = None
    stopped_at: datetime | None = None
    """The participant withdrew with /stop: no more messages to them."""
    unreachable_at: datetime | None = None
    """Telegram refused delivery (bot blocked, account deleted)."""
    # Entry data for the ESF+ indicators: all optional (None = not stated).
    entry_employment: EntryEmployment | None = Field(default=None, sa_column=Column(String(30)))
    birth_year: int | None = None
    education_level: EducationLevel | None = Field(default=None, sa_column=Column(String(20)))
    third_country_national: bool | None = None
    sfi_level: SfiLevel | None = Field(default=None, sa_column=Column(String(20)))
    income_support: bool | None = None
    """Receives försörjningsstöd."""
    registered_af: bool | None = None
    """Registered at Arbetsförmedlingen."""
    establishment_programme: bool | None = None
    # Sensitive categories (SENSITIVE_CATEGORIES): shown only to the own coordinator.
    disability: SensitiveAnswer | None = Field(default=None, sa_column=Column(String(10)))
    foreign_background: SensitiveAnswer | None = Field(default=None,
                                                       sa_column=Column(String(10)))
    # End details beside `outcome`.
    subsidy_type: SubsidyType | None = Field(default=None, sa_column=Column(String(30)))
    gained_qualification: bool | None = None
    personnummer_encrypted: str | None = Field(default=None, sa_column=Column(Text))
    """Fernet token (storage.personnummer); never stored or logged in clear."""
    protected_identity: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    """Skyddad identitet: left out of every export (with a count of how many were)."""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def reachable(self) -> bool:
        """Whether we may and can message the participant in Telegram."""
        return (self.chat_id is not None and self.consent_at is not None
                and self.stopped_at is None and self.unreachable_at is None)

    @property
    def is_ended(self) -> bool:
        return self.status == Status.ENDED


class CheckIn(SQLModel, table=True):
    __tablename__ = "checkin"
    __table_args__ = (Index("ix_checkin_participant_happened", "participant_id", "happened_at"),
                      # Statistics count check-ins per period across participants; with
                      # participant_id in it, a scoped or grouped count reads only the index.
                      Index("ix_checkin_happened_participant", "happened_at", "participant_id"))

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="CASCADE"), nullable=False)
    )
    author_id: int = Field(sa_column=Column(Integer, ForeignKey("staff.id"), nullable=False))
    happened_at: datetime
    channel: Channel = Field(sa_column=Column(String(20), nullable=False))
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status_change: Status | None = Field(default=None, sa_column=Column(String(30)))
    created_at: datetime = Field(default_factory=utcnow)


# ---- derived tables ------------------------------------------------------------------------
# Check-ins per UTC day and group, kept by database triggers (migration 6b1e0c7d9a21) on
# every insert, delete or move of a check-in and every change of a participant's
# municipality or coordinator, whoever writes: the bot, the CLI, a bulk load. The
# application only reads them (storage/stats.py); `db copy` leaves them to the target's
# triggers; storage/tallies.py checks them against a recount and rebuilds them. Tables
# marked `derived` in their info.
DERIVED = {"derived": "check-ins per day, kept by triggers"}


class CheckInTallyMunicipality(SQLModel, table=True):
    __tablename__ = "checkin_tally_municipality"
    __table_args__ = {"info": DERIVED}

    day: date = Field(primary_key=True)
    """The UTC date of the check-ins' `happened_at`."""
    municipality: str = Field(primary_key=True, max_length=80)
    checkins: int


class CheckInTallyCoordinator(SQLModel, table=True):
    __tablename__ = "checkin_tally_coordinator"
    __table_args__ = {"info": DERIVED}

    day: date = Field(primary_key=True)
    """The UTC date of the check-ins' `happened_at`."""
    coordinator_id: int = Field(primary_key=True)
    checkins: int


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    action: str = Field(max_length=40)
    target: str | None = Field(default=None, max_length=40)
    details: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class RelayDirection(StrEnum):
    IN = "in"  # a participant wrote; the row maps the copy in the staff chat back to her
    HEADER = "hdr"  # the line naming her above the copies (a reply to it reaches her too)
    OUT = "out"  # staff answered her


class RelayLink(SQLModel, table=True):
    """Which relayed message belongs to which participant — and nothing of its content.

    The only thing the conversation relay stores: enough to route a staff member's reply
    back to the participant and to say when she last wrote and what is unanswered. The
    messages themselves stay in the Telegram chats. Rows are deleted after
    RELAY_RETENTION_DAYS and by erasure.
    """

    __tablename__ = "relay_link"
    __table_args__ = (
        Index("ix_relay_link_staff_message", "staff_chat_id", "staff_message_id"),
        Index("ix_relay_link_participant_at", "participant_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id")
    direction: str = Field(max_length=3)
    staff_chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    staff_message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    at: datetime = Field(default_factory=utcnow, index=True)
    answered_at: datetime | None = None


class FlowDraft(SQLModel, table=True):
    """Where a person stands in a guided flow (`/log`, `/add`, …): one row per person.

    Kept in the database, not in the process, so a step's buttons keep working after a
    restart and whichever process gets the next update continues the flow. `run` changes
    every time a flow starts, so a button from an earlier run answers "expired". The
    draft (`data`, JSON) holds only what the flow asked so far; a row older than a day is
    no longer a flow (`storage.drafts.DRAFT_TTL`) and is deleted by the daily planner.
    """

    __tablename__ = "flow_draft"

    telegram_user_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    flow: str = Field(max_length=24)
    step: int
    first_step: int
    """Where this run began: « Back goes no further (a flow opened from a card does not
    go back to a participant picker it never showed)."""
    run: int
    data: str = Field(sa_column=Column(Text, nullable=False))
    prompt_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class FollowUpKind(StrEnum):
    MEETING = "meeting"
    PHONE_CALL = "phone_call"
    CHECKIN_QUESTION = "checkin_question"


class FollowUpResponse(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    NEEDS_NEW_TIME = "needs_new_time"
    CANT_COME = "cant_come"
    # Answers to a check-in question ("how are things going?"), not to an appointment.
    ALL_GOOD = "all_good"
    WANTS_CONTACT = "wants_contact"


class FollowUpState(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class FollowUp(SQLModel, table=True):
    __tablename__ = "followup"
    __table_args__ = (Index("ix_followup_coordinator_due", "coordinator_id", "due_at"),
                      Index("ix_followup_participant_due", "participant_id", "due_at"))

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="CASCADE"), nullable=False)
    )
    coordinator_id: int = Field(sa_column=Column(Integer, ForeignKey("staff.id"), nullable=False))
    due_at: datetime
    kind: FollowUpKind = Field(sa_column=Column(String(20), nullable=False))
    place: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    response: FollowUpResponse = Field(
        default=FollowUpResponse.PENDING, sa_column=Column(String(20), nullable=False))
    responded_at: datetime | None = None
    state: FollowUpState = Field(
        default=FollowUpState.SCHEDULED, sa_column=Column(String(20), nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    EXPIRED = "expired"
    """Retried until it was no longer useful (see bot.outbox.dispatch.useful_until)."""


class OutboxTemplate(StrEnum):
    """What an outbox row says (its `template` column): every kind the bot queues.

    The dispatcher renders each with the function `bot.outbox.catalog.outbox_templates()`
    maps it to; a test proves that mapping covers this list and that nothing queues a
    kind outside it.
    """

    REMINDER = "reminder"
    FOLLOWUP_CHANGED = "followup_changed"
    NO_ANSWER = "no_answer"
    RESPONSE_NOTICE = "response_notice"
    PARTICIPANT_NOTICE = "participant_notice"
    PARTICIPANT_JOINED = "participant_joined"
    AGENDA = "agenda"
    DIGEST = "digest"
    HOURS_REMINDER = "hours_reminder"
    OUTCOME_QUESTION = "outcome_question"
    OUTCOME_TASK = "outcome_task"


class OutboundMessage(SQLModel, table=True):
    """One message to send at `send_at`: the database, not the scheduler, holds it."""

    __tablename__ = "outbound_message"
    __table_args__ = (Index("ix_outbound_status_send_at", "status", "send_at"),
                      Index("ix_outbound_followup", "followup_id"))

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    template: str = Field(max_length=40)
    params: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    language: str = Field(max_length=10)
    send_at: datetime
    status: OutboxStatus = Field(
        default=OutboxStatus.PENDING, sa_column=Column(String(20), nullable=False))
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    sent_at: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=60)
    lease_until: datetime | None = None
    useful_until: datetime | None = None
    """Set at the first transient failure: retried until then, afterwards `expired`."""
    dedupe_key: str | None = Field(default=None, sa_column=Column(String(120), unique=True))
    participant_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("participant.id", ondelete="CASCADE")))
    staff_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("staff.id")))
    followup_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("followup.id", ondelete="CASCADE")))
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    """Telegram's id of the message once sent (so a reminder's buttons can be retired)."""
    buttons_retired_at: datetime | None = None
    """When the sent message's answer buttons were removed (its follow-up changed)."""
    created_at: datetime = Field(default_factory=utcnow)


class Invite(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    )
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_by: int = Field(sa_column=Column(Integer, ForeignKey("staff.id"), nullable=False))
    expires_at: datetime
    opened_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    """The Telegram user who opened the link; only they may accept it."""
    used_at: datetime | None = None
    revoked_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class OutcomeFollowUp(SQLModel, table=True):
    """What an ended participant does 28 days, 6 and 13 months later (one row per point)."""

    __tablename__ = "outcome_followup"
    __table_args__ = (UniqueConstraint("participant_id", "point"),
                      Index("ix_outcome_followup_due_on", "due_on"))

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="CASCADE"), nullable=False)
    )
    point: FollowUpPoint = Field(sa_column=Column(String(8), nullable=False))
    due_on: date
    """The local date the question falls due (ended_on + the point's offset)."""
    asked_at: datetime | None = None
    """When the question was queued to the participant; None when they could not be asked."""
    answered_at: datetime | None = None
    answer: FollowUpAnswer | None = Field(default=None, sa_column=Column(String(30)))
    source: AnswerSource | None = Field(default=None, sa_column=Column(String(20)))
    logged_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("staff.id", ondelete="SET NULL")))
    created_at: datetime = Field(default_factory=utcnow)


class AttendanceHours(SQLModel, table=True):
    """Participation hours per participant and calendar month (the signed attendance sheet)."""

    __tablename__ = "attendance_hours"
    __table_args__ = (UniqueConstraint("participant_id", "month"),
                      Index("ix_attendance_hours_month", "month"))

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="CASCADE"), nullable=False)
    )
    month: date
    """The first day of the month."""
    hours: float = Field(sa_column=Column(Float, nullable=False))
    logged_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("staff.id", ondelete="SET NULL")))
    logged_at: datetime = Field(default_factory=utcnow)
