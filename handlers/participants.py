"""Participants: register (/add), caseload (/mine), search (/find), card (/participant),
status (/status) and ending (/end). One-liners for fast typists, buttons for thumbs."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from enum import StrEnum
from typing import Any
from typing import TypeVar

from telegram.ext import Application

from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import family
from bot.interaction.buttons import retire
from bot.outbox.reminders import told_text
from bot.outbox.reminders import withdraw_reminders
from bot.outbox.templates import FOLLOWUP_KIND_LABELS
from bot.text.funder_labels import SUBSIDY_LABELS
from bot.text.funder_labels import NotUnderstood
from bot.text.funder_labels import parse_field
from bot.text.i18n import N_
from bot.text.i18n import Translator
from bot.text.labels import CHANNEL_LABELS
from bot.text.labels import GENDER_LABELS
from bot.text.labels import OUTCOME_LABELS
from bot.text.labels import STATUS_LABELS
from bot.text.labels import outcome_words
from bot.text.labels import parse_word
from bot.text.languages import ENDONYMS
from bot.text.languages import PARTICIPANT_LANGUAGES
from bot.text.languages import parse_language
from bot.text.render import Button
from bot.text.render import keyboard
from bot.text.render import municipality_error
from bot.text.render import participant_keyboard
from handlers.kit.base import Turn
from handlers.kit.base import bind_button
from handlers.kit.base import bind_command
from handlers.kit.base import parse_day
from handlers.kit.base import picked_participant
from handlers.kit.base import split_fields
from handlers.kit.entry_data import EntryPick
from handlers.kit.entry_data import card_lines
from handlers.kit.entry_data import cipher_of
from handlers.kit.entry_data import shows_sensitive
from handlers.kit.flows import AskText
from handlers.kit.flows import Flow
from handlers.kit.flows import FlowFor
from handlers.kit.flows import Invalid
from handlers.kit.flows import Option
from handlers.kit.flows import ParticipantDraft
from handlers.kit.flows import PickOption
from handlers.kit.flows import PickParticipant
from handlers.kit.flows import ask_name_step
from handlers.kit.flows import bind_guided_command
from handlers.kit.flows import bind_old_card_button
from handlers.kit.flows import ended_refusal
from handlers.kit.flows import pick_participant_step
from handlers.kit.flows import start
from handlers.kit.participant_views import CardFromCaseload
from handlers.kit.participant_views import CaseloadPage
from handlers.kit.participant_views import ParticipantCard
from handlers.kit.participant_views import bind_card_view
from handlers.kit.participant_views import participant_line
from handlers.kit.participant_views import show_caseload
from storage import checkins as checkin_queries
from storage import followups as followup_queries
from storage import participants as queries
from storage import relay
from storage.access import Action
from storage.invites import has_open_invite
from storage.models import CHANGEABLE_STATUSES
from storage.models import FollowUpKind
from storage.models import Gender
from storage.models import Outcome
from storage.models import Participant
from storage.models import Status
from storage.models import SubsidyType
from storage.municipalities import SWEDEN
from storage.municipalities import MatchKind
from storage.municipalities import Resolution


# ---- buttons ----------------------------------------------------------------------------
@family("card:more", command="participant")
class CardMore(ButtonPayload):
    page: int


@family("st:p", command="status")
class StatusPick(ButtonPayload):
    participant_id: int


@family("end:p", command="end")
class EndPick(ButtonPayload):
    participant_id: int


# Before the flow engine: "More…" under a /participant picker (CardMore), "Change status"
# and "End" on cards (StatusPick, EndPick) still start their flow. The steps of /add,
# /status and /end are retired: an old tap says "start again with /add" (…), nothing else.
retire("add:m", "add:g", "add:l", "add:d", command="add")
retire("st:more", "st:s", command="status")
retire("end:more", "end:o", "end:t", "end:c", "end:d", "end:cd", command="end")


# ---- steps the flows below share ------------------------------------------------------
D = TypeVar("D")
E = TypeVar("E", bound=StrEnum)


def labelled(tr: Translator, labels: Mapping[E, str], members: Iterable[E]) -> list[Option]:
    """Options for enum members: the translated label, the value on the button, and the
    English label as another word that picks it when typed."""
    return [Option(tr._(labels[member]), member.value, (labels[member],)) for member in members]


def word_of(kind: type[E]) -> Callable[[str], str | None]:
    """Read a typed word as the one-liners do (`praktik`, `kvinna`, `anställd`)."""
    def read(text: str) -> str | None:
        member = parse_word(kind, text)
        return member.value if member is not None else None
    return read


@dataclass(frozen=True, kw_only=True)
class PickWord(PickOption[D]):
    """Pick an option; a typed answer is read first as the one-liner reads that word
    (`read(text)`: an option's value, or None), then by the options' labels."""

    read: Callable[[str], str | None]

    async def typed(self, turn: Turn, draft: D, text: str) -> D:
        value = self.read(text)
        if value is not None and any(option.value == value
                                     for option in await self._options(turn, draft)):
            return self.choose(draft, value)
        return await super().typed(turn, draft, text)


def typed_day(turn: Turn, text: str, future: str) -> date:
    """A date typed at a step (`2026-11-02`, today, igår); `future` (localized) refuses
    one after today."""
    day = parse_day(text, turn.today)
    if day is None:
        raise Invalid(turn.tr._("Write the date as YYYY-MM-DD, for example %(example)s.",
                                example=turn.today.isoformat()))
    if day > turn.today:
        raise Invalid(future)
    return day


# ---- /add ----------------------------------------------------------------------------
async def add_command(turn: Turn) -> None:
    fields = split_fields(turn.text_after_command)
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
                           language: str, enrolled_on: date, edit: bool = False) -> None:
    if enrolled_on > turn.today:
        await turn.reply(turn.tr._("The enrolment date can't be in the future; nothing was saved."))
        return
    async with turn.transaction() as session:
        participant = await queries.register_participant(
            session, turn.require_viewer(), display_name=name, municipality=municipality,
            gender=gender, language=language, enrolled_on=enrolled_on, now=turn.now,
            municipalities=turn.services.settings.municipalities,
        )
    tr = turn.tr
    await turn.respond(
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
        edit=edit,
    )


@dataclass(frozen=True)
class AddDraft:
    """What a guided /add has asked so far."""

    name: str = ""
    municipality: str = ""
    """The municipality's SCB code ("0780"); `register_participant` resolves it."""
    typed_place: str = ""
    close: tuple[str, ...] = ()
    """Codes of the municipalities close to `typed_place`, offered as buttons next."""
    gender: Gender | None = None
    language: str = ""
    enrolled_on: date | None = None
    """None: today ("Today" tapped)."""


async def known_municipalities(turn: Turn, _draft: AddDraft) -> list[Option]:
    """The municipalities already used in the person's scope, as quick picks."""
    async with turn.transaction() as session:
        known = await queries.known_municipalities(session, turn.require_viewer())
    found = (turn.services.settings.municipalities.by_name(name) for name in known)
    return [Option(m.name, m.code) for m in found if m is not None]


def close_municipalities(_turn: Turn, draft: AddDraft) -> list[Option]:
    return [Option(m.name, m.code) for m in map(SWEDEN.by_code, draft.close) if m is not None]


def not_one_of_ours(tr: Translator, draft: AddDraft) -> str:
    """"“Alvestaa” is not one of the project's municipalities … Did you mean Alvesta?"""
    return municipality_error(tr, Resolution(
        draft.typed_place, MatchKind.SUGGESTIONS,
        suggestions=tuple(m for m in map(SWEDEN.by_code, draft.close) if m is not None)))


def municipality_chosen(draft: AddDraft, code: str) -> AddDraft:
    return replace(draft, municipality=code, typed_place="", close=())


@dataclass(frozen=True, kw_only=True)
class PickMunicipality(PickOption[AddDraft]):
    """A municipality, tapped or typed; typed names are resolved as the one-liner's are.
    With `offer_close`, a near miss keeps the close names in the draft for the next step
    to offer as buttons ("Did you mean Alvesta?"); otherwise the step says so and waits."""

    offer_close: bool = False

    async def typed(self, turn: Turn, draft: AddDraft, text: str) -> AddDraft:
        found = turn.services.settings.municipalities.resolve(text)
        if found.municipality is not None:
            return self.choose(draft, found.municipality.code)
        if self.offer_close and found.suggestions:
            return replace(draft, municipality="", typed_place=text,
                           close=tuple(m.code for m in found.suggestions))
        raise Invalid(municipality_error(turn.tr, found))


def language_options(_turn: Turn, _draft: AddDraft) -> list[Option]:
    return [Option(ENDONYMS[code], code) for code in PARTICIPANT_LANGUAGES]


def parse_enrolment_day(turn: Turn, draft: AddDraft, text: str) -> AddDraft:
    return replace(draft, enrolled_on=typed_day(turn, text, turn.tr._(
        "The enrolment date can't be in the future; nothing was saved.")))


async def add_from_draft(turn: Turn, draft: AddDraft) -> None:
    assert draft.gender is not None
    await save_participant(turn, name=draft.name, municipality=draft.municipality,
                           gender=draft.gender, language=draft.language,
                           enrolled_on=draft.enrolled_on or turn.today, edit=True)


ADD_FLOW = Flow(
    "add", command="add", draft=AddDraft,
    steps=(
        ask_name_step(lambda tr: tr._(
            "New participant. What name or alias should I use? "
            "(Only what you need to recognise the person.)"), max_length=queries.NAME_MAX),
        PickMunicipality(
            name="municipality",
            prompt=lambda tr, _d: tr._("Which municipality? Tap one or type the name."),
            options=known_municipalities, choose=municipality_chosen, offer_close=True),
        PickMunicipality(name="close", prompt=not_one_of_ours, options=close_municipalities,
                         choose=municipality_chosen, when=lambda d: bool(d.close)),
        PickWord(name="gender",
                 prompt=lambda tr, _d: tr._("Gender (for the project's statistics)?"),
                 options=lambda turn, _d: labelled(turn.tr, GENDER_LABELS, Gender),
                 read=word_of(Gender), choose=lambda d, value: replace(d, gender=Gender(value))),
        PickWord(name="language",
                 prompt=lambda tr, _d: tr._(
                     "Which language should the participant get messages in?"),
                 options=language_options, read=parse_language, columns=3,
                 choose=lambda d, value: replace(d, language=value)),
        AskText(name="enrolled",
                prompt=lambda tr, _d: tr._(
                    "Enrolment date? Tap Today or type a date (YYYY-MM-DD)."),
                parse=parse_enrolment_day,
                skip=(N_("Today"), lambda d: replace(d, enrolled_on=None))),
    ),
    finish=add_from_draft,
)


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
    await find_and_show(turn, turn.text_after_command)


SEARCH_MAX = 120


def search_too_long(tr: Translator) -> str:
    return tr._("That search is too long. Type a code or part of a name.")


async def find_and_show(turn: Turn, text: str) -> None:
    tr = turn.tr
    if len(text) > SEARCH_MAX:
        await turn.reply(search_too_long(tr))
        return
    async with turn.transaction() as session:
        found = await queries.find_participants(session, turn.require_viewer(), text)
    if not found:
        await turn.reply(tr._("No participant you can see matches “%(text)s”.", text=text))
        return
    lines = [tr.ngettext("%(n)s match:", "%(n)s matches:", len(found))]
    lines += [participant_line(tr, p) for p in found]
    await turn.reply("\n".join(lines),
                     participant_keyboard(found, lambda p: ParticipantCard(p.id).encode()))


@dataclass(frozen=True)
class FindDraft:
    text: str = ""


def parse_search(turn: Turn, draft: FindDraft, text: str) -> FindDraft:
    if len(text) > SEARCH_MAX:
        raise Invalid(search_too_long(turn.tr))
    return replace(draft, text=text)


FIND_FLOW = Flow(
    "find", command="find", draft=FindDraft,
    steps=(AskText(name="text", prompt=lambda tr, _d: tr._(
        "Who are you looking for? Type a code or part of a name."), parse=parse_search),),
    finish=lambda turn, draft: find_and_show(turn, draft.text),
)


# ---- /participant (card) ---------------------------------------------------------------
async def card_command(turn: Turn) -> None:
    async with turn.transaction() as session:
        participant = await queries.visible_participant(session, turn.require_viewer(),
                                                        turn.args[0])
    await show_card(turn, participant)


@dataclass(frozen=True)
class CardDraft:
    participant_id: int | None = None


async def card_from_draft(turn: Turn, draft: CardDraft) -> None:
    assert draft.participant_id is not None
    await show_card(turn, await picked_participant(turn, draft.participant_id), edit=True)


CARD_FLOW = Flow(
    "card", command="participant", draft=CardDraft,
    steps=(PickParticipant(name="who",
                           prompt=lambda tr, _d: tr._("Whose card? Tap a participant."),
                           choose=lambda d, p: replace(d, participant_id=p.id)),),
    finish=card_from_draft,
)


async def card_more(turn: Turn, _payload: CardMore) -> None:
    await start(turn, CARD_FLOW, CardDraft())


async def card_picked(turn: Turn, payload: ParticipantCard) -> None:
    await show_card(turn, await picked_participant(turn, payload.participant_id))


async def show_card(turn: Turn, participant: Participant,
                    back: ButtonPayload | None = None, *, edit: bool = False) -> None:
    """The card; with `back`, it replaces the list it was opened from and « Back returns;
    with `edit`, it replaces the picker it was chosen in."""
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
                     (tr._("Change status"), FlowFor("status", participant.id).encode()),
                     (tr._("End"), FlowFor("end", participant.id).encode())])
    rows.append([(tr._("Entry data"), EntryPick(participant.id).encode())])
    if back is not None:
        rows.append([(tr._("« Back"), back.encode())])
    await turn.respond("\n".join(lines), keyboard(rows), edit=back is not None or edit)


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
    await turn.respond(text, edit=edit)


