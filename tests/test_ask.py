"""Questions in plain words, end to end through the fake Bot API, on SQLite and PostgreSQL.

The answers must be what the commands say: the numbers of `/stats` with the command the
answer shows, the rows of `/mine` and `/today`, the refusals of `/participant`, `/stats`
and `/team`. Bo speaks English, so the answers are asserted in English.
"""

from __future__ import annotations

import html
import re
from datetime import date
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.sandbox.emulator import ChatMessage
from storage.db import transaction
from storage.followups import record_response
from storage.models import CheckIn
from storage.models import FollowUp
from storage.models import FollowUpResponse
from storage.models import Outcome
from storage.models import Status
from storage.staff import set_staff_active
from tests.conftest import Database
from tests.conftest import People
from tests.harness import BotHarness
from tests.projects import SmallProject
from tests.projects import bo_and_anna
from tests.projects import checkin
from tests.projects import insert_participants
from tests.projects import insert_rows
from tests.projects import local
from tests.projects import participant
from tests.steps import add
from tests.steps import caseload_seen_apart


@pytest.fixture
async def asking(bot: BotHarness) -> BotHarness:
    """The bot as it runs: free text from staff is answered as a question."""
    return bot


def command_of(reply: ChatMessage) -> str:
    found = re.search(r"Same as: <code>(.*?)</code>", reply.text)
    assert found, reply.text
    return html.unescape(found.group(1))


def number_after(label: str, text: str) -> int:
    found = re.search(re.escape(label) + r"\D*?(\d+)", text)
    assert found, (label, text)
    return int(found.group(1))


# ---- the coordinator's day -------------------------------------------------------------
async def test_not_seen_for_two_weeks_lists_own_participants_as_mine_orders_them(
    asking: BotHarness, people: People
) -> None:
    never_seen, seen_long_ago, seen_lately = await caseload_seen_apart(asking, people)

    [answer] = await asking.send(people.bo.user, "who haven't I seen in two weeks?")
    text = answer.text
    assert "2 participants" in text
    assert text.index(never_seen) < text.index(seen_long_ago)
    assert seen_lately not in text and "Annas Person" not in text
    assert "I understood: your participants with no check-in since" in text
    assert command_of(answer) == "/mine"
    [mine] = await asking.send(people.bo.user, "/mine")
    assert mine.text.index(never_seen) < mine.text.index(seen_long_ago) < mine.text.index(
        seen_lately)


async def test_a_leads_question_without_my_is_asked_over_all_she_may_see(
    asking: BotHarness, people: People
) -> None:
    """"vilka deltagare har ingen avstämning på tre veckor?" from a lead (no caseload of her
    own) lists the participants of every coordinator she sees, as the digest does; with
    "mina" it is her own (empty) caseload; a lead for Alvesta sees Alvesta only."""
    seen_long_ago = await add(asking, people.bo, "Seen Long Ago | Växjö | woman | ar")
    never_seen = await add(asking, people.anna, "Never Seen | Alvesta | man | so")
    seen_lately = await add(asking, people.bo, "Seen Lately | Växjö | woman | ti")
    await asking.send(people.bo.user, f"/log {seen_long_ago} meeting first talk")
    asking.clock.advance(timedelta(days=25))
    await asking.send(people.bo.user, f"/log {seen_lately} phone fine")

    [answer] = await asking.send(people.lead.user,
                                 "vilka deltagare har ingen avstämning på tre veckor?")
    text = answer.text
    assert "<b>2 participants</b> with no check-in in that time, among all you can see" in text
    assert never_seen in text and seen_long_ago in text and seen_lately not in text
    assert "(Anna Andersson) — no check-in yet" in text and "(Bo Berg) — last check-in" in text
    assert "participants you can see with no check-in since" in text
    [own] = await asking.send(people.lead.user, "vilka av mina deltagare har ingen avstämning "
                                                "på tre veckor?")
    assert "0 participants" in own.text and "your participants" in own.text
    [alvesta] = await asking.send(people.lead_alvesta.user,
                                  "which participants have had no check-in for three weeks?")
    assert never_seen in alvesta.text and seen_long_ago not in alvesta.text


