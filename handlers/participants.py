"""Participants: register (/add), caseload (/mine), search (/find), card (/participant),
status (/status) and ending (/end). One-liners for fast typists, buttons for thumbs."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from telegram.ext import Application

from bot.interaction.buttons import ButtonPayload, Token, family
from bot.outbox.templates import FOLLOWUP_KIND_LABELS
from bot.text.funder_labels import SUBSIDY_LABELS, NotUnderstood, parse_field
from bot.text.i18n import Translator
from bot.text.labels import (
    CHANNEL_LABELS,
    GENDER_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    outcome_words,
    parse_word,
)
from bot.text.languages import ENDONYMS, PARTICIPANT_LANGUAGES, parse_language
from bot.text.render import Button, grid, keyboard, municipality_error
from handlers.kit.base import (
    CancelFlow,
    Turn,
    ask_to_pick,
    bind_button,
    bind_command,
    bind_text_step,
    expired,
    parse_day,
    picked_participant,
    picker_keyboard,
    split_fields,
)
from handlers.kit.entry_data import EntryPick, card_lines, cipher_of, shows_sensitive
from handlers.kit.flows import FlowFor
from handlers.kit.participant_views import (
    CardFromCaseload,
    CaseloadPage,
    ParticipantCard,
    bind_card_view,
    participant_line,
    show_caseload,
)
from storage import checkins as checkin_queries
from storage import followups as followup_queries
from storage import participants as queries
from storage import relay
from storage.access import Action
from storage.invites import has_open_invite
from storage.models import (
    CHANGEABLE_STATUSES,
    FollowUpKind,
    Gender,
    Outcome,
    Participant,
    Status,
    SubsidyType,
)


# ---- buttons ----------------------------------------------------------------------------
class Today(StrEnum):
    """The one value of the /add date step's button (`add:d:today`)."""

    TODAY = "today"


class Qualification(StrEnum):
    """ESF+'s "gained a qualification" answer on the /end confirmation (None: not known)."""

    YES = "y"
    NO = "n"


@family("add:m", command="add")
class AddMunicipality(ButtonPayload):
    """A known municipality, by its index in the list the flow offered."""

    index: int


@family("add:g", command="add")
class AddGender(ButtonPayload):
    gender: Gender


@family("add:l", command="add")
class AddLanguage(ButtonPayload):
    language: Annotated[str, Token(8)]


@family("add:d", command="add")
class AddToday(ButtonPayload):
    """Enrolled today."""

    day: Today


@family("card:more", command="participant")
class CardMore(ButtonPayload):
    page: int


@family("st:p", command="status")
class StatusPick(ButtonPayload):
    participant_id: int


@family("st:more", command="status")
class StatusMore(ButtonPayload):
    page: int


@family("st:s", command="status")
class StatusSet(ButtonPayload):
    participant_id: int
    status: Status


@family("end:p", command="end")
class EndPick(ButtonPayload):
    participant_id: int


@family("end:more", command="end")
class EndMore(ButtonPayload):
    page: int


@family("end:o", command="end")
class EndOutcome(ButtonPayload):
    participant_id: int
    outcome: Outcome


@family("end:t", command="end")
class EndSubsidy(ButtonPayload):
    """The kind of subsidised job (the `subsidised` outcome)."""

    participant_id: int
    subsidy: SubsidyType


@family("end:c", command="end")
class EndConfirm(ButtonPayload):
    """Ends the participation; the button also answers the qualification question."""

    participant_id: int
    outcome: Outcome
    subsidy: SubsidyType | None
    qualification: Qualification | None


@family("end:d", command="end")
class EndOtherDate(ButtonPayload):
    """"Another end date": the date is typed next (the "end" text step)."""

    participant_id: int
    outcome: Outcome
    subsidy: SubsidyType | None


@family("end:cd", command="end")
class EndConfirmOn(ButtonPayload):
    """As EndConfirm, on the day typed after "Another end date": the outcome, the kind of
    subsidised job and the day wait in the flow (all of it would not fit in 64 bytes)."""

    participant_id: int
    qualification: Qualification | None