@dataclass(frozen=True)
class StatusDraft(ParticipantDraft):
    """What a guided /status has asked so far."""

    status: Status | None = None


async def status_from_draft(turn: Turn, draft: StatusDraft) -> None:
    assert draft.status is not None
    await save_status(turn, draft.code, draft.status, edit=True)


STATUS_FLOW = Flow(
    "status", command="status", draft=StatusDraft,
    steps=(
        pick_participant_step(lambda tr: tr._("Whose status? Tap a participant."),
                              refuse=ended_refusal),
        PickWord(name="status",
                 prompt=lambda tr, d: tr._("New status for %(code)s?", code=tr.isolate(d.code)),
                 options=lambda turn, _d: labelled(turn.tr, STATUS_LABELS, CHANGEABLE_STATUSES),
                 read=word_of(Status),
                 choose=lambda d, value: replace(d, status=Status(value))),
    ),
    finish=status_from_draft,
)


# ---- /end ----------------------------------------------------------------------------
_END_DETAILS = ("subsidy_type", "gained_qualification")


async def end_command(turn: Turn) -> None:
    tr = turn.tr
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
        # Coming meetings are off: their reminders stop and the participant is told, as when
        # one is cancelled by hand (else she is still reminded, and her answers are lost).
        cancelled = await followup_queries.cancel_coming(session, turn.require_viewer(),
                                                         participant, now=turn.now)
        told = [await withdraw_reminders(session, turn.services.settings, item, now=turn.now)
                for item in cancelled]
    if cancelled:
        turn.services.wake()
    text = tr._("✅ %(code)s ended %(date)s: %(outcome)s.", code=tr.isolate(participant.code),
                date=tr.date(ended_on), outcome=outcome_text(tr, outcome, subsidy))
    if qualification is not None:
        text += "\n" + tr._("Gained a qualification: %(value)s",
                            value=tr._("yes") if qualification else tr._("no"))
    if cancelled:
        text += "\n" + tr.ngettext(
            "The participant's coming follow-up is cancelled: %(when)s.",
            "The participant's %(count)d coming follow-ups are cancelled: %(when)s.",
            len(cancelled),
            count=len(cancelled),
            when=", ".join(tr.short_datetime(item.followup.due_at) for item in cancelled))
        if any(told):
            text += " " + told_text(tr)
    await turn.respond(text, edit=edit)


