"""Every figure a lead can see, from one hand-built project, against hand-computed values
and against each other through the mapping in docs/definitions.md.

One project: every end reason (and one ending without an outcome), every gender value,
endings and check-ins on period edges in the project's time zone, 28-day, 6- and 13-month
answers. `/stats`, the `/chart` data, the `/export` workbook, each `/report` table and the
free-text answers are read as a lead reads them, through the running bot.

The project, for 2026 (all rows: tests below name them by number):

| 2026 endings (40)          | woman | man | other | not stated | total |
| employed                   | 1     | 9   | 1     | 1          | 12    |
| self-employed              |       | 2   |       |            | 2     |
| subsidised employment      |       | 7   | 1     |            | 8     |
| studies (CSN)              |       | 7   |       |            | 7     |
| other education            | 2     |     |       |            | 2     |
| labour-market programme    | 1     |     |       |            | 1     |
| job seeking                | 1     |     |       |            | 1     |
| other                      | 1     |     |       |            | 1     |
| parental leave, moved      | 2     |     |       |            | 2     |
| illness, dropped out other |       | 2   |       |            | 2     |
| unknown, no outcome        |       | 1   |       | 1          | 2     |
| to work or studies         | 1/8   | 25/28 | 2/2 | 1/2        | 29/40 |

29/40 = 72.5 %: 73 % when rounded half up (round-half-to-even would show 72 %); women
1/8 = 12.5 % → 13 %. Dropouts 4, so 29/36 = 80.6 % → 81 %. In the project at some time in
2026: the 40 plus 5 still active = 45 (29/45 = 64 %); enrolled in 2026: 3. Three ended in
2025 (a woman employed on 31 Dec 2025, a man to studies on 1 Jun 2025, "other" gender
moved on 15 Mar 2025). Q1 2026 endings: 1 Jan (employed, man), 15 Feb (other education,
woman), 31 Mar (studies, man; moved, woman); 1 Apr (subsidised, man) is Q2; the rest end
on 30 Sep. Check-ins at local 31 Dec 2025 23:30, 1 Jan 00:15 (31 Dec in UTC), 31 Mar
23:30 and 1 Apr 00:30 (31 Mar in UTC).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from openpyxl import load_workbook

from bot.sandbox.emulator import ChatMessage
from storage import stats
from storage.access import Viewer
from storage.db import transaction
from storage.models import DEFAULT_DROPOUT_REASONS
from storage.models import CheckIn
from storage.models import Gender
from storage.models import Outcome
from storage.models import OutcomeCategory
from storage.models import OutcomeFollowUp
from storage.models import set_dropout_reasons
from tests.conftest import STOCKHOLM
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.conftest import Person
from tests.harness import BotHarness
from tests.harness import running_bot
from tests.projects import bo_and_anna
from tests.projects import checkin
from tests.projects import insert_participants
from tests.projects import insert_rows
from tests.projects import local
from tests.projects import participant

W, M, OTH, U = Gender.WOMAN, Gender.MAN, Gender.OTHER, Gender.UNSPECIFIED
E = Outcome
Q1_END, Q2_START, Q3_END = date(2026, 3, 31), date(2026, 4, 1), date(2026, 9, 30)

# (number, outcome, gender, ended_on) of the 2026 endings; None: ended without an outcome.
ENDED_2026: list[tuple[int, Outcome | None, Gender, date]] = [
    (1, E.EMPLOYED, M, date(2026, 1, 1)),
    (2, E.STUDIES, M, Q1_END),
    (3, E.OTHER_EDUCATION, W, date(2026, 2, 15)),
    (4, E.MOVED, W, Q1_END),
    (5, E.SUBSIDISED, M, Q2_START),
    *[(6 + i, E.EMPLOYED, g, Q3_END) for i, g in enumerate([W, *[M] * 8, OTH, U])],  # 6-16
    (17, E.SELF_EMPLOYED, M, Q3_END), (18, E.SELF_EMPLOYED, M, Q3_END),
    *[(19 + i, E.SUBSIDISED, g, Q3_END) for i, g in enumerate([*[M] * 6, OTH])],  # 19-25
    *[(26 + i, E.STUDIES, M, Q3_END) for i in range(6)],  # 26-31
    (32, E.OTHER_EDUCATION, W, Q3_END),
    (33, E.LABOUR_MARKET_PROGRAMME, W, Q3_END),
    (34, E.JOB_SEEKING, W, Q3_END),
    (35, E.OTHER, W, Q3_END),
    (36, E.PARENTAL_LEAVE, W, Q3_END),
    (37, E.ILLNESS, M, Q3_END),
    (38, E.DROPOUT_OTHER, M, Q3_END),
    (39, E.UNKNOWN, M, Q3_END),
    (40, None, U, Q3_END),
]
ENDED_2025: list[tuple[int, Outcome, Gender, date]] = [
    (41, E.EMPLOYED, W, date(2025, 12, 31)),
    (42, E.STUDIES, M, date(2025, 6, 1)),
    (43, E.MOVED, OTH, date(2025, 3, 15)),
]
ACTIVE: list[tuple[int, Gender, date]] = [
    (44, W, date(2026, 1, 1)), (45, M, date(2025, 12, 31)), (46, OTH, date(2026, 6, 1)),
    (47, U, date(2026, 11, 1)), (48, M, date(2024, 1, 1)),
]
# (number, point, answer): 28-day answers only count where the end reason says neither
# work, education nor job seeking (#1's is ignored); 6- and 13-month cohorts by date.
ANSWERS: list[tuple[int, str, str]] = [
    (33, "28d", "working"), (40, "28d", "studying"), (35, "28d", "looking_for_work"),
    (1, "28d", "looking_for_work"),
    (41, "6m", "working"), (1, "6m", "working"), (2, "6m", "studying"),
    (3, "6m", "looking_for_work"),
    (42, "13m", "studying"),
]

# ---- the hand count (see the module docstring) ------------------------------------------
YEAR_2026 = {"participants": 45, "enrolled": 3, "ended": 40, "active": 5,
             "work": 14, "subsidised work": 8, "studies (CSN)": 7, "other": 5, "dropout": 4,
             "unknown": 2, "reached": 29, "checkins": 3}
GENDERS_2026 = {"Women": (1, 8, "13%"), "Men": (25, 28, "89%"), "Other gender": (2, 2, "100%"),
                "Gender not stated": (1, 2, "50%")}
Q1_2026 = {"participants": 43, "enrolled": 1, "ended": 4, "reached": 2, "checkins": 2}
ALL_TIME = {"participants": 48, "ended": 43, "reached": 31}


async def build_project(db: Database, people: People) -> dict[int, int]:
    """The project above; returns number → participant id."""
    bo, anna = bo_and_anna(people)

    def row(number: int, gender: Gender, enrolled: date, ended: date | None,
            outcome: Outcome | None) -> dict[str, Any]:
        # Women in Alvesta with Anna, everyone else in Växjö with Bo.
        where = {"coordinator_id": anna, "municipality": "Alvesta"} if gender == W else \
            {"coordinator_id": bo, "municipality": "Växjö"}
        values = participant(where["coordinator_id"], municipality=where["municipality"],
                             gender=gender, enrolled_on=enrolled, ended_on=ended,
                             outcome=outcome, name=f"Person {number}")
        return {**values, "code": f"P-{80000 + number}"}

    rows = [row(n, g, date(2025, 10, 1), ended, outcome) for n, outcome, g, ended in ENDED_2026]
    rows += [row(n, g, date(2024, 6, 1), ended, outcome) for n, outcome, g, ended in ENDED_2025]
    rows += [row(n, g, enrolled, None, None) for n, g, enrolled in ACTIVE]
    ids = await insert_participants(db, rows)
    number_to_id = {n: ids[f"P-{80000 + n}"] for n in range(1, 49)}
    await insert_rows(db, CheckIn, [
        checkin(number_to_id[48], bo, local(2025, 12, 31, 23, 30)),
        checkin(number_to_id[48], bo, local(2026, 1, 1, 0, 15)),
        checkin(number_to_id[45], bo, local(2026, 3, 31, 23, 30)),
        checkin(number_to_id[45], bo, local(2026, 4, 1, 0, 30)),
    ])
    await insert_rows(db, OutcomeFollowUp, [
        {"participant_id": number_to_id[n], "point": point, "due_on": date(2026, 1, 1),
         "asked_at": TEST_NOW, "answered_at": TEST_NOW, "answer": answer,
         "source": "participant", "logged_by": None, "created_at": TEST_NOW}
        for n, point, answer in ANSWERS])
    return number_to_id


def number_after(label: str, text: str) -> int:
    found = re.search(re.escape(label) + r"\D*?(\d+)", text)
    assert found, (label, text)
    return int(found.group(1))


def workbook_rows(bot: BotHarness, message: ChatMessage) -> Iterator[list[Any]]:
    assert message.document_id is not None, message.text
    workbook = load_workbook(io.BytesIO(bot.api.files[message.document_id].content))
    for sheet in workbook:
        for row in sheet.iter_rows(values_only=True):
            yield list(row)


def by_label(rows: Iterator[list[Any]]) -> dict[str, list[Any]]:
    return {row[0]: row[1:] for row in rows if row and isinstance(row[0], str)}


# ---- /stats ------------------------------------------------------------------------------
def assert_stats_text(text: str, expected: dict[str, int], *, share_of_ended: str) -> None:
    assert number_after("In the project at some time in the period:", text) == \
        expected["participants"]
    assert number_after("Enrolled in the period:", text) == expected["enrolled"]
    assert number_after("ended in the period:", text) == expected["ended"]
    assert number_after("To work or studies (work, subsidised work, CSN studies):", text) == \
        expected["reached"]
    assert number_after("Check-ins logged in the period:", text) == expected["checkins"]
    assert f"{share_of_ended} of those who ended ·" in text


async def test_every_figure_agrees_with_the_hand_count_and_each_other(
    bot: BotHarness, people: People, db: Database
) -> None:
    await build_project(db, people)
    lead = people.lead

    # /stats 2026: period figures, outcomes, rounding half up, every gender, "now" apart.
    [reply] = await bot.send(lead.user, "/stats 2026")
    text = reply.text
    assert_stats_text(text, YEAR_2026, share_of_ended="73%")
    for category in ("work", "subsidised work", "studies (CSN)", "other", "dropout", "unknown"):
        assert f"{category} {YEAR_2026[category]}" in text, category
    assert sum(YEAR_2026[c] for c in ("work", "subsidised work", "studies (CSN)", "other",
                                      "dropout", "unknown")) == YEAR_2026["ended"]
    assert "73% of those who ended · 81% of those who ended, dropouts excluded · 64% of all " \
           "participants in the period" in text
    for gender, (reached, ended, share) in GENDERS_2026.items():
        assert f"{gender}: {reached} of {ended} who ended ({share})" in text, gender
    assert sum(r for r, _, _ in GENDERS_2026.values()) == YEAR_2026["reached"]
    assert sum(e for _, e, _ in GENDERS_2026.values()) == YEAR_2026["ended"]
    assert "Now (today, whatever the period): 5 active participants" in text
    # Which end reasons "other" and "dropout" hold is said next to them.
    assert "Other: other education, labour-market programme, job seeking, other." in text
    assert "Dropout: parental leave, moved, illness, dropped out, other reason." in text

    # Period edges in Stockholm time: Q1 holds 1 Jan and 31 Mar, not 1 Apr.
    [q1] = await bot.send(lead.user, "/stats 2026-Q1")
    assert_stats_text(q1.text, {**Q1_2026}, share_of_ended="50%")
    [alltime] = await bot.send(lead.user, "/stats all")
    assert number_after("In the project at some time in the period:", alltime.text) == 48
    assert number_after("ended in the period:", alltime.text) == ALL_TIME["ended"]
    assert number_after("To work or studies (work, subsidised work, CSN studies):",
                        alltime.text) == ALL_TIME["reached"]
    assert "72% of those who ended" in alltime.text  # 31/43 = 72.09 %

    # The breakdowns add up to the overview.
    [table] = await bot.send(lead.user, "/stats 2026 per kommun")
    cells = {line.split()[0]: line.split()[1:]
             for line in re.search(r"<pre>(.*?)</pre>", table.text, re.S).group(1).split("\n")[1:]}
    assert cells == {"Växjö": ["36", "32", "28", "88%"], "Alvesta": ["9", "8", "1", "13%"],
                     "Total": ["45", "40", "29", "73%"]}
    [table] = await bot.send(lead.user, "/stats 2026 per koordinator")
    names = [line.split()[0] for line in
             re.search(r"<pre>(.*?)</pre>", table.text, re.S).group(1).split("\n")[1:]]
    assert names == ["Bo", "Anna", "Total"], "names as colleagues say them, whole"

    # /chart data: the series the charts draw add up to the same endings.
    async with transaction(db.sessions) as session:
        assert lead.staff is not None
        viewer, flt = Viewer.of(lead.staff), stats.StatsFilter(
            STOCKHOLM, date(2026, 1, 1), date(2026, 12, 31))
        quarters = await stats.outcomes_per_quarter(session, viewer, flt)
        municipalities = await stats.outcomes_by_municipality(session, viewer, flt)
    assert quarters.labels == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert [sum(quarters.counts[c][i] for c in OutcomeCategory) for i in range(3)] == [4, 1, 35]
    for series in (quarters, municipalities):
        assert series.total == YEAR_2026["ended"]
        reached = sum(sum(series.counts[c]) for c in stats.TO_WORK_OR_STUDIES)
        assert reached == YEAR_2026["reached"]
        assert sum(series.counts[OutcomeCategory.DROPOUT]) == YEAR_2026["dropout"]
    [photo] = await bot.send(lead.user, "/chart outcomes 2026")
    assert photo.photo_id is not None

    # /export: the workbook's summary holds the same figures, shares as the cells show them.
    [document] = await bot.send(lead.user, "/export xlsx 2026")
    summary = by_label(workbook_rows(bot, document))
    assert summary["In the project at some time in the period"][0] == 45
    assert summary["Enrolled in the period"][0] == 3
    assert summary["Ended in the period"][0] == 40
    assert summary["Ended in the period: work"][:2] == [14, 0.35]
    assert summary["To work or studies (work, subsidised work, CSN studies), share of those "
                   "who ended"][:2] == [29, 0.725]
    assert summary["To work or studies, share of those who ended, dropouts excluded"][1] == 0.806
    assert summary["To work or studies, share of all in the project in the period"][1] == 0.644
    assert summary["Women: to work or studies, share of those who ended"][:2] == [1, 0.125]
    assert summary["Gender not stated: ended in the period"][0] == 2
    assert summary["Active now (today, whatever the period)"][0] == 5
    assert summary["Check-ins logged in the period"][0] == 3
    assert summary["Total"][:4] == [45, 40, 29, 0.725]

    # /report esf-result: ESF+ counts any education and the 28-day answer; the mapping to
    # /stats (docs/definitions.md): employed by end reason + CSN studies = to work or studies.
    [document] = await bot.send(lead.user, "/report esf-result 2026")
    result = {row[1]: row[2:] for row in workbook_rows(bot, document)
              if row and len(row) > 5 and isinstance(row[1], str)}
    assert result["Participants who left"] == [8, 28, 4, 40]
    employed = result["In employment, incl. self-employed, on leaving"]
    education = result["In education or training on leaving (CSN studies and other education)"]
    assert employed == [2, 18, 3, 23]
    assert education == [2, 7, 1, 10]
    assert result["Job searching on leaving"] == [2, 0, 0, 2]
    assert result["Other or unknown situation on leaving"] == [2, 3, 0, 5]
    assert result["Of those who left: dropouts"][3] == YEAR_2026["dropout"]
    assert employed[3] + education[3] + 2 + 5 == YEAR_2026["ended"]
    by_end_reason = YEAR_2026["work"] + YEAR_2026["subsidised work"]
    assert employed[3] - 1 == by_end_reason, "one more from a 28-day answer (#33: working)"
    assert by_end_reason + YEAR_2026["studies (CSN)"] == YEAR_2026["reached"]
    assert education[3] == YEAR_2026["studies (CSN)"] + 2 + 1, "+ other education + #40"
    assert result["Participants whose 6-month date is in the period"] == [3, 3, 0, 6]
    assert result["Answered the 6-month follow-up"] == [2, 2, 0, 4]
    assert result["In employment, incl. self-employed, 6 months after leaving"] == [1, 1, 0, 2]
    assert result["In education or training 6 months after leaving"] == [0, 1, 0, 1]
    assert result["Job searching 6 months after leaving"] == [1, 0, 0, 1]

    # /report outcomes: the same rates as /stats, by gender and in total.
    [document] = await bot.send(lead.user, "/report outcomes 2026")
    rows = list(workbook_rows(bot, document))
    gender_rows = {row[0]: row[1:6] for row in rows if row and row[0] in {
        "Women", "Men", "Other or not stated", "Total"}}
    assert gender_rows["Women"] == [8, 2, 1, 0.125, 0.167]
    assert gender_rows["Men"] == [28, 2, 25, 0.893, 0.962]
    assert gender_rows["Other or not stated"] == [4, 0, 3, 0.75, 0.75]
    assert gender_rows["Total"] == [40, 4, 29, 0.725, 0.806]
    figures = by_label(iter(rows))
    assert figures["Participants these days are counted over"][0] == YEAR_2026["reached"]
    assert figures["Participants whose 13-month date is in the period"][0] == 2
    assert figures["Answered the 13-month follow-up"][0] == 1
    assert figures["Working or studying at 13 months"][0] == 1
    assert figures["Working or studying at 13 months, percent of all whose 13-month date is "
                   "in the period"][0] == 50.0

    # /report esf-entry and scb-monthly: who started, and one row per start and end.
    [document] = await bot.send(lead.user, "/report esf-entry 2026")
    entry = {row[1]: row[2:] for row in workbook_rows(bot, document)
             if row and len(row) > 5 and isinstance(row[1], str)}
    assert entry["Participants who started"] == [1, 0, 2, YEAR_2026["enrolled"]]
    [document] = await bot.send(lead.user, "/report scb-monthly 2026")
    events = [row for row in workbook_rows(bot, document)
              if row and row[1] in {"start", "end"}]
    assert sum(row[1] == "start" for row in events) == YEAR_2026["enrolled"]
    assert sum(row[1] == "end" for row in events) == YEAR_2026["ended"]

    # Free-text answers: the same figures, saying what they counted.
    [answer] = await bot.send(lead.user, "how many went to work or studies in 2026?")
    assert "work or studies: <b>29</b> of 40 who ended" in answer.text
    [answer] = await bot.send(lead.user, "share to work or studies 2026")
    assert "<b>73%</b> of those who ended (29 of 40)" in answer.text
    [answer] = await bot.send(lead.user, "how many got a job in 2026?")
    assert "Ended with work: <b>14</b> of 40 who ended" in answer.text
    assert "Counted end reasons: employed, self-employed." in answer.text
    assert "Not counted here: subsidised work 8, studies (CSN) 7. All to work or studies " \
           "(work, subsidised work, CSN studies): 29 of 40 who ended (73%)." in answer.text
    [answer] = await bot.send(lead.user, "andel kvinnor och män till jobb eller studier 2026")
    for gender, (reached, ended, share) in GENDERS_2026.items():
        assert f"{gender}: {share} ({reached} of {ended} who ended)" in answer.text, gender


async def test_dropout_reasons_are_a_setting_every_figure_follows(
    people: People, db: Database
) -> None:
    """A project that counts only illness and "dropped out, other reason" as avbrott: parental
    leave and moved count as "other" in /stats, the export and the reports alike."""
    await build_project(db, people)
    try:
        await _with_fewer_dropouts(people, db)
    finally:
        # The application sets the process-wide list from its settings; put the default back
        # for whatever runs next in this process.
        set_dropout_reasons(DEFAULT_DROPOUT_REASONS)


async def _with_fewer_dropouts(people: People, db: Database) -> None:
    async with running_bot(db.url, db.sessions, now=TEST_NOW,
                           dropout_reasons="illness,dropout_other") as bot:
        lead: Person = people.lead
        [reply] = await bot.send(lead.user, "/stats 2026")
        assert "other 7 · dropout 2 · unknown 2" in reply.text
        assert "Dropout: illness, dropped out, other reason." in reply.text
        assert "76% of those who ended, dropouts excluded" in reply.text  # 29/38
        [document] = await bot.send(lead.user, "/report esf-result 2026")
        result = {row[1]: row[2:] for row in workbook_rows(bot, document)
                  if row and len(row) > 5 and isinstance(row[1], str)}
        assert result["Of those who left: dropouts"] == [0, 2, 0, 2]
        [document] = await bot.send(lead.user, "/report outcomes 2026")
        total = next(row for row in workbook_rows(bot, document) if row and row[0] == "Total")
        assert total[1:6] == [40, 2, 29, 0.725, 0.763]
