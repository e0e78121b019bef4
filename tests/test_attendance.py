"""Attendance: /hours logs and corrects a month's hours (audited), coordinators are reminded
on the 1st of who has no hours for last month, and /attendance gives sheets to sign."""

from __future__ import annotations

import io
import json
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.outbox.hours_reminder import HoursPick
from bot.outbox.scheduler import DISPATCHER_KEY
from storage.models import AttendanceHours
from storage.models import AuditLog
from storage.models import Gender
from storage.models import OutboundMessage
from storage.models import Outcome
from tests.conftest import STOCKHOLM
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.harness import BotHarness
from tests.projects import insert_participants
from tests.projects import insert_rows
from tests.projects import participant
from tests.steps import add_participant
from tests.steps import picked
from tests.steps import rows
from tests.steps import set_staff


@pytest.fixture(autouse=True)
async def english_speaking_anna(people: People, db: Database) -> None:
    """These tests read Anna's replies in English (the default staff language is Swedish)."""
    await set_staff(db, people.anna, language="en")


NOVEMBER = date(2026, 11, 1)


async def add(bot: BotHarness, people: People, name: str = "Amina H",
              enrolled: str = "2026-10-15") -> str:
    return await add_participant(bot, people.anna.user,
                                 f"/ny {name} | Växjö | kvinna | ar | {enrolled}")


async def test_hours_one_liner_logs_corrects_audits_and_refuses_bad_input(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people)
    [reply] = await bot.send(people.anna.user, f"/hours {code} 2026-11 32")
    assert reply.text.startswith(f"✅ {code}: 32 hours in") and "2026" in reply.text
    [reply] = await bot.send(people.anna.user, f"/timmar {code} 2026-11 32,5")
    assert "32.5" in reply.text and "(Was 32.)" in reply.text
    await bot.send(people.anna.user, f"/hours {code} 2026-10 12")
    saved = await rows(db, AttendanceHours)
    assert [(r.month, r.hours) for r in saved] == [(NOVEMBER, 32.5), (date(2026, 10, 1), 12.0)]
    assert people.anna.staff is not None
    assert {r.logged_by for r in saved} == {people.anna.staff.id}
    audits = [json.loads(a.details) for a in await rows(db, AuditLog)
              if a.action == "attendance.hours"]
    assert audits == [{"month": "2026-11", "hours": 32.0, "previous": None},
                      {"month": "2026-11", "hours": 32.5, "previous": 32.0},
                      {"month": "2026-10", "hours": 12.0, "previous": None}]
    month = "That month is in the future or outside the participant's time in the project"
    usage = "Write: <code>/hours P-0042 2026-10 32</code>"
    for text, expected in (
        (f"/hours {code} 2026-12 10", month),  # the future
        (f"/hours {code} 2026-09 10", month),  # before the enrolment month
        (f"/hours {code} 2026-11 800", "The hours must be between 0 and 744"),
        # Not written as the usage shows: a month as YYYY-MM, hours as 32 or 32,5.
        (f"/hours {code} 2026-11 -3", usage), (f"/hours {code} november 10", usage),
        (f"/hours {code} 2026-13 10", usage), (f"/hours {code} 2026-11 1.234", usage),
    ):
        [reply] = await bot.send(people.anna.user, text)
        assert reply.text.startswith(expected), (text, reply.text)
        assert expected == usage or reply.text.endswith("nothing was saved."), text
    [reply] = await bot.send(people.bo.user, f"/hours {code} 2026-11 40")
    assert "can't find" in reply.text
    assert [(r.month, r.hours) for r in await rows(db, AttendanceHours)] == [
        (NOVEMBER, 32.5), (date(2026, 10, 1), 12.0)]


