"""The flow engine, driven through /log as a hurried coordinator would: tapping, typing
instead of tapping, going back, cancelling, coming back the next day."""

from __future__ import annotations

from datetime import timedelta

from bot.interaction import buttons
from bot.sandbox.emulator import ChatMessage
from handlers.kit.flows import FlowTap
from storage.models import Channel
from storage.models import CheckIn
from storage.models import FlowDraft
from tests.conftest import Database
from tests.conftest import People
from tests.harness import BotHarness
from tests.steps import add
from tests.steps import guided_log_started
from tests.steps import numbered_participants
from tests.steps import picked
from tests.steps import rows

EXPIRED = "has expired"


async def checkins(db: Database) -> list[CheckIn]:
    return await rows(db, CheckIn)


async def drafts(db: Database) -> list[FlowDraft]:
    return await rows(db, FlowDraft)


def labels(message) -> list[str]:
    return [label for label, _ in message.buttons]


async def test_every_one_of_thirty_participants_can_be_reached_by_paging(
    bot: BotHarness, people: People, db: Database
) -> None:
    await numbered_participants(db, [people.bo.staff] * 30)
    *_, page = await bot.send(people.bo.user, "/log")
    seen: list[str] = []
    while True:
        seen += [label for label in labels(page) if label.startswith(("P-", "\u2068P-"))]
        if "More…" not in labels(page):
            break
        *_, page = await bot.press(people.bo.user, page, "More…")
    assert len(seen) == len(set(seen)) == 30
    assert "Cancel" in labels(page)
    *_, channels = await bot.press(people.bo.user, page, seen[-1])
    assert "How did you meet?" in channels.text


async def test_a_participant_can_be_typed_instead_of_tapped(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.bo, "Amina Hassan | Växjö | woman | ar")
    await add(bot, people.bo, "Amir Hassan | Växjö | man | ar")
    await bot.send(people.bo.user, "/log")
    [nobody] = await bot.send(people.bo.user, "Zlatan")
    assert "No participant you can see matches" in nobody.text
    *_, several = await bot.send(people.bo.user, "hassan")
    assert sum(1 for label in labels(several) if "Hassan" in label) == 2, "both offered"
    *_, channels = await bot.send(people.bo.user, code.lower())
    assert code in channels.text and "How did you meet?" in channels.text


async def test_swedish_words_answer_a_step_typed_and_the_answered_prompt_loses_its_buttons(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.anna, "Amina | Växjö | woman | ar")
    *_, picker = await bot.send(people.anna.user, "/logg")
    *_, channels = await bot.press(people.anna.user, picker, code)
    changed = await bot.send(people.anna.user, "telefon")
    *_, note = changed
    no_note = note.button_data("Ingen anteckning")
    assert any(m.message_id == channels.message_id and not m.buttons for m in changed), \
        "the channel prompt's buttons are taken away once it is answered by typing"
    await bot.send(people.anna.user, "Pratade om praktiken")
    *_, saved = await bot.send(people.anna.user, "ingen ändring")
    assert "sparad" in saved.text.lower()
    [checkin] = await checkins(db)
    assert checkin.channel == Channel.PHONE and checkin.note == "Pratade om praktiken"
    assert await drafts(db) == []
    [late] = await bot.press_data(people.anna.user, note, no_note)
    assert "gått ut" in late.text or "expired" in late.text
    assert len(await checkins(db)) == 1, "an old button never saves a second check-in"


async def test_a_word_no_button_has_is_refused_and_changes_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    _, channels = await guided_log_started(bot, people)
    [refused] = await bot.send(people.bo.user, "telepathy")
    assert "did not recognise" in refused.text and "phone" in refused.text
    *_, note = await bot.press(people.bo.user, channels, "phone")
    assert "write a short note" in note.text


async def test_back_returns_to_the_previous_step_and_cancel_ends_the_flow(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.bo, "Amina | Växjö | woman | ar")
    *_, picker = await bot.send(people.bo.user, "/log")
    assert "« Back" not in labels(picker), "nothing before the first step"
    *_, channels = await bot.press(people.bo.user, picker, code)
    *_, again = await bot.press(people.bo.user, channels, "« Back")
    assert "with whom" in again.text
    *_, channels = await bot.press(people.bo.user, again, code)
    *_, cancelled = await bot.press(people.bo.user, channels, "Cancel")
    assert "Cancelled" in cancelled.text
    assert await drafts(db) == []
    [answer] = await bot.send(people.bo.user, "phone")
    assert "How did you meet?" not in answer.text, "typed text is no longer a step's answer"


async def test_an_old_cancel_button_from_before_the_engine_leaves_the_current_flow_alone(
    bot: BotHarness, people: People, db: Database
) -> None:
    """A Cancel under a message sent before the flow engine (`flow:cancel`, no run) belongs
    to a flow long over: it says so and cancels nothing that is going on now."""
    [old] = await bot.send(people.bo.user, "/help")
    _, channels = await guided_log_started(bot, people)
    [answer] = await bot.press_data(people.bo.user, old, "flow:cancel")
    assert "Nothing was changed" in answer.text
    *_, note = await bot.press(people.bo.user, channels, "phone")
    assert "write a short note" in note.text, "the /log going on now still stands"
    assert len(await drafts(db)) == 1


