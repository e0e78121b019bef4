"""/staff add, /handover and /away guided on the flow engine: completed by typing what a
person would write (Swedish labels, a part of a name, a date), and a button from an earlier
run expires and changes nothing."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from bot.text.i18n import Translator
from storage.db import transaction
from storage.models import FlowDraft
from storage.models import Participant
from storage.models import Staff
from tests.conftest import STOCKHOLM
from tests.conftest import Database
from tests.conftest import People
from tests.conftest import Person
from tests.harness import BotHarness
from tests.steps import add_participant

SV = Translator("sv", STOCKHOLM)


async def speaks_swedish(db: Database, person: Person) -> None:
    async with transaction(db.sessions) as session:
        staff = await session.get(Staff, person.staff.id)
        staff.language = "sv"
        session.add(staff)


async def staff(db: Database) -> dict[int, Staff]:
    async with transaction(db.sessions) as session:
        return {s.telegram_user_id: s for s in (await session.exec(select(Staff))).all()}


async def owners(db: Database) -> set[int]:
    async with transaction(db.sessions) as session:
        return {p.coordinator_id for p in (await session.exec(select(Participant))).all()}


async def drafts(db: Database) -> list[FlowDraft]:
    async with transaction(db.sessions) as session:
        return list((await session.exec(select(FlowDraft))).all())


async def caseload_of_anna(bot: BotHarness, people: People) -> list[str]:
    return [await add_participant(bot, people.anna.user, f"/ny {name} | Växjö | kvinna | sv")
            for name in ("Moved One", "Moved Two")]


# ---- /staff add ---------------------------------------------------------------------------
async def test_staff_add_is_completed_by_typing_the_swedish_role(
    bot: BotHarness, people: People, db: Database
) -> None:
    await speaks_swedish(db, people.lead)
    await bot.send(people.lead.user, "/personal ny")
    [refused] = await bot.send(people.lead.user, "²³")
    assert refused.text == SV._("The Telegram id must be a positive number; nothing was saved.")
    await bot.send(people.lead.user, "424242")
    *_, roles = await bot.send(people.lead.user, "Nora Ny")
    assert [label for label, _ in roles.buttons] == ["koordinator", "« Tillbaka", "Avbryt"]
    *_, done = await bot.send(people.lead.user, "Koordinator")
    assert "Nora Ny" in done.text
    added = (await staff(db))[424242]
    assert (added.name, added.role) == ("Nora Ny", "coordinator")
    assert await drafts(db) == []


async def test_staff_add_said_the_swedish_way(
    bot: BotHarness, people: People, db: Database
) -> None:
    """`/personal lägg till …` as a Swedish colleague says it, alone or in one line."""
    await speaks_swedish(db, people.lead)
    [asked] = await bot.send(people.lead.user, "/personal lägg till")
    assert asked.text == SV._(
        "New staff member. What is their Telegram id? (They can see it by sending /start to "
        "me: I tell strangers their id.)"), asked.text
    await bot.send(people.lead.user, "/avbryt")
    await bot.send(people.lead.user, "/personal Lägg till 424243 koordinator Sara Lind | Växjö")
    added = (await staff(db))[424243]
    assert (added.name, added.role, added.municipality) == ("Sara Lind", "coordinator", "Växjö")


async def test_a_role_button_from_an_earlier_staff_add_expires_and_adds_nobody(
    bot: BotHarness, people: People, db: Database
) -> None:
    await bot.send(people.admin.user, "/staff add")
    await bot.send(people.admin.user, "424242")
    *_, roles = await bot.send(people.admin.user, "Old Run")
    await bot.send(people.admin.user, "/staff add")
    [reply] = await bot.press(people.admin.user, roles, "coordinator")
    assert reply.text == "This step has expired. Start again with /staff."
    assert 424242 not in await staff(db)


async def test_back_from_the_role_asks_the_name_again(
    bot: BotHarness, people: People, db: Database
) -> None:
    await bot.send(people.admin.user, "/staff add")
    await bot.send(people.admin.user, "424242")
    *_, roles = await bot.send(people.admin.user, "Nora Nu")
    [name] = await bot.press(people.admin.user, roles, "« Back")
    assert name.text == "Their name?"
    *_, roles = await bot.send(people.admin.user, "Nora Ny")
    [done] = await bot.press(people.admin.user, roles, "project lead")
    assert "Nora Ny" in done.text and (await staff(db))[424242].role == "lead"


# ---- /handover ----------------------------------------------------------------------------
async def test_handover_is_completed_by_typing_parts_of_names_and_ja(
    bot: BotHarness, people: People, db: Database
) -> None:
    codes = await caseload_of_anna(bot, people)
    await speaks_swedish(db, people.lead)
    [givers] = await bot.send(people.lead.user, "/overlamna")
    assert "Anna Andersson (2)" in [label for label, _ in givers.buttons]
    *_, receivers = await bot.send(people.lead.user, "anna")
    assert not givers.buttons, "the answered step's buttons are taken away"
    assert "Anna Andersson" not in [label for label, _ in receivers.buttons]
    [ambiguous] = await bot.send(people.lead.user, "L")  # Lars and Lena: not one
    assert "Lars Alvesta" in ambiguous.text and "Lena Lead" in ambiguous.text
    *_, confirm = await bot.send(people.lead.user, "berg")
    assert "Anna Andersson" in confirm.text and "Bo Berg" in confirm.text
    assert await owners(db) == {people.anna.staff.id}
    *_, done = await bot.send(people.lead.user, "ja")
    assert all(code in done.text for code in codes)
    assert await owners(db) == {people.bo.staff.id}


async def test_a_handover_button_from_an_earlier_run_expires_and_moves_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    await caseload_of_anna(bot, people)
    [givers] = await bot.send(people.lead.user, "/handover")
    [receivers] = await bot.press(people.lead.user, givers, "Anna Andersson (2)")
    [confirm] = await bot.press(people.lead.user, receivers, "Bo Berg")
    await bot.send(people.lead.user, "/handover")
    [reply] = await bot.press(people.lead.user, confirm, "Yes, move them")
    assert reply.text == "This step has expired. Start again with /handover."
    assert await owners(db) == {people.anna.staff.id}


# ---- /away --------------------------------------------------------------------------------
async def test_away_is_completed_by_typing_a_name_and_a_date_beyond_the_buttons(
    bot: BotHarness, people: People, db: Database
) -> None:
    await speaks_swedish(db, people.anna)
    await bot.send(people.anna.user, "/borta")
    *_, days = await bot.send(people.anna.user, "bo berg")
    assert len(days.buttons) == 14 + 2, "two weeks of days, « Back and Cancel"
    [refused] = await bot.send(people.anna.user, "2026-11-01")  # the past
    assert refused.text == SV._(
        "The colleague must be active staff, not you, and the last day away today or later; "
        "nothing was changed.")
    *_, done = await bot.send(people.anna.user, "2027-01-15")
    assert "Bo Berg" in done.text
    anna = (await staff(db))[people.anna.id]
    assert (anna.delegate_id, anna.away_until) == (people.bo.staff.id, date(2027, 1, 15))
    # Back by typing the Swedish label of "I'm back".
    await bot.send(people.anna.user, "/borta")
    *_, back = await bot.send(people.anna.user, "jag är tillbaka")
    assert back.text == SV._("Welcome back: your notices come to you again.")
    anna = (await staff(db))[people.anna.id]
    assert (anna.delegate_id, anna.away_until) == (None, None)


async def test_an_away_button_from_an_earlier_run_expires_and_changes_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    [old] = await bot.send(people.bo.user, "/away")
    [picker] = await bot.send(people.bo.user, "/away")
    [reply] = await bot.press(people.bo.user, old, "Anna Andersson")
    assert reply.text == "This step has expired. Start again with /away."
    [days] = await bot.press(people.bo.user, picker, "Anna Andersson")
    await bot.send(people.bo.user, "/away")
    [reply] = await bot.press_data(people.bo.user, days, days.buttons[0][1])
    assert "expired" in reply.text
    bo = (await staff(db))[people.bo.id]
    assert (bo.delegate_id, bo.away_until) == (None, None)
