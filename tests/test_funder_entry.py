"""Entry data, end details and the personnummer: validated, encrypted at rest, shown masked,
never in a chat message or a log line, erased with the person."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import date

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from bot.runtime.config import ConfigError
from bot.runtime.config import load_settings
from handlers.entry import EntryValue
from storage import entry
from storage import gdpr
from storage.db import transaction
from storage.models import AuditLog
from storage.models import FlowDraft
from storage.models import Participant
from storage.personnummer import InvalidPersonnummer
from storage.personnummer import PersonnummerCipher
from storage.personnummer import luhn_check_digit
from storage.personnummer import parse
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.harness import BotHarness
from tests.harness import running_bot
from tests.steps import add_participant
from tests.steps import picked
from tests.steps import rows
from tests.steps import set_staff


@pytest.fixture(autouse=True)
async def english_speaking_anna(people: People, db: Database) -> None:
    """These tests read Anna's replies in English (the default staff language is Swedish)."""
    await set_staff(db, people.anna, language="en")


TODAY = date(2026, 11, 24)
KEY = Fernet.generate_key().decode()
NUMBER = "199001011239"
CLEAR_FORMS = ("199001011239", "19900101-1239", "9001011239", "900101-1239")
"""Every way the test number could leak in clear."""


def with_check_digit(nine: str) -> str:
    return nine + str(luhn_check_digit(nine))


# ---- validation (pure) ---------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "199001011239", "19900101-1239", "900101-1239", "9001011239", " 19900101 - 1239 "])
def test_valid_personnummer_in_every_written_form(text: str) -> None:
    number = parse(text, today=TODAY)
    assert number.digits == NUMBER and str(number) == "19900101-1239"
    assert number.birth_date == date(1990, 1, 1) and not number.coordination
    assert number.masked == "19900101-****"
    assert NUMBER not in repr(number) and "1239" not in repr(number)


def test_ten_digits_take_the_latest_century_and_plus_means_a_hundred_years_more() -> None:
    ten = with_check_digit("121212121")
    assert parse(ten, today=TODAY).birth_date == date(2012, 12, 12)
    assert parse(f"{ten[:6]}+{ten[6:]}", today=TODAY).birth_date == date(1912, 12, 12)
    # Born later in the year than today: not this century's 26, the last one's.
    late = with_check_digit("261224123")
    assert parse(late, today=TODAY).birth_date == date(1926, 12, 24)


def test_coordination_number_has_sixty_added_to_the_day() -> None:
    number = parse("19" + with_check_digit("900161123"), today=TODAY)
    assert number.coordination and number.birth_date == date(1990, 1, 1)
    assert number.masked == "19900161-****"


@pytest.mark.parametrize(("text", "reason"), [
    ("19900101-1238", "checksum"),
    ("900101-1230", "checksum"),
    ("19" + with_check_digit("900230123"), "date"),  # 30 February
    ("19" + with_check_digit("901301123"), "date"),  # month 13
    ("19" + with_check_digit("900192123"), "date"),  # coordination day 92 - 60 = 32
    ("20" + with_check_digit("301201123"), "date"),  # born in the future
    ("1990-01-01", "format"),
    ("19900101+1239", "format"),
    ("abcdefghij", "format"),
    ("1234", "format"),
])
def test_invalid_personnummer_says_why_without_the_number(text: str, reason: str) -> None:
    with pytest.raises(InvalidPersonnummer) as caught:
        parse(text, today=TODAY)
    assert caught.value.reason == reason
    assert text.strip() not in str(caught.value)


