"""A synthetic project for `koordinator demo`: staff, ~120 participants and their history.

Every person here is invented. The shape follows the reference projects in DESIGN.md
(mostly women, many languages, about half ended, of those about 60 % to work incl.
subsidised work and about 12 % to studies), so statistics and caseloads look like a real
project's. Everything is written through the ordinary storage functions, so the audit log
and codes are what the bot itself would have produced; a seeded `random.Random` makes the
same seed give the same project.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import tzinfo
from typing import TypeVar

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.access import Viewer
from storage.checkins import log_checkin
from storage.db import SessionMaker
from storage.db import transaction
from storage.entry import set_details
from storage.followups import book_followup
from storage.models import OUTCOME_CATEGORY
from storage.models import Channel
from storage.models import EducationLevel
from storage.models import EntryEmployment
from storage.models import FollowUpAnswer
from storage.models import FollowUpKind
from storage.models import FollowUpPoint
from storage.models import Gender
from storage.models import Outcome
from storage.models import OutcomeCategory
from storage.models import Participant
from storage.models import Role
from storage.models import SfiLevel
from storage.models import Staff
from storage.models import Status
from storage.models import SubsidyType
from storage.outcome_followups import DueQuestion
from storage.outcome_followups import answer_by_participant
from storage.outcome_followups import due_on
from storage.outcome_followups import start
from storage.participants import change_status
from storage.participants import end_participant
from storage.participants import register_participant
from storage.staff import add_staff

PARTICIPANT_COUNT = 120
HISTORY_DAYS = 900  # about two and a half years of enrolments
NOTE_MAX_LENGTH = 2000
STRANGER_ROLE = "stranger"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DemoPersona:
    """Someone the sandbox page lets you be. `role` is a Role value or "stranger"."""

    telegram_id: int
    name: str
    role: str
    language: str
    municipality: str | None = None
    serves: tuple[str, ...] = ()  # a coordinator's municipalities (participants live there)


DEMO_STAFF: tuple[DemoPersona, ...] = (
    DemoPersona(1001, "Ada Admin", Role.ADMIN, "sv"),
    DemoPersona(1002, "Lena Ledare", Role.LEAD, "sv"),
    DemoPersona(1003, "Lars Ledare", Role.LEAD, "sv", "Alvesta"),
    DemoPersona(1004, "Karin Koordinator", Role.COORDINATOR, "sv", "Växjö", ("Växjö",)),
    DemoPersona(1005, "Sam Coordinator", Role.COORDINATOR, "en", "Alvesta", ("Alvesta",)),
    DemoPersona(1006, "Sara Samordnare", Role.COORDINATOR, "sv", "Ljungby", ("Ljungby",)),
    DemoPersona(1007, "Kim Koordinator", Role.COORDINATOR, "sv", "Tingsryd",
                ("Tingsryd", "Markaryd")),
)
PARTICIPANT_ROLE = "participant"
# Participants who joined the bot (consent given), with follow-ups coming up: what a
# participant sees, in their own language.
DEMO_PARTICIPANTS: tuple[DemoPersona, ...] = (
    DemoPersona(2001, "Amina H.", PARTICIPANT_ROLE, "ar", "Växjö"),
    DemoPersona(2002, "Olena K.", PARTICIPANT_ROLE, "uk", "Alvesta"),
)
# Not in the database: shows what anyone outside the project gets from the bot.
DEMO_STRANGER = DemoPersona(1099, "Stina Besökare", STRANGER_ROLE, "sv")
DEMO_PERSONAS: tuple[DemoPersona, ...] = (*DEMO_STAFF, *DEMO_PARTICIPANTS, DEMO_STRANGER)

MUNICIPALITY_WEIGHTS = {"Växjö": 36, "Alvesta": 20, "Ljungby": 20, "Tingsryd": 12, "Markaryd": 12}
GENDER_WEIGHTS = {Gender.WOMAN: 58, Gender.MAN: 38, Gender.OTHER: 1, Gender.UNSPECIFIED: 3}
LANGUAGE_WEIGHTS = {
    "ar": 26, "so": 14, "uk": 14, "ti": 12, "fa_AF": 12, "fa": 5, "sv": 6, "en": 5,
    "ps": 3, "ckb": 3,
}
CHANNEL_WEIGHTS = {Channel.MEETING: 45, Channel.PHONE: 35, Channel.MESSAGE: 15, Channel.VISIT: 5}

# Share of ENDED participants per outcome: work incl. subsidised 60 %, studies 12 %,
# other 9 %, dropouts 16 %, unknown 3 % (the reference projects' rough proportions).
OUTCOME_SHARES: dict[Outcome, float] = {
    Outcome.EMPLOYED: 0.30,
    Outcome.SELF_EMPLOYED: 0.03,
    Outcome.SUBSIDISED: 0.27,
    Outcome.STUDIES: 0.12,
    Outcome.OTHER_EDUCATION: 0.03,
    Outcome.LABOUR_MARKET_PROGRAMME: 0.03,
    Outcome.JOB_SEEKING: 0.02,
    Outcome.OTHER: 0.01,
    Outcome.PARENTAL_LEAVE: 0.06,
    Outcome.MOVED: 0.05,
    Outcome.ILLNESS: 0.03,
    Outcome.DROPOUT_OTHER: 0.02,
    Outcome.UNKNOWN: 0.03,
}
# What an active participant is doing now.
CURRENT_STATUS_WEIGHTS = {
    Status.ACTIVE: 55, Status.INTERNSHIP: 20, Status.SUBSIDISED_EMPLOYMENT: 10,
    Status.STUDIES: 5, Status.EMPLOYED: 4, Status.PAUSED: 6,
}
# The status a participant reaches shortly before ending with this outcome.
STATUS_BEFORE_OUTCOME = {
    Outcome.EMPLOYED: Status.EMPLOYED,
    Outcome.SELF_EMPLOYED: Status.EMPLOYED,
    Outcome.SUBSIDISED: Status.SUBSIDISED_EMPLOYMENT,
    Outcome.STUDIES: Status.STUDIES,
    Outcome.PARENTAL_LEAVE: Status.PAUSED,
    Outcome.ILLNESS: Status.PAUSED,
}

# Entry data (ESF+): roughly what establishment projects see; one in ten not stated.
ENTRY_EMPLOYMENT_WEIGHTS = {
    EntryEmployment.UNEMPLOYED: 40, EntryEmployment.LONG_TERM_UNEMPLOYED: 30,
    EntryEmployment.INACTIVE: 25, EntryEmployment.EMPLOYED: 5,
}
EDUCATION_WEIGHTS = {
    EducationLevel.ISCED_0_2: 40, EducationLevel.ISCED_3_4: 32, EducationLevel.ISCED_5_8: 18,
    EducationLevel.UNKNOWN: 10,
}
SFI_WEIGHTS = {SfiLevel.A: 10, SfiLevel.B: 20, SfiLevel.C: 30, SfiLevel.D: 20,
               SfiLevel.COMPLETED: 15, SfiLevel.NONE: 5}
ENTRY_NOT_STATED = 0.1
# Of those who ended in work or studies, the share who gained a qualification.
QUALIFICATION_SHARE = 0.35

# Given names by language; a participant is "Name X." so nobody real is meant.
_WOMEN = {
    "ar": ("Amina", "Fatima", "Rania", "Huda", "Layla", "Noor", "Salma", "Yasmin", "Mariam"),
    "so": ("Hodan", "Asha", "Faadumo", "Sahra", "Ifrah", "Nimco", "Hibo"),
    "uk": ("Olena", "Iryna", "Natalia", "Oksana", "Kateryna", "Yulia", "Tetiana"),
    "ti": ("Selam", "Helen", "Senait", "Rahel", "Mebrat", "Yohana"),
    "fa_AF": ("Zahra", "Maryam", "Soraya", "Shabnam", "Nilufar", "Farzana"),
    "fa": ("Parisa", "Shirin", "Neda", "Azadeh"),
    "ps": ("Malalai", "Gulalai", "Palwasha"),
    "ckb": ("Shilan", "Rozhin", "Avin"),
    "sv": ("Grace", "Maria", "Esther", "Leila", "Hanna"),
    "en": ("Mercy", "Joy", "Ruth", "Ana"),
}
_MEN = {
    "ar": ("Yusuf", "Ahmad", "Khaled", "Omar", "Samir", "Tariq", "Hassan", "Karim"),
    "so": ("Abdi", "Mahad", "Liban", "Guled", "Cabdi", "Hamza"),
    "uk": ("Andrii", "Oleksandr", "Dmytro", "Serhii", "Taras"),
    "ti": ("Dawit", "Yonas", "Tesfay", "Filmon", "Mehari"),
    "fa_AF": ("Ali", "Reza", "Jawad", "Farid", "Hamid"),
    "fa": ("Behrouz", "Kamran", "Arash"),
    "ps": ("Naveed", "Wahid", "Zalmai"),
    "ckb": ("Karwan", "Dler", "Rebwar"),
    "sv": ("Daniel", "Ibrahim", "Joseph"),
    "en": ("Emmanuel", "Samuel", "Peter"),
}
_INITIALS = "ABDEFGHJKLMNORSTY"

_NOTES = {
    "sv": (
        "Pratade om SFI och närvaron", "Gick igenom CV:t", "Planerade nästa steg",
        "Samtal om barnomsorg", "Bokade tolk till nästa möte", "Övade inför intervju",
        "Stämde av med handläggaren på Arbetsförmedlingen", "Pratade om körkort",
        "Studiebesök på en arbetsplats", "Uppföljning av praktiken", "",
    ),
    "en": (
        "Talked about SFI attendance", "Went through the CV", "Planned the next steps",
        "Talked about childcare", "Booked an interpreter for next time",
        "Practised for an interview", "Checked in with the Employment Service officer",
        "Talked about a driving licence", "Study visit at a workplace",
        "Followed up the internship", "",
    ),
}
_STATUS_NOTES = {
    "sv": {
        Status.INTERNSHIP: "Praktik börjar nästa vecka", Status.EMPLOYED: "Har fått anställning",
        Status.SUBSIDISED_EMPLOYMENT: "Erbjuden nystartsjobb",
        Status.STUDIES: "Antagen till Komvux",
    },
    "en": {
        Status.INTERNSHIP: "Internship starts next week", Status.EMPLOYED: "Got a job",
        Status.SUBSIDISED_EMPLOYMENT: "Offered a subsidised job (nystartsjobb)",
        Status.STUDIES: "Admitted to adult education (Komvux)",
    },
}


@dataclass(frozen=True, slots=True)
class DemoProject:
    """What was seeded: the personas (with fixed Telegram ids) and a few counts."""

    personas: tuple[DemoPersona, ...]
    participants: int
    ended: int
    checkins: int

    @property
    def coordinators(self) -> tuple[DemoPersona, ...]:
        return tuple(p for p in self.personas if p.role == Role.COORDINATOR)


class DatabaseNotEmpty(Exception):
    """The demo project is only ever written into an empty database."""


@dataclass(slots=True)
class _Plan:
    """One invented participant's story, decided before anything is written."""

    name: str
    municipality: str
    gender: Gender
    language: str
    enrolled_on: date
    ended_on: date | None = None
    outcome: Outcome | None = None
    final_status: Status = Status.ACTIVE
    visits: list[date] = field(default_factory=list)
    entry: dict[str, object] = field(default_factory=dict)
    subsidy: SubsidyType | None = None
    qualification: bool | None = None


