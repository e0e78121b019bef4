"""Commands as hurried people type them: Swedish names with å, ä, ö, capitals, slips."""

from __future__ import annotations

from storage.models import Participant
from tests.conftest import Database
from tests.conftest import People
from tests.harness import BotHarness
from tests.steps import add
from tests.steps import rows


async def test_swedish_names_typed_with_swedish_letters_run_their_command(
    bot: BotHarness, people: People
) -> None:
    # Telegram marks only `/hj` of `/hjälp` as a command, and nothing of `/överlämna`.
    [help_text] = await bot.send(people.anna.user, "/hjälp")
    assert "Varje dag" in help_text.text
    [same] = await bot.send(people.anna.user, "/HJALP")
    assert same.text == help_text.text
    code = await add(bot, people.anna, "Amina Ahmadi | Växjö | woman | ar")
    [found] = await bot.send(people.anna.user, "/Sök Amina")
    assert code in found.text
    [narrowed] = await bot.send(people.anna.user, "/sök@KoordinatorBot Amina")
    assert code in narrowed.text
    # Nothing of `/överlämna` is marked as a command: it still is one.
    [handover] = await bot.send(people.lead.user, "/överlämna")
    assert "Whose caseload moves?" in handover.text


async def test_a_slip_is_answered_with_the_command_meant_and_changes_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    [reply] = await bot.send(people.anna.user, "/logga P-0001 telefon hej")
    assert reply.text == "Jag känner inte till /logga. Menade du /logg?"
    [reply] = await bot.send(people.bo.user, "/folowup")
    assert reply.text == "I don't know /folowup. Did you mean /followup?"
    # Only commands this role may use are offered: a coordinator has no /glom.
    [reply] = await bot.send(people.bo.user, "/glomm")
    assert reply.text == "I don't know that command. Send /help to see what I can do."
    [reply] = await bot.send(people.admin.user, "/glomm")
    assert reply.text == "I don't know /glomm. Did you mean /glom?"
    assert await rows(db, Participant) == []


async def test_typed_command_word_is_escaped_in_the_answer(
    bot: BotHarness, people: People
) -> None:
    [reply] = await bot.send(people.bo.user, "/stat<b>s")
    assert reply.text == "I don't know /stat&lt;b&gt;s. Did you mean /stats?"