async def test_own_and_in_scope_not_seen_lists_name_the_same_people(
    asking: BotHarness, people: People, db: Database
) -> None:
    """Bo's "no check-in for two weeks" (his own caseload) and the lead's (everyone she sees:
    here Bo's participants only) are one query, so they name the same people at every edge:
    a check-in late in the local evening before the cutoff day and one just after its local
    midnight (still the UTC day before), someone never seen enrolled on the cutoff day or
    after it, someone ended. The same for "never had a check-in"."""
    assert people.bo.staff and people.bo.staff.id
    bo = people.bo.staff.id
    cutoff = date(2026, 11, 11)  # two weeks before today, 24 Nov
    rows = [participant(bo, enrolled_on=date(2026, 10, 1), name="Late Evening"),
            participant(bo, enrolled_on=date(2026, 10, 1), name="After Midnight"),
            participant(bo, enrolled_on=cutoff, name="Enrolled On Cutoff"),
            participant(bo, enrolled_on=date(2026, 11, 20), name="Enrolled Later"),
            participant(bo, enrolled_on=date(2026, 9, 1), ended_on=date(2026, 10, 1),
                        outcome=Outcome.EMPLOYED, name="Ended Long Ago")]
    ids = await insert_participants(db, rows)
    late, after, on_cutoff, later, ended = (row["code"] for row in rows)
    await insert_rows(db, CheckIn, [checkin(ids[late], bo, local(2026, 11, 10, 23, 30)),
                                    checkin(ids[after], bo, local(2026, 11, 11, 0, 30)),
                                    checkin(ids[ended], bo, local(2026, 9, 15, 10, 0))])

    def codes(text: str) -> set[str]:
        return set(re.findall(r"P-\d{4,}", text.split("I understood")[0]))

    question = "which participants have had no check-in for two weeks?"
    [own] = await asking.send(people.bo.user, question)
    [in_scope] = await asking.send(people.lead.user, question)
    assert "among all you can see" in in_scope.text and "among all" not in own.text
    assert codes(own.text) == codes(in_scope.text) == {late, on_cutoff, later}
    assert "<b>3 participants</b>" in own.text and "<b>3 participants</b>" in in_scope.text

    question = "which participants have never had a check-in?"
    [own] = await asking.send(people.bo.user, question)
    [in_scope] = await asking.send(people.lead.user, question)
    assert codes(own.text) == codes(in_scope.text) == {on_cutoff, later}
    assert after not in in_scope.text and ended not in in_scope.text


async def test_a_leads_status_question_without_my_counts_all_she_may_see(
    asking: BotHarness, people: People, db: Database
) -> None:
    """"hur många är i praktik?" from a lead: every coordinator's participants she sees (it
    was refused: "I can count it only in your own caseload"); "mina" stays her own."""
    bo, anna = bo_and_anna(people)
    rows = [participant(bo, enrolled_on=date(2026, 1, 1), name="Intern Bo"),
            participant(anna, municipality="Alvesta", enrolled_on=date(2026, 1, 1),
                        name="Intern Anna"),
            participant(anna, municipality="Alvesta", enrolled_on=date(2026, 1, 1),
                        name="Active Anna")]
    for row in rows[:2]:
        row["status"] = Status.INTERNSHIP.value
    await insert_participants(db, rows)

    [answer] = await asking.send(people.lead.user, "hur många är i praktik?")
    assert "<b>2 participants you can see</b> have status internship now." in answer.text
    [answer] = await asking.send(people.lead.user, "which participants are in an internship?")
    assert "<b>2 participants</b> with status internship, among all you can see" in answer.text
    assert rows[0]["code"] in answer.text and rows[1]["code"] in answer.text
    assert rows[2]["code"] not in answer.text
    [answer] = await asking.send(people.lead_alvesta.user, "how many are in an internship?")
    assert "<b>1 participant you can see</b> has status internship now." in answer.text
    [answer] = await asking.send(people.bo.user, "how many are in an internship?")
    assert "<b>1 of your participants</b> has status internship now." in answer.text


async def test_meetings_tomorrow_and_today_match_the_agenda(
    asking: BotHarness, people: People
) -> None:
    code = await add(asking, people.bo, "Amina Hassan | Växjö | woman | ar")
    tomorrow = asking.clock.now().date() + timedelta(days=1)
    await asking.send(people.bo.user, f"/followup {code} {tomorrow} 10:00 meeting Library")
    await asking.send(people.bo.user, f"/followup {code} today 15:00 phone")

    [answer] = await asking.send(people.bo.user, "vilka möten har jag imorgon?")
    assert "10:00" in answer.text and "Library" in answer.text and "15:00" not in answer.text
    assert "No single command gives this answer." in answer.text

    [today] = await asking.send(people.bo.user, "/today")
    [answer] = await asking.send(people.bo.user, "what meetings do I have today")
    assert answer.text.startswith(today.text)
    assert command_of(answer) == "/today"