# ---- encryption and masking ----------------------------------------------------------------
def test_encryption_round_trip_rotation_and_wrong_key() -> None:
    number = parse(NUMBER, today=TODAY)
    cipher = PersonnummerCipher.from_setting(KEY)
    assert cipher is not None
    token = cipher.encrypt(number)
    assert all(form not in token for form in CLEAR_FORMS)
    assert cipher.encrypt(number) != token, "Fernet tokens are randomised"
    assert cipher.decrypt(token) == number
    rotated = PersonnummerCipher.from_setting(f"{Fernet.generate_key().decode()}, {KEY}")
    assert rotated is not None and rotated.decrypt(token) == number
    participant = Participant(code="P-0001", display_name="x", municipality="V",
                              gender="woman", language="sv", coordinator_id=1,
                              enrolled_on=TODAY, status="active",
                              personnummer_encrypted=token)
    wrong = PersonnummerCipher.from_setting(Fernet.generate_key().decode())
    assert entry.stored_personnummer(participant, wrong) is None
    assert entry.stored_personnummer(participant, None) is None
    assert entry.stored_personnummer(participant, cipher) == number
    assert PersonnummerCipher.from_setting("") is None


def test_settings_refuse_a_key_that_is_not_a_fernet_key() -> None:
    with pytest.raises(ConfigError, match="PERSONNUMMER_KEY"):
        load_settings(personnummer_key="not-a-key")
    assert load_settings(personnummer_key=KEY).personnummer_key == KEY
    assert KEY not in repr(load_settings(personnummer_key=KEY))


@pytest.mark.parametrize(("birth_year", "band"), [
    (None, None), (2009, "<18"), (2008, "18-29"), (1997, "18-29"), (1996, "30-54"),
    (1972, "30-54"), (1971, "55+")])
def test_age_bands_by_year_of_birth(birth_year: int | None, band: str | None) -> None:
    assert entry.age_band(birth_year, date(2026, 3, 1)) == band


# ---- through the bot -------------------------------------------------------------------------
@pytest.fixture
async def keyed_bot(db: Database) -> AsyncIterator[BotHarness]:
    async with running_bot(db.url, db.sessions, now=TEST_NOW, personnummer_key=KEY) as harness:
        yield harness


async def add(bot: BotHarness, people: People, name: str = "Amina H") -> str:
    return await add_participant(bot, people.anna.user, f"/ny {name} | Växjö | kvinna | ar")


async def participant(db: Database) -> Participant:
    async with transaction(db.sessions) as session:
        return (await session.exec(select(Participant))).one()


async def test_entry_one_liner_sets_the_fields_audits_names_only_and_shows_on_the_card(
    keyed_bot: BotHarness, people: People, db: Database
) -> None:
    bot = keyed_bot
    code = await add(bot, people)
    [reply] = await bot.send(people.anna.user, f"/entry {code} employment:unemployed born:1990 "
                                               "education:3-4 tcn:yes sfi:C income_support:no "
                                               "af:yes")
    assert "✅" in reply.text and "born 1990" in reply.text
    saved = await participant(db)
    assert (saved.entry_employment, saved.birth_year, saved.education_level,
            saved.third_country_national, saved.sfi_level, saved.income_support,
            saved.registered_af, saved.establishment_programme) == (
        "unemployed", 1990, "isced_3_4", True, "C", False, True, None)
    # Swedish words, clearing a field, end details and the protected flag.
    await bot.send(people.anna.user, f"/inskrivning {code} sysselsättning:långtidsarbetslös "
                                     "sfi:- etablering:ja subsidy:extratjänst "
                                     "qualification:yes protected:yes")
    saved = await participant(db)
    assert (saved.entry_employment, saved.sfi_level, saved.establishment_programme,
            saved.subsidy_type, saved.gained_qualification, saved.protected_identity) == (
        "long_term_unemployed", None, True, "extratjanst", True, True)
    async with transaction(db.sessions) as session:
        audits = (await session.exec(select(AuditLog).where(
            AuditLog.action == "participant.details"))).all()
    assert len(audits) == 2
    assert json.loads(audits[0].details) == {"fields": sorted([
        "birth_year", "education_level", "entry_employment", "income_support",
        "registered_af", "sfi_level", "third_country_national"])}
    assert "1990" not in audits[0].details and "unemployed" not in audits[0].details
    [card] = await bot.send(people.anna.user, f"/visa {code}")
    assert "long-term unemployed" in card.text and "born 1990" in card.text
    assert "ISCED 3–4" in card.text and "establishment programme: yes" in card.text
    assert "Protected identity" in card.text
    assert "extratjänst" not in card.text, "the subsidy type shows with a subsidised outcome"
    await bot.send(people.anna.user, f"/avsluta {code} subsidised")
    [card] = await bot.send(people.anna.user, f"/visa {code}")
    assert "extratjänst" in card.text and "gained a qualification: yes" in card.text