async def database_is_empty(session: AsyncSession) -> bool:
    """True when nobody has been added yet (no staff, no participants)."""
    staff = (await session.exec(select(func.count()).select_from(Staff))).one()
    participants = (await session.exec(select(func.count()).select_from(Participant))).one()
    return staff == 0 and participants == 0


async def seed_demo_project(
    sessions: SessionMaker, *, now: datetime, rng_seed: int = 7
) -> DemoProject:
    """Fill an empty database with the demo project, in one transaction.

    `now` must be aware; its time zone is taken as the project's, so invented meetings
    happen in office hours there. Nothing is dated after `now`.
    """
    if now.utcoffset() is None:
        raise ValueError("seed_demo_project needs an aware datetime")
    rng = random.Random(rng_seed)
    plans = _plan_participants(rng, today=now.date())
    async with transaction(sessions) as session:
        if not await database_is_empty(session):
            raise DatabaseNotEmpty("the demo project is only seeded into an empty database")
        viewers = await _add_staff(session, now=now - timedelta(days=HISTORY_DAYS + 30))
        checkins = 0
        # ~1000 check-ins make this the slow part of a first `koordinator demo` (seconds).
        # log_checkin flushes what it adds itself; an autoflush before each lookup by code
        # would only add round trips.
        with session.no_autoflush:
            for plan in plans:
                persona = _coordinator_for(plan.municipality)
                checkins += await _write_story(
                    session, viewers[persona.telegram_id], plan, rng, persona.language, now
                )
        await _add_joined_participants(session, viewers, now)
        await _add_outcome_answers(session, now, random.Random(len(plans) + 1))
    return DemoProject(
        personas=DEMO_PERSONAS,
        participants=len(plans) + len(DEMO_PARTICIPANTS),
        ended=sum(1 for p in plans if p.outcome is not None),
        checkins=checkins,
    )