# ---- /add ----------------------------------------------------------------------------
async def add_command(turn: Turn) -> None:
    text = turn.text_after_command
    if not text:
        turn.start_flow("add", "name")
        await turn.reply(turn.tr._(
            "New participant. What name or alias should I use? "
            "(Only what you need to recognise the person.)"
        ))
        return
    fields = split_fields(text)
    if len(fields) < 4:
        await turn.reply(add_usage(turn.tr))
        return
    name, municipality, gender_word, language_word = fields[:4]
    gender = parse_word(Gender, gender_word)
    language = parse_language(language_word)
    enrolled_on = parse_day(fields[4], turn.today) if len(fields) > 4 and fields[4] else turn.today
    if gender is None or language is None or enrolled_on is None:
        await turn.reply(add_usage(turn.tr))
        return
    await save_participant(turn, name=name, municipality=municipality, gender=gender,
                           language=language, enrolled_on=enrolled_on)


def add_usage(tr: Translator) -> str:
    return tr._(
        "Write: <code>/add name | municipality | gender | language | enrolment date</code>\n"
        "For example: <code>/add Amina H | Växjö | woman | ar | 2026-11-02</code>\n"
        "Gender: woman, man, other or -. Language: a code such as sv, en, ar, so, ti, uk. "
        "The date is optional (default today). Or send /add alone to be guided."
    )




async def save_participant(turn: Turn, *, name: str, municipality: str, gender: Gender,
                           language: str, enrolled_on: date) -> None:
    if enrolled_on > turn.today:
        await turn.reply(turn.tr._("The enrolment date can't be in the future; nothing was saved."))
        return
    async with turn.transaction() as session:
        participant = await queries.register_participant(
            session, turn.require_viewer(), display_name=name, municipality=municipality,
            gender=gender, language=language, enrolled_on=enrolled_on, now=turn.now,
            municipalities=turn.services.settings.municipalities,
        )
    turn.end_flow()
    tr = turn.tr
    await turn.reply(
        tr._(
            "✅ Added <b>%(code)s</b>: %(name)s, %(municipality)s, %(gender)s, "
            "language %(language)s, enrolled %(date)s.",
            code=tr.isolate(participant.code), name=participant.display_name,
            municipality=participant.municipality,
            gender=tr._(GENDER_LABELS[Gender(participant.gender)]),
            language=ENDONYMS[participant.language], date=tr.date(participant.enrolled_on),
        ),
        keyboard([[(tr._("Log check-in"), FlowFor("log", participant.id).encode()),
                   (tr._("Show card"), ParticipantCard(participant.id).encode())]]),
    )


async def add_text_step(turn: Turn, state: dict[str, Any], text: str) -> None:
    tr = turn.tr
    step = state["step"]
    if step == "name":
        if not text or len(text) > queries.NAME_MAX:
            await turn.reply(tr._("The name must be 1–120 characters; nothing was saved."))
            return
        turn.start_flow("add", "municipality", display_name=text)
        async with turn.transaction() as session:
            known = await queries.known_municipalities(session, turn.require_viewer())
        buttons = [(m, AddMunicipality(i).encode()) for i, m in enumerate(known)]
        state_known = {"known": known}
        turn.flow("add").update(state_known)  # type: ignore[union-attr]
        await turn.reply(tr._("Which municipality? Tap one or type the name."),
                         keyboard(grid(buttons, 2)) if buttons else None)
    elif step == "municipality":
        found = turn.services.settings.municipalities.resolve(text)
        if found.municipality is not None:
            await ask_gender(turn, {**state, "municipality": found.municipality.name})
            return
        # Close spellings become the step's buttons ("Did you mean Växjö?"); none: retype.
        known = [m.name for m in found.suggestions]
        turn.flow("add").update({"known": known})  # type: ignore[union-attr]
        await turn.reply(municipality_error(tr, found),
                         keyboard(grid([(m, AddMunicipality(i).encode())
                                        for i, m in enumerate(known)], 2))
                         if known else None)
    elif step == "date":
        enrolled_on = parse_day(text, turn.today)
        if enrolled_on is None:
            await turn.reply(tr._("Write the date as YYYY-MM-DD, for example %(example)s.",
                                  example=turn.today.isoformat()))
            return
        await finish_add(turn, state, enrolled_on)
    else:
        await turn.reply(tr._("Tap one of the buttons above, or start again with /add."))


async def ask_gender(turn: Turn, state: dict[str, Any]) -> None:
    tr = turn.tr
    turn.start_flow("add", "gender", **_data(state))
    buttons = [(tr._(GENDER_LABELS[g]), AddGender(g).encode()) for g in Gender]
    await turn.reply(tr._("Gender (for the project's statistics)?"), keyboard(grid(buttons, 2)))


