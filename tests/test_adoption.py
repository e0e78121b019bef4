"""Adoption: municipalities as master data, importing a caseload from a spreadsheet with the
real `koordinator` command, `db check`, and the migration that cleans free-text names — on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import text
from sqlmodel import select

from bot.runtime.config import ConfigError
from bot.runtime.config import load_settings
from storage import migrate
from storage.db import transaction
from storage.models import AuditLog
from storage.models import FollowUp
from storage.models import Participant
from storage.models import Staff
from storage.municipalities import SWEDEN
from storage.municipalities import MatchKind
from storage.municipalities import Municipalities
from storage.municipalities import sweden
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.conftest import fresh_database
from tests.harness import BotHarness
from tests.steps import add
from tests.steps import guided_add_named
from tests.steps import picked
from tests.steps import rows as all_rows
from tests.steps import set_staff

ROOT = Path(__file__).resolve().parent.parent


# ---- the list and resolution --------------------------------------------------------------
def test_the_list_is_sweden_s_290_with_unique_codes_under_their_counties() -> None:
    rows = sweden()
    assert len(rows) == 290
    assert len({m.code for m in rows}) == 290 and len({m.name for m in rows}) == 290
    assert all(len(m.code) == 4 and m.code.isdigit() and m.code[:2] == m.county_code
               for m in rows)
    assert len({m.county_code for m in rows}) == 21
    assert SWEDEN.by_code("0780").name == "Växjö"  # type: ignore[union-attr]
    assert SWEDEN.by_code("0180").name == "Stockholm"  # type: ignore[union-attr]
    assert SWEDEN.by_code("2584").name == "Kiruna"  # type: ignore[union-attr]
    source = (ROOT / "storage" / "data" / "municipalities.csv").read_text(encoding="utf-8")
    assert "SCB" in source.splitlines()[2] or "SCB" in source.splitlines()[1]


@pytest.mark.parametrize(
    ("typed", "kind", "expected"),
    [
        ("Växjö", MatchKind.EXACT, ["Växjö"]),  # exact
        ("VÄXJÖ", MatchKind.EXACT, ["Växjö"]),  # case
        ("vaxjo", MatchKind.EXACT, ["Växjö"]),  # accents
        ("  Malmo ", MatchKind.EXACT, ["Malmö"]),
        ("upplands bro", MatchKind.EXACT, ["Upplands-Bro"]),  # hyphen as space
        ("Lunds kommun", MatchKind.EXACT, ["Lund"]),  # "kommun", genitive
        ("Göteborgs stad", MatchKind.EXACT, ["Göteborg"]),
        ("Region Gotland", MatchKind.EXACT, ["Gotland"]),
        ("0780", MatchKind.EXACT, ["Växjö"]),  # SCB code
        ("Växsjö", MatchKind.SUGGESTIONS, ["Växjö"]),  # typos
        ("Norrköpping", MatchKind.SUGGESTIONS, ["Norrköping"]),
        ("Gotebrg", MatchKind.SUGGESTIONS, ["Göteborg"]),
        ("Mors", MatchKind.SUGGESTIONS, ["Orsa", "Mora"]),  # ambiguous: both offered
        ("Atlantis", MatchKind.UNKNOWN, []),  # unknown: nothing invented
        ("9999", MatchKind.UNKNOWN, []),
        ("", MatchKind.UNKNOWN, []),
    ],
)
def test_a_typed_municipality_resolves_exactly_to_suggestions_or_to_nothing(
    typed: str, kind: MatchKind, expected: list[str]
) -> None:
    found = SWEDEN.resolve(typed)
    assert found.kind == kind
    names = ([found.municipality.name] if found.municipality is not None
             else [m.name for m in found.suggestions])
    assert sorted(names) == sorted(expected)


def test_project_municipalities_narrow_the_list_and_a_wrong_one_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = Municipalities.from_setting("Växjö, alvesta, 0765")
    assert project.names == ["Älmhult", "Alvesta", "Växjö"] or set(project.names) == {
        "Växjö", "Alvesta", "Älmhult"}
    assert project.resolve("Ljungby").kind == MatchKind.UNKNOWN
    assert project.resolve("Alvest").suggestions[0].name == "Alvesta"
    monkeypatch.setenv("PROJECT_MUNICIPALITIES", "Växjö, Atlantis")
    with pytest.raises(ConfigError, match="PROJECT_MUNICIPALITIES"):
        load_settings()
    monkeypatch.setenv("PROJECT_MUNICIPALITIES", "all")
    assert len(load_settings().municipalities) == 290


# ---- the chat ------------------------------------------------------------------------------
async def test_add_stores_the_official_name_and_refuses_what_is_not_one(
    bot: BotHarness, people: People, db: Database
) -> None:
    await bot.send(people.bo.user, "/add Amina H | vaxjo | woman | ar")
    [unknown] = await bot.send(people.bo.user, "/add Omar | Atlantis | man | so")
    assert "Atlantis" in unknown.text and "nothing was saved" in unknown.text
    [typo] = await bot.send(people.bo.user, "/add Omar | Växsjö | man | so")
    assert "Did you mean Växjö?" in typo.text
    assert [p.municipality for p in await all_rows(db, Participant)] == ["Växjö"]


async def test_guided_add_offers_the_close_municipality_as_a_button(
    bot: BotHarness, people: People, db: Database
) -> None:
    user = people.bo.user
    await guided_add_named(bot, user, "Yusuf K")
    *_, offer = await bot.send(user, "Alvestaa")  # (the asking message loses its buttons)
    assert "Did you mean Alvesta?" in offer.text
    replies = await bot.press(user, offer, "Alvesta")
    ask_language = (await bot.press(user, replies[-1], "man"))[-1]
    ask_date = (await bot.press(user, ask_language, "Soomaali"))[-1]
    await bot.press(user, ask_date, "Today")
    assert [p.municipality for p in await all_rows(db, Participant)] == ["Alvesta"]


async def test_stats_filter_takes_any_spelling_of_a_municipality(
    bot: BotHarness, people: People, db: Database
) -> None:
    await bot.send(people.bo.user, "/add Amina H | Växjö | woman | ar")
    [answer] = await bot.send(people.lead.user, "/stats kommun:vaxjo")
    assert "Växjö" in answer.text and "can't find" not in answer.text
    [typo] = await bot.send(people.lead.user, "/stats kommun:Växsjö")
    assert "Did you mean Växjö?" in typo.text


# ---- the command line ----------------------------------------------------------------------
def koordinator(db: Database, cwd: Path, *args: str,
                **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("TELEGRAM_", "DATABASE_", "DATA_DIR", "PERSONNUMMER",
                                        "PROJECT_"))}
    environment.update({"DATABASE_URL": db.url, "DATABASE_SCHEMA": db.schema or "",
                        "LOG_LEVEL": "WARNING", **env})
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=120)


def caseload_workbook(path: Path, extra_rows: list[list[object]] = ()) -> Path:  # type: ignore[assignment]
    book = Workbook()
    sheet = book.active
    sheet.append(["Namn", "Kommun", "Kön", "Språk", "Inskrivningsdatum", "Koordinator",
                  "Födelseår", "Anteckning"])
    sheet.append(["Amina Hassan", "Växjö", "Kvinna", "arabiska", date(2026, 3, 2),
                  "Anna Andersson", 1990, "ignored"])
    sheet.append(["Omar Ali", "vaxjo", "man", "so", datetime(2026, 4, 1, 0, 0), "1005", None,
                  None])
    sheet.append(["Sara Tesfay", "Lunds kommun", "K", "ti", "2026-05-03", "bo berg", None,
                  None])
    for row in extra_rows:
        sheet.append(row)
    book.save(path)
    return path


async def participants_and_audit(db: Database) -> tuple[list[tuple], list[dict]]:
    return ([(p.code, p.display_name, p.municipality, str(p.gender), p.language,
              p.enrolled_on, p.coordinator_id, p.birth_year)
             for p in await all_rows(db, Participant)],
            [json.loads(a.details) for a in await all_rows(db, AuditLog)
             if a.action == "import.participants"])


async def test_import_xlsx_with_date_cells_then_again_changes_nothing(
    db: Database, people: People, tmp_path: Path
) -> None:
    path = caseload_workbook(tmp_path / "caseload.xlsx")
    dry = koordinator(db, tmp_path, "import", "participants", str(path), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "3 new participants" in dry.stdout and "dry run" in dry.stdout
    assert (await participants_and_audit(db))[0] == []

    done = koordinator(db, tmp_path, "import", "participants", str(path))
    assert done.returncode == 0, done.stderr
    assert "imported 3 participants" in done.stdout
    assert "columns not read: Anteckning" in done.stdout
    rows, audit = await participants_and_audit(db)
    assert rows == [
        ("P-0001", "Amina Hassan", "Växjö", "woman", "ar", date(2026, 3, 2),
         people.anna.staff.id, 1990),
        ("P-0002", "Omar Ali", "Växjö", "man", "so", date(2026, 4, 1), people.bo.staff.id,
         None),
        ("P-0003", "Sara Tesfay", "Lund", "woman", "ti", date(2026, 5, 3),
         people.bo.staff.id, None),
    ]
    assert audit == [{"added": 3, "already_there": 0, "rows": 3, "source": "caseload.xlsx"}]

    again = koordinator(db, tmp_path, "import", "participants", str(path))
    assert again.returncode == 0, again.stderr
    assert "0 new participants, 3 already there" in again.stdout
    assert (await participants_and_audit(db))[0] == rows


async def test_a_file_with_bad_rows_is_refused_whole_by_row_and_column(
    db: Database, people: People, tmp_path: Path
) -> None:
    path = caseload_workbook(tmp_path / "bad.xlsx", [
        ["Bad Row", "Atlantis", "x", "sv", "2026-01-01", "Anna Andersson", None, None],
        ["Typo Row", "Växsjö", "man", "sv", "2099-01-01", "Nobody", None, None],
        ["Amina Hassan", "Växjö", "kvinna", "ar", "2026-03-02", "Anna Andersson", None, None],
    ])
    result = koordinator(db, tmp_path, "import", "participants", str(path))
    assert result.returncode == 1
    assert "row 5, Kommun: “Atlantis” is not a Swedish municipality" in result.stderr
    assert "row 5, Kön: “x” is not a gender" in result.stderr
    assert "row 6, Kommun: “Växsjö” is not a Swedish municipality; did you mean Växjö?" in (
        result.stderr)
    assert "row 6, Inskrivningsdatum: the enrolment date is in the future" in result.stderr
    assert "row 6, Koordinator: “Nobody” is not on the staff list" in result.stderr
    assert "row 7: the same participant as row 2" in result.stderr
    assert "nothing was imported" in result.stderr and "Traceback" not in result.stderr
    assert (await participants_and_audit(db)) == ([], [])


async def test_import_csv_semicolons_in_windows_1252_with_a_default_coordinator(
    db: Database, people: People, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("Name;Municipality;Gender;Language;Enrolled\r\n"
                     "Åsa Öberg;Malmö;woman;sv;2026-01-15\r\n"
                     "Jürgen Groß;Göteborg;man;en;15.02.2026\r\n".encode("cp1252"))
    without = koordinator(db, tmp_path, "import", "participants", str(path))
    assert without.returncode == 1 and "--coordinator" in without.stderr
    done = koordinator(db, tmp_path, "import", "participants", str(path),
                       "--coordinator", "Anna")
    assert done.returncode == 0, done.stderr
    rows, _ = await participants_and_audit(db)
    assert [(r[1], r[2], r[5], r[6]) for r in rows] == [
        ("Åsa Öberg", "Malmö", date(2026, 1, 15), people.anna.staff.id),
        ("Jürgen Groß", "Göteborg", date(2026, 2, 15), people.anna.staff.id)]


async def test_import_csv_commas_in_utf8_with_bom(
    db: Database, people: People, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ("namn,kommun,kön,språk,inskrivningsdatum,koordinator\n"
                                        "Östen Ängby,Örebro,man,Svenska,2026-02-01,1004\n"
                                        "Ljuba,Umea,kvinna,uk,2026-02-02,Bo Berg\n"
                                        ).encode())
    done = koordinator(db, tmp_path, "import", "participants", str(path))
    assert done.returncode == 0, done.stderr
    rows, _ = await participants_and_audit(db)
    assert [(r[1], r[2], r[4], r[6]) for r in rows] == [
        ("Östen Ängby", "Örebro", "sv", people.anna.staff.id),
        ("Ljuba", "Umeå", "uk", people.bo.staff.id)]


async def test_import_staff_then_again_changes_nothing(
    db: Database, people: People, tmp_path: Path
) -> None:
    path = tmp_path / "staff.csv"
    path.write_text("Namn;Telegram-id;Roll;Kommun;Språk\n"
                    "Karin Kvist;5001;koordinator;vaxjo;sv\n"
                    "Leo Lind;5002;lead;;en\n", encoding="utf-8")
    done = koordinator(db, tmp_path, "import", "staff", str(path))
    assert done.returncode == 0, done.stderr
    again = koordinator(db, tmp_path, "import", "staff", str(path))
    assert "0 new staff members, 2 already there" in again.stdout
    async with transaction(db.sessions) as session:
        added = (await session.exec(select(Staff).where(Staff.telegram_user_id > 5000)
                                    .order_by(Staff.telegram_user_id))).all()
    assert [(s.name, s.role, s.municipality, s.language) for s in added] == [
        ("Karin Kvist", "coordinator", "Växjö", "sv"), ("Leo Lind", "lead", None, "en")]


# ---- db check and the migration ------------------------------------------------------------
async def test_db_check_lists_what_breaks_the_rules_with_what_to_do(
    db: Database, people: People, tmp_path: Path
) -> None:
    async with transaction(db.sessions) as session:
        for code, place, ended in (("P-0001", "Atlantis", None), ("P-0002", "vaxjo", None),
                                   ("P-0003", "Växjö", date(2026, 1, 1))):
            session.add(Participant(code=code, display_name="X", municipality=place,
                                    gender="woman", language="sv",
                                    coordinator_id=people.bo.staff.id,
                                    enrolled_on=date(2026, 2, 1),
                                    status="ended" if ended else "active", ended_on=ended))
        bo = await session.get(Staff, people.bo.staff.id)
        bo.active = False  # type: ignore[union-attr]
        session.add(bo)
    result = koordinator(db, tmp_path, "db", "check")
    assert result.returncode == 1
    out = result.stdout
    assert "unknown municipality: 'Atlantis' (1 participant)" in out
    assert "koordinator db rename-municipality 'vaxjo' 'Växjö'" in out
    assert "active participants of an inactive coordinator: staff 1005: P-0001, P-0002" in out
    assert "/handover 1005" in out
    assert "ended before enrolled: P-0003" in out
    renamed = koordinator(db, tmp_path, "db", "rename-municipality", "Atlantis", "alvesta")
    assert renamed.returncode == 0, renamed.stderr
    refused = koordinator(db, tmp_path, "db", "rename-municipality", "vaxjo", "Atlantis")
    assert refused.returncode == 1
    assert [p.municipality for p in await all_rows(db, Participant)] == [
        "Alvesta", "vaxjo", "Växjö"]


MESSY = ["Växjö", "vaxjo", "VÄXJÖ", "Växsjö", "Lunds kommun", "Atlantis", "Mors"]


async def test_migration_maps_messy_names_and_leaves_the_doubtful(
    db: Database, tmp_path: Path
) -> None:
    """A fresh database at the revision before, filled with free text, then upgraded."""
    async with fresh_database(db.backend, tmp_path / "old.sqlite3") as engine:
        await migrate.upgrade(engine, "c4e1d8a0f3b7")  # the revision before ours
        async with engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO staff (id, telegram_user_id, name, role, municipality, active, "
                "created_at) VALUES (1, 1, 'A', 'lead', 'vaxjo', true, :now)"),
                {"now": TEST_NOW})
            for index, place in enumerate(MESSY, start=1):
                await connection.execute(text(
                    "INSERT INTO participant (id, code, display_name, municipality, gender, "
                    "language, coordinator_id, enrolled_on, status, protected_identity, "
                    "created_at, updated_at) VALUES (:id, :code, 'X', :place, 'woman', 'sv', "
                    "1, '2026-01-01', 'active', false, :now, :now)"),
                    {"id": index, "code": f"P-{index:04d}", "place": place, "now": TEST_NOW})
                await connection.execute(text(
                    "INSERT INTO checkin (participant_id, author_id, happened_at, channel, "
                    "note, created_at) VALUES (:id, 1, :now, 'phone', '', :now)"),
                    {"id": index, "now": TEST_NOW})
        await migrate.upgrade(engine)
        async with engine.connect() as connection:
            places = (await connection.execute(text(
                "SELECT municipality FROM participant ORDER BY id"))).scalars().all()
            lead = (await connection.execute(text(
                "SELECT municipality FROM staff"))).scalar_one()
            tallies = dict((await connection.execute(text(
                "SELECT municipality, checkins FROM checkin_tally_municipality "
                "WHERE checkins > 0"))).all())
        assert places == ["Växjö", "Växjö", "Växjö", "Växjö", "Lund", "Atlantis", "Mors"]
        assert lead == "Växjö"
        # The day tallies followed the names (kept by the triggers).
        assert tallies == {"Växjö": 4, "Lund": 1, "Atlantis": 1, "Mors": 1}


# ---- other master data ---------------------------------------------------------------------
async def test_a_follow_up_kind_that_is_not_one_is_refused_not_taken_as_a_place(
    bot: BotHarness, people: People, db: Database
) -> None:
    await bot.send(people.anna.user, "/ny Amina H | Växjö | kvinna | ar")
    [refused] = await bot.send(people.anna.user, "/uppfoljning P-0001 2026-12-09 14:00 telfon")
    assert "telfon" in refused.text and "telefonsamtal" in refused.text.lower()
    [refused] = await bot.send(people.bo.user, "/followup P-0001 2026-12-09 14:00 Library")
    assert "“Library” is not a kind of follow-up; nothing was booked." in refused.text
    assert await all_rows(db, FollowUp) == []
    [_booked] = await bot.send(people.anna.user,
                              "/uppfoljning P-0001 2026-12-09 14:00 telefon Ring först")
    [followup] = await all_rows(db, FollowUp)
    assert (followup.kind, followup.place) == ("phone_call", "Ring först")


@pytest.mark.parametrize("typed", ["0001", "1", "P-0001", "p1"])
async def test_a_participant_is_found_by_the_number_alone(
    bot: BotHarness, people: People, typed: str
) -> None:
    await bot.send(people.bo.user, "/add Amina H | Växjö | woman | ar")
    [card] = await bot.send(people.bo.user, f"/visa {typed}")
    assert "P-0001" in card.text and "Amina H" in card.text


async def test_import_refuses_a_municipality_outside_the_project(
    db: Database, people: People, tmp_path: Path
) -> None:
    path = caseload_workbook(tmp_path / "caseload.xlsx")
    result = koordinator(db, tmp_path, "import", "participants", str(path),
                         PROJECT_MUNICIPALITIES="Växjö, Alvesta")
    assert result.returncode == 1
    assert "row 4, Kommun: “Lunds kommun” is not one of the project's municipalities" in (
        result.stderr)
    assert (await participants_and_audit(db)) == ([], [])


async def test_a_question_never_asks_between_two_spellings_of_one_municipality(
    bot: BotHarness, people: People, db: Database
) -> None:
    """Stored before the master data: "Växjö" and "växjö" side by side (the loop of #19)."""
    async with transaction(db.sessions) as session:
        for code, place in (("P-0001", "Växjö"), ("P-0002", "växjö")):
            session.add(Participant(code=code, display_name="X", municipality=place,
                                    gender="woman", language="sv",
                                    coordinator_id=people.bo.staff.id,
                                    enrolled_on=date(2026, 2, 1), status="active"))
    replies = await bot.send(people.lead.user, "andel kvinnor till arbete eller studier i Växjö")
    assert "Which municipality do you mean?" not in replies[0].text
    assert "kommun:Växjö" in replies[-1].text or "Växjö" in replies[-1].text


# ---- bookings that make sense --------------------------------------------------------------
async def test_a_clashing_late_or_far_booking_asks_first_and_books_only_when_told(
    bot: BotHarness, people: People, db: Database
) -> None:
    user = people.bo.user
    amina = await add(bot, people.bo, "Amina H | Växjö | woman | ar")
    omar = await add(bot, people.bo, "Omar A | Växjö | man | so")
    await bot.send(user, f"/followup {amina} 2026-12-03 10:00 meeting")
    [clash] = await bot.send(user, f"/followup {omar} 2026-12-03 10:15 phone")
    assert f"You already have a follow-up at about that time ({amina})." in clash.text
    assert [label for label, _ in clash.buttons] == ["Book anyway", "Cancel"]
    [cancelled] = await bot.press(user, clash, "Cancel")
    assert "Nothing was changed." in cancelled.text, "the flow engine's Cancel"
    [late] = await bot.send(user, f"/followup {omar} 2026-12-03 21:30 phone")
    assert "outside working hours" in late.text
    [far] = await bot.send(user, f"/followup {omar} 2028-12-03 10:00 phone")
    assert "more than a year ahead" in far.text
    assert len(await all_rows(db, FollowUp)) == 1
    anyway = far.button_data("Book anyway")
    replies = await bot.press_data(user, far, anyway)
    assert "Follow-up booked" in replies[-1].text
    booked = await all_rows(db, FollowUp)
    assert [f.due_at.year for f in booked] == [2026, 2028]
    # The same button again (the message was edited, the flow is over): nothing twice;
    # nor does the button sent before the flow engine ("fu:y").
    [again] = await bot.press_data(user, far, anyway)
    assert "expired" in again.text and "/followup" in again.text
    await bot.press_data(user, far, "fu:y")
    assert len(await all_rows(db, FollowUp)) == 2


async def test_guided_end_can_pick_another_end_date(
    bot: BotHarness, people: People, db: Database
) -> None:
    user = people.bo.user
    amina = await add(bot, people.bo, "Amina H | Växjö | woman | ar | 2026-09-01")
    await add(bot, people.bo, "Omar A | Växjö | man | so | 2026-09-01")
    outcomes = await picked(bot, user, "/end", amina)
    [confirm] = await bot.press(user, outcomes, "Employed")
    [ask_date] = await bot.press(user, confirm, "Another end date")
    assert "YYYY-MM-DD" in ask_date.text
    [future] = await bot.send(user, "2027-01-01")
    assert "can't be in the future" in future.text
    *_, dated = await bot.send(user, "2026-10-30")  # (the date's prompt loses its buttons)
    assert "on " in dated.text and "Another end date" not in [b for b, _ in dated.buttons]
    [done] = await bot.press(user, dated, "no qualification")
    assert "ended" in done.text
    ended = (await all_rows(db, Participant))[0]
    assert (ended.status, ended.ended_on, ended.outcome) == ("ended", date(2026, 10, 30),
                                                              "employed")


# ---- the chat upload path ------------------------------------------------------------------
async def test_a_lead_gets_the_template_sends_the_file_and_imports_on_the_button(
    bot: BotHarness, people: People, db: Database, tmp_path: Path
) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    [template] = await bot.send(people.lead.user, "/importera")
    assert template.document_name == "caseload-template.xlsx"
    sheet = load_workbook(BytesIO(bot.api.files[template.document_id].content)).active
    assert [cell.value for cell in sheet[1]][:6] == ["Name", "Municipality", "Gender",
                                                      "Language", "Enrolled", "Coordinator"]
    # The template itself, filled in by the book: its example row imports.
    [checked] = await bot.send_document(people.lead.user, "template.xlsx",
                                        bot.api.files[template.document_id].content)
    assert "1 new participant" in checked.text

    path = caseload_workbook(tmp_path / "caseload.xlsx",
                             [["Bad Row", "Atlantis", "kvinna", "sv", "2026-01-01",
                               "Anna Andersson", None, None]])
    [refused] = await bot.send_document(people.lead.user, "caseload.xlsx", path.read_bytes())
    assert "row 5, Kommun: “Atlantis” is not a Swedish municipality" in refused.text
    assert "Nothing was imported" in refused.text and not refused.buttons
    good = caseload_workbook(tmp_path / "good.xlsx")
    [offer] = await bot.send_document(people.lead.user, "good.xlsx", good.read_bytes())
    assert "3 new participants" in offer.text
    assert (await participants_and_audit(db))[0] == []
    [done] = await bot.press(people.lead.user, offer, "Import 3 participants")
    assert "Imported 3 participants (P-0001–P-0003)" in done.text
    rows, audit = await participants_and_audit(db)
    assert [r[2] for r in rows] == ["Växjö", "Växjö", "Lund"]
    assert audit == [{"added": 3, "already_there": 0, "rows": 3, "source": "good.xlsx"}]
    [again] = await bot.send_document(people.lead.user, "good.xlsx", good.read_bytes())
    assert "already here" in again.text and not again.buttons
    # A coordinator may not import, and a stale button stores nothing twice.
    [denied] = await bot.send_document(people.bo.user, "good.xlsx", good.read_bytes())
    assert "does not allow" in denied.text
    await bot.press_data(people.lead.user, offer, "imp:y")
    assert len((await participants_and_audit(db))[0]) == 3


async def test_an_import_is_confirmed_by_typing_ja_and_an_earlier_offer_expires(
    bot: BotHarness, people: People, db: Database, tmp_path: Path
) -> None:

    await set_staff(db, people.lead, language="sv")
    good = caseload_workbook(tmp_path / "good.xlsx").read_bytes()
    [old] = await bot.send_document(people.lead.user, "good.xlsx", good)
    [offer] = await bot.send_document(people.lead.user, "good.xlsx", good)
    [expired] = await bot.press(people.lead.user, old, "3")
    assert "/importera" in expired.text and (await participants_and_audit(db))[0] == []
    *_, done = await bot.send(people.lead.user, "ja")
    assert "P-0001–P-0003" in done.text and not offer.buttons
    assert len((await participants_and_audit(db))[0]) == 3


async def test_a_participants_spreadsheet_is_relayed_not_imported(
    bot: BotHarness, people: People, db: Database
) -> None:
    """Only a lead's or admin's file is an import; a participant's goes to her coordinator."""
    from tests.test_conversation import OLENA
    from tests.test_conversation import chat
    from tests.test_conversation import joined

    await joined(bot, people)
    before = len(chat(bot, people.bo.id))
    await bot.deliver(bot.api.user_sends_media(OLENA, "document", b"Namn;Kommun\n",
                                               name="cv.csv", mime="text/csv"))
    assert chat(bot, people.bo.id)[-1].document_id and len(chat(bot, people.bo.id)) > before
    assert len(await all_rows(db, Participant)) == 1


async def test_import_matches_on_personnummer_and_needs_the_key_for_it(
    db: Database, people: People, tmp_path: Path
) -> None:
    from cryptography.fernet import Fernet

    from storage.personnummer import luhn_check_digit

    number = "900101123" + str(luhn_check_digit("900101123"))
    path = tmp_path / "pnr.csv"
    path.write_text(f"namn;kommun;kön;språk;inskrivningsdatum;koordinator;personnummer\n"
                    f"Amina Hassan;Växjö;k;ar;2026-03-02;Bo Berg;19{number}\n",
                    encoding="utf-8")
    without_key = koordinator(db, tmp_path, "import", "participants", str(path))
    assert without_key.returncode == 1
    assert "row 2, personnummer: personal identity numbers cannot be stored" in (
        without_key.stderr)
    key = Fernet.generate_key().decode()
    done = koordinator(db, tmp_path, "import", "participants", str(path), PERSONNUMMER_KEY=key)
    assert done.returncode == 0, done.stderr
    # The same person under another spelling of her name: the number says she is there.
    path.write_text(path.read_text(encoding="utf-8").replace("Amina Hassan", "Amina Hasan"),
                    encoding="utf-8")
    again = koordinator(db, tmp_path, "import", "participants", str(path),
                        PERSONNUMMER_KEY=key)
    assert "0 new participants, 1 already there" in again.stdout, again.stderr
    [stored_row] = await all_rows(db, Participant)
    assert stored_row.personnummer_encrypted and number not in stored_row.personnummer_encrypted