async def test_entry_refuses_unknown_words_and_other_caseloads_and_changes_nothing(
    keyed_bot: BotHarness, people: People, db: Database
) -> None:
    bot = keyed_bot
    code = await add(bot, people)
    for text in (f"/entry {code} employment:sometimes", f"/entry {code} born:1850",
                 f"/entry {code} colour:blue", f"/entry {code} education:3-4 tcn:maybe",
                 f"/entry {code} born:"):
        [reply] = await bot.send(people.anna.user, text)
        assert "<code>/entry" in reply.text, text
    [reply] = await bot.send(people.bo.user, f"/entry {code} born:1990")
    assert "can't find" in reply.text
    [reply] = await bot.send(people.bo.user, f"/pnr {code} {NUMBER}")
    assert "can't find" in reply.text
    [reply] = await bot.send(people.stranger.user, f"/entry {code} born:1990")
    assert "9999" in reply.text, "the stranger text"
    saved = await participant(db)
    assert saved.birth_year is None and saved.education_level is None
    assert saved.personnummer_encrypted is None


async def test_guided_entry_from_the_card_saves_each_tap_and_audits_names_only(
    keyed_bot: BotHarness, people: People, db: Database
) -> None:
    bot = keyed_bot
    code = await add(bot, people)
    [card] = await bot.send(people.anna.user, f"/visa {code}")
    [menu] = await bot.press(people.anna.user, card, "Entry data")
    assert "Employment status: –" in menu.text and "Birth year: –" in menu.text
    labels = [label for label, _ in menu.buttons]
    assert "Disability" not in labels, "sensitive categories are off by default"
    assert "Gained a qualification" not in labels, "end details come with the end"
    [values] = await bot.press(people.anna.user, menu, "Employment status")
    [menu] = await bot.press(people.anna.user, values, "long-term unemployed")
    assert "✅ Saved." in menu.text and "Employment status: long-term unemployed" in menu.text
    [values] = await bot.press(people.anna.user, menu, "Third-country national")
    [menu] = await bot.press(people.anna.user, values, "yes")
    # The birth year is typed; a wrong one is asked again and changes nothing.
    [prompt] = await bot.press(people.anna.user, menu, "Birth year")
    assert "Write the birth year" in prompt.text
    [again] = await bot.send(people.anna.user, "1850")
    assert "between 1900 and 2026" in again.text
    assert (await participant(db)).birth_year is None
    *_, menu = await bot.send(people.anna.user, "1990")
    assert "Birth year: 1990" in menu.text
    # Leaving the typed step with Back: the next text is no longer a birth year.
    [prompt] = await bot.press(people.anna.user, menu, "Birth year")
    [menu] = await bot.press(people.anna.user, prompt, "Back")
    [answer] = await bot.send(people.anna.user, "1985")
    assert "Birth year" not in answer.text and (await participant(db)).birth_year == 1990
    # Clearing a field, then done.
    [values] = await bot.press(people.anna.user, menu, "Employment status")
    [menu] = await bot.press(people.anna.user, values, "Clear")
    assert "Employment status: –" in menu.text
    [done] = await bot.press(people.anna.user, menu, "Done")
    assert "up to date" in done.text and "born 1990" in done.text
    saved = await participant(db)
    assert (saved.entry_employment, saved.third_country_national, saved.birth_year) == (
        None, True, 1990)
    async with transaction(db.sessions) as session:
        audits = (await session.exec(select(AuditLog).where(
            AuditLog.action == "participant.details").order_by(AuditLog.id))).all()
    assert [json.loads(a.details) for a in audits] == [
        {"fields": ["entry_employment"]}, {"fields": ["third_country_national"]},
        {"fields": ["birth_year"]}, {"fields": ["entry_employment"]}]
    # `/entry P-0042` opens the same menu; ended participants get the end details.
    await bot.send(people.anna.user, f"/avsluta {code} subsidised")
    [menu] = await bot.send(people.anna.user, f"/entry {code}")
    assert {"Gained a qualification", "Kind of subsidised job"} <= {
        label for label, _ in menu.buttons}
    [values] = await bot.press(people.anna.user, menu, "Kind of subsidised job")
    [menu] = await bot.press(people.anna.user, values, "nystartsjobb")
    assert (await participant(db)).subsidy_type == "nystartsjobb"


