"""The participant's side, in every participant language: the right question and buttons for
each kind of follow-up, a message for every move and cancellation (with the old buttons
retired), strangers answered in their own language, the coordinator's language choice
preselected, and the participant's own command menu.

Driven through the Bot API emulator on SQLite and PostgreSQL; the dispatcher is run
explicitly and the clock moved by hand, so every step is deterministic.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.outbox.reminders import told_text
from bot.outbox.templates import ANSWER_LABELS
from bot.outbox.templates import CANCELLED
from bot.outbox.templates import MOVED
from bot.outbox.templates import ReminderAnswer
from bot.outbox.templates import change_message
from bot.outbox.templates import changed_text
from bot.outbox.templates import reminder_message
from bot.outbox.templates import thanks_text
from bot.sandbox.emulator import ChatMessage
from bot.sandbox.emulator import FakeUser
from bot.text.i18n import Translator
from bot.text.i18n import resolve_language
from bot.text.languages import ENDONYMS
from bot.text.languages import PARTICIPANT_LANGUAGES
from bot.text.languages import normalize_language
from handlers.kit.base import stranger_text
from handlers.onboarding import problem_text
from storage.access import Viewer
from storage.db import transaction
from storage.followups import ANSWERS
from storage.followups import due_stamp
from storage.followups import record_response
from storage.invites import InviteProblem
from storage.models import FlowDraft
from storage.models import FollowUp
from storage.models import FollowUpKind
from storage.models import FollowUpResponse
from storage.models import FollowUpState
from storage.models import OutboxStatus
from storage.models import OutboxTemplate
from storage.models import Participant
from storage.models import Role
from storage.staff import add_staff
from storage.stats import team_overview
from tests.conftest import STOCKHOLM
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.harness import BotHarness
from tests.steps import add_participant
from tests.steps import invite_token
from tests.steps import numbered_participants
from tests.steps import outbox_rows
from tests.steps import rows

AMINA = FakeUser(5001, "Amina", "en")  # an English phone, whatever she reads best
KIND_WORDS = {FollowUpKind.MEETING: "möte Arbetsförmedlingen Växjö",
              FollowUpKind.PHONE_CALL: "telefon", FollowUpKind.CHECKIN_QUESTION: "fraga"}


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=STOCKHOLM)


async def followups(db: Database) -> dict[FollowUpKind, FollowUp]:
    return {FollowUpKind(f.kind): f for f in await rows(db, FollowUp)}


async def followup(db: Database, followup_id: int) -> FollowUp:
    async with transaction(db.sessions) as session:
        found = await session.get(FollowUp, followup_id)
    assert found is not None
    return found


async def join_in(bot: BotHarness, people: People, language: str) -> tuple[str, Translator]:
    """Anna registers Amina with `language`; Amina joins from her English phone."""
    tr = Translator(language, STOCKHOLM)
    code = await add_participant(bot, people.anna.user,
                                 f"/ny Amina H | Växjö | kvinna | {language}")
    token = await invite_token(bot, people.anna.user, code)
    [consent] = await bot.send(AMINA, f"/start {token}")
    replies = await bot.press(AMINA, consent, tr._("✅ I agree"))
    picker = replies[-1]
    # The coordinator's choice is marked and first, not the phone's English.
    assert picker.buttons[0] == (f"✓ {ENDONYMS[language]}", f"pl:{language}")
    assert sum(label.startswith("✓") for label, _ in picker.buttons) == 1
    await bot.press_data(AMINA, picker, f"pl:{language}")
    return code, tr


async def booked_on_3_december(bot: BotHarness, people: People, db: Database, language: str,
                               what: str) -> tuple[Translator, ChatMessage, FollowUp]:
    """Amina joins in `language` and Anna books her `what` ("telefon", "möte", …) for
    10:00 on 3 December: Amina's translator, Anna's booking reply and the follow-up."""
    code, tr = await join_in(bot, people, language)
    [booked] = await bot.send(people.anna.user, f"/uppfoljning {code} 2026-12-03 10:00 {what}")
    [booked_followup] = (await followups(db)).values()
    return tr, booked, booked_followup


async def moved_by_anna(bot: BotHarness, people: People, booked: ChatMessage, followup_id: int,
                        when: str) -> tuple[ChatMessage, ChatMessage]:
    """Anna opens the follow-up's card from her booking reply, taps Move and types `when`:
    the card and her last reply."""
    [card] = await bot.press_data(people.anna.user, booked, f"fu:o:{followup_id}")
    await bot.press_data(people.anna.user, card, f"fu:m:{followup_id}")
    *_, reply = await bot.send(people.anna.user, when)
    return card, reply


def answer_labels(tr: Translator, kind: FollowUpKind) -> list[str]:
    return [tr._(ANSWER_LABELS[(kind, response)]) for response in ANSWERS[kind]]


async def next_message(bot: BotHarness, user_id: int, before: int) -> ChatMessage:
    messages = bot.api.bot_messages(user_id)
    assert len(messages) == before + 1, [m.body for m in messages[before:]]
    return messages[-1]


async def reminder_on(bot: BotHarness, day: int) -> ChatMessage:
    """The clock moves to `at(day)` and the outbox is sent: the one message Amina gets."""
    bot.clock.set(at(day))
    seen = len(bot.api.bot_messages(AMINA.id))
    await bot.dispatcher.drain()
    return await next_message(bot, AMINA.id, seen)


@pytest.mark.parametrize("language", PARTICIPANT_LANGUAGES)
async def test_each_kind_has_its_question_and_every_change_is_told(
    bot: BotHarness, people: People, db: Database, language: str
) -> None:
    anna = people.anna.user
    code, tr = await join_in(bot, people, language)

    # Her own command menu, in the language she chose (a chat-scoped menu has no
    # language restriction: Sorani and Tigrinya get theirs too).
    [menu] = [c for c in bot.api.calls_to("setMyCommands")
              if c.get("scope", {}).get("type") == "chat" and c["scope"]["chat_id"] == AMINA.id]
    assert [c["command"] for c in menu["commands"]] == ["next", "language", "stop"]
    assert menu["commands"][0]["description"] == tr._("Your next appointment")

    booked: dict[FollowUpKind, ChatMessage] = {}
    for day, kind in zip((1, 2, 3), KIND_WORDS, strict=True):
        [booked[kind]] = await bot.send(anna, f"/uppfoljning {code} 2026-12-0{day} 10:00 "
                                              f"{KIND_WORDS[kind]}")
    ids = {kind: f.id for kind, f in (await followups(db)).items()}
    await bot.dispatcher.drain()  # the "joined" notice to Anna

    # 1. A meeting's reminder: its own sentence, the place, "Can you come?", three answers.
    seen = len(bot.api.bot_messages(AMINA.id))
    bot.clock.set(datetime(2026, 11, 30, 10, 0, tzinfo=STOCKHOLM))
    await bot.dispatcher.drain()
    meeting_reminder = await next_message(bot, AMINA.id, seen)
    meeting = await followup(db, ids[FollowUpKind.MEETING])
    assert meeting_reminder.text == reminder_message(tr, meeting).text
    assert tr._("Can you come?") in meeting_reminder.text
    assert "📍 Arbetsförmedlingen Växjö" in meeting_reminder.text
    assert [label for label, _ in meeting_reminder.buttons] == answer_labels(
        tr, FollowUpKind.MEETING)
    old_buttons = meeting_reminder.buttons
    assert all(ReminderAnswer.parse(data).stamp == due_stamp(meeting) for _, data in old_buttons)

    # 2. The coordinator moves it: the participant is told the new time in her language,
    #    and the reminder already in her chat loses its buttons.
    card, moved_reply = await moved_by_anna(bot, people, booked[FollowUpKind.MEETING],
                                            ids[FollowUpKind.MEETING], "2026-12-08 14:00")
    assert told_text(Translator("sv", STOCKHOLM)) in moved_reply.text
    seen = len(bot.api.bot_messages(AMINA.id))
    await bot.dispatcher.drain()
    moved_notice = await next_message(bot, AMINA.id, seen)
    meeting = await followup(db, ids[FollowUpKind.MEETING])
    assert moved_notice.text == change_message(tr, meeting, MOVED)
    assert tr.time(meeting.due_at) == "14:00" and "14:00" in moved_notice.text
    assert moved_notice.buttons == []
    retired = bot.api.messages(AMINA.id)[
        [m.message_id for m in bot.api.messages(AMINA.id)].index(meeting_reminder.message_id)]
    assert retired.buttons == [] and retired.edited
    [sent_reminder] = [r for r in await outbox_rows(db, followup_id=meeting.id)
                       if r.template == "reminder" and r.message_id is not None]
    assert sent_reminder.message_id == meeting_reminder.message_id
    assert sent_reminder.buttons_retired_at is not None

    # An old tap (the buttons as they were, e.g. a client that had not refreshed)
    # answers "this appointment has changed" and changes nothing.
    replies = await bot.press_data(AMINA, retired, old_buttons[0][1])
    assert replies[-1].text == changed_text(tr)
    meeting = await followup(db, ids[FollowUpKind.MEETING])
    assert meeting.response == FollowUpResponse.PENDING and meeting.responded_at is None

    # 3. A phone call: "I'll answer" / "call me another time"; the coordinator's notice
    #    says which kind it was.
    call_reminder = await reminder_on(bot, 1)
    call = await followup(db, ids[FollowUpKind.PHONE_CALL])
    assert call_reminder.text == reminder_message(tr, call).text
    assert tr._("Can you answer the phone then?") in call_reminder.text
    assert tr._("Can you come?") not in call_reminder.text
    assert [label for label, _ in call_reminder.buttons] == answer_labels(
        tr, FollowUpKind.PHONE_CALL)
    anna_seen = len(bot.api.bot_messages(anna.id))
    [thanked] = await bot.press_data(AMINA, call_reminder, call_reminder.buttons[0][1])
    assert thanked.text.endswith(thanks_text(tr, call, FollowUpResponse.CONFIRMED))
    assert thanked.buttons == []
    assert (await followup(db, call.id)).response == FollowUpResponse.CONFIRMED
    await bot.dispatcher.drain()
    notices = [m.text for m in bot.api.bot_messages(anna.id)[anna_seen:]]
    assert any(code in t and "svarar när du ringer" in t for t in notices), notices

    # 4. A check-in question: its own question and answers.
    question_reminder = await reminder_on(bot, 2)
    question = await followup(db, ids[FollowUpKind.CHECKIN_QUESTION])
    assert question_reminder.text == reminder_message(tr, question).text
    assert tr._("How are things going?") in question_reminder.text
    assert [label for label, _ in question_reminder.buttons] == answer_labels(
        tr, FollowUpKind.CHECKIN_QUESTION)
    anna_seen = len(bot.api.bot_messages(anna.id))
    [thanked] = await bot.press_data(AMINA, question_reminder, question_reminder.buttons[1][1])
    assert thanked.text.endswith(thanks_text(tr, question, FollowUpResponse.WANTS_CONTACT))
    assert (await followup(db, question.id)).response == FollowUpResponse.WANTS_CONTACT
    await bot.dispatcher.drain()
    notices = [m.text for m in bot.api.bot_messages(anna.id)[anna_seen:]]
    assert any(code in t and "vill prata" in t for t in notices), notices

    # 5. The moved meeting is cancelled: she is told, in her language.
    [cancelled_reply] = await bot.press_data(anna, card, f"fu:xc:{ids[FollowUpKind.MEETING]}")
    assert told_text(Translator("sv", STOCKHOLM)) in cancelled_reply.text
    seen = len(bot.api.bot_messages(AMINA.id))
    await bot.dispatcher.drain()
    cancelled_notice = await next_message(bot, AMINA.id, seen)
    meeting = await followup(db, ids[FollowUpKind.MEETING])
    assert meeting.state == FollowUpState.CANCELLED
    assert cancelled_notice.text == change_message(tr, meeting, CANCELLED)
    if language not in ("sv", "en"):
        english = Translator("en", STOCKHOLM)
        assert cancelled_notice.text != change_message(english, meeting, CANCELLED)
        assert moved_notice.text != change_message(english, meeting, MOVED)


async def test_buttons_sent_before_stamps_still_answer(
    bot: BotHarness, people: People, db: Database
) -> None:
    tr, _booked, call = await booked_on_3_december(bot, people, db, "ar", "telefon")
    bot.clock.set(at(2))
    await bot.dispatcher.drain()
    reminder = bot.api.bot_messages(AMINA.id)[-1]
    # The one reminder for every kind had "fu:r:<id>:<answer>" buttons: still in chats.
    [thanked] = await bot.press_data(AMINA, reminder, f"fu:r:{call.id}:cant_come")
    assert (await followup(db, call.id)).response == FollowUpResponse.CANT_COME
    assert thanked.text.endswith(thanks_text(tr, call, FollowUpResponse.CANT_COME))
    # A stamped button only gives the answers of its kind (a forged one changes nothing).
    [refused] = await bot.press_data(AMINA, reminder, ReminderAnswer(
        call.id, FollowUpResponse.ALL_GOOD, due_stamp(call)).encode())
    assert (await followup(db, call.id)).response == FollowUpResponse.CANT_COME
    assert refused.text


async def test_next_shows_the_kinds_buttons_and_a_moved_time_refuses_them(
    bot: BotHarness, people: People, db: Database
) -> None:
    tr, booked, call = await booked_on_3_december(bot, people, db, "so", "telefon")
    [shown] = await bot.send(AMINA, "/next")
    assert [label for label, _ in shown.buttons] == answer_labels(tr, FollowUpKind.PHONE_CALL)
    await moved_by_anna(bot, people, booked, call.id, "2026-12-04 15:00")
    [refused] = await bot.press_data(AMINA, shown, shown.buttons[0][1])
    assert refused.text == changed_text(tr) and refused.buttons == []
    assert (await followup(db, call.id)).response == FollowUpResponse.PENDING
    [shown] = await bot.send(AMINA, "/next")
    assert "15:00" in shown.text
    [thanked] = await bot.press_data(AMINA, shown, shown.buttons[1][1])
    assert (await followup(db, call.id)).response == FollowUpResponse.NEEDS_NEW_TIME
    assert thanked.text.endswith(thanks_text(tr, call, FollowUpResponse.NEEDS_NEW_TIME))


async def test_a_move_during_quiet_hours_is_told_in_the_morning(
    bot: BotHarness, people: People, db: Database
) -> None:
    tr, booked, meeting = await booked_on_3_december(bot, people, db, "ti", "möte")
    bot.clock.set(datetime(2026, 11, 30, 22, 30, tzinfo=STOCKHOLM))
    await moved_by_anna(bot, people, booked, meeting.id, "2026-12-04 10:00")
    seen = len(bot.api.bot_messages(AMINA.id))
    await bot.dispatcher.drain()
    assert len(bot.api.bot_messages(AMINA.id)) == seen, "nothing at night"
    bot.clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=STOCKHOLM))
    await bot.dispatcher.drain()
    notice = await next_message(bot, AMINA.id, seen)
    assert notice.text == change_message(tr, await followup(db, meeting.id), MOVED)


async def test_strangers_are_answered_in_their_phones_participant_language(
    bot: BotHarness, db: Database
) -> None:
    cases = {"ar": "ar", "ar-SY": "ar", "fa": "fa", "fa-AF": "fa_AF", "ps": "ps", "so": "so",
             "ti": "ti", "uk": "uk", "ckb": "ckb", "sv": "sv", "en": "en",
             "ku": "sv", "de": "sv", None: "sv"}
    for offset, (tag, expected) in enumerate(cases.items()):
        stranger = FakeUser(8000 + offset, "Someone", tag)
        tr = Translator(expected, STOCKHOLM)
        [hello] = await bot.send(stranger, "/start")
        assert hello.text == stranger_text(tr, stranger.id), tag
        [invalid] = await bot.send(stranger, "/start no-such-token-0123456789abcdef")
        assert invalid.text == problem_text(tr, InviteProblem.UNKNOWN), tag
        [hint] = await bot.send(stranger, "/today")  # a staff command
        assert hint.text == stranger_text(tr, stranger.id), tag


async def test_staff_keep_swedish_or_english_whatever_their_phone(
    bot: BotHarness, db: Database
) -> None:
    async with transaction(db.sessions) as session:
        await add_staff(session, telegram_user_id=1200, name="Sara Lind", role=Role.COORDINATOR,
                        municipality=None, now=TEST_NOW, language=None)
    [hello] = await bot.send(FakeUser(1200, "Sara", "ar"), "/help")
    assert "Hej Sara Lind" in hello.text


async def test_declining_consent_is_answered_in_the_consents_language(
    bot: BotHarness, people: People
) -> None:
    code = await add_participant(bot, people.anna.user, "/ny Amina H | Växjö | kvinna | ti")
    token = await invite_token(bot, people.anna.user, code)
    [consent] = await bot.send(AMINA, f"/start {token}")
    tigrinya = Translator("ti", STOCKHOLM)
    no_data = consent.button_data(tigrinya._("No, thank you"))
    [declined] = await bot.press_data(AMINA, consent, no_data)
    assert declined.text == tigrinya._("OK. Nothing was stored. You can open the link again "
                                       "while it is valid.")
    # Someone else forging her button (in their own chat) reads their phone's language.
    other = FakeUser(5050, "Other", "uk")
    [anchor] = await bot.send(other, "/start")
    [refused] = await bot.press_data(other, anchor, no_data)
    assert refused.text == Translator("uk", STOCKHOLM)._(
        "OK. Nothing was stored. You can open the link again while it is valid.")


def test_kurmanji_is_not_taken_for_sorani() -> None:
    assert normalize_language("ku") is None
    assert normalize_language("ku-TR") is None
    assert normalize_language("ckb") == "ckb" and normalize_language("ckb-IQ") == "ckb"
    assert resolve_language("ku", allowed=PARTICIPANT_LANGUAGES) == "sv"


@pytest.mark.parametrize("language", PARTICIPANT_LANGUAGES)
def test_every_kind_is_translated_with_its_own_buttons(language: str) -> None:
    tr = Translator(language, STOCKHOLM)
    english = Translator("en", STOCKHOLM)
    for kind in FollowUpKind:
        sample = FollowUp(id=7, participant_id=1, coordinator_id=1, due_at=at(3), kind=kind,
                          place="")
        message = reminder_message(tr, sample)
        rows = message.keyboard.inline_keyboard
        assert [row[0].text for row in rows] == answer_labels(tr, kind)
        assert [ReminderAnswer.parse(row[0].callback_data) for row in rows] == [
            ReminderAnswer(7, response, due_stamp(sample)) for response in ANSWERS[kind]]
        for text in (message.text, change_message(tr, sample, MOVED),
                     change_message(tr, sample, CANCELLED)):
            assert "10:00" in text
            if language not in ("sv", "en"):
                assert text not in {message.text for message in (
                    reminder_message(english, sample),)}
                assert text != change_message(english, sample, MOVED)
                assert text != change_message(english, sample, CANCELLED)
    assert len({tuple(answer_labels(tr, kind)) for kind in FollowUpKind}) == 3


def test_answer_buttons_decode_old_and_new_and_refuse_the_rest() -> None:
    assert ReminderAnswer.parse("fu:r:12:confirmed") == ReminderAnswer(
        12, FollowUpResponse.CONFIRMED, None)
    assert ReminderAnswer.parse("fu:r:12:all_good:1796288400") == ReminderAnswer(
        12, FollowUpResponse.ALL_GOOD, 1796288400)
    for bad in ("fu:r:12:pending", "fu:r:12:maybe", "fu:r:x:confirmed", "fu:r:12",
                "fu:r:١٢:confirmed", "fu:r:12:confirmed:1:2", "fu:r:12:confirmed:"):
        assert ReminderAnswer.parse(bad) is None, bad


@pytest.mark.parametrize("command", ["/invite", "/preview"])
async def test_invite_and_preview_pickers_page_to_the_last_participant(
    bot: BotHarness, people: People, db: Database, command: str
) -> None:
    """Eight a page with "More…" (they stopped at eight): the first one registered, on the
    last page, can be invited and previewed."""
    assert people.bo.staff is not None
    codes = await numbered_participants(db, [people.bo.staff] * 10)
    first = codes[0]

    def picked(page: ChatMessage) -> list[str]:  # a guided flow adds « Back and Cancel
        return [label for label, _ in page.buttons if label.startswith("P-")]

    [page] = await bot.send(people.bo.user, command)
    assert len(picked(page)) == 8 and "More…" in [label for label, _ in page.buttons]
    [page] = await bot.press(people.bo.user, page, "More…")
    # Most recently registered first: the first one is on the second page, with one more.
    assert picked(page) == [f"{codes[1]} Person 01", f"{first} Person 00"]
    assert "More…" not in [label for label, _ in page.buttons]
    replies = await bot.press(people.bo.user, page, f"{first} Person 00")
    if command == "/invite":
        assert "Creating the invitation" in replies[0].text
        assert f"Invitation for <b>{first}</b> (Person 00)" in replies[-1].caption
    else:
        assert f"What {first} receives" in replies[-1].text


async def test_preview_picked_by_typing_and_a_stale_picker_shows_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    code = await add_participant(bot, people.anna.user, "/ny Amina H | Växjö | kvinna | ar")
    [picker] = await bot.send(people.anna.user, "/forhandsvisa")
    await bot.send(people.anna.user, "/forhandsvisa")  # started again
    [stale] = await bot.press(people.anna.user, picker, code)
    assert stale.text == "Det här steget har gått ut. Börja om med /forhandsvisa."
    *_, shown = await bot.send(people.anna.user, "amina h")
    assert f"Det här får {code} (" in shown.text and "العربية" in shown.text
    async with transaction(db.sessions) as session:
        assert await session.get(FlowDraft, people.anna.id) is None


async def test_preview_shows_each_kind_and_pashto(bot: BotHarness, people: People) -> None:
    bo = people.bo.user
    [pashto] = await bot.send(bo, "/preview ps")
    assert "پښتو" in pashto.text and "can't find" not in pashto.text
    for language in PARTICIPANT_LANGUAGES:
        tr = Translator(language, STOCKHOLM)
        for sample, kind in (("meeting", FollowUpKind.MEETING),
                             ("phone", FollowUpKind.PHONE_CALL),
                             ("question", FollowUpKind.CHECKIN_QUESTION)):
            [preview] = await bot.send(bo, f"/preview {language} {sample}")
            assert [label for label, _ in preview.buttons] == answer_labels(tr, kind), sample
            assert all(data == "pv:noop" for _, data in preview.buttons)
        for sample, event in (("moved", MOVED), ("cancelled", CANCELLED)):
            [preview] = await bot.send(bo, f"/preview {language} {sample}")
            assert preview.buttons == []
            sample_meeting = FollowUp(id=0, participant_id=0, coordinator_id=0,
                                      due_at=datetime(2026, 11, 25, 10, 0, tzinfo=STOCKHOLM),
                                      kind=FollowUpKind.MEETING, place="Arbetsförmedlingen Växjö")
            assert change_message(tr, sample_meeting, event) in preview.text
    [swedish] = await bot.send(people.anna.user, "/preview so samtal")
    assert [label for label, _ in swedish.buttons] == answer_labels(
        Translator("so", STOCKHOLM), FollowUpKind.PHONE_CALL)


async def test_an_answered_check_in_question_is_not_left_unconfirmed(
    bot: BotHarness, people: People, db: Database
) -> None:
    bo = people.bo.user
    answered, waiting = [await add_participant(bot, bo, f"/add {name} | Växjö | woman | ar")
                         for name in ("Amina Hassan", "Yusuf Ali")]
    await bot.send(bo, f"/followup {answered} 2026-11-27 09:00 question")
    await bot.send(bo, f"/followup {waiting} 2026-11-27 11:00 meeting Office")
    question = (await followups(db))[FollowUpKind.CHECKIN_QUESTION]
    async with transaction(db.sessions) as session:
        await record_response(session, question.participant_id, question.id,
                              FollowUpResponse.ALL_GOOD, now=TEST_NOW, stamp=due_stamp(question))
    [answer] = await bot.send(bo, "who hasn't confirmed friday's meetings?")
    assert waiting in answer.text and answered not in answer.text
    async with transaction(db.sessions) as session:
        [row] = [r for r in await team_overview(session, Viewer.of(people.lead.staff), TEST_NOW)
                 if r.staff_id == people.bo.staff.id]
    assert (row.followups_next_7_days, row.unconfirmed_next_7_days) == (2, 1)


async def test_ending_a_participant_cancels_her_coming_follow_ups_and_tells_her(
    bot: BotHarness, people: People, db: Database
) -> None:
    """Ended, she is no longer reminded of a meeting nobody will hold (her answers would be
    lost): the meeting is cancelled as by hand, and she is told in her language."""
    tr, _booked, meeting = await booked_on_3_december(bot, people, db, "ar", "möte")
    code = (await rows(db, Participant))[0].code
    [ended] = await bot.send(people.anna.user, f"/avsluta {code} anställd")
    assert "avslutad" in ended.text
    assert "kommande uppföljning är inställd" in ended.text, ended.text
    assert told_text(Translator("sv", STOCKHOLM)) in ended.text
    cancelled = await followup(db, meeting.id)
    assert cancelled.state == FollowUpState.CANCELLED
    assert {row.status for row in await outbox_rows(db, OutboxTemplate.REMINDER)} == {
        OutboxStatus.CANCELLED}
    seen = len(bot.api.bot_messages(AMINA.id))
    await bot.dispatcher.drain()
    notice = await next_message(bot, AMINA.id, seen)
    assert notice.text == change_message(tr, cancelled, CANCELLED)
    bot.clock.set(at(2))
    await bot.dispatcher.drain()
    assert len(bot.api.bot_messages(AMINA.id)) == seen + 1, "no reminder after the end"


async def test_a_move_is_typed_as_people_say_it_and_a_cancelled_cards_buttons_change_nothing(
    bot: BotHarness, people: People, db: Database
) -> None:
    _tr, booked, meeting = await booked_on_3_december(bot, people, db, "ar", "möte")
    card, moved = await moved_by_anna(bot, people, booked, meeting.id, "fredag kl 14")
    assert "Flyttad" in moved.text, moved.text
    assert (await followup(db, meeting.id)).due_at == datetime(2026, 11, 27, 14, 0,
                                                               tzinfo=STOCKHOLM)
    [reopened] = await bot.press_data(people.anna.user, booked, f"fu:o:{meeting.id}")
    await bot.press_data(people.anna.user, reopened, f"fu:xc:{meeting.id}")
    # Move and Cancel under the card shown before: the card says it is cancelled, and
    # offers nothing more; no flow starts.
    for old in (f"fu:m:{meeting.id}", f"fu:x:{meeting.id}", f"fu:xc:{meeting.id}"):
        changed = await bot.press_data(people.anna.user, card, old)
        assert changed in ([], [card]), [m.text for m in changed]
        assert "är inställd" in card.text and card.buttons == [], (old, card.text)
    [answer] = await bot.send(people.anna.user, "2026-12-10 10:00")
    assert "Flyttad" not in answer.text
    assert (await followup(db, meeting.id)).state == FollowUpState.CANCELLED


async def test_a_move_asks_first_when_the_booking_checks_would(
    bot: BotHarness, people: People, db: Database
) -> None:
    """Moved to 03:00 (a hurried "fredag 3"): asked, as a booking is; "Move anyway" moves.
    A move of ten minutes does not clash with the follow-up itself."""
    _tr, booked, meeting = await booked_on_3_december(bot, people, db, "ar", "möte")
    _card, asked = await moved_by_anna(bot, people, booked, meeting.id, "2026-12-03 10:10")
    assert "Flyttad" in asked.text, "no clash with itself"
    _card, asked = await moved_by_anna(bot, people, booked, meeting.id, "fredag 3")
    assert "utanför arbetstid" in asked.text and "Flytta ändå?" in asked.text, asked.text
    assert (await followup(db, meeting.id)).due_at == datetime(2026, 12, 3, 10, 10,
                                                               tzinfo=STOCKHOLM)
    [moved] = await bot.press(people.anna.user, asked, "Flytta ändå")
    assert "Flyttad" in moved.text
    assert (await followup(db, meeting.id)).due_at == datetime(2026, 11, 27, 3, 0,
                                                               tzinfo=STOCKHOLM)