async def finish_add(turn: Turn, state: dict[str, Any], enrolled_on: date) -> None:
    await save_participant(
        turn, name=state["display_name"], municipality=state["municipality"],
        gender=Gender(state["gender"]), language=state["language"], enrolled_on=enrolled_on,
    )


def add_step(turn: Turn, step: str) -> dict[str, Any] | None:
    """The /add flow's state when it waits for this step's button, else None."""
    state = turn.flow("add")
    return state if state is not None and state["step"] == step else None


async def municipality_picked(turn: Turn, payload: AddMunicipality) -> None:
    state = add_step(turn, "municipality")
    known = state.get("known", []) if state else []
    if state is None or not payload.index < len(known):
        await expired(turn, "add")
        return
    municipality = known[payload.index]
    await turn.edit(turn.tr._("Municipality: %(municipality)s", municipality=municipality))
    await ask_gender(turn, {**state, "municipality": municipality})


async def gender_picked(turn: Turn, payload: AddGender) -> None:
    tr = turn.tr
    state = add_step(turn, "gender")
    if state is None:
        await expired(turn, "add")
        return
    await turn.edit(tr._("Gender: %(gender)s", gender=tr._(GENDER_LABELS[payload.gender])))
    turn.start_flow("add", "language", **{**_data(state), "gender": payload.gender.value})
    buttons = [(ENDONYMS[code], AddLanguage(code).encode()) for code in PARTICIPANT_LANGUAGES]
    await turn.reply(tr._("Which language should the participant get messages in?"),
                     keyboard(grid(buttons, 3)))


async def language_picked(turn: Turn, payload: AddLanguage) -> None:
    tr = turn.tr
    state = add_step(turn, "language")
    if state is None or payload.language not in PARTICIPANT_LANGUAGES:
        await expired(turn, "add")
        return
    await turn.edit(tr._("Language: %(language)s", language=ENDONYMS[payload.language]))
    turn.start_flow("add", "date", **{**_data(state), "language": payload.language})
    await turn.reply(
        tr._("Enrolment date? Tap Today or type a date (YYYY-MM-DD)."),
        keyboard([[(tr._("Today"), AddToday(Today.TODAY).encode())]]),
    )


async def today_picked(turn: Turn, _payload: AddToday) -> None:
    state = add_step(turn, "date")
    if state is None:
        await expired(turn, "add")
        return
    await turn.edit(turn.tr._("Enrolment date: %(date)s", date=turn.tr.date(turn.today)))
    await finish_add(turn, state, turn.today)


def _data(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k not in {"name", "step"}}


# ---- /mine -----------------------------------------------------------------------------
async def mine_command(turn: Turn) -> None:
    await show_caseload(turn, page=0)


async def caseload_page(turn: Turn, payload: CaseloadPage) -> None:
    await show_caseload(turn, page=payload.page, edit=True)


async def card_from_caseload(turn: Turn, payload: CardFromCaseload) -> None:
    participant = await picked_participant(turn, payload.participant_id)
    await show_card(turn, participant, back=CaseloadPage(payload.page))


# ---- /find -----------------------------------------------------------------------------
async def find_command(turn: Turn) -> None:
    text = turn.text_after_command
    if not text:
        turn.start_flow("find", "text")
        await turn.reply(turn.tr._("Who are you looking for? Type a code or part of a name."))
        return
    await find_and_show(turn, text)


async def find_text_step(turn: Turn, _state: dict[str, Any], text: str) -> None:
    turn.end_flow()
    await find_and_show(turn, text)


async def find_and_show(turn: Turn, text: str) -> None:
    tr = turn.tr
    if len(text) > 120:
        await turn.reply(tr._("That search is too long. Type a code or part of a name."))
        return
    async with turn.transaction() as session:
        found = await queries.find_participants(session, turn.require_viewer(), text)
    if not found:
        await turn.reply(tr._("No participant you can see matches “%(text)s”.", text=text))
        return
    lines = [tr.ngettext("%(n)s match:", "%(n)s matches:", len(found))]
    lines += [participant_line(tr, p) for p in found]
    await turn.reply("\n".join(lines),
                     picker_keyboard(found, lambda p: ParticipantCard(p.id)))


# ---- /participant (card) ---------------------------------------------------------------
async def card_command(turn: Turn) -> None:
    if not turn.args:
        await pick_for_card(turn, 0, edit=False)
        return
    async with turn.transaction() as session:
        participant = await queries.visible_participant(session, turn.require_viewer(),
                                                        turn.args[0])
    await show_card(turn, participant)