async def test_a_birth_year_in_other_digits_is_refused_not_crashed_on(
    keyed_bot: BotHarness, people: People, db: Database
) -> None:
    """`"¹⁹⁹⁰".isdigit()` is true but `int()` raises: one-liner and typed step refuse it."""
    bot = keyed_bot
    code = await add(bot, people)
    [reply] = await bot.send(people.anna.user, f"/entry {code} born:¹⁹⁹⁰")
    assert "don't understand" in reply.text
    [menu] = await bot.send(people.anna.user, f"/entry {code}")
    await bot.press(people.anna.user, menu, "Birth year")
    for typed in ("¹⁹⁹⁰", "١٩٩٠"):
        [again] = await bot.send(people.anna.user, typed)
        assert "1900" in again.text, typed
    assert (await participant(db)).birth_year is None


async def test_guided_entry_buttons_of_another_caseload_or_a_hidden_field_change_nothing(
    keyed_bot: BotHarness, people: People, db: Database
) -> None:
    bot = keyed_bot
    await add(bot, people)
    pid = (await participant(db)).id
    for data in (f"ent:v:{pid}:dis:yes", f"ent:v:{pid}:q:y", f"ent:v:{pid}:em:sometimes",
                 f"ent:v:{pid}:colour:blue", f"ent:f:{pid}:dis", "ent:v:x:em:unemployed"):
        [anchor] = await bot.send(people.anna.user, "/help")
        [reply] = await bot.press_data(people.anna.user, anchor, data)
        assert "expired" in reply.text, data
    [anchor] = await bot.send(people.bo.user, "/help")
    [reply] = await bot.press_data(people.bo.user, anchor,
                                   EntryValue(pid, "em", "unemployed").encode())
    # Another caseload's participant: the same answer as a stale button (a forged id
    # learns nothing, see handlers.kit.base.bind_button).
    assert "expired" in reply.text
    saved = await participant(db)
    assert (saved.entry_employment, saved.disability, saved.gained_qualification) == (
        None, None, None)


