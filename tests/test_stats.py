"""/stats, its breakdown, /team and the digest: every figure checked against a hand count.

The small project's rows and counts are tabled in `tests.projects.small_project`.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlmodel import select

from bot.outbox.digest import plan_digests
from bot.text.i18n import Translator
from bot.text.periods import parse_period
from bot.text.stats_text import period_label
from bot.text.stats_text import short_names
from handlers.kit.stats_request import StatsView
from handlers.kit.stats_request import View
from storage import stats
from storage.access import Viewer
from storage.checkins import log_checkin
from storage.db import transaction
from storage.gdpr import erase_participant
from storage.models import OUTCOME_CATEGORY
from storage.models import Channel
from storage.models import CheckIn
from storage.models import FollowUp
from storage.models import FollowUpResponse
from storage.models import FollowUpState
from storage.models import Gender
from storage.models import OutboundMessage
from storage.models import Outcome
from storage.models import OutcomeCategory
from storage.models import Participant
from storage.models import Role
from storage.models import Status
from storage.participants import end_participant
from storage.participants import hand_over
from storage.stats import municipality_ref
from tests.conftest import STOCKHOLM
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.conftest import Person
from tests.harness import BotHarness
from tests.period_words import PERIOD_WORDS
from tests.period_words import TODAY as PERIOD_TODAY
from tests.projects import SmallProject
from tests.projects import bo_and_anna
from tests.projects import checkin
from tests.projects import insert_participants
from tests.projects import insert_rows
from tests.projects import local
from tests.projects import participant
from tests.projects import reference_project
from tests.steps import add
from tests.steps import each_reply_contains
from tests.steps import rows

Q1 = (date(2026, 1, 1), date(2026, 3, 31))


async def figures(db: Database, person: Person, start: date | None = None,
                  end: date | None = None, **narrowing) -> stats.Figures:
    assert person.staff is not None
    async with transaction(db.sessions) as session:
        return await stats.project_figures(session, Viewer.of(person.staff),
                                           stats.StatsFilter(STOCKHOLM, start, end, **narrowing))


async def breakdown(db: Database, person: Person, by: stats.BreakdownBy) -> stats.Breakdown:
    assert person.staff is not None
    async with transaction(db.sessions) as session:
        return await stats.breakdown(session, Viewer.of(person.staff),
                                     stats.StatsFilter(STOCKHOLM), by)


def pre_lines(text: str) -> list[str]:
    match = re.search(r"<pre>(.*?)</pre>", text, re.S)
    assert match, text
    return match.group(1).split("\n")


def pre_cells(text: str) -> dict[str, list[str]]:
    """The <pre> table's rows under its header: first word (the row's name) → the others."""
    return {line.split()[0]: line.split()[1:] for line in pre_lines(text)[1:]}


# ---- the reference proportions -----------------------------------------------------------
async def test_reference_project_gives_529_of_707_to_work_or_studies(
    bot: BotHarness, people: People, db: Database
) -> None:
    await reference_project(db, people)
    result = await figures(db, people.lead)
    assert (result.participants, result.ended, result.active) == (707, 707, 0)
    assert result.outcome(OutcomeCategory.WORK) == 438
    assert result.outcome(OutcomeCategory.STUDIES) == 91
    assert result.outcome(OutcomeCategory.DROPOUT) == 144
    assert result.to_work_or_studies == 529
    assert result.share_of_ended == pytest.approx(0.748, abs=0.0005)
    assert result.share_excluding_dropouts == pytest.approx(529 / 563)
    assert result.share_of_all == pytest.approx(0.748, abs=0.0005)
    [reply] = await bot.send(people.lead.user, "/stats all")
    assert "In the project at some time in the period: 707" in reply.text
    assert "To work or studies (work, subsidised work, CSN studies): 529" in reply.text
    assert ("75% of those who ended · 94% of those who ended, dropouts excluded · 75% of all "
            "participants in the period") in reply.text
    assert "work 438 · subsidised work 0 · studies (CSN) 91" in reply.text


async def test_without_dropouts_both_shares_of_ended_are_equal(
    bot: BotHarness, people: People, db: Database
) -> None:
    assert people.bo.staff and people.bo.staff.id
    rows = [participant(people.bo.staff.id, enrolled_on=date(2025, 1, 1),
                        ended_on=date(2025, 6, 1), outcome=outcome)
            for outcome in (Outcome.EMPLOYED, Outcome.SELF_EMPLOYED, Outcome.OTHER,
                            Outcome.UNKNOWN)]
    await insert_rows(db, Participant, rows)
    result = await figures(db, people.lead)
    assert result.outcome(OutcomeCategory.WORK) == 2
    assert result.share_of_ended == result.share_excluding_dropouts == 0.5
    [reply] = await bot.send(people.lead.user, "/stats 2025")
    assert "50% of those who ended · 50% of those who ended, dropouts excluded" in reply.text


# ---- a small project counted by hand -----------------------------------------------------
async def test_first_quarter_figures_match_the_hand_count(
    bot: BotHarness, people: People, db: Database, project: SmallProject
) -> None:
    result = await figures(db, people.lead, *Q1)
    assert (result.participants, result.enrolled, result.active, result.ended) == (7, 4, 3, 4)
    assert result.outcomes == {
        OutcomeCategory.WORK: 1, OutcomeCategory.SUBSIDISED_WORK: 1, OutcomeCategory.STUDIES: 0,
        OutcomeCategory.OTHER: 1, OutcomeCategory.DROPOUT: 1, OutcomeCategory.UNKNOWN: 0}
    assert result.to_work_or_studies == 2
    assert (result.share_of_ended, result.share_excluding_dropouts) == (0.5, pytest.approx(2 / 3))
    assert result.share_of_all == pytest.approx(2 / 7)
    assert (result.women.participants, result.women.ended, result.women.to_work_or_studies) == (
        4, 3, 1)
    assert (result.men.participants, result.men.ended, result.men.to_work_or_studies) == (3, 1, 1)
    assert result.checkins == 3
    [reply] = await bot.send(people.lead.user, "/stats 2026-Q1")
    for line in (
        "Statistics: Q1 2026", "In the project at some time in the period: 7",
        "Enrolled in the period: 4 · ended in the period: 4",
        "Of the 4 who ended in the period:",
        "work 1 · subsidised work 1 · studies (CSN) 0", "other 1 · dropout 1 · unknown 0",
        "To work or studies (work, subsidised work, CSN studies): 2",
        "50% of those who ended · 67% of those who ended, dropouts excluded · 29% of all "
        "participants in the period",
        "To work or studies, by gender:\nWomen: 1 of 3 who ended (33%)\n"
        "Men: 1 of 1 who ended (100%)\n",
        "Check-ins logged in the period: 3",
        # "Now" is today's figure, apart from the period's and labelled so.
        "Now (today, whatever the period): 3 active participants",
    ):
        assert line in reply.text, line


async def test_all_time_figures_match_the_hand_count(
    bot: BotHarness, people: People, db: Database, project: SmallProject
) -> None:
    result = await figures(db, people.admin)
    assert (result.participants, result.enrolled, result.active, result.ended) == (9, 9, 3, 6)
    assert all(result.outcome(category) == 1 for category in OutcomeCategory)
    assert (result.to_work_or_studies, result.checkins) == (3, 5)
    assert (result.share_of_ended, result.share_excluding_dropouts) == (0.5, 0.6)
    [reply] = await bot.send(people.admin.user, "/statistik")
    assert "Statistics: all time" in reply.text
    assert ("50% of those who ended · 60% of those who ended, dropouts excluded · 33% of all "
            "participants in the period") in reply.text


async def test_period_edges_31_march_is_q1_and_1_april_is_q2(
    bot: BotHarness, people: People, db: Database, project: SmallProject
) -> None:
    q2 = await figures(db, people.lead, date(2026, 4, 1), date(2026, 6, 30))
    assert (q2.participants, q2.ended, q2.outcome(OutcomeCategory.STUDIES)) == (4, 1, 1)
    assert q2.checkins == 1, "00:30 local on 1 April is Q2 although it is 31 March in UTC"
    march = await figures(db, people.lead, date(2026, 3, 31), date(2026, 3, 31))
    assert (march.ended, march.outcome(OutcomeCategory.WORK), march.checkins) == (1, 1, 1)
    [reply] = await bot.send(people.lead.user, "/stats 2026-04-01..2026-06-30")
    assert "ended in the period: 1" in reply.text and "studies (CSN) 1" in reply.text
    assert "Check-ins logged in the period: 1" in reply.text


async def test_participant_ended_at_2330_local_on_31_march_counts_in_q1(
    bot: BotHarness, people: People, db: Database
) -> None:
    bot.clock.set(datetime(2026, 3, 31, 23, 30, tzinfo=STOCKHOLM))
    code = await add(bot, people.bo, "Amina H | Växjö | woman | ar | 2026-01-10")
    await bot.send(people.bo.user, f"/end {code} employed")
    [stored] = await rows(db, Participant)
    assert stored.ended_on == date(2026, 3, 31)
    [reply] = await bot.send(people.lead.user, "/stats quarter")
    assert "Q1 2026" in reply.text and "ended in the period: 1" in reply.text
    assert "work 1" in reply.text
    bot.clock.set(datetime(2026, 4, 1, 0, 30, tzinfo=STOCKHOLM))
    [reply] = await bot.send(people.lead.user, "/stats quarter")
    assert "Q2 2026" in reply.text
    assert "No participants or check-ins match" in reply.text
    [reply] = await bot.send(people.lead.user, "/stats 2026-Q1")
    assert "ended in the period: 1" in reply.text


async def test_filters_as_words_narrow_the_figures(
    bot: BotHarness, people: People, db: Database, project: SmallProject
) -> None:
    assert people.anna.staff is not None
    vaxjo = await figures(db, people.lead, municipality="Växjö")
    assert (vaxjo.participants, vaxjo.ended, vaxjo.to_work_or_studies) == (5, 4, 2)
    [reply] = await bot.send(people.lead.user, "/stats all kommun:vaxjo")
    assert "Filter: municipality Växjö" in reply.text
    assert "In the project at some time in the period: 5" in reply.text
    assert "ended in the period: 4" in reply.text
    [reply] = await bot.send(people.lead.user, "/stats all gender:women")
    assert "In the project at some time in the period: 6" in reply.text
    assert "ended in the period: 4" in reply.text
    assert "To work or studies (work, subsidised work, CSN studies): 1" in reply.text
    [reply] = await bot.send(people.lead.user, "/stats all coordinator:bo")
    assert "coordinator Bo Berg" in reply.text
    assert "In the project at some time in the period: 4" in reply.text
    [reply] = await bot.send(people.lead.user,
                             "/stats all kommun:Växjö kön:kvinnor koordinator:Anna")
    assert "In the project at some time in the period: 1" in reply.text
    assert "unknown 1" in reply.text and "0% of those who ended" in reply.text
    only_nine = await figures(db, people.lead, municipality="Växjö",
                              coordinator_id=people.anna.staff.id, gender=Gender.WOMAN)
    assert (only_nine.participants, only_nine.outcome(OutcomeCategory.UNKNOWN)) == (1, 1)


def test_short_names_are_first_names_with_an_initial_where_two_share_one() -> None:
    names = ["Karin Koordinatorsson", "Karin Lind", "Bo Berg", "Ali Ek", "Ali Eriksson", "Cher"]
    assert short_names(names) == {
        "Karin Koordinatorsson": "Karin K.", "Karin Lind": "Karin L.", "Bo Berg": "Bo",
        "Ali Ek": "Ali Ek", "Ali Eriksson": "Ali Eriksson", "Cher": "Cher"}


async def test_period_words_work_in_the_command_as_in_questions(
    bot: BotHarness, people: People, project: SmallProject
) -> None:
    """Every row of the one period grammar's table (tests/period_words.py, also run
    through the question parser) names the same period in `/stats`, with a view after it."""
    bot.clock.set(datetime.combine(PERIOD_TODAY, datetime.min.time(), tzinfo=STOCKHOLM)
                  + timedelta(hours=10))
    tr = Translator("en", STOCKHOLM)
    for words, label in PERIOD_WORDS:
        period = parse_period(label, PERIOD_TODAY)
        assert period is not None
        [reply] = await bot.send(people.lead.user, f"/statistik {words} per kommun")
        assert f"By municipality: {period_label(tr, period)}" in reply.text, (words, reply.text)
    # The Swedish button's own label, typed: "Denna månad" "Per kommun".
    [reply] = await bot.send(people.anna.user, "/statistik denna månad per kommun")
    assert "Skriv till exempel" not in reply.text and "november 2026" in reply.text


async def test_stats_offers_the_previous_month_quarter_and_year(
    bot: BotHarness, people: People, project: SmallProject
) -> None:
    bot.clock.set(datetime(2026, 4, 15, 10, 0, tzinfo=STOCKHOLM))
    [reply] = await bot.send(people.lead.user, "/stats")
    [edited] = await bot.press(people.lead.user, reply, "Previous quarter")
    assert "Statistics: Q1 2026" in edited.text and "ended in the period: 4" in edited.text
    [edited] = await bot.press(people.lead.user, edited, "Previous month")
    assert "Statistics: March 2026" in edited.text
    [edited] = await bot.press(people.lead.user, edited, "Previous year")
    assert "Statistics: 2025" in edited.text and "• Previous year" in str(edited.reply_markup)


async def test_unknown_names_and_words_get_a_readable_answer(
    bot: BotHarness, people: People, project: SmallProject
) -> None:
    await each_reply_contains(bot, people.lead.user, [
        ("/stats kommun:Atlantis", "“Atlantis” is not one of the project's municipalities"),
        ("/stats kommun:Alvestaa", "Did you mean Alvesta?"),
        # A municipality without participants is still one: its figures are simply none.
        ("/stats kommun:Lund", "No participants or check-ins match"),
        ("/stats coordinator:Zed", "don't know one coordinator called “Zed”"),
        ("/stats yesteryear", "Write for example"),
    ])


# ---- access ------------------------------------------------------------------------------
async def test_coordinator_sees_only_their_own_caseload(
    bot: BotHarness, people: People, db: Database, project: SmallProject
) -> None:
    own = await figures(db, people.bo)
    assert (own.participants, own.ended, own.to_work_or_studies, own.checkins) == (4, 3, 2, 3)
    [reply] = await bot.send(people.bo.user, "/stats all")
    assert "In the project at some time in the period: 4" in reply.text
    [reply] = await bot.send(people.bo.user, "/stats all coordinator:Anna")
    assert "don't know one coordinator called “Anna”" in reply.text
    assert people.anna.staff is not None
    forged = StatsView(View.FIGURES, "all", people.anna.staff.id, None, None).encode()
    [reply] = await bot.press_data(people.bo.user, reply, forged)
    assert "No participants or check-ins match" in reply.text
    alvesta = StatsView(View.MUNICIPALITY, "all", None, None, municipality_ref("Alvesta"))
    [reply] = await bot.press_data(people.bo.user, reply, alvesta.encode())
    assert "No participants or check-ins match" in reply.text


async def test_lead_restricted_to_alvesta_sees_only_alvesta(
    bot: BotHarness, people: People, db: Database, project: SmallProject
) -> None:
    result = await figures(db, people.lead_alvesta)
    assert (result.participants, result.ended, result.to_work_or_studies, result.checkins) == (
        4, 2, 1, 2)
    [by_municipality] = await bot.send(people.lead_alvesta.user, "/stats all by municipality")
    table = pre_lines(by_municipality.text)
    assert [line.split()[0] for line in table[1:]] == ["Alvesta", "Total"]
    [reply] = await bot.send(people.lead_alvesta.user, "/stats all kommun:Växjö")
    assert "No participants or check-ins match" in reply.text
    vaxjo = StatsView(View.FIGURES, "all", None, None, municipality_ref("Växjö"))
    [reply] = await bot.press_data(people.lead_alvesta.user, by_municipality, vaxjo.encode())
    assert "No participants or check-ins match" in reply.text


# ---- empty sets and the breakdown --------------------------------------------------------
async def test_empty_set_gives_a_readable_answer_and_no_division_by_zero(
    bot: BotHarness, people: People, db: Database
) -> None:
    result = await figures(db, people.lead)
    assert result.is_empty and result.share_of_ended is None
    assert result.share_excluding_dropouts is None and result.share_of_all is None
    [reply] = await bot.send(people.lead.user, "/stats")
    assert "No participants or check-ins match this period and filter." in reply.text
    [reply] = await bot.send(people.lead.user, "/stats by coordinator")
    assert "No participants or check-ins match" in reply.text
    [reply] = await bot.send(people.lead.user, "/team")
    assert pre_cells(reply.text) == {"Anna": ["0"] * 4, "Bo": ["0"] * 4}, \
        "active coordinators, with zeros"


async def test_shares_are_dashes_when_nobody_ended(
    bot: BotHarness, people: People, db: Database
) -> None:
    assert people.bo.staff and people.bo.staff.id
    await insert_rows(db, Participant, [participant(people.bo.staff.id,
                                                    enrolled_on=date(2026, 5, 1))])
    [reply] = await bot.send(people.lead.user, "/stats all by municipality")
    assert pre_lines(reply.text)[-1].split()[-1] == "–"
    [reply] = await bot.send(people.lead.user, "/stats all")
    assert "Nobody ended in this period" in reply.text


async def test_breakdown_totals_equal_the_overall_figures(
    bot: BotHarness, people: People, db: Database, project: SmallProject
) -> None:
    overall = await figures(db, people.lead)
    for by in stats.BREAKDOWNS:
        table = await breakdown(db, people.lead, by)
        assert table.total == overall
        for name in ("participants", "enrolled", "active", "ended", "checkins",
                     "to_work_or_studies"):
            assert sum(getattr(row.figures, name) for row in table.rows) == getattr(overall, name)
    by_coordinator = await breakdown(db, people.lead, "coordinator")
    assert [row.label for row in by_coordinator.rows] == ["Anna Andersson", "Bo Berg"]
    [reply] = await bot.send(people.lead.user, "/stats all by municipality")
    table = pre_lines(reply.text)
    assert all(len(line) <= 32 for line in table), table
    assert pre_cells(reply.text) == {"Växjö": ["5", "4", "2", "50%"],
                                     "Alvesta": ["4", "2", "1", "50%"],
                                     "Total": ["9", "6", "3", "50%"]}


async def test_buttons_switch_period_and_view(
    bot: BotHarness, people: People, project: SmallProject
) -> None:
    bot.clock.set(datetime(2026, 3, 31, 12, 0, tzinfo=STOCKHOLM))
    [reply] = await bot.send(people.lead.user, "/stats kommun:Alvesta")
    assert "Statistics: all time" in reply.text
    assert "In the project at some time in the period: 4" in reply.text
    [edited] = await bot.press(people.lead.user, reply, "This quarter")
    assert edited.message_id == reply.message_id
    assert "Statistics: Q1 2026" in edited.text and "Filter: municipality Alvesta" in edited.text
    assert "In the project at some time in the period: 3" in edited.text
    [edited] = await bot.press(people.lead.user, edited, "By coordinator")
    assert "By coordinator: Q1 2026" in edited.text
    assert [line.split()[0] for line in pre_lines(edited.text)[1:]] == ["Anna", "Total"]
    [edited] = await bot.press(people.lead.user, edited, "Overview")
    assert "Statistics: Q1 2026" in edited.text


async def test_every_button_is_there_whatever_the_filter_and_carries_it_to_charts_and_exports(
    bot: BotHarness, people: People, db: Database
) -> None:
    """The longest period, a coordinator, a gender and a long municipality name: no button
    is dropped for Telegram's 64 bytes (each family fits by construction), and the filter
    reaches the chart and the export through the buttons."""
    assert people.bo.staff is not None and people.bo.staff.id is not None
    long_name = "Upplands Väsby och Sollentuna gemensamma arbetsmarknadsförvaltning"
    await insert_participants(db, [
        participant(people.bo.staff.id, municipality=long_name, enrolled_on=date(2026, 2, 1),
                    ended_on=date(2026, 3, 1), outcome=Outcome.EMPLOYED),
        participant(people.bo.staff.id, enrolled_on=date(2026, 2, 1))])
    command = f'/stats 2026-01-01..2026-06-30 kommun:"{long_name}" gender:women coordinator:Bo'
    [reply] = await bot.send(people.lead.user, command)
    assert "In the project at some time in the period: 1" in reply.text
    assert [label for label, _ in reply.buttons] == [
        "This month", "This quarter", "This year", "All time", "Previous month",
        "Previous quarter", "Previous year", "By municipality", "By coordinator", "📈 Charts",
        "📄 Export"]
    assert all(len(data.encode()) <= 64 for _, data in reply.buttons)
    assert long_name not in "".join(data for _, data in reply.buttons)
    [offer] = await bot.press(people.lead.user, reply, "Export")
    [document] = await bot.press(people.lead.user, offer, "CSV")
    content = bot.api.files[document.document_id].content.decode("utf-8-sig")
    assert long_name in content and "Växjö" not in content
    [reply] = await bot.send(people.lead.user, command)
    [offer] = await bot.press(people.lead.user, reply, "Charts")
    [chart] = await bot.press(people.lead.user, offer, "by municipality")
    assert chart.photo_id and long_name in chart.caption
    # A reference no municipality has, or a relative period word, is an expired button.
    for forged in (StatsView(View.FIGURES, "all", None, None, "aaaaaaaa"),
                   StatsView(View.FIGURES, "this-month", None, None, None)):
        [anchor] = await bot.send(people.lead.user, command)
        [expired] = await bot.press_data(people.lead.user, anchor, forged.encode())
        assert "expired" in expired.text and "/stats" in expired.text


# ---- /team -------------------------------------------------------------------------------
async def test_team_overview_counts_caseload_checkins_and_followups(
    bot: BotHarness, people: People, db: Database
) -> None:
    bo, anna = bo_and_anna(people)
    rows = [
        participant(bo, enrolled_on=date(2026, 1, 1)),
        participant(bo, enrolled_on=date(2026, 1, 1)),
        participant(bo, enrolled_on=date(2026, 1, 1), ended_on=date(2026, 6, 1),
                    outcome=Outcome.EMPLOYED),
        participant(anna, municipality="Alvesta", enrolled_on=date(2026, 1, 1)),
    ]
    ids = await insert_participants(db, rows)
    first, annas = ids[rows[0]["code"]], ids[rows[3]["code"]]
    now = TEST_NOW
    await insert_rows(db, CheckIn, [
        checkin(first, bo, now - timedelta(days=5)),
        checkin(first, bo, now - timedelta(days=40)),
        checkin(annas, anna, now - timedelta(days=1)),
    ])

    def followup(days: float, response=FollowUpResponse.PENDING,
                 state=FollowUpState.SCHEDULED) -> dict:
        return {"participant_id": first, "coordinator_id": bo, "kind": "meeting", "place": "",
                "due_at": (now + timedelta(days=days)).astimezone(UTC),
                "response": response.value, "state": state.value,
                "created_at": now, "updated_at": now}

    await insert_rows(db, FollowUp, [
        followup(2), followup(3, FollowUpResponse.CONFIRMED), followup(10),
        followup(1, state=FollowUpState.CANCELLED), followup(-1)])
    [reply] = await bot.send(people.lead.user, "/team")
    table = pre_lines(reply.text)
    assert all(len(line) <= 32 for line in table), table
    # Names as colleagues say them, never cut ("Anna Anders…" before).
    assert pre_cells(reply.text) == {"Anna": ["1", "1", "0", "0"], "Bo": ["2", "1", "2", "1"]}
    [reply] = await bot.send(people.lead_alvesta.user, "/team")
    assert "Anna" in reply.text and "Bo" not in pre_lines(reply.text)[1]
    [reply] = await bot.send(people.bo.user, "/team")
    assert "does not allow" in reply.text


# ---- the weekly digest -------------------------------------------------------------------
async def test_plan_digests_queues_one_row_per_lead_for_monday_0800_once(
    bot: BotHarness, people: People, db: Database
) -> None:
    for _ in range(2):
        async with transaction(db.sessions) as session:
            assert await plan_digests(session, bot.settings, TEST_NOW) == 3
    async with transaction(db.sessions) as session:
        rows = (await session.exec(select(OutboundMessage))).all()
    monday = datetime(2026, 11, 30, 8, 0, tzinfo=STOCKHOLM)
    staff_ids = {p.staff.id for p in (people.admin, people.lead, people.lead_alvesta) if p.staff}
    assert {row.staff_id for row in rows} == staff_ids and len(rows) == 3
    for row in rows:
        assert row.template == "digest" and row.send_at == monday
        assert row.dedupe_key == f"digest:{row.staff_id}:2026-W49"
        assert json.loads(row.params) == {"start": "2026-11-23", "end": "2026-11-29"}


async def test_digest_is_sent_through_the_outbox_with_the_weeks_news(
    bot: BotHarness, people: People, db: Database
) -> None:
    bo, anna = bo_and_anna(people)
    rows = [
        participant(bo, enrolled_on=date(2026, 11, 24)),  # new this week
        participant(bo, enrolled_on=date(2026, 9, 1), ended_on=date(2026, 11, 26),
                    outcome=Outcome.EMPLOYED),  # ended this week
        participant(anna, municipality="Alvesta", enrolled_on=date(2026, 8, 1)),  # neglected
        participant(anna, municipality="Alvesta", enrolled_on=date(2026, 10, 1)),  # never seen
    ]
    ids = await insert_participants(db, rows)
    first, stale = ids[rows[0]["code"]], ids[rows[2]["code"]]
    stale_code, never_code = rows[2]["code"], rows[3]["code"]
    await insert_rows(db, CheckIn, [
        checkin(first, bo, local(2026, 11, 25, 10, 0)),
        checkin(first, bo, local(2026, 11, 27, 10, 0)),
        checkin(stale, anna, local(2026, 10, 20, 10, 0)),
    ])
    async with transaction(db.sessions) as session:
        await plan_digests(session, bot.settings, TEST_NOW)
    bot.clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=STOCKHOLM))
    await bot.dispatcher.drain()
    [digest] = bot.api.bot_messages(people.lead.id)
    text = digest.text
    for line in ("Weekly digest: 23 Nov 2026 – 29 Nov 2026", "New participants: 1",
                 "Ended: 1", "To work or studies (work, subsidised work, CSN studies): 1",
                 "Bo Berg: 2", "Anna Andersson: 0",
                 "2 participants without a check-in for 3 weeks or more"):
        assert line in text, (line, text)
    assert f"{never_code} (Anna Andersson): no check-in yet" in text
    assert f"{stale_code} (Anna Andersson): last check-in 20 Oct 2026" in text
    [alvesta] = bot.api.bot_messages(people.lead_alvesta.id)
    assert "Bo Berg" not in alvesta.text and "New participants: 0" in alvesta.text
    assert bot.api.bot_messages(people.bo.id) == []


async def test_digest_command_sends_the_last_seven_days_now(
    bot: BotHarness, people: People, db: Database
) -> None:
    assert people.bo.staff and people.bo.staff.id
    await insert_rows(db, Participant, [
        participant(people.bo.staff.id, enrolled_on=date(2026, 11, 17)),
        participant(people.bo.staff.id, enrolled_on=date(2026, 11, 24)),  # today: not yet
    ])
    [reply] = await bot.send(people.lead.user, "/digest")
    assert "Weekly digest: 17 Nov 2026 – 23 Nov 2026" in reply.text
    assert "New participants: 1" in reply.text
    [reply] = await bot.send(people.bo.user, "/digest")
    assert "does not allow" in reply.text


# ---- every figure equals a recount, whoever asks, however filtered, after any write ------
MUNICIPALITIES = ("Växjö", "Alvesta", "Ljungby")
PERIODS: tuple[tuple[date | None, date | None], ...] = (
    (None, None), Q1, (date(2025, 1, 1), date(2025, 12, 31)),
    (date(2025, 3, 15), date(2026, 2, 10)), (None, date(2025, 6, 30)), (date(2026, 1, 1), None))


@dataclass(frozen=True)
class Row:
    """A participant as stored, read back without the statistics module."""

    id: int
    municipality: str
    coordinator_id: int
    gender: str
    status: str
    enrolled_on: date
    ended_on: date | None
    outcome: str | None


async def stored(db: Database) -> tuple[list[Row], list[tuple[int, datetime]]]:
    async with transaction(db.sessions) as session:
        rows = [Row(p.id, p.municipality, p.coordinator_id, str(p.gender), str(p.status),  # type: ignore[arg-type]
                    p.enrolled_on, p.ended_on, p.outcome and str(p.outcome))
                for p in (await session.exec(select(Participant))).all()]
        checkins = [(c.participant_id, c.happened_at)
                    for c in (await session.exec(select(CheckIn))).all()]
    return rows, checkins


def sees(viewer: Viewer, flt: stats.StatsFilter, row: Row) -> bool:
    """DESIGN.md's scope, written out: own caseload, a lead's municipalities, or all."""
    if viewer.role == Role.COORDINATOR and row.coordinator_id != viewer.staff_id:
        return False
    if viewer.role == Role.LEAD and viewer.municipalities \
            and row.municipality not in viewer.municipalities:
        return False
    return ((flt.municipality is None or row.municipality == flt.municipality)
            and (flt.coordinator_id is None or row.coordinator_id == flt.coordinator_id)
            and (flt.gender is None or row.gender == flt.gender.value))


def recount(rows: list[Row], checkins: list[tuple[int, datetime]],
            flt: stats.StatsFilter) -> stats.Figures:
    """The module's definitions (storage/stats.py docstring) counted row by row in Python."""
    def within(day: date | None) -> bool:
        return day is not None and (flt.start is None or day >= flt.start) \
            and (flt.end is None or day <= flt.end)

    def during(row: Row) -> bool:
        return (flt.end is None or row.enrolled_on <= flt.end) and (
            flt.start is None or row.ended_on is None or row.ended_on >= flt.start)

    def category(row: Row) -> OutcomeCategory:
        return OUTCOME_CATEGORY[Outcome(row.outcome)] if row.outcome else OutcomeCategory.UNKNOWN

    def split(gender: Gender) -> stats.GenderSplit:
        mine = [row for row in rows if row.gender == gender.value]
        ended = [row for row in mine if within(row.ended_on)]
        return stats.GenderSplit(
            sum(map(during, mine)), len(ended),
            sum(category(row) in stats.TO_WORK_OR_STUDIES for row in ended))

    ended = [row for row in rows if within(row.ended_on)]
    low, high = flt.moments()
    ids = {row.id for row in rows}
    return stats.Figures(
        participants=sum(map(during, rows)), enrolled=sum(within(r.enrolled_on) for r in rows),
        active=sum(row.status != Status.ENDED.value for row in rows), ended=len(ended),
        outcomes={c: sum(category(row) == c for row in ended) for c in OutcomeCategory},
        by_gender={gender: split(gender) for gender in stats.SPLIT_GENDERS},
        checkins=sum(1 for participant_id, at in checkins if participant_id in ids
                     and (low is None or at >= low) and (high is None or at < high)))


