"""What a reader actually sees: dates written out per language, right-to-left text
checked with a real bidi implementation (python-bidi), Swedish staff wording, and the
interpreter's review sheet round trip (openpyxl, and LibreOffice where installed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date
from datetime import datetime
from pathlib import Path

import pytest
from babel.dates import get_month_names
from bidi import get_display
from openpyxl import load_workbook

from bot.interaction.commands import command_for
from bot.outbox.templates import participant_appointment_text
from bot.outbox.templates import reminder_message
from bot.questions.model import Intent
from bot.questions.model import Parsed
from bot.text import catalogs
from bot.text import review
from bot.text.i18n import FSI
from bot.text.i18n import LRI
from bot.text.i18n import PDI
from bot.text.i18n import Translator
from bot.text.i18n import translations
from bot.text.labels import SWEDISH_OUTCOME_WORDS
from bot.text.labels import outcome_words
from bot.text.labels import parse_word
from bot.text.languages import PARTICIPANT_LANGUAGES
from bot.text.participant_texts import consent_text
from bot.text.participant_texts import participant_help
from handlers.ask import command_line
from storage.models import FollowUp
from storage.models import FollowUpKind
from storage.models import Outcome
from tests.conftest import STOCKHOLM
from tests.conftest import People
from tests.harness import BotHarness

RTL = ("ar", "fa", "fa_AF", "ps", "ckb")
THURSDAY = datetime(2026, 12, 3, 10, 0, tzinfo=STOCKHOLM)
PLACE = "Arbetsförmedlingen, Storgatan 5"
CONTROLS = re.compile("[\u2066-\u2069\u200e\u200f]")


def visual(text: str, rtl: bool) -> str:
    """The line as a screen shows it, left to right, without the invisible controls."""
    return CONTROLS.sub("", get_display(text, base_dir="R" if rtl else "L"))


def followup(kind: FollowUpKind = FollowUpKind.MEETING, place: str | None = PLACE,
             due: datetime = THURSDAY) -> FollowUp:
    return FollowUp(id=7, participant_id=1, coordinator_id=1, due_at=due, kind=kind,
                    place=place)


# ---- dates ------------------------------------------------------------------------------
FULL_DATES = {
    "sv": "torsdag 3 december 2026",
    "en": "Thursday 3 December 2026",
    "ar": "الخميس، 3 ديسمبر 2026",
    "fa": "پنجشنبه 3 دسامبر 2026 (۱۲ آذر ۱۴۰۵)",
    "fa_AF": "پنجشنبه 3 دسمبر 2026 (۱۲ قوس ۱۴۰۵)",
    "ps": "پينځنۍ، 3 دسمبر 2026 (۱۲ قوس ۱۴۰۵)",
    "ckb": "پێنجشەممە، 3 کانونی یەکەم 2026",
    "so": "Khamiis, 3 Diseembar 2026",
    "ti": "ሓሙስ፣ 3 ታሕሳስ 2026",
    "uk": "четвер, 3 грудня 2026 р.",
}


@pytest.mark.parametrize("language", PARTICIPANT_LANGUAGES)
def test_full_date_has_weekday_day_full_month_and_year_in_reading_order(language: str) -> None:
    tr = Translator(language, STOCKHOLM)
    written = tr.full_date(THURSDAY.date())
    assert written == FULL_DATES[language]
    assert not written.startswith("2026"), "never year first"
    full_month = get_month_names("wide", "format", tr.locale)[12]
    short_month = get_month_names("abbreviated", "format", tr.locale)[12]
    assert full_month in written
    if short_month != full_month:
        assert not re.search(rf"(?<!\w){re.escape(short_month)}(?!\w)", written)
    message = reminder_message(tr, followup())
    assert written in message.text, "the participant's reminder uses the full date"


def test_solar_hijri_months_follow_afghan_and_iranian_usage_at_nowruz() -> None:
    nowruz = date(2027, 3, 21)
    assert Translator("fa_AF", STOCKHOLM).full_date(nowruz).endswith("(۱ حمل ۱۴۰۶)")
    assert Translator("ps", STOCKHOLM).full_date(nowruz).endswith("(۱ حمل ۱۴۰۶)")
    assert Translator("fa", STOCKHOLM).full_date(nowruz).endswith("(۱ فروردین ۱۴۰۶)")
    assert Translator("fa", STOCKHOLM).full_date(date(2027, 3, 20)).endswith(
        "(۲۹ اسفند ۱۴۰۵)")


@pytest.mark.parametrize(("language", "hour", "expected"), [
    ("ti", 10, "10:00 ንግሆ (ብሰዓት ሽወደን)"),
    ("ti", 16, "16:00 ድሕሪ ቀትሪ (ብሰዓት ሽወደን)"),
    ("ti", 19, "19:00 ምሸት (ብሰዓት ሽወደን)"),
    ("so", 10, "10:00 subaxnimo (waqtiga Iswiidhan)"),
    ("so", 15, "15:00 galabnimo (waqtiga Iswiidhan)"),
    ("so", 22, "22:00 habeennimo (waqtiga Iswiidhan)"),
    ("sv", 10, "10:00"), ("ar", 16, "16:00"), ("uk", 19, "19:00"),
])
def test_clock_time_says_part_of_day_where_hours_are_counted_from_six(
    language: str, hour: int, expected: str
) -> None:
    tr = Translator(language, STOCKHOLM)
    assert tr.clock(THURSDAY.replace(hour=hour)) == expected
    message = reminder_message(tr, followup(due=THURSDAY.replace(hour=hour)))
    assert expected in CONTROLS.sub("", message.text)


def test_english_dates_are_british_not_us() -> None:
    tr = Translator("en", STOCKHOLM)
    assert tr.date(THURSDAY.date()) == "3 Dec 2026"
    text = reminder_message(tr, followup()).text
    assert "with your coordinator on Thursday 3 December 2026 at 10:00." in text


def test_plural_headers_follow_cldr_for_persian_dari_and_tigrinya() -> None:
    for language in ("fa", "fa_AF", "ti"):
        plural = translations(language).plural  # type: ignore[attr-defined]
        assert [plural(n) for n in (0, 1, 2, 5)] == [0, 0, 1, 1], language
        assert catalogs.plural_forms(language) == (2, "(n > 1)")


# ---- right to left ----------------------------------------------------------------------
def test_no_participant_string_spells_out_a_slash_command() -> None:
    """A command written into a translation turns into "stop/" in RTL text: commands are
    placeholders filled with `tr.command()`."""
    literal = [m.id for m in catalogs.extract() if m.id and catalogs.is_participant_facing(m)
               and re.search(r"(?<![<\w])/[a-z]", str(m.id))]
    assert literal == []


@pytest.mark.parametrize("language", RTL)
def test_commands_stay_upright_in_right_to_left_text(language: str) -> None:
    tr = Translator(language, STOCKHOLM)
    assert tr.rtl
    consent = consent_text(tr)
    seen = visual(consent, rtl=True)
    assert "/stop" in seen and "stop/" not in seen
    for line in participant_help(tr).split("\n"):
        shown = visual(line, rtl=True)
        command = re.search(r"/\w+", line).group(0)
        assert command in shown and f"{command[1:]}/" not in shown
        # Read right to left, the command comes first: it stands at the right end.
        assert shown.rstrip().endswith(command), shown


@pytest.mark.parametrize("language", RTL)
def test_times_and_latin_places_keep_their_order_in_right_to_left_reminders(
    language: str
) -> None:
    tr = Translator(language, STOCKHOLM)
    text = participant_appointment_text(tr, followup(place="Storgatan 5, rum 12"))
    assert f"{LRI}10:00{PDI}" in text and f"{FSI}Storgatan 5, rum 12{PDI}" in text
    shown = visual(text, rtl=True)
    assert "10:00" in shown and "Storgatan 5, rum 12" in shown
    # The place comes after the time in reading order: left of it on the screen.
    assert shown.index("Storgatan 5, rum 12") < shown.index("10:00")
    reminder = reminder_message(tr, followup(place="Storgatan 5, rum 12")).text
    assert f"{LRI}10:00{PDI}" in reminder.split("\n")[0]
    # The place has a line of its own, which the phone lays out by its own first letter.
    assert CONTROLS.sub("", get_display(reminder.split("\n")[1])) == "📍 Storgatan 5, rum 12"


def test_without_isolation_the_bidi_algorithm_scrambles_commands_and_names() -> None:
    """The failures the isolation prevents, shown with the same bidi implementation."""
    assert "stop/" in visual("يمكنك التوقف بإرسال /stop.", rtl=True)
    assert visual("أمينة: 5", rtl=False) == "5 :ةنيمأ"


def test_a_right_to_left_name_in_swedish_text_does_not_swallow_the_number() -> None:
    sv = Translator("sv", STOCKHOLM)
    text = sv._("%(name)s: %(n)s", name="أمينة", n="5")
    assert text == f"{FSI}أمينة{PDI}: 5"
    assert visual(text, rtl=False) == "ةنيمأ: 5"
    assert sv._("%(name)s: %(n)s", name="Amina", n="5") == "Amina: 5", (
        "Latin names in Swedish text carry no invisible characters")


def test_latin_names_are_isolated_in_right_to_left_text() -> None:
    tr = Translator("ar", STOCKHOLM)
    text = tr._format("%(name)s: %(n)s", "%(name)s: %(n)s", {"name": "Amina Hassan", "n": "5"})
    assert text.startswith(f"{FSI}Amina Hassan{PDI}")
    assert visual(text, rtl=True) == "5 :Amina Hassan"


async def test_staff_reply_with_an_arabic_name_reads_in_order(
    bot: BotHarness, people: People
) -> None:
    [reply] = await bot.send(people.anna.user, "/ny أمينة حسن | Växjö | kvinna | ar")
    assert f"{FSI}أمينة حسن{PDI}" in reply.text
    first_line = re.sub(r"<[^>]+>", "", reply.text.split("\n")[0])
    shown = visual(first_line, rtl=False)
    code = re.search(r"P-\d{4}", shown).group(0)
    # Logical order kept on screen: code, name, municipality.
    assert shown.index(code) < shown.index("نسح ةنيمأ") < shown.index("Växjö")


# ---- Swedish staff wording --------------------------------------------------------------
def test_swedish_staff_see_swedish_outcome_words_that_the_parser_accepts() -> None:
    words = outcome_words("sv")
    assert "egenföretagare" in words and "self_employed" not in words
    for outcome, word in SWEDISH_OUTCOME_WORDS.items():
        assert parse_word(Outcome, word) == outcome, word
    assert outcome_words("en")[1] == "self_employed"


async def test_end_usage_lists_outcomes_in_the_readers_language(
    bot: BotHarness, people: People
) -> None:
    [usage] = await bot.send(people.anna.user, "/avsluta P-0123 astronaut")
    assert "anställd, egenföretagare" in usage.text and "self_employed" not in usage.text


def test_same_as_names_the_swedish_command_for_swedish_staff() -> None:
    parsed = Parsed(intent=Intent.TEAM_OVERVIEW)
    assert command_line(Translator("en", STOCKHOLM), parsed) == "Same as: <code>/team</code>"
    parsed = Parsed(intent=Intent.CASELOAD)
    assert command_line(Translator("sv", STOCKHOLM), parsed) == "Samma som: <code>/mina</code>"
    assert command_for("sv", "/stats 2026-Q3 kommun:Växjö") == "/statistik 2026-Q3 kommun:Växjö"


def test_swedish_catalog_uses_one_word_for_the_coordinator() -> None:
    text = catalogs.po_path("sv").read_text(encoding="utf-8")
    assert "samordnare" not in text
    sv = Translator("sv", STOCKHOLM)
    assert sv._("self-employed") == "egenföretagare"
    assert sv._("ESF+ entry indicators") == "ESF+-indikatorer vid start"


# ---- the interpreter's review sheet -----------------------------------------------------
def participant_ids() -> set[str]:
    return {m.id for m in catalogs.extract() if m.id and catalogs.is_participant_facing(m)}


def copy_locales(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The catalogs in a scratch directory: applying a review must not touch the repo's."""
    target = tmp_path / "locales"
    shutil.copytree(catalogs.LOCALES_DIR, target)
    monkeypatch.setattr(catalogs, "LOCALES_DIR", target)
    return target


