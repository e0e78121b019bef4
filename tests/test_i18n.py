"""Languages: catalogs complete and consistent, per-locale formatting, RTL isolation,
per-string fallback, localized menus, /language and /preview."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest
from telegram.ext import CommandHandler

from bot.app import start_services
from bot.interaction.commands import COMMANDS
from bot.interaction.commands import Audience
from bot.interaction.commands import Command
from bot.interaction.menus import menu_languages
from bot.outbox.templates import reminder_message
from bot.sandbox.emulator import FakeUser
from bot.text import catalogs
from bot.text.i18n import FSI
from bot.text.i18n import LRI
from bot.text.i18n import PDI
from bot.text.i18n import Translator
from bot.text.i18n import resolve_language
from bot.text.languages import PARTICIPANT_LANGUAGES
from bot.text.participant_texts import consent_text
from storage.models import FollowUp
from storage.models import FollowUpKind
from storage.models import Role
from tests.conftest import STOCKHOLM
from tests.conftest import People
from tests.harness import BotHarness
from tests.steps import add_participant
from tests.steps import invite_token

RTL = {"ar", "fa", "fa_AF", "ps", "ckb"}
DUE = datetime(2026, 12, 3, 10, 0, tzinfo=STOCKHOLM)


def sample_followup() -> FollowUp:
    return FollowUp(id=7, participant_id=1, coordinator_id=1, due_at=DUE,
                    kind=FollowUpKind.MEETING, place="Arbetsförmedlingen")


def test_every_catalog_passes_the_check() -> None:
    problems = [problem for report in catalogs.check() for problem in report.problems]
    assert problems == []
    reports = {report.language: report for report in catalogs.check()}
    assert set(reports) == set(PARTICIPANT_LANGUAGES)
    for language in ("sv", "en"):
        assert reports[language].coverage == 1.0
    for report in reports.values():
        assert report.participant_translated == report.participant_total > 30


@pytest.mark.parametrize("language", PARTICIPANT_LANGUAGES)
def test_reminder_in_every_language_has_local_date_time_and_isolated_time(language: str) -> None:
    tr = Translator(language, STOCKHOLM)
    message = reminder_message(tr, sample_followup())
    assert tr.time(DUE) == "10:00"
    assert tr.clock(DUE) in message.text
    assert tr.full_date(DUE.date()) in message.text, "the date is written in the reader's way"
    assert "Arbetsförmedlingen" in message.text
    if language in RTL:
        assert tr.rtl and f"{LRI}{tr.clock(DUE)}{PDI}" in message.text
    else:
        assert not tr.rtl and LRI not in message.text
    sources = {lang: reminder_message(Translator(lang, STOCKHOLM), sample_followup()).text
               for lang in ("sv", "en") if lang != language}
    assert message.text not in sources.values(), "translated, not a fallback"
    labels = [b.text for row in message.keyboard.inline_keyboard for b in row]
    assert len(labels) == 3 and all(labels)


def test_participant_code_is_isolated_in_rtl_text() -> None:
    assert Translator("ar", STOCKHOLM).isolate("P-0042") == f"{LRI}P-0042{PDI}"
    assert Translator("sv", STOCKHOLM).isolate("P-0042") == "P-0042"


def test_missing_string_falls_back_to_swedish_then_english() -> None:
    staff_only = "Your role does not allow that."
    swedish = Translator("sv", STOCKHOLM)._(staff_only)
    assert swedish != staff_only
    assert Translator("ar", STOCKHOLM)._(staff_only) == swedish
    assert Translator("so", STOCKHOLM)._("A string nobody translated") == (
        "A string nobody translated")


def test_broken_translation_uses_the_source_string_instead_of_crashing() -> None:
    tr = Translator("ar", STOCKHOLM)
    assert tr._format("Hello %(name)s", "مرحبا %(nmae)s", {"name": "<Amina>"}) == (
        f"Hello {FSI}&lt;Amina&gt;{PDI}")


@pytest.mark.parametrize(("tag", "expected"), [
    ("sv-SE", "sv"), ("fa-AF", "fa_AF"), ("prs", "fa_AF"), ("ckb", "ckb"), ("ar-SY", "ar"),
    ("uk", "uk"), ("de", "sv"), (None, "sv"),
])
def test_telegram_language_codes_resolve_to_shipped_languages(tag: str | None,
                                                              expected: str) -> None:
    assert resolve_language(tag, allowed=PARTICIPANT_LANGUAGES) == expected


def test_numbers_and_percentages_follow_the_locale() -> None:
    assert Translator("sv", STOCKHOLM).percent(0.748) == "75\xa0%"
    assert Translator("en", STOCKHOLM).percent(0.748) == "75%"
    assert Translator("sv", STOCKHOLM).number(1234) == "1\xa0234"


async def test_start_up_publishes_menus_per_language_and_staff_scope(
    bot: BotHarness, people: People
) -> None:
    await start_services(bot.app)
    calls = bot.api.calls_to("setMyCommands")
    public = [c for c in calls if c["scope"]["type"] == "all_private_chats"]
    assert sorted(c.get("language_code") or "" for c in public) == sorted(
        ["", *menu_languages()])
    staff_scoped = {c["scope"]["chat_id"]: c for c in calls if c["scope"]["type"] == "chat"}
    assert set(staff_scoped) == {p.id for p in (people.admin, people.lead, people.lead_alvesta,
                                                people.anna, people.bo)}
    lead_commands = {c["command"] for c in staff_scoped[people.lead.id]["commands"]}
    coordinator_commands = {c["command"] for c in staff_scoped[people.bo.id]["commands"]}
    assert "team" in lead_commands and "team" not in coordinator_commands
    assert {"entry", "hours", "attendance"} <= coordinator_commands
    assert "report" in lead_commands and "report" not in coordinator_commands
    registered = {name for handlers in bot.app.handlers.values() for handler in handlers
                  if isinstance(handler, CommandHandler) for name in handler.commands}
    assert lead_commands | coordinator_commands <= registered
    swedish = next(c for c in public if c.get("language_code") == "sv")
    assert swedish["commands"][0]["description"] == Translator("sv", STOCKHOLM)._(
        "Your next appointment")
    descriptions = bot.api.calls_to("setMyDescription")
    assert len(descriptions) == len(public)


async def test_participant_language_picker_shows_endonyms(bot: BotHarness, people: People) -> None:
    code = await add_participant(bot, people.anna.user, "/ny Amina | Växjö | kvinna | ar")
    token = await invite_token(bot, people.anna.user, code)
    amina = FakeUser(5001, "Amina", "ar")
    [consent] = await bot.send(amina, f"/start {token}")
    assert consent.text == consent_text(Translator("ar", STOCKHOLM))
    replies = await bot.press(amina, consent, consent.buttons[0][0])
    picker = replies[-1]
    labels = [label for label, _ in picker.buttons]
    assert labels[0] == "✓ العربية"
    assert {"دری", "Soomaali", "ትግርኛ", "Українська", "پښتو", "کوردی"} <= set(labels)
    [done] = await bot.press(amina, picker, "Українська")
    assert "українською" in done.text


async def test_preview_shows_what_the_participant_receives_with_a_gloss(
    bot: BotHarness, people: People
) -> None:
    code = await add_participant(bot, people.anna.user, "/ny Amina | Växjö | kvinna | ar")
    [preview] = await bot.send(people.anna.user, f"/preview {code}")
    arabic = Translator("ar", STOCKHOLM)
    assert arabic._("✅ I'm coming") in [label for label, _ in preview.buttons]
    assert "🔔" in preview.text and "Påminnelse" in preview.text
    [sample] = await bot.send(people.bo.user, "/preview uk consent")
    ukrainian_consent = consent_text(Translator("uk", STOCKHOLM))
    assert ukrainian_consent in sample.text and ukrainian_consent != consent_text(
        Translator("en", STOCKHOLM))
    assert "Welcome!" in sample.text, "the gloss is in the coordinator's language"
    assert "Українська" in sample.text
    [refused] = await bot.send(people.bo.user, f"/preview {code}")
    assert "can't find" in refused.text
    # Guided: /preview alone offers the caseload; a tap shows the same preview.
    [picker] = await bot.send(people.anna.user, "/forhandsvisa")
    pick = picker.button_data(code)
    [tapped] = await bot.press_data(people.anna.user, picker, pick)
    assert tapped.text == preview.text
    [anchor] = await bot.send(people.bo.user, "/help")
    # Someone else's button: answered like any button that no longer means anything here.
    [refused] = await bot.press_data(people.bo.user, anchor, pick)
    assert "expired" in refused.text and "Amina" not in refused.text


def test_locales_readme_table_matches_the_catalogs() -> None:
    readme = (catalogs.LOCALES_DIR / "README.md").read_text(encoding="utf-8")
    assert catalogs.coverage_table(catalogs.check()) in readme


async def test_every_menu_command_works_without_arguments_as_a_guided_start(
    bot: BotHarness, people: People
) -> None:
    """DESIGN: every command is a one-liner *and* a guided flow; sent bare, by its English
    or its Swedish name, none may answer with just its usage line."""
    await bot.send(people.lead.user, "/add Menu Person | Växjö | woman | sv")
    await assert_bare_commands_start_guided(bot, people.lead.user, [
        row for row in COMMANDS
        if row.audience != Audience.PARTICIPANT and row.allowed_for(Role.LEAD)])


async def test_every_admin_only_command_works_without_arguments_as_a_guided_start(
    bot: BotHarness, people: People
) -> None:
    """The same as above for the commands only an admin may use (a lead is refused them,
    so the loop above never sends them)."""
    await bot.send(people.anna.user, "/add Menu Person | Växjö | woman | sv")
    admin_only = [row for row in COMMANDS if row.audience != Audience.PARTICIPANT
                  and row.allowed_for(Role.ADMIN) and not row.allowed_for(Role.LEAD)]
    assert admin_only, "the loop must test something"
    await assert_bare_commands_start_guided(bot, people.admin.user, admin_only)


async def assert_bare_commands_start_guided(
    bot: BotHarness, user: FakeUser, rows: Sequence[Command]
) -> None:
    """Each command of `rows`, by each of its names, sent bare by `user` (who may use it):
    answered, never with just its usage line nor a refusal; then cancelled."""
    for row in rows:
        for name in row.names:
            replies = await bot.send(user, f"/{name}")
            assert replies, name
            for reply in replies:
                assert not reply.body.startswith(("Write", "Skriv")), (name, reply.body)
                assert "alone to" not in reply.body, (name, reply.body)
                assert "does not allow" not in reply.body, (name, reply.body)
            await bot.send(user, "/cancel")