async def test_unconfirmed_follow_ups_leave_out_the_confirmed(
    asking: BotHarness, people: People, db: Database
) -> None:
    first = await add(asking, people.bo, "Amina Hassan | Växjö | woman | ar")
    second = await add(asking, people.bo, "Yusuf Ali | Växjö | man | so")
    friday = date(2026, 11, 27)
    await asking.send(people.bo.user, f"/followup {first} {friday} 09:00 meeting Office")
    await asking.send(people.bo.user, f"/followup {second} {friday} 11:00 meeting Office")
    async with transaction(db.sessions) as session:
        followup = (await session.exec(select(FollowUp).order_by(FollowUp.id))).first()
        assert followup is not None and followup.id is not None
        await record_response(session, followup.participant_id, followup.id,
                              FollowUpResponse.CONFIRMED, now=asking.clock.now())

    [answer] = await asking.send(people.bo.user, "vem har inte bekräftat fredagens möte?")
    assert second in answer.text and first not in answer.text
    assert "not confirmed" in answer.text


# ---- participants ----------------------------------------------------------------------
async def test_card_by_name_and_by_code_is_the_participant_command(
    asking: BotHarness, people: People
) -> None:
    code = await add(asking, people.bo, "Amina Hassan | Växjö | woman | ar")
    await asking.send(people.bo.user, f"/log {code} visit Home visit went well")
    card, note = await asking.send(people.bo.user, "hur går det för amina?")
    [command_card] = await asking.send(people.bo.user, f"/participant {code}")
    assert card.text == command_card.text
    assert "Home visit went well" in card.text
    assert command_of(note) == f"/participant {code}"
    card, note = await asking.send(people.bo.user, f"visa {code.lower()}")
    assert card.text == command_card.text


async def test_two_participants_with_the_name_are_asked_back(
    asking: BotHarness, people: People
) -> None:
    first = await add(asking, people.bo, "Amina Hassan | Växjö | woman | ar")
    await add(asking, people.bo, "Amina Omar | Växjö | woman | ar")
    [question] = await asking.send(people.bo.user, "how is Amina doing?")
    assert "Several participants match" in question.text
    assert len(question.buttons) == 2
    card, note = await asking.press(people.bo.user, question, first)
    assert "Amina Hassan" in card.text and command_of(note) == f"/participant {first}"


async def test_a_coordinator_gets_nothing_about_another_coordinators_participants(
    asking: BotHarness, people: People
) -> None:
    others = await add(asking, people.anna, "Selam Tesfaye | Alvesta | woman | ti")
    [answer] = await asking.send(people.bo.user, "how is Selam doing?")
    assert "No participant you can see matches" in answer.text and others not in answer.text
    [answer] = await asking.send(people.bo.user, f"show {others}")
    [command] = await asking.send(people.bo.user, f"/participant {others}")
    assert answer.text == command.text and "can't find participant" in answer.text
    [answer] = await asking.send(people.bo.user, "how many participants does Anna have?")
    [command] = await asking.send(people.bo.user, "/stats all coordinator:Anna")
    assert answer.text == command.text and "don't know one coordinator called" in answer.text