async def assert_figures_equal_recount(db: Database, people: People) -> stats.Figures:
    """project_figures and both breakdowns against the recount, for every combination."""
    rows, checkins = await stored(db)
    assert people.bo.staff and people.bo.staff.id
    filters: list[dict[str, Any]] = [{}, {"municipality": "Växjö"},
                                     {"coordinator_id": people.bo.staff.id},
                                     {"gender": Gender.MAN}]
    async with transaction(db.sessions) as session:
        for person in (people.admin, people.lead, people.lead_alvesta, people.anna, people.bo):
            assert person.staff is not None
            viewer = Viewer.of(person.staff)
            for narrowing in filters:
                for start, end in PERIODS:
                    flt = stats.StatsFilter(STOCKHOLM, start, end, **narrowing)
                    seen = [row for row in rows if sees(viewer, flt, row)]
                    expected = recount(seen, checkins, flt)
                    where = (person.staff.name, narrowing, start, end)
                    assert await stats.project_figures(session, viewer, flt) == expected, where
                    for by in stats.BREAKDOWNS:
                        found = await stats.breakdown(session, viewer, flt, by)
                        assert found.total == expected, (where, by)
                        keys = {str(getattr(row, "municipality" if by == "municipality"
                                            else "coordinator_id")) for row in seen}
                        groups = {key: recount([row for row in seen if str(
                            row.municipality if by == "municipality" else row.coordinator_id)
                            == key], checkins, flt) for key in keys}
                        assert {row.key: row.figures for row in found.rows} == {
                            key: figures for key, figures in groups.items()
                            if not figures.is_empty}, (where, by)
        viewer = Viewer.of(people.admin.staff)  # type: ignore[arg-type]
        return await stats.project_figures(session, viewer, stats.StatsFilter(STOCKHOLM))