async def test_an_ended_participant_is_refused_at_the_pick_not_after_the_last_step(
    bot: BotHarness, people: People, db: Database
) -> None:
    """Her code typed (ended participants are not among the buttons) at a step that an
    ended participation cannot take: refused at once, the picker still stands."""
    code = await add(bot, people.bo, "Amina | Växjö | woman | ar")
    other = await add(bot, people.bo, "Bashir | Växjö | man | ar")
    [card] = await bot.send(people.bo.user, f"/participant {code}")
    old_buttons = {label: data for label, data in card.buttons}
    await bot.send(people.bo.user, f"/end {code} employed")
    # The card shown before she ended: its buttons are refused at once too.
    for label in ("Log check-in", "Change status", "End"):
        [refused] = await bot.press_data(people.bo.user, card, old_buttons[label])
        assert "already ended" in refused.text, (label, refused.text)
    for command in ("/log", "/status", "/end", "/followup", "/invite"):
        [picker] = await bot.send(people.bo.user, command)
        assert "Tap a participant" in picker.text and code not in picker.text, command
        [refused] = await bot.send(people.bo.user, code)
        assert "already ended" in refused.text, (command, refused.text)
        *_, step = await bot.send(people.bo.user, other)
        assert other in step.body, (command, step.body)
        await bot.send(people.bo.user, "/cancel")
    assert await checkins(db) == []


async def test_a_flow_left_overnight_is_over_the_next_day(
    bot: BotHarness, people: People, db: Database
) -> None:
    _, channels = await guided_log_started(bot, people)
    bot.clock.advance(timedelta(days=1, minutes=1))
    [answer] = await bot.send(people.bo.user, "phone")
    assert "write a short note" not in answer.text
    [late] = await bot.press(people.bo.user, channels, "phone")
    assert EXPIRED in late.text and "/log" in late.text
    assert await checkins(db) == []


async def test_forged_or_foreign_flow_taps_expire_and_change_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.bo, "Amina | Växjö | woman | ar")

    async def channel_step() -> tuple[ChatMessage, FlowTap]:
        channels = await picked(bot, people.bo.user, "/log", code)
        tap = buttons.decode(channels.button_data("phone"))
        assert isinstance(tap, FlowTap)
        return channels, tap

    for forge in (lambda t: FlowTap(t.flow, t.run + 1, t.step, t.value),  # another run
                  lambda t: FlowTap(t.flow, t.run, t.step + 1, t.value),  # another step
                  lambda t: FlowTap(t.flow, t.run, t.step, "telepathy"),  # no such option
                  lambda t: FlowTap("nosuch", t.run, t.step, t.value)):   # no such flow
        channels, tap = await channel_step()
        [reply] = await bot.press_data(people.bo.user, channels, forge(tap).encode())
        assert EXPIRED in reply.text
    channels, tap = await channel_step()
    # Anna's tap on Bo's step: her draft is not his.
    [anchor] = await bot.send(people.anna.user, "/help")
    [foreign] = await bot.press_data(people.anna.user, anchor, tap.encode())
    assert "gått ut" in foreign.text
    # A stranger is refused by the flow's guard before anything is read.
    [anchor] = await bot.send(people.stranger.user, "/help")
    [stranger] = await bot.press_data(people.stranger.user, anchor, tap.encode())
    assert "Telegram" in stranger.text
    assert await checkins(db) == []
    [(draft)] = await drafts(db)
    assert draft.telegram_user_id == people.bo.id, "Bo's flow is untouched"


async def test_a_refused_last_step_stands_to_go_back_or_cancel(
    bot: BotHarness, people: People, db: Database
) -> None:
    """The participant ended while the check-in was being guided: the save is refused,
    nothing is stored, and the step still stands (« Back, Cancel) instead of vanishing."""
    code, channels = await guided_log_started(bot, people)
    *_, note = await bot.press(people.bo.user, channels, "phone")
    *_, status = await bot.press(people.bo.user, note, "No note")
    await bot.send(people.bo.user, f"/end {code} work")
    refused = await bot.press(people.bo.user, status, "No change")
    assert any("ended" in m.text for m in refused), [m.text for m in refused]
    assert await checkins(db) == []
    assert len(await drafts(db)) == 1, "the step still stands"
    *_, cancelled = await bot.press(people.bo.user, status, "Cancel")
    assert "Cancelled" in cancelled.text and await drafts(db) == []


async def test_a_flow_opened_from_a_card_does_not_go_back_to_a_picker_it_never_showed(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add(bot, people.bo, "Amina | Växjö | woman | ar")
    [card] = await bot.send(people.bo.user, f"/participant {code}")
    *_, channels = await bot.press(people.bo.user, card, "Log check-in")
    assert "How did you meet?" in channels.text
    assert "« Back" not in labels(channels) and "Cancel" in labels(channels)
    *_, note = await bot.press(people.bo.user, channels, "phone")
    *_, again = await bot.press(people.bo.user, note, "« Back")
    assert "How did you meet?" in again.text and "« Back" not in labels(again)


async def test_a_forged_page_in_ones_own_run_expires_without_an_error(
    bot: BotHarness, people: People, db: Database, caplog
) -> None:
    """A page number no button sends (huge, or none) in the person's own run:
    expired, and no database error (PostgreSQL refuses an OFFSET past bigint)."""
    import logging

    caplog.set_level(logging.INFO)
    await add(bot, people.bo, "Amina | Växjö | woman | ar")
    *_, picker = await bot.send(people.bo.user, "/log")
    tap = buttons.decode(picker.buttons[0][1])
    assert isinstance(tap, FlowTap)
    for page in ("+" + "9" * 23, "+"):
        [reply] = await bot.press_data(people.bo.user, picker,
                                       FlowTap(tap.flow, tap.run, tap.step, page).encode())
        assert EXPIRED in reply.text, page
        *_, picker = await bot.send(people.bo.user, "/log")
        tap = buttons.decode(picker.buttons[0][1])
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