# ---- figures: the same numbers as /stats with the command shown -------------------------
@pytest.mark.parametrize("question", [
    "how many went to work or studies in Q1 2026?",
    "hur många gick till arbete eller studier första kvartalet 2026",
    "andel kvinnor till arbete eller studier i Vaxjo totalt",
    "how many participants does Bo have?",
    "hur många avslutade i år",
])
async def test_counts_and_shares_equal_the_stats_command_they_show(
    asking: BotHarness, people: People, question: str, project: SmallProject
) -> None:
    [answer] = await asking.send(people.lead.user, question)
    command = command_of(answer)
    assert command.startswith("/stats ")
    [stats_reply] = await asking.send(people.lead.user, command)
    figures = stats_reply.text
    assert "Write for example" not in figures
    answer_text = answer.text
    reached, ended = "To work or studies (work, subsidised work, CSN studies):", \
        "ended in the period:"
    if share := re.search(r"work or studies: <b>([^<]+)</b> of those who ended \((\d+) of "
                          r"(\d+)\)", answer_text):
        assert f"{share.group(1)} of those who ended" in figures
        assert int(share.group(2)) == number_after(reached, figures)
        assert int(share.group(3)) == number_after(ended, figures)
    elif count := re.search(r"work or studies: <b>(\d+)</b> of (\d+) who ended", answer_text):
        assert int(count.group(1)) == number_after(reached, figures)
        assert int(count.group(2)) == number_after(ended, figures)
    elif "Enrolled in the period:" in answer_text:
        for label in ("Enrolled in the period:", ended):
            assert number_after(label, answer_text) == number_after(label, figures)
        now = number_after("Now (today, whatever the period):", figures)
        assert now == number_after("Active now:", answer_text) if "Active now:" in answer_text \
            else number_after("Now (today, whatever the period):", answer_text)
    else:
        found = re.search(r"<b>(\d+) participants? ended</b>", answer_text)
        assert found and int(found.group(1)) == number_after(ended, figures)


async def test_small_project_answers_match_the_hand_count(
    asking: BotHarness, people: People, project: SmallProject
) -> None:
    [answer] = await asking.send(people.lead.user, "how many went to work or studies in Q1 2026?")
    assert "work or studies: <b>2</b> of 4 who ended" in answer.text  # #1, #5 of #1 #3 #5 #6
    [answer] = await asking.send(people.lead.user, "how many participants does Bo have?")
    assert 'coordinator:"Bo Berg"' in command_of(answer)
    assert "<b>Active now: 1</b>" in answer.text
    [answer] = await asking.send(people.lead.user, "hur många gick till jobb i Växjös kommun")
    assert command_of(answer) == "/stats all kommun:Växjö"
    assert "Ended with work: <b>1</b> of 4 who ended" in answer.text  # #1; ended #1 #2 #3 #9
    [answer] = await asking.send(people.lead.user, "andel kvinnor och män till jobb eller studier")
    assert "Women: 25% (1 of 4 who ended)" in answer.text  # #1 of #1 #3 #6 #9
    assert "Men: 100% (2 of 2 who ended)" in answer.text  # #2 #5


async def test_which_coordinator_has_most_active_is_the_team_for_leads_only(
    asking: BotHarness, people: People, project: SmallProject
) -> None:
    [answer] = await asking.send(people.lead.user, "vilken koordinator har flest aktiva?")
    assert "<b>Anna Andersson</b>: 2 active participants." in answer.text
    assert command_of(answer) == "/team"
    [answer] = await asking.send(people.bo.user, "which coordinator has the most active?")
    [command] = await asking.send(people.bo.user, "/team")
    assert answer.text == command.text == "Your role does not allow that."


async def test_the_coordinator_with_most_active_is_an_active_one_in_the_team_table(
    asking: BotHarness, people: People, db: Database
) -> None:
    """A deactivated coordinator's caseload (the team's last row, "without an active
    coordinator") is nobody to name as having the most; the table is /team's."""
    bo, anna = bo_and_anna(people)
    await insert_participants(db, [participant(anna, enrolled_on=date(2026, 1, 5)),
                                   participant(anna, enrolled_on=date(2026, 1, 5)),
                                   participant(bo, enrolled_on=date(2026, 1, 5))])
    async with transaction(db.sessions) as session:
        await set_staff_active(session, people.anna.staff.telegram_user_id, False,
                               now=asking.clock.now())
    [answer] = await asking.send(people.lead.user, "which coordinator has the most active?")
    assert "<b>Bo Berg</b>: 1 active participant." in answer.text
    [team] = await asking.send(people.lead.user, "/team")
    assert re.findall(r"<pre>.*?</pre>", answer.text, re.S) == \
        re.findall(r"<pre>.*?</pre>", team.text, re.S)


async def soll_asked_back(asking: BotHarness, people: People,
                          text: str) -> tuple[ChatMessage, ChatMessage]:
    """Bo has A One in Sollefteå and B Two in Sollentuna and asks `text`, which says "Soll":
    he is asked which of the two and taps Sollentuna. The question asked back, the answer."""
    await add(asking, people.bo, "A One | Sollefteå | woman | ar")
    await add(asking, people.bo, "B Two | Sollentuna | man | ar")
    [question] = await asking.send(people.bo.user, text)
    assert [label for label, _ in question.buttons] == ["Sollefteå", "Sollentuna", "Cancel"]
    [answer] = await asking.press(people.bo.user, question, "Sollentuna")
    return question, answer