async def test_every_figure_equals_a_recount_for_each_viewer_filter_and_period_after_writes(
    people: People, db: Database
) -> None:
    """Whoever asks (whole project, a municipality, a caseload), whatever the filter and
    period, the figures and both breakdowns (rows and totals) equal a row-by-row recount:
    before and after a check-in, an ending, a hand-over and an erasure."""
    bo, anna = bo_and_anna(people)
    rng = random.Random(8)
    rows = []
    for _ in range(60):
        enrolled = date(2024, 6, 1) + timedelta(days=rng.randrange(800))
        ended = enrolled + timedelta(days=rng.randrange(1, 400))
        has_ended = rng.random() < 0.5 and ended <= TEST_NOW.date()
        rows.append(participant(
            rng.choice((bo, anna)), municipality=rng.choice(MUNICIPALITIES),
            gender=rng.choice(list(Gender)), enrolled_on=enrolled,
            ended_on=ended if has_ended else None,
            outcome=rng.choice([*Outcome, None]) if has_ended else None))
    ids = await insert_participants(db, rows)
    codes = [row["code"] for row in rows]
    moments = [local(2026, 1, 1, 0, 0), local(2025, 12, 31, 23, 59), local(2025, 3, 15, 0, 5),
               local(2026, 2, 10, 23, 55), local(2026, 2, 11, 0, 0)]
    moments += [local(2024, 6, 1, 8) + timedelta(hours=rng.randrange(20_000)) for _ in range(200)]
    await insert_rows(db, CheckIn, [checkin(ids[rng.choice(codes)], bo, at) for at in moments])
    before = await assert_figures_equal_recount(db, people)
    assert before.participants and before.ended and before.active and before.checkins

    active = [row for row in rows if row["ended_on"] is None]
    lead = Viewer.of(people.lead.staff)  # type: ignore[arg-type]
    async with transaction(db.sessions) as session:
        mine = next(row["code"] for row in active if row["coordinator_id"] == bo)
        await log_checkin(session, Viewer.of(people.bo.staff), mine, channel=Channel.PHONE,
                          note="", happened_at=local(2026, 1, 1, 0, 0), now=TEST_NOW,
                          note_max_length=500)
        await end_participant(session, lead, active[1]["code"], Outcome.STUDIES,
                              ended_on=date(2026, 2, 10), now=TEST_NOW)
        await hand_over(session, lead, from_staff=people.bo.staff, to_staff=people.anna.staff,
                        codes=[row["code"] for row in active[2:6]
                               if row["coordinator_id"] == bo], now=TEST_NOW)
        await erase_participant(session, active[0]["code"], actor_staff_id=None, now=TEST_NOW)
        await erase_participant(session, next(row["code"] for row in rows if row["ended_on"]),
                                actor_staff_id=None, now=TEST_NOW)
    after = await assert_figures_equal_recount(db, people)
    assert after.checkins == before.checkins + 1
    assert (after.active, after.ended) == (before.active - 2, before.ended + 2)


async def test_migrated_checkin_indexes_are_the_models_with_participant_in_the_period_index(
    db: Database
) -> None:
    """The migration and the model agree: the period index holds participant_id (so a
    scoped count reads the index alone) and the index it replaced is gone."""
    def indexes(connection: Any) -> dict[str, list[str]]:
        return {index["name"]: index["column_names"]
                for index in sa_inspect(connection).get_indexes("checkin", schema=db.schema)}

    async with db.engine.connect() as connection:
        found = await connection.run_sync(indexes)
    declared = {index.name: [column.name for column in index.columns]
                for index in CheckIn.__table__.indexes}  # type: ignore[attr-defined]
    assert found == declared
    assert found["ix_checkin_happened_participant"] == ["happened_at", "participant_id"]
    assert "ix_checkin_happened_at" not in found