async def test_monthly_reminder_lists_last_months_participants_without_hours(
    bot: BotHarness, people: People, db: Database
) -> None:
    assert people.bo.staff is not None and people.bo.staff.id is not None
    bo = people.bo.staff.id
    spec = {
        "A": participant(bo, enrolled_on=date(2026, 9, 1), name="Active Without"),
        "B": participant(bo, enrolled_on=date(2026, 9, 1), ended_on=date(2026, 11, 10),
                         outcome=Outcome.EMPLOYED, name="Ended In November"),
        "C": participant(bo, enrolled_on=date(2026, 12, 1), name="Starts In December"),
        "D": participant(bo, enrolled_on=date(2026, 9, 1), name="Has Hours"),
        "E": participant(bo, enrolled_on=date(2026, 9, 1), ended_on=date(2026, 10, 31),
                         outcome=Outcome.MOVED, name="Ended In October"),
        "F": participant(bo, enrolled_on=date(2026, 9, 1), gender=Gender.MAN, name="—"),
    }
    ids = await insert_participants(db, list(spec.values()))
    code = {key: row["code"] for key, row in spec.items()}
    await insert_rows(db, AttendanceHours, [{
        "participant_id": ids[code["D"]], "month": NOVEMBER, "hours": 20.0, "logged_by": bo,
        "logged_at": TEST_NOW}])
    planner = bot.app.bot_data[DISPATCHER_KEY + ".agenda"]

    bot.clock.set(datetime(2026, 11, 30, 23, 0, tzinfo=STOCKHOLM))
    await planner.plan()
    assert [r for r in await rows(db, OutboundMessage) if r.template == "hours_reminder"] == []
    bot.clock.set(datetime(2026, 12, 1, 0, 30, tzinfo=STOCKHOLM))
    await planner.plan()
    [row] = [r for r in await rows(db, OutboundMessage) if r.template == "hours_reminder"]
    assert row.staff_id == bo and row.send_at.astimezone(STOCKHOLM).strftime("%d %H:%M") == (
        "01 09:00")
    # Hours logged before 09:00 drop off the list.
    await bot.send(people.bo.user, f"/hours {code['B']} 2026-11 8")
    bot.clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=STOCKHOLM))
    await bot.dispatcher.drain()
    [reminder] = [m for m in bot.api.bot_messages(people.bo.id) if "⏱" in m.body]
    assert "Hours for December" not in reminder.text and "1 participant" in reminder.text
    assert code["A"] in reminder.text and "Active Without" in reminder.text
    for key in "BCDEF":
        assert code[key] not in reminder.text, key
    assert f"/hours {code['A']} 2026-11 32" in reminder.text
    assert [label for label, _ in reminder.buttons] == [f"{code['A']} Active Without"]
    assert not any("⏱" in m.body for m in bot.api.bot_messages(people.anna.id))
    # Planned once a month only.
    bot.clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=STOCKHOLM))
    await planner.plan()
    bot.clock.set(datetime(2026, 12, 4, 10, 0, tzinfo=STOCKHOLM))
    await planner.plan()
    assert len([r for r in await rows(db, OutboundMessage)
                if r.template == "hours_reminder"]) == 1


async def test_hours_are_filled_in_with_taps_from_the_reminder_one_after_the_other(
    bot: BotHarness, people: People, db: Database
) -> None:
    assert people.bo.staff is not None and people.bo.staff.id is not None
    bo = people.bo.staff.id
    spec = [participant(bo, enrolled_on=date(2026, 9, 1), name=f"Person {n}") for n in "XYZ"]
    ids = await insert_participants(db, spec)
    codes = [row["code"] for row in spec]
    bot.clock.set(datetime(2026, 12, 1, 0, 30, tzinfo=STOCKHOLM))
    await bot.app.bot_data[DISPATCHER_KEY + ".agenda"].plan()
    bot.clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=STOCKHOLM))
    await bot.dispatcher.drain()
    [reminder] = [m for m in bot.api.bot_messages(people.bo.id) if "⏱" in m.body]
    assert [label for label, _ in reminder.buttons] == [
        f"{c} Person {n}" for c, n in zip(codes, "XYZ", strict=True)]
    [prompt] = await bot.press(people.bo.user, reminder, codes[0])
    assert "How many hours did" in prompt.text and "November 2026" in prompt.text
    [again] = await bot.send(people.bo.user, "lots")
    assert "not a number of hours; nothing was saved" in again.text
    *_, saved = await bot.send(people.bo.user, "32,5")
    assert f"✅ {codes[0]}: 32.5 hours in November 2026." in saved.text
    assert "Still missing for November 2026: 2" in saved.text
    assert [label for label, _ in saved.buttons] == [f"{codes[1]} Person Y",
                                                      f"{codes[2]} Person Z"]
    await bot.press(people.bo.user, saved, codes[2])
    *_, saved = await bot.send(people.bo.user, "10 timmar")  # the unit as people add it
    assert f"✅ {codes[2]}: 10 hours in November 2026." in saved.text
    assert [label for label, _ in saved.buttons] == [f"{codes[1]} Person Y"]
    # /hours with nothing after it starts the same way, for last month; Cancel stops it.
    [picker] = await bot.send(people.bo.user, "/hours")
    assert "Hours for November 2026" in picker.text
    [prompt] = await bot.press(people.bo.user, picker, codes[1])
    await bot.press(people.bo.user, prompt, "Cancel")
    [answer] = await bot.send(people.bo.user, "7")
    # The flow is over: "7" is free text again, read as a question, and saves nothing.
    assert answer.text.startswith("I didn't understand that question."), answer.text
    hours = {row.participant_id: row.hours for row in await rows(db, AttendanceHours)}
    assert hours == {ids[codes[0]]: 32.5, ids[codes[2]]: 10.0}
    # Another coordinator's button is answered like any payload naming what the person
    # cannot see (the interaction layer: "expired", a forged id learns nothing), and
    # starts nothing: a number typed next logs no hours.
    [anchor] = await bot.send(people.anna.user, "/help")
    forged = HoursPick.of(ids[codes[1]], date(2026, 11, 1)).encode()
    assert forged == f"hr:p:{ids[codes[1]]}:2026-11", "the reminder's data in chats keeps working"
    [refused] = await bot.press_data(people.anna.user, anchor, forged)
    assert "expired" in refused.text and "/hours" in refused.text
    await bot.send(people.anna.user, "7")
    assert {row.participant_id: row.hours for row in await rows(db, AttendanceHours)} == hours