# What ended participants answer at 28 days, 6 and 13 months, by how they ended: /report
# then shows real follow-up rates instead of 0. Not every question is answered.
ANSWERED_SHARE = 0.8
ANSWER_WEIGHTS: dict[OutcomeCategory, dict[FollowUpAnswer, int]] = {
    OutcomeCategory.WORK: {FollowUpAnswer.WORKING: 85, FollowUpAnswer.STUDYING: 3,
                           FollowUpAnswer.LOOKING_FOR_WORK: 10, FollowUpAnswer.OTHER: 2},
    OutcomeCategory.SUBSIDISED_WORK: {FollowUpAnswer.WORKING: 75, FollowUpAnswer.STUDYING: 3,
                                      FollowUpAnswer.LOOKING_FOR_WORK: 18,
                                      FollowUpAnswer.OTHER: 4},
    OutcomeCategory.STUDIES: {FollowUpAnswer.STUDYING: 75, FollowUpAnswer.WORKING: 15,
                              FollowUpAnswer.LOOKING_FOR_WORK: 8, FollowUpAnswer.OTHER: 2},
    OutcomeCategory.OTHER: {FollowUpAnswer.WORKING: 25, FollowUpAnswer.STUDYING: 20,
                            FollowUpAnswer.LOOKING_FOR_WORK: 40, FollowUpAnswer.OTHER: 10,
                            FollowUpAnswer.RATHER_NOT_SAY: 5},
    OutcomeCategory.DROPOUT: {FollowUpAnswer.WORKING: 15, FollowUpAnswer.STUDYING: 10,
                              FollowUpAnswer.LOOKING_FOR_WORK: 30, FollowUpAnswer.OTHER: 35,
                              FollowUpAnswer.RATHER_NOT_SAY: 10},
    OutcomeCategory.UNKNOWN: {FollowUpAnswer.WORKING: 30, FollowUpAnswer.LOOKING_FOR_WORK: 30,
                              FollowUpAnswer.OTHER: 25, FollowUpAnswer.RATHER_NOT_SAY: 15},
}


