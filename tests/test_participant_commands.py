"""Each coordinator command's happy path, its bad input and who may see what."""

from __future__ import annotations

from datetime import timedelta

from bot.interaction import buttons
from bot.sandbox.emulator import ChatMessage
from bot.text.i18n import Translator
from handlers.checkins import LogPick
from handlers.kit.flows import FlowFor
from handlers.kit.flows import FlowTap
from handlers.kit.participant_views import ParticipantCard
from handlers.participants import EndPick
from handlers.participants import StatusPick
from storage.db import transaction
from storage.models import AuditLog
from storage.models import CheckIn
from storage.models import FlowDraft
from storage.models import Participant
from storage.models import Role
from storage.models import Status
from storage.staff import add_staff
from tests.conftest import STOCKHOLM
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.harness import BotHarness
from tests.steps import add
from tests.steps import caseload_seen_apart
from tests.steps import each_reply_contains
from tests.steps import guided_add_named
from tests.steps import guided_log_started
from tests.steps import numbered_participants
from tests.steps import picked
from tests.steps import register_in_db
from tests.steps import rows


async def test_mine_lists_own_caseload_least_recently_seen_first(
    bot: BotHarness, people: People
) -> None:
    never, long_ago, lately = await caseload_seen_apart(bot, people)
    [reply] = await bot.send(people.bo.user, "/mine")
    text = reply.text
    assert "3 participants" in text
    assert text.index(never) < text.index(long_ago) < text.index(lately)
    assert "Annas Person" not in text


async def test_the_picker_offers_the_participant_last_logged_first(
    bot: BotHarness, people: People
) -> None:
    """A guided flow starts with the likely next pick: whom a check-in was last logged for
    (read from the check-ins; a /log leaves the participant's row alone)."""
    logged = await add(bot, people.bo, "Logged Lately | Växjö | man | en")
    await add(bot, people.bo, "Added Next | Växjö | woman | ar")
    await add(bot, people.bo, "Added Last | Växjö | woman | so")
    [picker] = await bot.send(people.bo.user, "/log")
    assert "Added Last" in picker.buttons[0][0]
    bot.clock.advance(timedelta(hours=1))
    await bot.send(people.bo.user, f"/log {logged} phone talked about the internship")
    [picker] = await bot.send(people.bo.user, "/log")
    assert ["Logged Lately" in label for label, _ in picker.buttons[:3]] == [True, False, False]
    assert "Added Last" in picker.buttons[1][0], "then the most recently changed"


async def test_mine_paginates_with_buttons(bot: BotHarness, people: People) -> None:
    for index in range(10):
        await add(bot, people.bo, f"Person {index} | Ljungby | woman | sv")
    [page_one] = await bot.send(people.bo.user, "/mine")
    assert "Page 1 of 2" in page_one.text and "Person 8" not in page_one.text
    [page_two] = await bot.press(people.bo.user, page_one, "Next")
    assert "Page 2 of 2" in page_two.text and "Person 9" in page_two.text


async def test_find_by_name_part_and_code_within_scope(bot: BotHarness, people: People) -> None:
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar")
    await add(bot, people.anna, "Amina Other | Växjö | woman | ar")
    [reply] = await bot.send(people.bo.user, "/find amina")
    assert "Amina Hassan" in reply.text and "Amina Other" not in reply.text
    [reply] = await bot.send(people.bo.user, f"/find {code.lower()}")
    assert "Amina Hassan" in reply.text
    [reply] = await bot.send(people.lead.user, "/sok amina")
    assert "Amina Hassan" in reply.text and "Amina Other" in reply.text


async def test_participant_card_shows_details_and_last_checkins(
    bot: BotHarness, people: People
) -> None:
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar")
    await bot.send(people.bo.user, f"/log {code} visit Home visit went well")
    [card] = await bot.send(people.bo.user, f"/participant {code}")
    assert "Amina Hassan" in card.text and "Växjö" in card.text and "العربية" in card.text
    assert "Home visit went well" in card.text
    assert [label for label, _ in card.buttons] == ["Log check-in", "Change status", "End",
                                                      "Entry data"]