@dataclass(frozen=True)
class EndDraft(ParticipantDraft):
    """What a guided /end has asked so far."""

    outcome: Outcome | None = None
    subsidy: SubsidyType | None = None
    today: date | None = None
    """The day the outcome was picked: the confirmation's "today (4 Dec 2026)"."""
    another_day: bool = False
    """"Another end date" tapped: the day is typed, then confirmed."""
    ended_on: date | None = None
    qualification: bool | None = None


def outcome_chosen(draft: EndDraft, value: str) -> EndDraft:
    return replace(draft, outcome=Outcome(value), subsidy=None)


@dataclass(frozen=True, kw_only=True)
class PickOutcome(PickWord[EndDraft]):
    """The outcome; it also notes today's date for the confirmation to name."""

    async def tapped(self, turn: Turn, draft: EndDraft, value: str) -> EndDraft:
        return replace(await super().tapped(turn, draft, value), today=turn.today)

    async def typed(self, turn: Turn, draft: EndDraft, text: str) -> EndDraft:
        return replace(await super().typed(turn, draft, text), today=turn.today)


ANOTHER_DAY = "day"
_QUALIFICATION = {"yes": True, "no": False, "unknown": None}


def confirm_step(name: str, *, on_another_day: bool) -> PickOption[EndDraft]:
    """The last step: ending needs a tap that also answers ESF+'s qualification question.
    Today's confirmation also offers "Another end date" (typed next, then confirmed by
    the same step `on_another_day`)."""

    def options(turn: Turn, _draft: EndDraft) -> list[Option]:
        tr = turn.tr
        options = [Option(tr._("End: gained a qualification"), "yes", ("yes", tr._("yes"))),
                   Option(tr._("End: no qualification"), "no", ("no", tr._("no"))),
                   Option(tr._("End: not known"), "unknown", ("not known",))]
        if not on_another_day:
            options.append(Option(tr._("Another end date"), ANOTHER_DAY))
        return options

    def prompt(tr: Translator, draft: EndDraft) -> str:
        assert draft.outcome is not None
        code, label = tr.isolate(draft.code), outcome_text(tr, draft.outcome, draft.subsidy)
        if on_another_day:
            assert draft.ended_on is not None
            return tr._("End %(code)s on %(date)s with outcome “%(outcome)s”? Did they gain a "
                        "qualification (a certificate, diploma or licence)? Your answer ends "
                        "the participation.", code=code, date=tr.date(draft.ended_on),
                        outcome=label)
        assert draft.today is not None
        return tr._("End %(code)s today (%(date)s) with outcome “%(outcome)s”? Did they gain a "
                    "qualification (a certificate, diploma or licence)? Your answer ends the "
                    "participation.", code=code, date=tr.date(draft.today), outcome=label)

    def choose(draft: EndDraft, value: str) -> EndDraft:
        if value == ANOTHER_DAY:
            return replace(draft, another_day=True, ended_on=None)
        answered = replace(draft, qualification=_QUALIFICATION[value])
        return answered if on_another_day else replace(answered, another_day=False,
                                                       ended_on=None)

    return PickOption(name=name, prompt=prompt, options=options, choose=choose, columns=1,
                      when=(lambda d: d.another_day) if on_another_day else (lambda _d: True))