def translations_of(locales_dir: Path, language: str) -> dict[str, str]:
    """What the compiled catalog says, read back from the .mo."""
    from babel.messages.mofile import read_mo

    with (locales_dir / language / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        return {m.id: m.string for m in read_mo(handle) if isinstance(m.id, str)}


def fill(path: Path, answers: dict[str, tuple[str | None, str | None]]) -> None:
    """Write (correct?, better wording) into the rows of the given msgids, as an interpreter."""
    book = load_workbook(path)
    sheet = book[review.SHEET_TITLE]
    for row in sheet.iter_rows(min_row=2):
        msgid = row[review.COL_MSGID - 1].value
        if msgid in answers:
            correct, better = answers[msgid]
            row[review.COL_CORRECT - 1].value = correct
            row[review.COL_BETTER - 1].value = better
    book.save(path)


@pytest.mark.parametrize("language", review.REVIEWABLE)
def test_review_sheet_has_a_row_per_participant_string_with_a_rendered_example(
    language: str, tmp_path: Path
) -> None:
    path = tmp_path / f"{language}.xlsx"
    path.write_bytes(review.build_sheet(language, date(2026, 12, 4)))
    book = load_workbook(path)
    sheet = book[review.SHEET_TITLE]
    header = [cell.value for cell in sheet[1]]
    assert header == list(review.HEADERS)
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert {row[review.COL_MSGID - 1] for row in rows} == participant_ids()
    sv = Translator("sv", STOCKHOLM)
    catalog = catalogs.load(catalogs.po_path(language), language)
    by_id = {row[review.COL_MSGID - 1]: row for row in rows}
    for msgid, row in by_id.items():
        assert row[1] == sv._(msgid) or "%(" in msgid, "the Swedish source text"
        current = catalog.get(msgid)
        assert (row[2] or "") == (current.string if current else ""), "the current translation"
        assert row[3], "where it is seen"
        assert bool(row[4]) == bool(row[2]), "an example wherever there is a translation"
        assert row[review.COL_CORRECT - 1] is None and row[review.COL_BETTER - 1] is None
        assert "%(" not in (row[4] or ""), "the example is rendered with real-looking data"
    upcoming = by_id["Your next appointment: %(appointment)s."]
    tr = Translator(language, STOCKHOLM)
    assert tr.full_date(THURSDAY.date()) in upcoming[4] and "Storgatan 5" in upcoming[4]
    assert sheet.column_dimensions["I"].hidden
    assert book[review.INFO_TITLE]["B1"].value == language


def test_review_round_trip_applies_only_checked_better_wordings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locales_dir = copy_locales(tmp_path, monkeypatch)
    before = catalogs.load(catalogs.po_path("ti"), "ti")
    path = tmp_path / "ti.xlsx"
    path.write_bytes(review.build_sheet("ti", date(2026, 12, 4)))
    fill(path, {
        "Yes, stop": (None, "እወ፡ ደው የብሉ"),
        "%(date)s at %(time)s": ("nej", "%(date)s ሰዓት"),            # lost a placeholder
        "Thank you!": ("ja", None),
        "Something else": (None, "=HYPERLINK(\"http://x\")"),       # a formula, refused
    })
    result = review.apply_review(path)
    assert result.changed == ["Yes, stop"] and result.confirmed == 1
    assert len(result.problems) == 2
    assert any("placeholders" in p for p in result.problems)
    assert any("formula" in p for p in result.problems)
    after = catalogs.load(catalogs.po_path("ti"), "ti")
    changed = {m.id for m in after if m.id and before.get(m.id).string != m.string}
    assert changed == {"Yes, stop"}, "nothing else touched"
    assert after.get("Yes, stop").string == "እወ፡ ደው የብሉ"
    report = catalogs.check_language("ti", catalogs.extract())
    assert not [p for p in report.problems if ".mo" in p], "the .mo was compiled with it"
    assert translations_of(locales_dir, "ti")["Yes, stop"] == "እወ፡ ደው የብሉ"

    again = review.apply_review(path)  # the sheet still shows the old translation
    assert again.changed == [] and any("changed since" in p for p in again.problems)


def test_apply_review_refuses_what_is_not_a_review_sheet(tmp_path: Path) -> None:
    other = tmp_path / "other.xlsx"
    other.write_bytes(b"not a workbook")
    with pytest.raises(review.ReviewError):
        review.apply_review(other)
    with pytest.raises(review.ReviewError):
        review.build_sheet("sv", date(2026, 12, 4))


def koordinator(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("TELEGRAM_", "DATABASE_", "DATA_DIR"))}
    environment["DATA_DIR"] = str(cwd / "data")
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_tigrinya_sheet_opens_in_libreoffice_and_round_trips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = koordinator(tmp_path, "i18n", "review-sheet", "ti", "--out", "ti.xlsx")
    assert made.returncode == 0, made.stderr
    sheet = tmp_path / "ti.xlsx"
    fill(sheet, {"No, keep them": (None, "ኣይፋል፡ ደው ኣይተብሉ"), "Thank you!": ("ja", None)})
    # What an interpreter's LibreOffice does: open the file and save it again.
    saved = tmp_path / "saved"
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    converted = subprocess.run(
        ["soffice", profile, "--headless", "--convert-to", "xlsx", "--outdir", str(saved),
         str(sheet)], capture_output=True, text=True, timeout=180)
    assert converted.returncode == 0, converted.stderr
    resaved = saved / "ti.xlsx"
    rows = list(load_workbook(resaved)[review.SHEET_TITLE].iter_rows(values_only=True))
    assert any(row[2] == "ኣይፋል፡ ይቐጽል" for row in rows), "Ge'ez script survives LibreOffice"

    copy_locales(tmp_path, monkeypatch)
    result = review.apply_review(resaved)
    assert result.changed == ["No, keep them"] and result.confirmed == 1
    assert result.problems == []