async def _add_outcome_answers(session: AsyncSession, now: datetime,
                               rng: random.Random) -> None:
    """The follow-up questions that fell due before `now`, most of them answered.

    From a random stream of its own, so every other figure of the demo stays as it was.
    """
    zone, today = now.tzinfo, now.date()
    ended = (await session.exec(select(Participant).where(
        Participant.status == Status.ENDED).order_by(Participant.id))).all()  # type: ignore[arg-type]
    for participant in ended:
        assert participant.ended_on is not None and participant.id is not None
        category = OUTCOME_CATEGORY.get(Outcome(participant.outcome), OutcomeCategory.UNKNOWN) \
            if participant.outcome else OutcomeCategory.UNKNOWN
        for point in FollowUpPoint:
            due = due_on(participant.ended_on, point)
            if due > today:
                continue
            asked = min(_at(due, rng, zone), now)
            followup = await start(session, DueQuestion(participant, point, due),
                                   asked_at=asked, now=asked)
            if followup is None or followup.id is None or rng.random() > ANSWERED_SHARE:
                continue
            await answer_by_participant(
                session, participant.id, followup.id, _weighted(rng, ANSWER_WEIGHTS[category]),
                now=min(asked + timedelta(hours=rng.randint(1, 48)), now))


# ---- planning: pure, deterministic -------------------------------------------------------
def _plan_participants(rng: random.Random, *, today: date) -> list[_Plan]:
    plans = [_plan_person(rng, today) for _ in range(PARTICIPANT_COUNT)]
    # The oldest enrolment gets the lowest code, as in a project that grew over time.
    plans.sort(key=lambda p: (p.enrolled_on, p.name))
    ended = [p for p in plans if p.ended_on is not None]
    outcomes = _quota(OUTCOME_SHARES, len(ended))
    rng.shuffle(outcomes)
    for plan, outcome in zip(ended, outcomes, strict=True):
        plan.outcome = outcome
        plan.final_status = STATUS_BEFORE_OUTCOME.get(outcome, plan.final_status)
    for plan in plans:
        if plan.outcome is None:
            plan.final_status = _weighted(rng, CURRENT_STATUS_WEIGHTS)
        plan.visits = _visit_days(rng, plan.enrolled_on, plan.ended_on or today)
    # Entry data from a random stream of its own: adding it left every other draw (and
    # the demo's figures) as it was.
    entry_rng = random.Random(len(plans))
    for plan in plans:
        _plan_entry(entry_rng, plan)
    return plans