async def pick_for_card(turn: Turn, page: int, *, edit: bool) -> None:
    await ask_to_pick(turn, turn.tr._("Whose card? Tap a participant."),
                      lambda p: ParticipantCard(p.id), page=page, more=CardMore, edit=edit)


async def card_more(turn: Turn, payload: CardMore) -> None:
    await pick_for_card(turn, payload.page, edit=True)


async def card_picked(turn: Turn, payload: ParticipantCard) -> None:
    await show_card(turn, await picked_participant(turn, payload.participant_id))


async def show_card(turn: Turn, participant: Participant,
                    back: ButtonPayload | None = None) -> None:
    """The card; with `back`, it replaces the list it was opened from and « Back returns."""
    tr = turn.tr
    assert participant.id is not None
    async with turn.transaction() as session:
        recent = await checkin_queries.recent_checkins(session, participant.id)
        _, upcoming = await followup_queries.upcoming_for_participant(
            session, turn.require_viewer(), participant.code, now=turn.now)
        invited = await has_open_invite(session, participant.id, now=turn.now)
        talk = await relay.conversation(session, participant.id)
    lines = [
        tr._("<b>%(code)s</b> · %(name)s", code=tr.isolate(participant.code),
             name=participant.display_name),
        tr._("Municipality: %(municipality)s", municipality=participant.municipality),
        tr._("Gender: %(gender)s", gender=tr._(GENDER_LABELS[Gender(participant.gender)])),
        tr._("Language: %(language)s", language=ENDONYMS.get(participant.language,
                                                              participant.language)),
        tr._("Enrolled: %(date)s", date=tr.date(participant.enrolled_on)),
        tr._("Status: %(status)s", status=tr._(STATUS_LABELS[Status(participant.status)])),
    ]
    if participant.ended_on and participant.outcome:
        lines.append(tr._("Ended %(date)s: %(outcome)s", date=tr.date(participant.ended_on),
                          outcome=tr._(OUTCOME_LABELS[Outcome(participant.outcome)])))
    lines += card_lines(tr, participant, cipher_of(turn.services),
                        show_sensitive=shows_sensitive(turn, participant))
    lines.append(telegram_line(tr, participant, invited=invited))
    if talk.last_written_at is not None:
        lines.append(tr._("Last wrote: %(when)s · unanswered: %(n)s",
                          when=tr.short_datetime(talk.last_written_at), n=talk.unanswered))
    if upcoming:
        lines.append(tr._("<b>Coming follow-ups</b>"))
        for booked in upcoming[:3]:
            lines.append(tr._("%(when)s · %(kind)s", when=tr.short_datetime(booked.due_at),
                              kind=tr._(FOLLOWUP_KIND_LABELS[FollowUpKind(booked.kind)])))
    lines.append("")
    if recent:
        lines.append(tr._("<b>Latest check-ins</b>"))
        for checkin in recent:
            lines.append(tr._("%(when)s · %(channel)s · %(note)s",
                              when=tr.short_datetime(checkin.happened_at),
                              channel=tr._(CHANNEL_LABELS[checkin.channel]),
                              note=checkin.note or "—"))
    else:
        lines.append(tr._("No check-ins yet."))
    rows: list[list[Button]] = []
    if not participant.is_ended:
        rows.append([(tr._("Log check-in"), FlowFor("log", participant.id).encode()),
                     (tr._("Change status"), StatusPick(participant.id).encode()),
                     (tr._("End"), EndPick(participant.id).encode())])
    rows.append([(tr._("Entry data"), EntryPick(participant.id).encode())])
    if back is not None:
        rows.append([(tr._("« Back"), back.encode())])
    await (turn.edit if back is not None else turn.reply)("\n".join(lines), keyboard(rows))


def telegram_line(tr: Translator, participant: Participant, *, invited: bool) -> str:
    """Whether she gets the bot's messages: joined, stopped, invited or not yet."""
    if participant.stopped_at is not None:
        return tr._("Telegram: stopped %(date)s", date=tr.date(participant.stopped_at))
    if participant.unreachable_at is not None:
        return tr._("Telegram: unreachable since %(date)s",
                    date=tr.date(participant.unreachable_at))
    if participant.consent_at is not None and participant.chat_id is not None:
        return tr._("Telegram: joined %(date)s", date=tr.date(participant.consent_at))
    if invited:
        return tr._("Telegram: invited, not joined yet")
    return tr._("Telegram: not invited (/invite)")