# ---- wording from the translators' review (issue 22) -------------------------------------
OUTCOME_QUESTION = ("Hello! About a month has passed since you finished the project. We would "
                    "like to know how you are doing. What are you doing now? Tap one answer. "
                    "Only the project's staff see it.")


@pytest.mark.parametrize(("language", "msgid", "wanted", "unwanted"), [
    ("ar", OUTCOME_QUESTION, "ما وضعك الآن؟ يُرجى اختيار إجابة واحدة", "ماذا تفعل"),
    ("ar", "meeting", "موعد", "لقاء"),
    ("uk", "No, keep them", "Ні, не зупиняти", "залишити"),
    ("fa", "No, keep them", "نه، ادامه بدهید", None),
    ("fa", "Your next appointment: %(appointment)s.", "نوبت بعدی", "قرار بعدی"),
    ("fa_AF", "check-in question", "پیگیری", "سوال کوتاه"),
    ("ps", "📚 I am studying", "زده کړې کوم", "زده کړه کوم"),
    ("so", "Reminders from your coordinator, in your language.", "(koordinaatorkaaga)", None),
    ("ckb", "Yes, stop", "ڕایبگرن", "ڕایبگرە"),
    ("ckb", OUTCOME_QUESTION, "دەکەن", "دەکەیت"),
])
def test_review_wording_fixes_are_in_the_catalogs(
    language: str, msgid: str, wanted: str, unwanted: str | None
) -> None:
    text = Translator(language, STOCKHOLM)._(msgid, appointment="…")
    assert wanted in text and (unwanted is None or unwanted not in text)


def test_consent_ends_as_a_question_and_uses_the_ukrainian_neutral_form() -> None:
    assert consent_text(Translator("ar", STOCKHOLM)).endswith("هل توافق على ذلك؟")
    uk = Translator("uk", STOCKHOLM)._(
        "Hello! I am Koordinator, the follow-up assistant of a labour-market integration "
        "project. I only work for the project's staff and for participants who got an "
        "invitation from their coordinator. If you are a participant, ask your coordinator "
        "for your personal link. If you are new staff, give your project lead your Telegram "
        "id: %(telegram_id)s", telegram_id=1)
    assert "Якщо ви берете участь у проєкті" in uk and "Якщо ви учасник" not in uk
    assert Translator("so", STOCKHOLM)._(
        "This appointment is no longer open. Send %(next_command)s to see your next "
        "appointment.", next_command="/next").startswith("Ballantan mar dambe ma furna")