async def test_hours_flow_answered_by_typing_offers_the_missing_first_finds_anyone(
    bot: BotHarness, people: People, db: Database
) -> None:
    logged = await add(bot, people, "Amina H")
    missing = await add(bot, people, "Omar A")
    await bot.send(people.anna.user, f"/hours {logged} 2026-10 20")
    [picker] = await bot.send(people.anna.user, "/timmar")
    assert picker.text == "Hours for October 2026: whose? Tap a participant."
    assert [label for label, _ in picker.buttons] == [f"{missing} Omar A", "Cancel"]
    # A code typed finds anyone in scope, hours logged or not: correcting is typing again.
    *_, prompt = await bot.send(people.anna.user, "amina")
    assert prompt.text.startswith(f"How many hours did {logged} take part in October 2026?")
    assert [label for label, _ in prompt.buttons] == ["« Back", "Cancel"]
    *_, saved = await bot.send(people.anna.user, "12,5")
    assert saved.text.startswith(f"✅ {logged}: 12.5 hours in October 2026. (Was 20.)")
    assert [label for label, _ in saved.buttons] == [f"{missing} Omar A"]
    assert [(r.month, r.hours) for r in await rows(db, AttendanceHours)] == [
        (date(2026, 10, 1), 12.5)]
    assert prompt.buttons == [] and picker.buttons == [], "typed steps lose their buttons"


async def test_an_hours_step_from_an_earlier_run_is_expired_and_saves_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people)
    prompt = await picked(bot, people.anna.user, "/hours", code)
    back = prompt.button_data("« Back")
    [again] = await bot.send(people.anna.user, "/hours")  # started again
    [stale] = await bot.press_data(people.anna.user, prompt, back)
    assert stale.text == "This step has expired. Start again with /hours."
    [refused] = await bot.send(people.anna.user, "7")  # the new run asks whose, not how many
    assert "No participant you can see matches “7”" in refused.text
    assert await rows(db, AttendanceHours) == []
    [prompt] = await bot.press(people.anna.user, again, code)
    *_, saved = await bot.send(people.anna.user, "7")
    assert saved.text.startswith(f"✅ {code}: 7 hours in October 2026.")


async def test_reminder_planned_after_nine_waits_for_the_next_morning_and_skips_when_done(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people)
    bot.clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=STOCKHOLM))
    await bot.app.bot_data[DISPATCHER_KEY + ".agenda"].plan()
    [row] = [r for r in await rows(db, OutboundMessage) if r.template == "hours_reminder"]
    assert row.send_at.astimezone(STOCKHOLM).strftime("%d %H:%M") == "02 09:00"
    await bot.send(people.anna.user, f"/hours {code} 2026-11 16")
    bot.clock.advance(timedelta(days=1))
    await bot.dispatcher.drain()
    assert not any("⏱" in m.body for m in bot.api.bot_messages(people.anna.id))
    [row] = [r for r in await rows(db, OutboundMessage) if r.template == "hours_reminder"]
    assert row.status == "skipped"


