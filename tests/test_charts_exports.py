"""/chart sends real PNGs; /export sends workbooks and CSV files that open, in the reader's
language, with names only for roles allowed to export them, and always audit-logged."""

from __future__ import annotations

import csv
import io
import json
import struct

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.documents.charts import ChartText
from bot.documents.charts import stacked_bars_figure
from bot.sandbox.emulator import ChatMessage
from bot.text.i18n import Translator
from storage.db import transaction
from storage.models import AuditLog
from tests.conftest import STOCKHOLM
from tests.conftest import Database
from tests.conftest import People
from tests.conftest import Person
from tests.harness import BotHarness
from tests.projects import SmallProject

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PARTICIPANT_HEADERS = ["Code", "Name", "Municipality", "Municipality code", "Gender", "Language",
                       "Coordinator", "Enrolled", "Status", "Ended", "Outcome", "Outcome category"]
SHEETS = ["Participants", "Check-ins", "Outcomes summary"]
NAMES = ["Amina One", "Yusuf Two", "Hodan Three", "Olena Four", "Dawit Five", "Selam Six",
         "Ali Seven", "Zahra Eight", "Grace Nine"]


def png_size(content: bytes) -> tuple[int, int]:
    """Width and height from the PNG header (IHDR is always the first chunk)."""
    assert content[:8] == PNG_MAGIC
    assert content[12:16] == b"IHDR"
    width, height = struct.unpack(">II", content[16:24])
    return width, height


def file_of(bot: BotHarness, message: ChatMessage) -> bytes:
    file_id = message.photo_id or message.document_id
    assert file_id is not None, message
    return bot.api.files[file_id].content


async def audit_rows(db: Database) -> list[AuditLog]:
    async with transaction(db.sessions) as session:
        rows = (await session.exec(select(AuditLog).where(
            AuditLog.action.startswith("export.")).order_by(AuditLog.id))).all()  # type: ignore[attr-defined]
        return list(rows)


# ---- charts ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("word", "title"), [
    ("outcomes", "Outcomes per quarter"),
    ("caseload", "Active participants over time"),
    ("municipalities", "Outcomes by municipality"),
])
async def test_each_chart_is_a_phone_sized_png(
    bot: BotHarness, people: People, project: SmallProject, word: str, title: str
) -> None:
    [photo] = await bot.send(people.lead.user, f"/chart {word}")
    assert photo.photo_id is not None and title in (photo.caption or "")
    content = file_of(bot, photo)
    assert png_size(content) == (1000, 700)
    assert len(content) > 10_000, "a drawn chart, not an empty canvas"
    others = [label for label, _ in photo.buttons]
    assert title not in others and len(others) == 2


async def test_chart_picker_buttons_send_the_chosen_chart_with_filters(
    bot: BotHarness, people: People, project: SmallProject
) -> None:
    [picker] = await bot.send(people.lead.user, "/diagram 2026 kommun:Alvesta")
    assert "Which chart (2026)?" in picker.text
    [photo] = await bot.press(people.lead.user, picker, "Outcomes per quarter")
    assert png_size(file_of(bot, photo)) == (1000, 700)
    assert "Filter: municipality Alvesta" in (photo.caption or "")
    [line] = await bot.press(people.lead.user, photo, "Active participants over time")
    assert line.photo_id is not None and line.photo_id != photo.photo_id


async def test_chart_without_data_says_so_and_bad_words_get_usage(
    bot: BotHarness, people: People, project: SmallProject
) -> None:
    [reply] = await bot.send(people.lead.user, "/chart outcomes 2020")
    assert "nothing to draw for 2020" in reply.text
    [reply] = await bot.send(people.lead.user, "/chart pie")
    assert "Write <code>/chart outcomes</code>" in reply.text


async def test_coordinator_chart_shows_only_their_caseload(
    bot: BotHarness, people: People, project: SmallProject
) -> None:
    [reply] = await bot.send(people.bo.user, "/chart municipalities")
    assert reply.photo_id is not None, "Bo has endings in Växjö"
    [reply] = await bot.send(people.bo.user, "/chart municipalities kommun:Alvesta")
    assert "nothing to draw" in reply.text, "Alvesta is a municipality; Bo has no one there"


# ---- exports --------------------------------------------------------------------------------
async def export(bot: BotHarness, person: Person, words: str) -> tuple[ChatMessage, bytes]:
    [document] = await bot.send(person.user, f"/export {words}")
    assert document.document_id is not None, document.text
    return document, file_of(bot, document)


async def test_xlsx_for_a_swedish_coordinator_has_swedish_sheets_headers_and_names(
    bot: BotHarness, people: People, db: Database, project: SmallProject
) -> None:
    sv = Translator("sv", STOCKHOLM)
    document, content = await export(bot, people.anna, "xlsx all")
    assert document.document_name == "koordinator-all.xlsx"
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == [sv._(name) for name in SHEETS]
    participants = workbook[sv._("Participants")]
    rows = list(participants.iter_rows(values_only=True))
    assert list(rows[0]) == [sv._(header) for header in PARTICIPANT_HEADERS]
    assert {row[0] for row in rows[1:]} == set(project.codes[4:]), "Anna's five only"
    assert {row[1] for row in rows[1:]} == set(NAMES[4:])
    checkins = list(workbook[sv._("Check-ins")].iter_rows(values_only=True))
    assert checkins[0][-1] == sv._("Note") and len(checkins) == 3
    summary = list(workbook[sv._("Outcomes summary")].iter_rows(values_only=True))
    totals = next(row for row in summary if row[0] == sv._("Total"))
    # The share as the cell shows it (0.0 %), rounded half up: 1/3 → 33.3 %.
    assert totals[1:5] == (5, 3, 1, 0.333)