# ---- /status -------------------------------------------------------------------------
async def status_command(turn: Turn) -> None:
    tr = turn.tr
    if not turn.args:
        await pick_for_status(turn, 0, edit=False)
        return
    if len(turn.args) < 2:
        await turn.reply(status_usage(tr))
        return
    status = parse_word(Status, " ".join(turn.args[1:]))
    if status is None or status == Status.ENDED:
        await turn.reply(status_usage(tr))
        return
    await save_status(turn, turn.args[0], status)


def status_usage(tr: Translator) -> str:
    return tr._(
        "Write: <code>/status P-0042 status</code>. Statuses: %(statuses)s. "
        "To end a participation use /end.",
        statuses=", ".join(tr._(STATUS_LABELS[s]) for s in CHANGEABLE_STATUSES),
    )


async def save_status(turn: Turn, code: str, status: Status, *, edit: bool = False) -> None:
    tr = turn.tr
    async with turn.transaction() as session:
        participant = await queries.change_status(session, turn.require_viewer(), code, status,
                                                  now=turn.now)
    text = tr._("✅ %(code)s now has status: %(status)s.", code=tr.isolate(participant.code),
                status=tr._(STATUS_LABELS[status]))
    await (turn.edit(text) if edit else turn.reply(text))


async def pick_for_status(turn: Turn, page: int, *, edit: bool) -> None:
    await ask_to_pick(turn, turn.tr._("Whose status? Tap a participant."),
                      lambda p: StatusPick(p.id), page=page, more=StatusMore, edit=edit)


async def status_more(turn: Turn, payload: StatusMore) -> None:
    await pick_for_status(turn, payload.page, edit=True)


async def status_picked(turn: Turn, payload: StatusPick) -> None:
    tr = turn.tr
    participant = await picked_participant(turn, payload.participant_id)
    buttons = [(tr._(STATUS_LABELS[s]), StatusSet(participant.id, s).encode())
               for s in CHANGEABLE_STATUSES]
    await turn.edit(tr._("New status for %(code)s?", code=tr.isolate(participant.code)),
                    keyboard(grid(buttons, 2)))


async def status_set(turn: Turn, payload: StatusSet) -> None:
    if payload.status not in CHANGEABLE_STATUSES:  # ending is /end's, with an outcome
        await expired(turn, "status")
        return
    await save_status(turn, queries.code_for(payload.participant_id), payload.status,
                      edit=True)


# ---- /end ----------------------------------------------------------------------------
_END_DETAILS = ("subsidy_type", "gained_qualification")
_QUALIFICATION_VALUES: dict[Qualification | None, bool | None] = {
    Qualification.YES: True, Qualification.NO: False, None: None}


async def end_command(turn: Turn) -> None:
    tr = turn.tr
    if not turn.args:
        await pick_for_end(turn, 0, edit=False)
        return
    if len(turn.args) < 2:
        await turn.reply(end_usage(tr))
        return
    outcome = parse_word(Outcome, turn.args[1])
    ended_on: date | None = turn.today
    details: dict[str, Any] = {}
    dated = False
    for word in turn.args[2:]:
        if ":" in word or "=" in word:
            try:
                field, value = parse_field(word, today_year=turn.today.year)
            except NotUnderstood:
                field, value = "", None
            if field in _END_DETAILS:
                details[field] = value
            else:
                outcome = None  # refuse the whole command: nothing half-understood is saved
        elif not dated:
            ended_on, dated = parse_day(word, turn.today), True
        else:
            ended_on = None
    if outcome is None or ended_on is None:
        await turn.reply(end_usage(tr))
        return
    await save_end(turn, turn.args[0], outcome, ended_on,
                   subsidy=details.get("subsidy_type"),
                   qualification=details.get("gained_qualification"))


def end_usage(tr: Translator) -> str:
    return tr._(
        "Write: <code>/end P-0042 outcome [YYYY-MM-DD]</code>. Outcomes: %(outcomes)s. "
        "Optionally add <code>subsidy:nystartsjobb</code> (with subsidised; also "
        "extratjanst, introduktionsjobb, lonebidrag, yrkesintroduktion, other) and "
        "<code>qualification:yes</code> or <code>qualification:no</code>.",
        outcomes=", ".join(outcome_words(tr.language)),
    )