def parse_end_day(turn: Turn, draft: EndDraft, text: str) -> EndDraft:
    return replace(draft, ended_on=typed_day(turn, text, turn.tr._(
        "The end date can't be in the future; nothing was saved.")))


async def end_from_draft(turn: Turn, draft: EndDraft) -> None:
    assert draft.outcome is not None
    await save_end(turn, draft.code, draft.outcome, draft.ended_on or turn.today,
                   subsidy=draft.subsidy, qualification=draft.qualification, edit=True)


END_FLOW = Flow(
    "end", command="end", draft=EndDraft,
    steps=(
        pick_participant_step(lambda tr: tr._("Whose participation ends? Tap a participant."),
                              refuse=ended_refusal),
        PickOutcome(name="outcome", prompt=lambda tr, d: tr._(
            "Why does %(code)s end? Pick the outcome.", code=tr.isolate(d.code)),
            options=lambda turn, _d: labelled(turn.tr, OUTCOME_LABELS, Outcome),
            read=word_of(Outcome), choose=outcome_chosen, page_size=len(Outcome)),
        PickOption(name="subsidy", prompt=lambda tr, d: tr._(
            "Which kind of subsidised job does %(code)s have?", code=tr.isolate(d.code)),
            options=lambda turn, _d: labelled(turn.tr, SUBSIDY_LABELS, SubsidyType),
            choose=lambda d, value: replace(d, subsidy=SubsidyType(value)),
            when=lambda d: d.outcome == Outcome.SUBSIDISED),
        confirm_step("confirm", on_another_day=False),
        AskText(name="day", prompt=lambda tr, d: tr._(
            "Which date did %(code)s end? Write it as YYYY-MM-DD.", code=tr.isolate(d.code)),
            parse=parse_end_day, when=lambda d: d.another_day),
        confirm_step("confirmon", on_another_day=True),
    ),
    finish=end_from_draft,
)


def register(app: Application) -> None:
    bind_guided_command(app, ADD_FLOW, add_command)
    bind_command(app, "mine", mine_command)
    bind_button(app, CaseloadPage, caseload_page)
    bind_card_view(app, show_card)
    # The card's own guard: seeing a participant's card, whichever list it was opened from.
    bind_button(app, CardFromCaseload, card_from_caseload, action=Action.VIEW_PARTICIPANT)
    bind_guided_command(app, FIND_FLOW, find_command)
    bind_guided_command(app, CARD_FLOW, card_command)
    bind_button(app, ParticipantCard, card_picked)
    bind_button(app, CardMore, card_more)
    bind_guided_command(app, STATUS_FLOW, status_command)
    bind_old_card_button(app, StatusPick, STATUS_FLOW)
    bind_guided_command(app, END_FLOW, end_command)
    bind_old_card_button(app, EndPick, END_FLOW)