async def test_status_one_liner_and_guided(bot: BotHarness, people: People, db: Database) -> None:
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar")
    [reply] = await bot.send(people.bo.user, f"/status {code} praktik")
    assert "internship" in reply.text
    [reply] = await bot.send(people.bo.user, f"/status {code} subsidised employment")
    assert "now has status: subsidised employment" in reply.text
    choices = await picked(bot, people.bo.user, "/status", code)
    [done] = await bot.press(people.bo.user, choices, "studies")
    assert "studies" in done.text
    [stored] = await rows(db, Participant)
    assert stored.status == Status.STUDIES
    actions = [a.action for a in await rows(db, AuditLog)]
    assert actions.count("participant.status") == 3


async def test_end_one_liner_records_outcome_and_date(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar | 2026-01-10")
    [reply] = await bot.send(people.bo.user, f"/end {code} employed 2026-11-20")
    assert "employed" in reply.text
    [stored] = await rows(db, Participant)
    assert (stored.status, stored.outcome, stored.ended_on.isoformat()) == (
        Status.ENDED, "employed", "2026-11-20")
    [again] = await bot.send(people.bo.user, f"/end {code} studies")
    assert "already ended" in again.text
    [stored] = await rows(db, Participant)
    assert stored.outcome == "employed"


async def test_guided_end_asks_for_confirmation(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar")
    outcomes = await picked(bot, people.bo.user, "/end", code)
    [confirm] = await bot.press(people.bo.user, outcomes, "studies (CSN)")
    [stored] = await rows(db, Participant)
    assert stored.status == Status.ACTIVE, "nothing changes before the confirmation"
    [done] = await bot.press(people.bo.user, confirm, "End: gained a qualification")
    assert "ended" in done.text and "Gained a qualification: yes" in done.text
    [stored] = await rows(db, Participant)
    assert (stored.status, stored.outcome, stored.gained_qualification) == (
        Status.ENDED, "studies", True)


async def test_guided_end_of_a_subsidised_job_asks_its_kind(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar")
    [card] = await bot.send(people.bo.user, f"/participant {code}")
    [outcomes] = await bot.press(people.bo.user, card, "End")
    [kinds] = await bot.press(people.bo.user, outcomes, "subsidised employment")
    assert [label for label, _ in kinds.buttons] == [
        "nystartsjobb", "extratjänst", "introduktionsjobb", "lönebidrag", "yrkesintroduktion",
        "other subsidy", "« Back", "Cancel"]
    [confirm] = await bot.press(people.bo.user, kinds, "lönebidrag")
    assert "subsidised employment: lönebidrag" in confirm.text
    [stored] = await rows(db, Participant)
    assert stored.status == Status.ACTIVE, "nothing changes before the last tap"
    [done] = await bot.press(people.bo.user, confirm, "End: not known")
    assert "subsidised employment: lönebidrag" in done.text and "qualification" not in done.text
    [stored] = await rows(db, Participant)
    assert (stored.outcome, stored.subsidy_type, stored.gained_qualification) == (
        "subsidised", "lonebidrag", None)


async def test_end_one_liner_takes_end_details_and_refuses_what_does_not_fit(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar | 2026-11-02")
    usage = "Write: <code>/end P-0042 outcome [YYYY-MM-DD]</code>."
    for bad, expected in (
        (f"/end {code} employed subsidy:nystartsjobb",  # subsidy needs subsidised
         "A kind of subsidised job goes only with the outcome subsidised; nothing was saved."),
        # Not a kind of subsidy, not an end detail, two dates, not yes or no: the usage
        # lists what is accepted.
        (f"/end {code} subsidised subsidy:lottery", usage),
        (f"/end {code} subsidised born:1990", usage),
        (f"/end {code} studies 2026-11-01 2026-11-02", usage),
        (f"/end {code} studies qualification:perhaps", usage),
    ):
        [reply] = await bot.send(people.bo.user, bad)
        assert reply.text.startswith(expected), (bad, reply.text)
        [stored] = await rows(db, Participant)
        assert stored.status == Status.ACTIVE, bad
    [reply] = await bot.send(
        people.bo.user, f"/end {code} subsidised subsidy:extratjanst 2026-11-20 qualification:no")
    assert "subsidised employment: extratjänst" in reply.text
    assert "Gained a qualification: no" in reply.text
    [stored] = await rows(db, Participant)
    assert (stored.outcome, stored.ended_on.isoformat(), stored.subsidy_type,
            stored.gained_qualification) == ("subsidised", "2026-11-20", "extratjanst", False)


# ---- access ------------------------------------------------------------------------------
async def test_coordinator_cannot_touch_another_coordinators_participant(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.anna, "Annas Person | Växjö | woman | sv")
    for command in (f"/participant {code}", f"/log {code} phone hello", f"/status {code} paused",
                    f"/end {code} moved"):
        [reply] = await bot.send(people.bo.user, command)
        assert "can't find participant" in reply.text, command
        assert "Annas Person" not in reply.text
    [stored] = await rows(db, Participant)
    assert stored.status == Status.ACTIVE and await rows(db, CheckIn) == []


async def test_forged_callback_with_other_participants_id_is_refused(
    bot: BotHarness, people: People, db: Database
) -> None:
    await add(bot, people.anna, "Annas Person | Växjö | woman | sv")
    [stored] = await rows(db, Participant)
    for forged in (ParticipantCard(stored.id).encode(), LogPick(stored.id).encode(),
                   FlowFor("status", stored.id).encode(), FlowFor("end", stored.id).encode(),
                   StatusPick(stored.id).encode(), EndPick(stored.id).encode(),
                   # What /status and /end sent before the flow engine.
                   f"st:s:{stored.id}:paused", f"end:c:{stored.id}:moved:-:y",
                   f"end:t:{stored.id}:lonebidrag"):
        [help_message] = await bot.send(people.bo.user, "/help")
        replies = await bot.press_data(people.bo.user, help_message, forged)
        assert replies and "Annas Person" not in replies[-1].text, forged
        assert "expired" in replies[-1].text or "can't find" in replies[-1].text, forged
    [stored] = await rows(db, Participant)
    assert stored.status == Status.ACTIVE


async def test_card_buttons_from_before_the_flow_engine_still_start_their_flow(
    bot: BotHarness, people: People
) -> None:
    """"Log check-in", "Change status" and "End" under a card sent before the flow engine
    open the flow at its second step, the participant already picked."""
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar")
    [card] = await bot.send(people.bo.user, f"/participant {code}")
    participant_id = buttons.decode(card.button_data("Log check-in")).participant_id
    for old, asked in ((LogPick(participant_id), "How did you meet?"),
                       (StatusPick(participant_id), "New status"),
                       (EndPick(participant_id), "outcome")):
        [help_message] = await bot.send(people.bo.user, "/help")
        *_, step = await bot.press_data(people.bo.user, help_message, old.encode())
        assert asked in step.text and code in step.text, (old, step.text)
        await bot.send(people.bo.user, "/cancel")


async def test_lead_sees_all_but_restricted_lead_only_their_municipality(
    bot: BotHarness, people: People
) -> None:
    vaxjo = await add(bot, people.anna, "In Vaxjo | Växjö | woman | sv")
    alvesta = await add(bot, people.anna, "In Alvesta | Alvesta | man | sv")
    [reply] = await bot.send(people.lead.user, f"/participant {vaxjo}")
    assert "In Vaxjo" in reply.text
    [reply] = await bot.send(people.lead_alvesta.user, f"/participant {alvesta}")
    assert "In Alvesta" in reply.text
    [reply] = await bot.send(people.lead_alvesta.user, f"/participant {vaxjo}")
    assert "In Vaxjo" not in reply.text and "can't find" in reply.text


async def test_coordinator_may_not_add_staff_but_lead_may_add_coordinator_only(
    bot: BotHarness, people: People
) -> None:
    [reply] = await bot.send(people.bo.user, "/staff add 5555 coordinator Sara Lind")
    assert "does not allow" in reply.text
    [reply] = await bot.send(people.lead.user, "/staff add 5556 admin Evil Admin")
    assert "does not allow" in reply.text
    [reply] = await bot.send(people.lead.user, "/staff add 5557 coordinator Sara Lind | Växjö")
    assert "Sara Lind" in reply.text
    [listing] = await bot.send(people.lead.user, "/staff")
    assert "Sara Lind" in listing.text and "Växjö" in listing.text


async def test_guided_staff_add_by_admin(bot: BotHarness, people: People) -> None:
    await bot.send(people.admin.user, "/staff add")
    await bot.send(people.admin.user, "424242")
    *_, roles = await bot.send(people.admin.user, "Nora Ny")
    assert [label for label, _ in roles.buttons][:3] == ["admin", "project lead", "coordinator"]
    [done] = await bot.press(people.admin.user, roles, roles.buttons[1][0])
    assert "Nora Ny" in done.text
    [help_text] = await bot.send(
        type(people.admin.user)(424242, "Nora", "en"), "/help")
    assert "project lead" in help_text.text


# ---- bad input ---------------------------------------------------------------------------
async def test_unknown_code_and_malformed_commands_get_usage_and_change_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    await each_reply_contains(bot, people.bo.user, [
        ("/log P-9999 phone hi", "can't find participant P-9999"),
        ("/log banana phone hi", "can't find participant banana"),
        ("/log P-0001", "Write: <code>/log"),
        ("/add only a name", "Write: <code>/add"),
        ("/add A | Växjö | robot | sv", "Write: <code>/add"),
        ("/add A | Växjö | woman | xx", "Write: <code>/add"),
        ("/add A | Växjö | woman | sv | 2030-01-01", "future"),
        ("/add A | Växjö | woman | sv | yesterday-ish", "Write: <code>/add"),
        ("/status P-0001 ended", "Write: <code>/status"),
        ("/end P-0001 fired", "Write: <code>/end"),
        ("/nonsense", "don't know that command"),
    ])
    assert await rows(db, Participant) == []
    assert await rows(db, CheckIn) == []


async def test_too_long_note_is_refused_and_nothing_is_saved(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.bo, "Amina | Växjö | woman | ar")
    [reply] = await bot.send(people.bo.user, f"/log {code} phone {'x' * 2001}")
    assert reply.text == ("The note is longer than 2,000 characters; nothing was saved. "
                          "Shorten it.")
    assert await rows(db, CheckIn) == []
    # The guided flow refuses the same way and keeps waiting for a shorter note.
    channels = await picked(bot, people.bo.user, "/log", code)
    await bot.press(people.bo.user, channels, "phone")
    [refusal] = await bot.send(people.bo.user, "y" * 2001)
    assert refusal.text == reply.text
    *_, ask_status = await bot.send(people.bo.user, "short note")
    await bot.press(people.bo.user, ask_status, "No change")
    [checkin] = await rows(db, CheckIn)
    assert checkin.note == "short note"


async def test_html_in_names_and_notes_is_escaped(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.bo, "<b>Bold</b> & <script>x</script> | Växjö | woman | sv")
    [reply] = await bot.send(people.bo.user, f"/log {code} phone <i>note</i> <tg-emoji>")
    assert "&lt;i&gt;note&lt;/i&gt; &lt;tg-emoji&gt;" in reply.text
    [card] = await bot.send(people.bo.user, f"/participant {code}")
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;script&gt;" in card.text
    [stored] = await rows(db, Participant)
    assert stored.display_name == "<b>Bold</b> & <script>x</script>"


async def guided_log_at_the_note(bot: BotHarness, people: People) -> ChatMessage:
    """Bo adds Amina and starts a guided /log of a meeting with her: the note's prompt."""
    _, channels = await guided_log_started(bot, people)
    [ask_note] = await bot.press(people.bo.user, channels, "meeting")
    return ask_note


async def test_a_guided_step_survives_a_restart_of_the_process(
    bot: BotHarness, people: People, db: Database
) -> None:
    ask_note = await guided_log_at_the_note(bot, people)
    bot.app.drop_user_data(people.bo.id)  # what a restart does to in-memory state
    [status] = await bot.press(people.bo.user, ask_note, "No note")
    assert "status changed" in status.text
    [saved] = await bot.press(people.bo.user, status, "No change")
    assert "Check-in saved" in saved.text
    assert len(await rows(db, CheckIn)) == 1
    assert await rows(db, FlowDraft) == [], "a finished flow leaves no draft"


async def test_a_button_from_an_earlier_run_says_expired_and_changes_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    ask_note = await guided_log_at_the_note(bot, people)
    await bot.send(people.bo.user, "/log")  # started again: the old prompt is stale
    [reply] = await bot.press(people.bo.user, ask_note, "No note")
    assert "expired" in reply.text and "/log" in reply.text
    assert await rows(db, CheckIn) == []


async def test_group_chats_are_refused_for_staff_commands(
    bot: BotHarness, people: People, db: Database
) -> None:
    update = bot.api.user_sends(people.bo.user, "/add A | Växjö | woman | sv")
    update["message"]["chat"] = {"id": -100123, "type": "group", "title": "Team"}
    await bot.deliver(update)
    [reply] = bot.api.bot_messages(-100123)
    assert "private chat" in reply.text
    assert await rows(db, Participant) == []


async def test_swedish_coordinator_gets_swedish_replies(bot: BotHarness, people: People) -> None:
    sv = Translator("sv", STOCKHOLM)
    [reply] = await bot.send(people.anna.user, "/logg P-0042 telefon hej")
    expected = sv._("I can't find participant %(code)s among the participants you can see. "
                    "Check the code, or use /find.", code="P-0042")
    assert reply.text == expected
    assert "hittar" in expected.lower() or "hitta" in expected.lower()


async def test_language_command_switches_staff_language(bot: BotHarness, people: People) -> None:
    [picker] = await bot.send(people.anna.user, "/sprak")
    [done] = await bot.press(people.anna.user, picker, "English")
    assert done.text == "Done: I will write to you in English."
    [reply] = await bot.send(people.anna.user, "/nonsense")
    assert "don't know that command" in reply.text


async def test_lead_hands_over_a_caseload_and_follow_ups_move_too(
    bot: BotHarness, people: People, db: Database
) -> None:
    from storage.models import FollowUp

    first = await add(bot, people.anna, "Moved One | Växjö | woman | sv")
    second = await add(bot, people.anna, "Moved Two | Växjö | man | sv")
    await add(bot, people.anna, "Stays | Växjö | woman | sv")
    await bot.send(people.anna.user, f"/followup {first} 2026-12-03 10:00 meeting")
    [refused] = await bot.send(people.bo.user, f"/handover Anna Bo {first}")
    assert "does not allow" in refused.text
    [reply] = await bot.send(people.lead.user, f"/handover Anna {people.bo.id} {first} {second}")
    assert "2 participants moved from Anna Andersson to Bo Berg" in reply.text
    owners = {p.code: p.coordinator_id for p in await rows(db, Participant)}
    assert owners[first] == owners[second] == people.bo.staff.id
    assert list(owners.values()).count(people.anna.staff.id) == 1
    [followup] = await rows(db, FollowUp)
    assert followup.coordinator_id == people.bo.staff.id
    moves = [a for a in await rows(db, AuditLog) if a.action == "participant.handover"]
    assert sorted(a.target for a in moves) == [first, second]
    [whole] = await bot.send(people.lead.user, "/handover Anna Bo")
    assert "1 participant moved" in whole.text
    [nothing] = await bot.send(people.lead.user, "/handover Anna Bo P-0099")
    assert "P-0099" in nothing.text
    [unknown] = await bot.send(people.lead.user, "/handover Nobody Bo")
    assert "no staff member" in unknown.text.lower()


async def test_lead_hands_over_a_caseload_with_taps(
    bot: BotHarness, people: People, db: Database
) -> None:
    first = await add(bot, people.anna, "Moved One | Växjö | woman | sv")
    second = await add(bot, people.anna, "Moved Two | Växjö | man | sv")
    [picker] = await bot.send(people.lead.user, "/overlamna")
    assert [label for label, _ in picker.buttons] == ["Anna Andersson (2)", "Cancel"]
    [receivers] = await bot.press(people.lead.user, picker, "Anna Andersson (2)")
    assert "Anna Andersson" not in [label for label, _ in receivers.buttons]
    [confirm] = await bot.press(people.lead.user, receivers, "Bo Berg")
    assert "Move every active participant of Anna Andersson to Bo Berg?" in confirm.text
    assert {p.coordinator_id for p in await rows(db, Participant)} == {people.anna.staff.id}
    [done] = await bot.press(people.lead.user, confirm, "Yes, move them")
    assert f"2 participants moved from Anna Andersson to Bo Berg: {first}, {second}" in done.text
    assert {p.coordinator_id for p in await rows(db, Participant)} == {people.bo.staff.id}
    # A coordinator's forged confirmation is refused by the policy and moves nothing back.
    [anchor] = await bot.send(people.bo.user, "/help")
    [refused] = await bot.press_data(people.bo.user, anchor,
                                     FlowTap("handover", 1, 2, "yes").encode())
    assert "does not allow" in refused.text
    assert {p.coordinator_id for p in await rows(db, Participant)} == {people.bo.staff.id}


async def test_first_note_comes_with_a_one_time_sensitive_data_warning(
    bot: BotHarness, people: People
) -> None:
    code = await add(bot, people.bo, "Amina | Växjö | woman | ar")
    [first] = await bot.send(people.bo.user, f"/log {code} phone no note warning yet")
    assert "never health" in first.text
    [second] = await bot.send(people.bo.user, f"/log {code} phone second note")
    assert "never health" not in second.text
    [other] = await bot.send(people.lead.user, f"/log {code} visit lead's first note")
    assert "never health" in other.text, "each staff member is warned once"


async def test_a_picker_pages_through_thirty_participants_to_the_last_one(
    bot: BotHarness, people: People, db: Database
) -> None:
    """Pickers show eight at a time with "More…"; every participant can be reached."""
    assert people.bo.staff is not None
    await numbered_participants(db, [people.bo.staff] * 30)
    [page] = await bot.send(people.bo.user, "/participant")
    seen: list[str] = []
    while True:
        picks = [label for label, _ in page.buttons if label.startswith("P-")]
        assert 0 < len(picks) <= 8
        seen += picks
        if not any(label == "More…" for label, _ in page.buttons):
            break
        [page] = await bot.press(people.bo.user, page, "More…")  # edited in place
    assert len(seen) == len(set(seen)) == 30, "each participant once, none left out"
    # Most recently touched first: the first one registered is on the last page.
    [card] = await bot.press(people.bo.user, page, "Person 00")
    assert "Person 00" in card.text and "Municipality: Växjö" in card.text


async def test_a_code_typed_with_other_digits_is_not_found(
    bot: BotHarness, people: People
) -> None:
    """`P-፭`, `P-²` and `P-٣` are no participant's code (not P-0003, and no ValueError)."""
    for index in range(5):
        await add(bot, people.bo, f"Person {index} | Växjö | woman | sv")
    for code in ("P-፭", "P-²", "P-٣", "p٣", "P-３"):
        for command in (f"/participant {code}", f"/status {code} paused",
                        f"/end {code} moved"):
            [reply] = await bot.send(people.bo.user, command)
            assert "can't find" in reply.text, (command, reply.text)
    [reply] = await bot.press_data(people.bo.user, reply, ParticipantCard(3).encode())
    assert "P-0003" in reply.text, "the ASCII code still opens the card"


async def test_a_card_opened_from_mine_has_a_way_back_to_the_same_page(
    bot: BotHarness, people: People
) -> None:
    for index in range(10):
        await add(bot, people.bo, f"Person {index} | Ljungby | woman | sv")
    [page_one] = await bot.send(people.bo.user, "/mine")
    [page_two] = await bot.press(people.bo.user, page_one, "Next")
    assert "Page 2 of 2" in page_two.text
    code = page_two.buttons[0][0]
    [card] = await bot.press(people.bo.user, page_two, code)
    assert card.message_id == page_two.message_id, "the card replaces the list"
    assert "Municipality" in card.text and "Page 2 of 2" not in card.text
    assert card.buttons[-1][0] == "« Back"
    [back] = await bot.press(people.bo.user, card, "« ")
    assert back.message_id == page_two.message_id
    assert (back.text, back.buttons) == (page_two.text, page_two.buttons), "the same page again"
    # A card opened by command has no list to go back to.
    [card] = await bot.send(people.bo.user, f"/participant {code}")
    assert not any(label.startswith("«") for label, _ in card.buttons)


async def test_colleague_pickers_of_away_and_handover_page_past_twenty(
    bot: BotHarness, people: People, db: Database
) -> None:
    async with transaction(db.sessions) as session:
        for index in range(25):
            member = await add_staff(session, telegram_user_id=7000 + index,
                                     name=f"Zed {index:02d}", role=Role.COORDINATOR,
                                     municipality=None, now=TEST_NOW)
            await register_in_db(session, member, f"Person {index:02d}")
    # /handover: whose caseload (25 givers), then to whom (29 receivers), each paged.
    [givers] = await bot.send(people.lead.user, "/handover")
    assert "Zed 24 (1)" not in [label for label, _ in givers.buttons]
    [givers_two] = await bot.press(people.lead.user, givers, "More…")
    assert givers_two.message_id == givers.message_id
    assert "Zed 24 (1)" in [label for label, _ in givers_two.buttons]
    [receivers] = await bot.press(people.lead.user, givers_two, "Zed 24 (1)")
    assert "Zed 23" not in [label for label, _ in receivers.buttons]
    [receivers_two] = await bot.press(people.lead.user, receivers, "More…")
    assert "Zed 24" not in [label for label, _ in receivers_two.buttons]
    [confirm] = await bot.press(people.lead.user, receivers_two, "Zed 23")
    assert "Move every active participant of Zed 24 to Zed 23?" in confirm.text
    # /away: 29 colleagues.
    [colleagues] = await bot.send(people.bo.user, "/away")
    assert "Zed 24" not in [label for label, _ in colleagues.buttons]
    [colleagues_two] = await bot.press(people.bo.user, colleagues, "More…")
    assert "Zed 24" in [label for label, _ in colleagues_two.buttons]
    assert "More…" not in [label for label, _ in colleagues_two.buttons], "the last page"
    [days] = await bot.press(people.bo.user, colleagues_two, "Zed 24")
    assert "last day away" in days.text


# ---- the guided flows (the flow engine) -----------------------------------------------------
EXPIRED_SV = "Det här steget har gått ut"


async def test_guided_add_typed_through_in_swedish(
    bot: BotHarness, people: People, db: Database
) -> None:
    """Every step of /ny answered by typing what a Swedish coordinator would write: the
    municipality in lower case without accents, kvinna, arabiska, idag."""
    anna = people.anna.user
    [ask_name] = await bot.send(anna, "/ny")
    for answer in ("Amina H", "vaxjo", "kvinna", "arabiska"):
        replies = await bot.send(anna, answer)
        assert replies[0].message_id == ask_name.message_id, "the answered step loses its buttons"
        assert replies[0].buttons == []
        [ask_name] = replies[1:]
    *_, added = await bot.send(anna, "idag")
    assert "Amina H" in added.text and "Växjö" in added.text
    [stored] = await rows(db, Participant)
    assert (stored.display_name, stored.municipality, stored.gender, stored.language,
            stored.enrolled_on) == ("Amina H", "Växjö", "woman", "ar", TEST_NOW.date())
    assert await rows(db, FlowDraft) == []


async def test_guided_add_refuses_a_future_day_and_unknown_words_and_waits(
    bot: BotHarness, people: People, db: Database
) -> None:
    bo = people.bo.user
    await guided_add_named(bot, bo, "Yusuf K")
    [refused] = await bot.send(bo, "Atlantis")
    assert "not one of the project's municipalities" in refused.text
    *_, ask_gender = await bot.send(bo, "Växjö")
    assert "Gender" in ask_gender.text
    [refused] = await bot.send(bo, "robot")
    assert "I did not recognise" in refused.text and "woman" in refused.text
    *_, ask_language = await bot.send(bo, "m")
    [ask_day] = await bot.press(bo, ask_language, "Soomaali")
    assert [label for label, _ in ask_day.buttons] == ["Today", "« Back", "Cancel"]
    [refused] = await bot.send(bo, "2030-01-01")
    assert "can't be in the future" in refused.text
    assert await rows(db, Participant) == []
    *_, added = await bot.send(bo, "2026-11-02")
    assert "Added" in added.text and "2 Nov 2026" in added.text
    [stored] = await rows(db, Participant)
    assert (stored.gender, stored.language, stored.enrolled_on.isoformat()) == (
        "man", "so", "2026-11-02")


async def test_guided_add_goes_back_a_step_and_a_stale_button_changes_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    await add(bot, people.bo, "Amina | Växjö | woman | ar")
    bo = people.bo.user
    *_, places = await guided_add_named(bot, bo, "Omar")
    [genders] = await bot.press(bo, places, "Växjö")
    [places_again] = await bot.press(bo, genders, "« Back")
    assert "Which municipality" in places_again.text
    [genders] = await bot.press(bo, places_again, "Växjö")
    await bot.send(bo, "/add")  # started again: the earlier prompt is stale
    [expired] = await bot.press(bo, genders, "man")
    assert "expired" in expired.text and "/add" in expired.text
    assert len(await rows(db, Participant)) == 1


async def test_guided_status_typed_in_swedish_and_a_stale_button_changes_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.anna, "Amina Hassan | Växjö | woman | ar")
    anna = people.anna.user
    await bot.send(anna, "/status")
    *_, statuses = await bot.send(anna, "amina")  # part of the name picks her
    assert "pausad" in [label for label, _ in statuses.buttons]
    await bot.send(anna, "/status")  # started again: the earlier statuses are stale
    [expired] = await bot.press(anna, statuses, "pausad")
    assert EXPIRED_SV in expired.text and "/status" in expired.text
    [stored] = await rows(db, Participant)
    assert stored.status == Status.ACTIVE
    *_, done = await bot.send(anna, code.lower())
    *_, done = await bot.send(anna, "praktik")  # the one-liner's word
    assert "praktik" in done.text
    [stored] = await rows(db, Participant)
    assert stored.status == Status.INTERNSHIP


async def test_guided_end_typed_in_swedish_on_another_day(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.anna, "Amina Hassan | Växjö | woman | ar | 2026-09-01")
    anna = people.anna.user
    await bot.send(anna, "/avsluta")
    for answer in (code, "subventionerad", "lönebidrag", "Ett annat slutdatum", "2026-11-20"):
        *_, asked = await bot.send(anna, answer)
        assert "expired" not in asked.text and "känner inte igen" not in asked.text, answer
    assert "den 20 nov. 2026" in asked.text
    assert "Ett annat slutdatum" not in [label for label, _ in asked.buttons]
    [stored] = await rows(db, Participant)
    assert stored.status == Status.ACTIVE, "nothing changes before the last answer"
    *_, done = await bot.send(anna, "ja")
    [stored] = await rows(db, Participant)
    assert (stored.status, stored.outcome, stored.subsidy_type, stored.ended_on.isoformat(),
            stored.gained_qualification) == (Status.ENDED, "subsidised", "lonebidrag",
                                             "2026-11-20", True)
    assert "avslutad 20 nov. 2026" in done.text


async def test_guided_end_stale_confirmation_changes_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar")
    outcomes = await picked(bot, people.bo.user, "/end", code)
    [confirm] = await bot.press(people.bo.user, outcomes, "moved")
    [outcomes_again] = await bot.press(people.bo.user, confirm, "« Back")
    assert "Pick the outcome" in outcomes_again.text
    [confirm] = await bot.press(people.bo.user, outcomes_again, "illness")
    assert "illness" in confirm.text
    await bot.send(people.bo.user, "/end")  # started again: the confirmation is stale
    [expired] = await bot.press(people.bo.user, confirm, "End: gained a qualification")
    assert "expired" in expired.text and "/end" in expired.text
    [stored] = await rows(db, Participant)
    assert stored.status == Status.ACTIVE and stored.outcome is None


async def test_guided_find_and_card_by_typing_and_stale_buttons_change_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.anna, "Amina Hassan | Växjö | woman | ar")
    anna = people.anna.user
    [ask] = await bot.send(anna, "/sok")
    await bot.send(anna, "/sok")  # started again: the first prompt's Cancel is stale
    [expired] = await bot.press(anna, ask, "Avbryt")
    assert EXPIRED_SV in expired.text
    *_, found = await bot.send(anna, "amina")
    assert "Amina Hassan" in found.text and code in str(found.buttons)
    assert await rows(db, FlowDraft) == []
    [picker] = await bot.send(anna, "/visa")
    [picker_again] = await bot.send(anna, "/visa")
    [expired] = await bot.press(anna, picker, code)
    assert EXPIRED_SV in expired.text and "Amina Hassan" not in expired.text
    tap = picker_again.button_data(code)
    *_, card = await bot.send(anna, "hassan")
    assert "Amina Hassan" in card.text and "Växjö" in card.text
    assert picker_again.buttons == [], "the picker answered by typing loses its buttons"
    [after] = await bot.press_data(anna, picker_again, tap)
    assert EXPIRED_SV in after.text, "the run is over once the card is shown"


async def test_buttons_sent_before_the_flow_engine_still_answer(
    bot: BotHarness, people: People, db: Database
) -> None:
    """Cards' "Change status" and "End" (st:p, end:p) and a picker's "More…" (card:more)
    still start their flow; the retired steps' buttons say to start again."""
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar")
    [stored] = await rows(db, Participant)
    pid = stored.id
    for data, expected in ((f"st:p:{pid}", f"New status for {code}"),
                           (f"end:p:{pid}", f"Why does {code} end?"),
                           ("card:more:1", "Whose card?")):
        [anchor] = await bot.send(people.bo.user, "/help")
        [reply] = await bot.press_data(people.bo.user, anchor, data)
        assert expected in reply.text.replace("\u2066", "").replace("\u2069", ""), data
    for data, command in (("add:g:woman", "/add"), ("add:d:today", "/add"),
                          (f"st:s:{pid}:paused", "/status"),
                          (f"end:o:{pid}:moved", "/end"),
                          (f"end:c:{pid}:moved:-:y", "/end"), (f"end:cd:{pid}:y", "/end")):
        [anchor] = await bot.send(people.bo.user, "/help")
        [reply] = await bot.press_data(people.bo.user, anchor, data)
        assert "expired" in reply.text and command in reply.text, data
    [stored] = await rows(db, Participant)
    assert stored.status == Status.ACTIVE