def outcome_text(tr: Translator, outcome: Outcome, subsidy: SubsidyType | None) -> str:
    if subsidy is None or outcome != Outcome.SUBSIDISED:
        return tr._(OUTCOME_LABELS[outcome])
    return tr._("%(outcome)s: %(subsidy)s", outcome=tr._(OUTCOME_LABELS[outcome]),
                subsidy=tr._(SUBSIDY_LABELS[subsidy]))


async def save_end(turn: Turn, code: str, outcome: Outcome, ended_on: date, *,
                   subsidy: SubsidyType | None = None, qualification: bool | None = None,
                   edit: bool = False) -> None:
    tr = turn.tr
    if ended_on > turn.today:
        await turn.reply(tr._("The end date can't be in the future; nothing was saved."))
        return
    async with turn.transaction() as session:
        participant = await queries.end_participant(
            session, turn.require_viewer(), code, outcome, ended_on=ended_on, now=turn.now,
            subsidy_type=subsidy, gained_qualification=qualification)
    text = tr._("✅ %(code)s ended %(date)s: %(outcome)s.", code=tr.isolate(participant.code),
                date=tr.date(ended_on), outcome=outcome_text(tr, outcome, subsidy))
    if qualification is not None:
        text += "\n" + tr._("Gained a qualification: %(value)s",
                            value=tr._("yes") if qualification else tr._("no"))
    await (turn.edit(text) if edit else turn.reply(text))


async def pick_for_end(turn: Turn, page: int, *, edit: bool) -> None:
    await ask_to_pick(turn, turn.tr._("Whose participation ends? Tap a participant."),
                      lambda p: EndPick(p.id), page=page, more=EndMore, edit=edit)


async def end_more(turn: Turn, payload: EndMore) -> None:
    await pick_for_end(turn, payload.page, edit=True)


async def end_picked(turn: Turn, payload: EndPick) -> None:
    """A participant picked: outcomes → (a subsidised job's kind) → confirm with the
    qualification answer on the button."""
    tr = turn.tr
    participant = await picked_participant(turn, payload.participant_id)
    buttons = [(tr._(OUTCOME_LABELS[o]), EndOutcome(participant.id, o).encode())
               for o in Outcome]
    await turn.edit(tr._("Why does %(code)s end? Pick the outcome.",
                         code=tr.isolate(participant.code)), keyboard(grid(buttons, 2)))


async def outcome_picked(turn: Turn, payload: EndOutcome) -> None:
    tr = turn.tr
    pid = payload.participant_id
    if payload.outcome != Outcome.SUBSIDISED:
        await confirm_end(turn, pid, payload.outcome, None)
        return
    buttons = [(tr._(SUBSIDY_LABELS[kind]), EndSubsidy(pid, kind).encode())
               for kind in SubsidyType]
    await turn.edit(tr._("Which kind of subsidised job does %(code)s have?",
                         code=tr.isolate(queries.code_for(pid))),
                    keyboard(grid(buttons, 2)))


async def subsidy_picked(turn: Turn, payload: EndSubsidy) -> None:
    await confirm_end(turn, payload.participant_id, Outcome.SUBSIDISED, payload.subsidy)


async def end_confirmed(turn: Turn, payload: EndConfirm) -> None:
    await save_end(turn, queries.code_for(payload.participant_id), payload.outcome, turn.today,
                   subsidy=payload.subsidy,
                   qualification=_QUALIFICATION_VALUES[payload.qualification], edit=True)


async def confirm_end(turn: Turn, pid: int, outcome: Outcome,
                      subsidy: SubsidyType | None, ended_on: date | None = None) -> None:
    """The last step: ending needs a tap that also answers ESF+'s qualification question.
    Today unless `ended_on` (picked with "Another end date"; it rides on the buttons)."""
    tr = turn.tr

    def answer(qualification: Qualification | None) -> str:
        if ended_on is None:
            return EndConfirm(pid, outcome, subsidy, qualification).encode()
        return EndConfirmOn(pid, qualification).encode()

    code, label = tr.isolate(queries.code_for(pid)), outcome_text(tr, outcome, subsidy)
    question = (tr._("End %(code)s today (%(date)s) with outcome “%(outcome)s”? Did they gain a "
                     "qualification (a certificate, diploma or licence)? Your answer ends the "
                     "participation.", code=code, date=tr.date(turn.today), outcome=label)
                if ended_on is None else
                tr._("End %(code)s on %(date)s with outcome “%(outcome)s”? Did they gain a "
                     "qualification (a certificate, diploma or licence)? Your answer ends the "
                     "participation.", code=code, date=tr.date(ended_on), outcome=label))
    rows = [[(tr._("End: gained a qualification"), answer(Qualification.YES))],
            [(tr._("End: no qualification"), answer(Qualification.NO))],
            [(tr._("End: not known"), answer(None))]]
    if ended_on is None:
        rows.append([(tr._("Another end date"),
                      EndOtherDate(pid, outcome, subsidy).encode())])
    rows.append([(tr._("Cancel"), CancelFlow().encode())])
    await (turn.edit if ended_on is None else turn.reply)(question, keyboard(rows))