async def test_xlsx_for_a_lead_has_codes_but_no_names_or_notes(
    bot: BotHarness, people: People, db: Database, project: SmallProject
) -> None:
    document, content = await export(bot, people.lead, "xlsx 2026-Q1")
    assert "Names and notes are left out" in (document.caption or "")
    assert "7 participants and 3 check-ins" in (document.caption or "")
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == SHEETS
    every_cell = [str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True)
                  for cell in row if cell is not None]
    assert not any(name in cell for name in NAMES for cell in every_cell)
    assert not any("secret note" in cell for cell in every_cell)
    rows = list(workbook["Participants"].iter_rows(values_only=True))
    assert list(rows[0]) == [h for h in PARTICIPANT_HEADERS if h != "Name"]
    assert len(rows) == 1 + 7
    assert "Note" not in next(workbook["Check-ins"].iter_rows(values_only=True))
    summary = {row[0]: row[1:] for row in workbook["Outcomes summary"].iter_rows(values_only=True)
               if row and row[0]}
    assert summary["To work or studies (work, subsidised work, CSN studies), share of those "
                   "who ended"][:2] == (2, 0.5)
    assert summary["Period"][0] == "Q1 2026"


async def test_csv_parses_with_the_locales_delimiter(
    bot: BotHarness, people: People, project: SmallProject
) -> None:
    _, content = await export(bot, people.lead, "csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == [h for h in PARTICIPANT_HEADERS if h != "Name"]
    assert len(rows) == 1 + 9
    assert {row[0] for row in rows[1:]} == set(project.codes)
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code[project.codes[0]][1:3] == ["Växjö", "0780"]
    assert by_code[project.codes[0]][6:] == ["2025-09-01", "ended", "2026-03-31", "employed",
                                             "work"]
    assert content.startswith(b"\xef\xbb\xbf"), "a BOM so Excel reads UTF-8"
    _, swedish = await export(bot, people.anna, "csv")
    sv = Translator("sv", STOCKHOLM)
    rows = list(csv.reader(io.StringIO(swedish.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == [sv._("Code"), sv._("Name")] and len(rows) == 1 + 5


async def test_restricted_lead_exports_only_alvesta(
    bot: BotHarness, people: People, project: SmallProject
) -> None:
    _, content = await export(bot, people.lead_alvesta, "csv all")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert {row[1] for row in rows[1:]} == {"Alvesta"} and len(rows) == 1 + 4


async def test_every_export_is_audit_logged(
    bot: BotHarness, people: People, db: Database, project: SmallProject
) -> None:
    await export(bot, people.lead, "xlsx 2026-Q1 kommun:Växjö")
    [picker] = await bot.send(people.anna.user, "/export")
    [document] = await bot.press(people.anna.user, picker, "CSV")
    assert document.document_name == "koordinator-all.csv"
    lead_row, anna_row = await audit_rows(db)
    assert people.lead.staff and people.anna.staff
    assert (lead_row.action, lead_row.actor_staff_id) == ("export.xlsx", people.lead.staff.id)
    details = json.loads(lead_row.details)
    assert details["names"] is False and details["municipality"] == "Växjö"
    assert (details["start"], details["end"], details["participants"]) == (
        "2026-01-01", "2026-03-31", 4)
    assert (anna_row.action, anna_row.actor_staff_id) == ("export.csv", people.anna.staff.id)
    assert json.loads(anna_row.details)["names"] is True


async def test_export_usage_for_unknown_format(
    bot: BotHarness, people: People, db: Database, project: SmallProject
) -> None:
    [reply] = await bot.send(people.lead.user, "/export pdf")
    assert "Write <code>/export xlsx</code>" in reply.text
    assert await audit_rows(db) == []


@pytest.mark.parametrize("horizontal", [False, True])
@pytest.mark.parametrize("largest", [4, 10, 20, 35, 100])
def test_bar_totals_stay_inside_the_plot_clear_of_the_subtitle(horizontal: bool,
                                                               largest: int) -> None:
    """The number on the largest bar had no room when the axis ended at the bar ("outcomes
    per quarter": the totals ran into the subtitle); it needs headroom inside the plot, at
    least half a label's height."""
    text = ChartText("Outcomes per quarter", "2026", "Participants who ended")
    quarters = [f"Q{q} {y}" for y in (2025, 2026) for q in (1, 2, 3, 4)]
    work = [largest // 2, largest - 6, largest // 4, 1, 0, largest // 3, 2, largest // 5]
    series = {name: (color, [1 if index == 1 else 0 for index in range(8)])
              for name, color in (("subsidised work", "#fb8c00"), ("studies", "#43a047"),
                                  ("other", "#8e24aa"), ("dropout", "#e53935"),
                                  ("unknown", "#9e9e9e"))}
    figure = stacked_bars_figure(quarters, {"work": ("#1e88e5", work), **series}, text,
                                 horizontal=horizontal)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    [axes] = figure.axes
    plot, subtitle = axes.get_window_extent(renderer), axes.title.get_window_extent(renderer)
    for total in axes.texts:
        box = total.get_window_extent(renderer)
        assert not box.overlaps(subtitle), (total.get_text(), box, subtitle)
        room = box.height / 2
        assert box.x1 <= plot.x1 - room and box.y1 <= plot.y1 - room, (
            total.get_text(), box, plot)