async def test_a_municipality_named_twice_over_is_asked_back(
    asking: BotHarness, people: People
) -> None:
    question, answer = await soll_asked_back(asking, people, "how many went to work in Soll?")
    assert "Which municipality do you mean?" in question.text
    assert command_of(answer) == "/stats all kommun:Sollentuna"


# ---- not understood, ambiguous ---------------------------------------------------------
async def test_out_of_scope_text_is_refused_with_examples_to_tap(
    asking: BotHarness, people: People
) -> None:
    [answer] = await asking.send(people.bo.user, "what's the weather like in Växjö?")
    assert "I only answer questions about the project" in answer.text
    assert 2 <= len(answer.buttons) <= 3
    label = answer.buttons[0][0]
    assert label in answer.text
    [example] = await asking.press(people.bo.user, answer, label)
    assert "I understood:" in example.text


async def test_injection_text_changes_nothing_and_is_refused(
    asking: BotHarness, people: People
) -> None:
    code = await add(asking, people.bo, "Amina Hassan | Växjö | woman | ar")
    [answer] = await asking.send(people.bo.user, f"show {code}'; DROP TABLE participant; --")
    assert "I only answer questions about the project" in answer.text
    card, _note = await asking.send(people.bo.user, f"show {code}")
    assert "Amina Hassan" in card.text


async def test_a_question_without_a_time_is_asked_back_and_the_pick_answered(
    asking: BotHarness, people: People
) -> None:
    await add(asking, people.bo, "Never Seen | Växjö | man | so")
    [question] = await asking.send(people.bo.user, "who haven't I seen?")
    assert question.text == "For how long?"
    assert [label for label, _ in question.buttons] == ["1 week", "2 weeks", "1 month", "Cancel"]
    [answer] = await asking.press(people.bo.user, question, "2 weeks")
    assert "Never Seen" in answer.text and "I understood:" in answer.text


async def test_a_stale_pick_says_so(asking: BotHarness, people: People) -> None:
    [question] = await asking.send(people.bo.user, "who haven't I seen?")
    await asking.press(people.bo.user, question, "1 week")
    [again] = await asking.press(people.bo.user, question, "1 week")
    assert "expired" in again.text
    [older] = await asking.send(people.bo.user, "who haven't I seen?")
    one_week = older.button_data("1 week")
    await asking.send(people.bo.user, "stats 3/4")  # a new question: the older buttons lapse
    assert not older.buttons, "and are taken away"
    [again] = await asking.press_data(people.bo.user, older, one_week)
    assert "expired" in again.text


async def test_a_pick_survives_a_restart_and_a_new_question_typed_instead_is_answered(
    asking: BotHarness, people: People
) -> None:
    [question] = await asking.send(people.bo.user, "who haven't I seen?")
    asking.app.drop_user_data(people.bo.id)  # the readings were kept in memory before
    *_, answered = await asking.press(people.bo.user, question, "2 weeks")
    assert "no check-in" in answered.text
    [question] = await asking.send(people.bo.user, "who haven't I seen?")
    *_, typed = await asking.send(people.bo.user, "1 month")  # a reading typed
    assert "no check-in" in typed.text
    await asking.send(people.bo.user, "who haven't I seen?")
    *_, other = await asking.send(people.bo.user, "how many went to work this year?")
    assert "went to work" in other.text or "work" in other.text.lower()
    assert "did not recognise" not in other.text


async def test_a_list_in_a_municipality_named_twice_over_is_asked_back(
    asking: BotHarness, people: People
) -> None:
    _, answer = await soll_asked_back(asking, people,
                                      "vilka i Soll har jag inte träffat på 2 veckor")
    assert "B Two" in answer.text and "A One" not in answer.text
    assert "Filter: municipality Sollentuna" in answer.text


async def test_a_guided_flow_still_gets_its_typed_answer(
    asking: BotHarness, people: People
) -> None:
    await asking.send(people.bo.user, "/add")
    *_, reply = await asking.send(people.bo.user, "How many went to work this year")
    assert "Which municipality?" in reply.text  # the name step took the text, not a question