async def november_with_a_protected_identity(bot: BotHarness, people: People, second_name: str,
                                             hours: str) -> tuple[str, str]:
    """Anna's Amina H with `hours` in November 2026, `second_name` without hours, and a
    third participant with a protected identity; the codes of the first two."""
    first = await add(bot, people, "Amina H")
    second = await add(bot, people, second_name)
    hidden = await add(bot, people, "Hidden Person")
    await bot.send(people.anna.user, f"/entry {hidden} protected:yes")
    await bot.send(people.anna.user, f"/hours {first} 2026-11 {hours}")
    return first, second


async def test_attendance_workbook_has_a_sheet_to_sign_per_participant(
    bot: BotHarness, people: People, db: Database
) -> None:
    first, second = await november_with_a_protected_identity(bot, people, "Olena K", "32")
    [document] = await bot.send(people.anna.user, "/attendance 2026-11")
    assert document.document_name == "attendance-2026-11.xlsx"
    assert "2 participants" in document.caption and "1 has no hours" in document.caption
    assert "protected identity was left out" in document.caption
    book = load_workbook(io.BytesIO(bot.api.files[document.document_id].content))
    assert book.sheetnames[1:] == [first, second]
    overview = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    assert [first, "Amina H", "Växjö", "Anna Andersson", 32] in overview
    assert [second, "Olena K", "Växjö", "Anna Andersson", None] in overview
    assert not any("Hidden" in str(value) for row in overview for value in row)
    sheet = book[first]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["Participant", f"{first} Amina H", None, None] in values
    assert ["Hours of participation", 32, None, None] in values
    assert ["Participant's signature", None, "Date", None] in values
    assert ["Coordinator's signature", None, "Date", None] in values
    assert sheet.page_setup.orientation == "portrait"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage, "prints on one page"

    # The lead gets codes only; one participant's sheet on its own.
    [lead_document] = await bot.send(people.lead.user, f"/narvaro 2026-11 {second}")
    book = load_workbook(io.BytesIO(bot.api.files[lead_document.document_id].content))
    assert book.sheetnames[1:] == [second]
    assert not any("Olena" in str(c.value) for ws in book for row in ws.iter_rows() for c in row)
    [refused] = await bot.send(people.bo.user, f"/attendance 2026-11 {first}")
    assert "can't find" in refused.text
    [empty] = await bot.send(people.bo.user, "/attendance 2026-11")
    assert "Nobody" in empty.text
    exports = [json.loads(a.details) for a in await rows(db, AuditLog)
               if a.action == "export.attendance"]
    assert [(e["names"], e["rows"], e["left_out"]) for e in exports] == [
        (True, 2, 1), (False, 1, 0), (True, 0, 0)]


def pdf_pages(bot: BotHarness, document_id: str) -> list[str]:
    reader = PdfReader(io.BytesIO(bot.api.files[document_id].content))
    return [page.extract_text() for page in reader.pages]


async def test_attendance_pdf_has_a_page_to_sign_per_participant_in_any_script(
    bot: BotHarness, people: People, db: Database
) -> None:
    first, arabic = await november_with_a_protected_identity(bot, people, "أمينة حسن", "32,5")
    [workbook] = await bot.send(people.anna.user, "/attendance 2026-11")
    assert "/attendance 2026-11 pdf" in workbook.caption
    [document] = await bot.send(people.anna.user, "/attendance 2026-11 pdf")
    assert document.document_name == "attendance-2026-11.pdf"
    assert "2 participants" in document.caption and "was left out" in document.caption
    pages = pdf_pages(bot, document.document_id)
    assert len(pages) == 2, "one page per participant, the protected identity left out"
    assert f"{first} Amina H" in pages[0] and "32.5" in pages[0]
    assert "Attendance, November 2026" in pages[0] and "Anna Andersson" in pages[0]
    for label in ("Participant's signature", "Coordinator's signature", "Date"):
        assert label in pages[0] and label in pages[1]
    assert arabic in pages[1] and "Hidden" not in "".join(pages)
    # The lead gets codes only; Swedish staff get Swedish pages.
    [lead_document] = await bot.send(people.lead.user, f"/narvaro 2026-11 {first} PDF")
    [page] = pdf_pages(bot, lead_document.document_id)
    assert first in page and "Amina" not in page
    [swedish] = await bot.send(people.bo.user, "/narvaro 2026-11 pdf")
    assert "Nobody" in swedish.text, "Bo has no participants in November"
