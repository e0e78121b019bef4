"""GDPR: erasure keeps anonymous counts, export gives everything, retention anonymises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from datetime import timedelta
from pathlib import Path

from bot.runtime.clock import ScaledClock
from storage import gdpr
from storage.db import transaction
from storage.models import AuditLog
from storage.models import CheckIn
from storage.models import FlowDraft
from storage.models import FollowUp
from storage.models import Invite
from storage.models import OutboundMessage
from storage.models import Participant
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.harness import BotHarness
from tests.steps import add_participant
from tests.steps import numbered_participants
from tests.steps import rows
from tests.steps import set_staff


async def seeded(bot: BotHarness, people: People) -> str:
    code = await add_participant(bot, people.anna.user,
                                 "/ny Amina Hassan | Växjö | kvinna | ar | 2025-01-10")
    await bot.send(people.anna.user, f"/logg {code} telefon Pratade om hennes hälsa")
    await bot.send(people.anna.user, f"/followup {code} 2026-12-03 10:00 möte Hemma hos Amina")
    await bot.send(people.anna.user, f"/bjud {code}")
    return code


async def test_admin_erases_with_confirmation_and_counts_stay(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await seeded(bot, people)
    await bot.send(people.anna.user, f"/avsluta {code} employed 2026-11-01")
    [refused] = await bot.send(people.lead.user, f"/forget {code}")
    assert "does not allow" in refused.text
    [confirm] = await bot.send(people.admin.user, f"/forget {code}")
    assert "Amina Hassan" in confirm.text
    [participant] = await rows(db, Participant)
    assert participant.display_name == "Amina Hassan", "nothing before the confirmation"
    [done] = await bot.press(people.admin.user, confirm, "Yes, erase")
    assert code in done.text
    [participant] = await rows(db, Participant)
    assert participant.display_name == gdpr.ERASED_NAME and participant.chat_id is None
    assert (participant.municipality, participant.gender, participant.outcome) == (
        "Växjö", "woman", "employed"), "anonymous facts stay for the statistics"
    assert [c.note for c in await rows(db, CheckIn)] == [""]
    assert [f.place for f in await rows(db, FollowUp)] == [""]
    assert await rows(db, Invite) == []
    assert all(r.participant_id is None for r in await rows(db, OutboundMessage))
    erasures = [a for a in await rows(db, AuditLog) if a.action == "participant.erase"]
    assert len(erasures) == 1 and erasures[0].target == code
    active = await add_participant(bot, people.anna.user,
                                   "/ny Still Active | Växjö | kvinna | so")
    async with transaction(db.sessions) as session:
        erased = await gdpr.erase_participant(session, active, actor_staff_id=None, now=TEST_NOW)
    assert (erased.status, erased.outcome, erased.ended_on) == (
        "ended", "unknown", TEST_NOW.date()), "an erased participant is no longer followed up"
    everything = json.dumps([a.details for a in await rows(db, AuditLog)])
    assert "Amina" not in everything and "hälsa" not in everything


async def test_export_contains_everything_about_the_person(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await seeded(bot, people)
    async with transaction(db.sessions) as session:
        data = await gdpr.export_participant(session, code)
    assert data["participant"]["display_name"] == "Amina Hassan"
    assert data["checkins"][0]["note"] == "Pratade om hennes hälsa"
    assert data["followups"][0]["place"] == "Hemma hos Amina"
    assert data["invites"] and "token_hash" not in data["invites"][0]
    assert {entry["action"] for entry in data["audit"]} >= {"participant.add", "checkin.add"}
    json.dumps(data)


async def test_retention_dry_run_lists_and_real_run_anonymises(
    bot: BotHarness, people: People, db: Database
) -> None:
    old = await seeded(bot, people)
    recent = await add_participant(bot, people.anna.user,
                                   "/ny Recent | Växjö | kvinna | so | 2025-01-01")
    await bot.send(people.anna.user, f"/avsluta {old} moved 2025-06-01")
    await bot.send(people.anna.user, f"/avsluta {recent} studies 2026-06-01")
    today, keep = date(2027, 6, 15), timedelta(days=730)
    async with transaction(db.sessions) as session:
        due = await gdpr.due_for_retention(session, today=today, keep=keep)
    assert [p.code for p in due] == [old]
    assert {p.display_name for p in await rows(db, Participant)} == {"Amina Hassan", "Recent"}
    async with transaction(db.sessions) as session:
        codes = await gdpr.apply_retention(session, today=today, keep=keep, now=TEST_NOW)
    assert codes == [old]
    names = {p.code: p.display_name for p in await rows(db, Participant)}
    assert names == {old: gdpr.ERASED_NAME, recent: "Recent"}


def test_cli_gdpr_commands(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DATA_DIR"))}
    env["DATA_DIR"] = str(tmp_path)

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=tmp_path,
                              input=stdin, capture_output=True, text=True, timeout=60)

    assert run("db", "upgrade").returncode == 0
    missing = run("gdpr", "export", "P-0404")
    assert missing.returncode == 1 and "no participant P-0404" in missing.stderr
    declined = run("gdpr", "erase", "P-0404", stdin="no\n")
    assert declined.returncode == 1 and "nothing was erased" in declined.stdout
    dry = run("gdpr", "retention", "--dry-run")
    assert dry.returncode == 0 and "0 participant(s) would be anonymised" in dry.stdout


def test_scaled_clock_runs_faster_than_real_time() -> None:
    clock = ScaledClock(3600.0, start=TEST_NOW)
    first = clock.now()
    import time

    time.sleep(0.05)
    assert clock.now() - first >= timedelta(seconds=150)


async def test_daily_planner_anonymises_past_retention(
    bot: BotHarness, people: People, db: Database
) -> None:
    from bot.outbox.scheduler import DISPATCHER_KEY

    code = await seeded(bot, people)
    await bot.send(people.anna.user, f"/avsluta {code} moved 2025-01-20")
    bot.clock.advance(timedelta(days=400))  # 2027-12: more than 730 days after the end
    await bot.app.bot_data[DISPATCHER_KEY + ".agenda"].plan()
    [participant] = await rows(db, Participant)
    assert participant.display_name == gdpr.ERASED_NAME


async def test_a_bare_forget_guides_an_admin_through_everyone_paged_then_confirms(
    bot: BotHarness, people: People, db: Database
) -> None:
    await numbered_participants(db, [(people.anna if index % 2 else people.bo).staff
                                     for index in range(10)])
    [picker] = await bot.send(people.admin.user, "/forget")
    assert not picker.text.startswith("Write"), picker.text
    first_page = offered(picker)
    assert len(first_page) == 9 and first_page[-1][0] == "More…", first_page
    [page_two] = await bot.press(people.admin.user, picker, "More…")
    assert page_two.message_id == picker.message_id
    last = offered(page_two)
    assert len(last) == 2 and not set(last) & set(first_page), last
    [confirm] = await bot.press_data(people.admin.user, page_two, last[-1][1])
    assert "Erase the personal data of" in confirm.text and "Person" in confirm.text
    assert all(p.display_name != gdpr.ERASED_NAME for p in await rows(db, Participant))
    [done] = await bot.press(people.admin.user, confirm, "Yes, erase")
    assert "has been erased" in done.text
    assert sum(p.display_name == gdpr.ERASED_NAME for p in await rows(db, Participant)) == 1
    # The erased one is no longer offered.
    [picker] = await bot.send(people.admin.user, "/forget")
    [page_two] = await bot.press(people.admin.user, picker, "More…")
    assert len(offered(page_two)) == 1


def offered(message) -> list[tuple[str, str]]:
    """A step's buttons but the engine's own « Back and Cancel."""
    return [button for button in message.buttons if button[0] not in {"« Back", "Cancel"}]


async def test_forget_is_completed_by_typing_the_code_and_swedish_yes(
    bot: BotHarness, people: People, db: Database
) -> None:

    code = await seeded(bot, people)
    await set_staff(db, people.admin, language="sv")
    await bot.send(people.admin.user, "/glom")
    *_, confirm = await bot.send(people.admin.user, code)
    assert "Amina Hassan" in confirm.text and "Ja, radera" in [b for b, _ in confirm.buttons]
    *_, done = await bot.send(people.admin.user, "ja")
    assert code in done.text
    [participant] = await rows(db, Participant)
    assert participant.display_name == gdpr.ERASED_NAME
    # Erased already: said at once, by the picker and by the one-liner; nothing is audited.
    await add_participant(bot, people.anna.user, "/ny Still Here | Växjö | kvinna | so")
    await bot.send(people.admin.user, "/glom")
    [again] = await bot.send(people.admin.user, code)
    assert "redan raderade" in again.text, again.text
    await bot.send(people.admin.user, "/avbryt")
    [again] = await bot.send(people.admin.user, f"/glom {code}")
    assert "redan raderade" in again.text, again.text
    erasures = [a for a in await rows(db, AuditLog) if a.action == "participant.erase"]
    assert len(erasures) == 1


async def test_a_forget_confirmation_from_an_earlier_run_expires_and_erases_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await seeded(bot, people)
    [old] = await bot.send(people.admin.user, f"/forget {code}")
    [confirm] = await bot.send(people.admin.user, f"/forget {code}")
    [reply] = await bot.press(people.admin.user, old, "Yes, erase")
    assert "expired" in reply.text and "/forget" in reply.text
    [participant] = await rows(db, Participant)
    assert participant.display_name == "Amina Hassan"
    [done] = await bot.press(people.admin.user, confirm, "Yes, erase")
    assert "has been erased" in done.text


async def test_an_erasure_ends_every_flow_in_progress_and_a_day_old_draft_is_purged(
    bot: BotHarness, people: People, db: Database
) -> None:
    """A draft may hold what someone typed about her (a note, her name): erasing her ends
    the flows in progress; the daily planner deletes drafts left for more than a day."""
    from bot.outbox.scheduler import DISPATCHER_KEY

    code = await seeded(bot, people)
    *_, picker = await bot.send(people.anna.user, "/logg")
    *_, channels = await bot.press(people.anna.user, picker, code)
    await bot.press(people.anna.user, channels, "telefon")
    await bot.send(people.anna.user, "Amina berättade om sin hälsa")
    assert any("hälsa" in draft.data for draft in await rows(db, FlowDraft))
    [confirm] = await bot.send(people.admin.user, f"/forget {code}")
    await bot.press(people.admin.user, confirm, "Yes, erase")
    assert await rows(db, FlowDraft) == []
    await bot.send(people.bo.user, "/add Omar A | Växjö | man | en")
    await bot.send(people.bo.user, "/log")  # Bo starts a flow and leaves it
    assert len(await rows(db, FlowDraft)) == 1
    bot.clock.advance(timedelta(days=1, hours=1))
    await bot.app.bot_data[DISPATCHER_KEY + ".agenda"].plan()
    assert await rows(db, FlowDraft) == []