async def test_sensitive_categories_need_the_setting_and_stay_with_the_own_coordinator(
    db: Database, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(db.url, db.sessions, now=TEST_NOW) as bot:
        code = await add(bot, people)
        [reply] = await bot.send(people.anna.user, f"/entry {code} disability:yes")
        assert "not recorded in this project" in reply.text
        assert (await participant(db)).disability is None
    for ours in ("bot", "handlers", "storage"):  # libraries: test_logging_keeps_…
        caplog.set_level(logging.DEBUG, logger=ours)
    async with running_bot(db.url, db.sessions, now=TEST_NOW,
                           sensitive_categories=True) as bot:
        [reply] = await bot.send(people.anna.user,
                                 f"/entry {code} disability:declined bakgrund:ja")
        assert "disability: declined to answer" in reply.text
        assert "foreign background: yes" in reply.text
        saved = await participant(db)
        assert (saved.disability, saved.foreign_background) == ("declined", "yes")
        [menu] = await bot.send(people.anna.user, f"/entry {code}")
        [values] = await bot.press(people.anna.user, menu, "Disability")
        assert [label for label, _ in values.buttons] == [
            "yes", "no", "declined to answer", "Clear", "Back"]
        assert "declined to answer" in values.text and "Only you see the answer" in values.text
        [menu] = await bot.press(people.anna.user, values, "no")
        assert "Disability: no" in menu.text
        # A lead sees the participant but not these answers, and cannot set them.
        for user in (people.lead.user, people.admin.user):
            [card] = await bot.send(user, f"/participant {code}")
            assert "disability" not in card.text.lower()
            assert "background" not in card.text.lower()
            [menu] = await bot.send(user, f"/entry {code}")
            assert "Disability" not in menu.text
            [refused] = await bot.send(user, f"/entry {code} disability:yes")
            assert "Only the participant's own coordinator" in refused.text
        saved = await participant(db)
        assert (saved.disability, saved.foreign_background) == ("no", "yes")
        # Reports count them; the audit log and the log lines never hold the answers.
        async with transaction(db.sessions) as session:
            audits = (await session.exec(select(AuditLog))).all()
        assert not any("declined" in (a.details or "") for a in audits)
        leaks = [record.getMessage() for record in caplog.records
                 if any(word in record.getMessage()
                        for word in ("declined", "disability:", "bakgrund:ja"))]
        assert not leaks
    async with transaction(db.sessions) as session:
        await gdpr.erase_participant(session, code, actor_staff_id=None, now=TEST_NOW)
    erased = await participant(db)
    assert (erased.disability, erased.foreign_background) == (None, None)


async def test_personnummer_is_stored_encrypted_shown_masked_and_never_in_chat_or_logs(
    keyed_bot: BotHarness, people: People, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot = keyed_bot
    code = await add(bot, people)
    [reply] = await bot.send(people.anna.user, f"/pnr {code} 1990 01 01 - 1239")
    assert "19900101-****" in reply.text and "encrypted" in reply.text
    saved = await participant(db)
    assert saved.personnummer_encrypted and all(
        form not in saved.personnummer_encrypted for form in CLEAR_FORMS)
    cipher = PersonnummerCipher.from_setting(KEY)
    assert entry.stored_personnummer(saved, cipher).digits == NUMBER
    # A typo is refused without repeating the number; a coordination number is told apart.
    [reply] = await bot.send(people.anna.user, f"/pnr {code} 19900101-1238")
    assert "check digit" in reply.text
    # 30 February with a right check digit: the date is what is wrong.
    [reply] = await bot.send(people.anna.user, f"/pnr {code} 19900230-0003")
    assert reply.text == "That number has no valid date of birth. Nothing was saved."
    for user in (people.anna.user, people.lead.user, people.admin.user):
        [card] = await bot.send(user, f"/participant {code}")
        assert "19900101-****" in card.text
    # The messages that carried numbers were deleted; nothing anyone sees has one in clear.
    every_message = [m for chat in bot.api.chats.values() for m in chat]
    assert every_message and not any(
        form in m.body for m in every_message for form in CLEAR_FORMS)
    assert not any(m.body.startswith("/pnr") for m in every_message)
    audit = [a for a in await rows(db, AuditLog) if a.action == "participant.personnummer"]
    assert [json.loads(a.details) for a in audit] == [{"stored": True}]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert caplog.records and not any(form in logged for form in CLEAR_FORMS)

    [reply] = await bot.send(people.anna.user, f"/pnr {code} -")
    assert "removed" in reply.text
    assert (await participant(db)).personnummer_encrypted is None


async def test_guided_personnummer_is_typed_after_a_tap_and_deleted_from_the_chat(
    keyed_bot: BotHarness, people: People, db: Database
) -> None:
    bot = keyed_bot
    code = await add(bot, people)
    prompt = await picked(bot, people.anna.user, "/pnr", code)
    assert "Write the personal identity number" in prompt.text
    [refused] = await bot.send(people.anna.user, "19900101-1238")
    assert "check digit" in refused.text
    assert (await participant(db)).personnummer_encrypted is None
    *_, saved = await bot.send(people.anna.user, "900101-1239")
    assert "19900101-****" in saved.text
    assert entry.stored_personnummer(await participant(db),
                                     PersonnummerCipher.from_setting(KEY)).digits == NUMBER
    # The flow has ended: the next text is a question again, and `/pnr P-0042` asks at once.
    [prompt] = await bot.send(people.anna.user, f"/pnr {code}")
    assert "Write the personal identity number" in prompt.text
    *_, removed = await bot.send(people.anna.user, "-")
    assert "removed" in removed.text and (await participant(db)).personnummer_encrypted is None
    # With no step waiting (it expired, say), a typed number is still taken out of the chat.
    [stray] = await bot.send(people.anna.user, "19900101-1239")
    assert "looks like a personal identity number" in stray.text and "/pnr" in stray.text
    assert (await participant(db)).personnummer_encrypted is None
    every_message = [m for chat in bot.api.chats.values() for m in chat]
    assert not any(form in m.body for m in every_message for form in CLEAR_FORMS)
    assert not any(m.body in ("19900101-1238", "-") for m in every_message), "typed: deleted"


async def flow_drafts(db: Database) -> list[str]:
    async with transaction(db.sessions) as session:
        return [row.data for row in (await session.exec(select(FlowDraft))).all()]


async def test_guided_personnummer_by_typing_the_name_never_stores_the_number_in_a_draft(
    keyed_bot: BotHarness, people: People, db: Database
) -> None:
    bot = keyed_bot
    code = await add(bot, people)
    await bot.send(people.anna.user, "/personnummer")
    *_, prompt = await bot.send(people.anna.user, "amina")  # a part of the name picks her
    assert "Write the personal identity number" in prompt.text and code in prompt.text
    await bot.send(people.anna.user, "19900101-1238")  # refused: the step waits
    assert not any(form in data for data in await flow_drafts(db) for form in
                   (*CLEAR_FORMS, "199001011238", "19900101-1238"))
    *_, saved = await bot.send(people.anna.user, "19900101-1239")
    assert "19900101-****" in saved.text and await flow_drafts(db) == []
    assert (await participant(db)).personnummer_encrypted


async def test_a_personnummer_typed_at_the_pnr_picker_is_deleted_not_repeated(
    keyed_bot: BotHarness, people: People, db: Database
) -> None:
    """The picker's "no participant matches “…”" would repeat the number in the chat."""
    bot = keyed_bot
    await add(bot, people)
    [picker] = await bot.send(people.anna.user, "/pnr")
    [reply] = await bot.send(people.anna.user, NUMBER)
    assert "looks like a personal identity number" in reply.text
    every_message = [m for chat in bot.api.chats.values() for m in chat]
    assert not any(form in m.body for m in every_message for form in CLEAR_FORMS)
    # The picker still stands: tapping it goes on.
    [prompt] = await bot.press(people.anna.user, picker, "P-0001")
    assert "Write the personal identity number" in prompt.text


@pytest.mark.parametrize(("command", "asks"), [
    ("/pnr", "Write the personal identity number of"), ("/inskrivning", "Entry data for")])
async def test_an_old_picker_expires_and_the_current_one_takes_a_typed_code(
    keyed_bot: BotHarness, people: People, db: Database, command: str, asks: str
) -> None:
    bot = keyed_bot
    code = await add(bot, people)
    [old] = await bot.send(people.anna.user, command)
    [picker] = await bot.send(people.anna.user, command)
    [reply] = await bot.press(people.anna.user, old, code)
    assert "expired" in reply.text
    *_, asked = await bot.send(people.anna.user, code.lower())
    assert asks in asked.text and code in asked.text
    assert not picker.buttons, "the answered picker's buttons are taken away"
    saved = await participant(db)
    assert (saved.personnummer_encrypted, saved.birth_year) == (None, None)


async def test_an_old_birth_year_prompt_expires_and_the_year_is_cleared_from_the_new_one(
    keyed_bot: BotHarness, people: People, db: Database
) -> None:
    bot = keyed_bot
    code = await add(bot, people)
    await bot.send(people.anna.user, f"/entry {code} born:1990")
    [menu] = await bot.send(people.anna.user, f"/entry {code}")
    [old] = await bot.press(people.anna.user, menu, "Birth year")
    [menu] = await bot.send(people.anna.user, f"/entry {code}")
    [prompt] = await bot.press(people.anna.user, menu, "Birth year")
    [reply] = await bot.press(people.anna.user, old, "Clear")
    assert "expired" in reply.text and (await participant(db)).birth_year == 1990
    [menu] = await bot.press(people.anna.user, prompt, "Clear")
    assert "Birth year: –" in menu.text and (await participant(db)).birth_year is None


async def test_a_number_typed_for_pnr_never_answers_a_guided_flow_left_open_before(
    keyed_bot: BotHarness, people: People, db: Database
) -> None:
    """/add left at its name step, then /pnr: the typed number is /pnr's (stored and
    deleted), not the new participant's name, and never repeated back."""
    bot = keyed_bot
    code = await add(bot, people)
    await bot.send(people.anna.user, "/add")
    [prompt] = await bot.send(people.anna.user, f"/pnr {code}")
    assert "Write the personal identity number" in prompt.text
    *_, saved = await bot.send(people.anna.user, "19900101-1239")
    assert "19900101-****" in saved.text
    assert [p.display_name for p in await rows(db, Participant)] == ["Amina H"]
    every_message = [m for chat in bot.api.chats.values() for m in chat]
    assert not any(form in m.body for m in every_message for form in CLEAR_FORMS)
    # And the other way round: a guided flow started after /pnr takes the next text.
    await bot.send(people.anna.user, f"/pnr {code}")
    [ask_name] = await bot.send(people.anna.user, "/add")
    assert "What name" in ask_name.text
    *_, ask_place = await bot.send(people.anna.user, "Omar A")
    assert "Which municipality" in ask_place.text


async def test_without_a_key_no_personnummer_is_stored(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people)
    [reply] = await bot.send(people.anna.user, f"/pnr {code} {NUMBER}")
    assert "PERSONNUMMER_KEY" in reply.text
    assert (await participant(db)).personnummer_encrypted is None
    assert not any(NUMBER in m.body for chat in bot.api.chats.values() for m in chat)


async def test_erasure_removes_the_personnummer_and_birth_year_and_export_hides_the_token(
    keyed_bot: BotHarness, people: People, db: Database
) -> None:
    bot = keyed_bot
    code = await add(bot, people)
    await bot.send(people.anna.user, f"/pnr {code} {NUMBER}")
    await bot.send(people.anna.user, f"/entry {code} born:1990 education:5-8")
    async with transaction(db.sessions) as session:
        exported = await gdpr.export_participant(session, code)
    assert exported["participant"]["personnummer_stored"] is True
    assert "personnummer_encrypted" not in exported["participant"]
    assert exported["participant"]["birth_year"] == 1990
    async with transaction(db.sessions) as session:
        await gdpr.erase_participant(session, code, actor_staff_id=None, now=TEST_NOW)
    erased = await participant(db)
    assert erased.personnummer_encrypted is None and erased.birth_year is None
    assert erased.education_level == "isced_5_8", "coarse categories stay for the statistics"