async def end_confirmed_on(turn: Turn, payload: EndConfirmOn) -> None:
    state = turn.flow("end")
    if state is None or state["step"] != "confirm" or state["pid"] != payload.participant_id:
        await expired(turn, "end")
        return
    turn.end_flow()
    subsidy = None if state["subsidy"] == "-" else SubsidyType(state["subsidy"])
    await save_end(turn, queries.code_for(payload.participant_id), Outcome(state["outcome"]),
                   date.fromisoformat(state["day"]), subsidy=subsidy,
                   qualification=_QUALIFICATION_VALUES[payload.qualification], edit=True)


async def other_end_date(turn: Turn, payload: EndOtherDate) -> None:
    """Another end date than today: typed next (the "end" text step), then confirmed."""
    participant = await picked_participant(turn, payload.participant_id)
    turn.start_flow("end", "date", pid=payload.participant_id, outcome=payload.outcome.value,
                    subsidy=payload.subsidy.value if payload.subsidy else "-")
    await turn.edit(turn.tr._("Which date did %(code)s end? Write it as YYYY-MM-DD.",
                              code=turn.tr.isolate(participant.code)))


async def end_text_step(turn: Turn, state: dict[str, Any], text: str) -> None:
    tr = turn.tr
    ended_on = parse_day(text, turn.today)
    if ended_on is None:
        await turn.reply(tr._("Write the date as YYYY-MM-DD, for example %(example)s.",
                              example=turn.today.isoformat()))
        return
    if ended_on > turn.today:
        await turn.reply(tr._("The end date can't be in the future; nothing was saved."))
        return
    # The confirm buttons carry only the answer; the rest waits in the flow.
    turn.start_flow("end", "confirm", pid=state["pid"], outcome=state["outcome"],
                    subsidy=state["subsidy"], day=ended_on.isoformat())
    subsidy = None if state["subsidy"] == "-" else SubsidyType(state["subsidy"])
    await confirm_end(turn, state["pid"], Outcome(state["outcome"]), subsidy, ended_on)


def register(app: Application) -> None:
    bind_command(app, "add", add_command)
    bind_button(app, AddMunicipality, municipality_picked)
    bind_button(app, AddGender, gender_picked)
    bind_button(app, AddLanguage, language_picked)
    bind_button(app, AddToday, today_picked)
    bind_text_step(app, "add", add_text_step)
    bind_command(app, "mine", mine_command)
    bind_button(app, CaseloadPage, caseload_page)
    bind_card_view(app, show_card)
    # The card's own guard: seeing a participant's card, whichever list it was opened from.
    bind_button(app, CardFromCaseload, card_from_caseload, action=Action.VIEW_PARTICIPANT)
    bind_command(app, "find", find_command)
    bind_text_step(app, "find", find_text_step)
    bind_command(app, "participant", card_command)
    bind_button(app, ParticipantCard, card_picked)
    bind_button(app, CardMore, card_more)
    bind_command(app, "status", status_command)
    bind_button(app, StatusPick, status_picked)
    bind_button(app, StatusMore, status_more)
    bind_button(app, StatusSet, status_set)
    bind_command(app, "end", end_command)
    bind_button(app, EndPick, end_picked)
    bind_button(app, EndMore, end_more)
    bind_button(app, EndOutcome, outcome_picked)
    bind_button(app, EndSubsidy, subsidy_picked)
    bind_button(app, EndConfirm, end_confirmed)
    bind_button(app, EndConfirmOn, end_confirmed_on)
    bind_button(app, EndOtherDate, other_end_date)
    bind_text_step(app, "end", end_text_step)