def _plan_entry(rng: random.Random, plan: _Plan) -> None:
    if plan.outcome == Outcome.SUBSIDISED:
        plan.subsidy = rng.choice(list(SubsidyType))
    if plan.outcome in (Outcome.EMPLOYED, Outcome.SUBSIDISED, Outcome.STUDIES,
                        Outcome.OTHER_EDUCATION):
        plan.qualification = rng.random() < QUALIFICATION_SHARE
    if rng.random() < ENTRY_NOT_STATED:
        return
    plan.entry = {
        "entry_employment": _weighted(rng, ENTRY_EMPLOYMENT_WEIGHTS),
        "birth_year": plan.enrolled_on.year - rng.randint(19, 58),
        "education_level": _weighted(rng, EDUCATION_WEIGHTS),
        "third_country_national": rng.random() < 0.85,
        "sfi_level": _weighted(rng, SFI_WEIGHTS),
        "income_support": rng.random() < 0.4,
        "registered_af": rng.random() < 0.8,
        "establishment_programme": rng.random() < 0.5,
    }


def _plan_person(rng: random.Random, today: date) -> _Plan:
    language = _weighted(rng, LANGUAGE_WEIGHTS)
    gender = _weighted(rng, GENDER_WEIGHTS)
    names = _MEN if gender == Gender.MAN else _WOMEN
    if gender in (Gender.OTHER, Gender.UNSPECIFIED):
        names = rng.choice((_MEN, _WOMEN))
    name = f"{rng.choice(names[language])} {rng.choice(_INITIALS)}."
    enrolled_on = today - timedelta(days=rng.randint(10, HISTORY_DAYS))
    # People stay three months to twenty months; those whose time is up have ended.
    planned_end = enrolled_on + timedelta(days=rng.randint(90, 600))
    return _Plan(
        name=name,
        municipality=_weighted(rng, MUNICIPALITY_WEIGHTS),
        gender=gender,
        language=language,
        enrolled_on=enrolled_on,
        ended_on=planned_end if planned_end < today else None,
    )


def _visit_days(rng: random.Random, start: date, end: date) -> list[date]:
    """Working days with a check-in, every two to seven weeks, before `end`."""
    days: list[date] = []
    day = start + timedelta(days=rng.randint(0, 6))
    while day < end:
        while day.weekday() >= 5:  # nobody meets on a weekend
            day += timedelta(days=1)
        if day < end:
            days.append(day)
        day += timedelta(days=rng.randint(14, 49))
    return days


def _quota(shares: dict[T, float], total: int) -> list[T]:
    """`total` items split by `shares` with the largest-remainder method (exact, stable)."""
    exact = {key: share * total for key, share in shares.items()}
    counts = {key: int(value) for key, value in exact.items()}
    by_remainder = sorted(shares, key=lambda k: exact[k] - counts[k], reverse=True)
    for key in by_remainder[: total - sum(counts.values())]:
        counts[key] += 1
    return [key for key in shares for _ in range(counts[key])]


def _weighted(rng: random.Random, weights: dict[T, int]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _coordinator_for(municipality: str) -> DemoPersona:
    return next(p for p in DEMO_STAFF if municipality in p.serves)


# ---- writing: through the ordinary storage functions ------------------------------------
async def _add_staff(session: AsyncSession, *, now: datetime) -> dict[int, Viewer]:
    viewers: dict[int, Viewer] = {}
    for persona in DEMO_STAFF:
        staff = await add_staff(
            session, telegram_user_id=persona.telegram_id, name=persona.name,
            role=Role(persona.role), municipality=persona.municipality, now=now,
            language=persona.language,
        )
        viewers[persona.telegram_id] = Viewer.of(staff)
    return viewers


def _at(day: date, rng: random.Random, zone: tzinfo | None) -> datetime:
    """A moment in office hours (08:30–16:00) on `day` in the project's time zone."""
    minutes = rng.randint(8 * 60 + 30, 16 * 60)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)


async def _write_story(
    session: AsyncSession, viewer: Viewer, plan: _Plan, rng: random.Random, note_language: str,
    now: datetime,
) -> int:
    """Register the participant, log their check-ins, change status and maybe end them."""
    zone = now.tzinfo
    participant = await register_participant(
        session, viewer, display_name=plan.name, municipality=plan.municipality,
        gender=plan.gender, language=plan.language, enrolled_on=plan.enrolled_on,
        now=min(_at(plan.enrolled_on, rng, zone), now),
    )
    await session.flush()  # the public code is set after the first flush; queries look it up
    if plan.entry:
        await set_details(session, viewer, participant.code, plan.entry,
                          today=plan.enrolled_on, now=participant.created_at)
    notes = _NOTES[note_language]
    # The status changes at a check-in in the last third of the stay (a paused person
    # usually just sends a message, so that one is a plain status change).
    change_at = len(plan.visits) - 1 - rng.randint(0, max(0, len(plan.visits) // 3))
    for index, day in enumerate(plan.visits):
        moment = min(_at(day, rng, zone), now)
        status = None
        note = rng.choice(notes)
        if index == change_at and plan.final_status not in (Status.ACTIVE, Status.PAUSED):
            status = plan.final_status
            note = _STATUS_NOTES[note_language][status]
        await log_checkin(
            session, viewer, participant.code, channel=_weighted(rng, CHANNEL_WEIGHTS),
            note=note, happened_at=moment, now=moment, note_max_length=NOTE_MAX_LENGTH,
            status_change=status,
        )
    last_day = plan.visits[-1] if plan.visits else plan.enrolled_on
    if plan.final_status == Status.PAUSED:
        await change_status(session, viewer, participant.code, Status.PAUSED,
                            now=min(_at(last_day, rng, zone) + timedelta(hours=1), now))
    if plan.outcome is not None and plan.ended_on is not None:
        await end_participant(
            session, viewer, participant.code, plan.outcome, ended_on=plan.ended_on,
            now=min(_at(plan.ended_on, rng, zone), now), subsidy_type=plan.subsidy,
            gained_qualification=plan.qualification,
        )
    return len(plan.visits)


# Hours from "now" to each joined participant's next follow-up: one soon enough that its
# reminder fires while someone tries the sandbox (faster still with `demo --speed`).
JOINED_FOLLOWUP_HOURS = (3, 27)


async def _add_joined_participants(
    session: AsyncSession, viewers: dict[int, Viewer], now: datetime
) -> None:
    """The participant personas: registered, joined with consent, a follow-up booked."""
    for persona, hours in zip(DEMO_PARTICIPANTS, JOINED_FOLLOWUP_HOURS, strict=True):
        coordinator = _coordinator_for(persona.municipality or "Växjö")
        viewer = viewers[coordinator.telegram_id]
        participant = await register_participant(
            session, viewer, display_name=persona.name, municipality=persona.municipality or "",
            gender=Gender.WOMAN, language=persona.language,
            enrolled_on=now.date() - timedelta(days=60), now=now)
        participant.telegram_user_id = persona.telegram_id
        participant.chat_id = persona.telegram_id
        participant.consent_at = now
        session.add(participant)
        due = _office_hours((now + timedelta(hours=hours)).replace(minute=0, second=0,
                                                                   microsecond=0))
        await book_followup(session, viewer, participant.code, due_at=due,
                            kind=FollowUpKind.MEETING, place="Arbetsförmedlingen", now=now)


def _office_hours(moment: datetime) -> datetime:
    """The same moment if it falls 08:00–16:00 on a weekday (in `moment`'s zone), else the
    next weekday at 10:00: demo meetings happen when offices are open."""
    if moment.weekday() < 5 and 8 <= moment.hour < 16:
        return moment
    day = moment.date() + timedelta(days=1 if moment.hour >= 16 else 0)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(10, 0), tzinfo=moment.tzinfo)
