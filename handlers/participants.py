"""Participants: register (/add), caseload (/mine), search (/find), card (/participant),
status (/status) and ending (/end). One-liners for fast typists, buttons for thumbs."""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.text.funder_labels import SUBSIDY_LABELS, NotUnderstood, parse_field
from bot.text.i18n import SafeHtml, Translator
from bot.text.labels import (
    CHANNEL_LABELS,
    GENDER_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    fold,
    parse_word,
)
from bot.text.languages import ENDONYMS, PARTICIPANT_LANGUAGES, normalize_language
from bot.text.render import Button, grid, keyboard
from handlers import entry
from handlers.base import (
    Turn,
    ask_to_pick,
    callback_parts,
    expired,
    on_text,
    parse_day,
    picked_participant,
    picker_keyboard,
    split_fields,
    staff_only,
)
from storage import checkins as checkin_queries
from storage import participants as queries
from storage.access import Action
from storage.models import (
    CHANGEABLE_STATUSES,
    Gender,
    Outcome,
    Participant,
    Status,
    SubsidyType,
)

PAGE_SIZE = 8


# ---- shared pieces ------------------------------------------------------------------
def participant_line(tr: Translator, participant: Participant) -> str:
    return tr._(
        "%(code)s · %(name)s · %(status)s",
        code=tr.isolate(participant.code),
        name=participant.display_name,
        status=tr._(STATUS_LABELS[Status(participant.status)]),
    )


# ---- /add ----------------------------------------------------------------------------
@staff_only(Action.ADD_PARTICIPANT)
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


def reach_flag(tr: Translator, row: queries.CaseloadRow) -> str:
    """A short marker when the bot cannot (or may not) reach the participant."""
    participant = row.participant
    if participant.stopped_at is not None:
        return " " + tr._("🛑 stopped the bot")
    if participant.unreachable_at is not None:
        return " " + tr._("⚠️ unreachable in Telegram")
    if row.invited_not_joined:
        return " " + tr._("✉️ invited, has not pressed Start")
    return ""


def add_usage(tr: Translator) -> str:
    return tr._(
        "Write: <code>/add name | municipality | gender | language | enrolment date</code>\n"
        "For example: <code>/add Amina H | Växjö | woman | ar | 2026-11-02</code>\n"
        "Gender: woman, man, other or -. Language: a code such as sv, en, ar, so, ti, uk. "
        "The date is optional (default today). Or send /add alone to be guided."
    )


def parse_language(word: str) -> str | None:
    folded = fold(word)
    for code, name in ENDONYMS.items():
        if folded in {fold(name), fold(code)}:
            return code
    code = normalize_language(word)
    return code if code in PARTICIPANT_LANGUAGES else None


async def save_participant(turn: Turn, *, name: str, municipality: str, gender: Gender,
                           language: str, enrolled_on: date) -> None:
    if enrolled_on > turn.today:
        await turn.reply(turn.tr._("The enrolment date can't be in the future; nothing was saved."))
        return
    async with turn.transaction() as session:
        participant = await queries.register_participant(
            session, turn.require_viewer(), display_name=name, municipality=municipality,
            gender=gender, language=language, enrolled_on=enrolled_on, now=turn.now,
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
        keyboard([[(tr._("Log check-in"), f"log:p:{participant.id}"),
                   (tr._("Show card"), f"card:{participant.id}")]]),
    )


@on_text("add")
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
        buttons = [(m, f"add:m:{i}") for i, m in enumerate(known)]
        state_known = {"known": known}
        turn.flow("add").update(state_known)  # type: ignore[union-attr]
        await turn.reply(tr._("Which municipality? Tap one or type the name."),
                         keyboard(grid(buttons, 2)) if buttons else None)
    elif step == "municipality":
        if not text or len(text) > queries.MUNICIPALITY_MAX:
            await turn.reply(tr._("The municipality must be 1–80 characters; nothing was saved."))
            return
        await ask_gender(turn, {**state, "municipality": text})
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
    buttons = [(tr._(GENDER_LABELS[g]), f"add:g:{g.value}") for g in Gender]
    await turn.reply(tr._("Gender (for the project's statistics)?"), keyboard(grid(buttons, 2)))


async def finish_add(turn: Turn, state: dict[str, Any], enrolled_on: date) -> None:
    await save_participant(
        turn, name=state["display_name"], municipality=state["municipality"],
        gender=Gender(state["gender"]), language=state["language"], enrolled_on=enrolled_on,
    )


@staff_only(Action.ADD_PARTICIPANT)
async def add_button(turn: Turn) -> None:
    parts = callback_parts(turn)
    state = turn.flow("add")
    if state is None or len(parts) < 3:
        await expired(turn, "/add")
        return
    tr = turn.tr
    kind, value = parts[1], parts[2]
    if kind == "m" and state["step"] == "municipality":
        known = state.get("known", [])
        index = int(value) if value.isdigit() else -1
        if not 0 <= index < len(known):
            await expired(turn, "/add")
            return
        await turn.edit(tr._("Municipality: %(municipality)s", municipality=known[index]))
        await ask_gender(turn, {**state, "municipality": known[index]})
    elif kind == "g" and state["step"] == "gender" and value in Gender.__members__.values():
        await turn.edit(tr._("Gender: %(gender)s", gender=tr._(GENDER_LABELS[Gender(value)])))
        turn.start_flow("add", "language", **{**_data(state), "gender": value})
        buttons = [(ENDONYMS[code], f"add:l:{code}") for code in PARTICIPANT_LANGUAGES]
        await turn.reply(tr._("Which language should the participant get messages in?"),
                         keyboard(grid(buttons, 3)))
    elif kind == "l" and state["step"] == "language" and value in PARTICIPANT_LANGUAGES:
        await turn.edit(tr._("Language: %(language)s", language=ENDONYMS[value]))
        turn.start_flow("add", "date", **{**_data(state), "language": value})
        await turn.reply(
            tr._("Enrolment date? Tap Today or type a date (YYYY-MM-DD)."),
            keyboard([[(tr._("Today"), "add:d:today")]]),
        )
    elif kind == "d" and state["step"] == "date":
        await turn.edit(tr._("Enrolment date: %(date)s", date=tr.date(turn.today)))
        await finish_add(turn, state, turn.today)
    else:
        await expired(turn, "/add")


def _data(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k not in {"name", "step"}}


# ---- /mine -----------------------------------------------------------------------------
@staff_only(Action.LIST_CASELOAD)
async def mine_command(turn: Turn) -> None:
    await show_caseload(turn, page=0)


@staff_only(Action.LIST_CASELOAD)
async def mine_button(turn: Turn) -> None:
    parts = callback_parts(turn)
    page = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    await show_caseload(turn, page=page, edit=True)


async def show_caseload(turn: Turn, *, page: int, edit: bool = False) -> None:
    tr = turn.tr
    async with turn.transaction() as session:
        rows, total = await queries.caseload(
            session, turn.require_viewer(), now=turn.now, offset=page * PAGE_SIZE,
            limit=PAGE_SIZE)
    if total == 0:
        await turn.reply(tr._("You have no active participants. Add one with /add."))
        return
    lines = [tr.ngettext("<b>Your caseload: %(n)s participant</b> (least recently seen first)",
                         "<b>Your caseload: %(n)s participants</b> (least recently seen first)",
                         total)]
    for row in rows:
        seen = (tr._("last check-in %(date)s", date=tr.date(tr.local(row.last_checkin_at).date()))
                if row.last_checkin_at else tr._("no check-in yet"))
        lines.append(tr._("%(line)s — %(seen)s",
                          line=SafeHtml(participant_line(tr, row.participant)), seen=seen)
                     + reach_flag(tr, row))
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    nav: list[Button] = []
    if page > 0:
        nav.append((tr._("◀ Previous"), f"mine:{page - 1}"))
    if page + 1 < pages:
        nav.append((tr._("Next ▶"), f"mine:{page + 1}"))
    if pages > 1:
        lines.append(tr._("Page %(page)s of %(pages)s", page=page + 1, pages=pages))
    open_buttons = [(row.participant.code, f"card:{row.participant.id}") for row in rows]
    markup = keyboard([*grid(open_buttons, 4), nav])
    if edit:
        await turn.edit("\n".join(lines), markup)
    else:
        await turn.reply("\n".join(lines), markup)


# ---- /find -----------------------------------------------------------------------------
@staff_only(Action.FIND_PARTICIPANT)
async def find_command(turn: Turn) -> None:
    text = turn.text_after_command
    if not text:
        turn.start_flow("find", "text")
        await turn.reply(turn.tr._("Who are you looking for? Type a code or part of a name."))
        return
    await find_and_show(turn, text)


@on_text("find")
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
    await turn.reply("\n".join(lines), picker_keyboard(found, "card"))


# ---- /participant (card) ---------------------------------------------------------------
@staff_only(Action.VIEW_PARTICIPANT)
async def card_command(turn: Turn) -> None:
    if not turn.args:
        await ask_to_pick(turn, turn.tr._("Whose card? Tap a participant."), "card")
        return
    async with turn.transaction() as session:
        participant = await queries.visible_participant(session, turn.require_viewer(),
                                                        turn.args[0])
    await show_card(turn, participant)


@staff_only(Action.VIEW_PARTICIPANT)
async def card_button(turn: Turn) -> None:
    parts = callback_parts(turn)
    if len(parts) != 2 or not parts[1].isdigit():
        await expired(turn, "/participant")
        return
    participant = await picked_participant(turn, int(parts[1]))
    await show_card(turn, participant)


async def show_card(turn: Turn, participant: Participant) -> None:
    tr = turn.tr
    assert participant.id is not None
    async with turn.transaction() as session:
        recent = await checkin_queries.recent_checkins(session, participant.id)
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
    lines += entry.card_lines(tr, participant, entry.cipher_of(turn.services),
                              show_sensitive=entry.shows_sensitive(turn, participant))
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
        rows.append([(tr._("Log check-in"), f"log:p:{participant.id}"),
                     (tr._("Change status"), f"st:p:{participant.id}"),
                     (tr._("End"), f"end:p:{participant.id}")])
    rows.append([(tr._("Entry data"), f"ent:p:{participant.id}")])
    await turn.reply("\n".join(lines), keyboard(rows))


# ---- /status -------------------------------------------------------------------------
@staff_only(Action.CHANGE_STATUS)
async def status_command(turn: Turn) -> None:
    tr = turn.tr
    if not turn.args:
        await ask_to_pick(turn, tr._("Whose status? Tap a participant."), "st:p")
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


@staff_only(Action.CHANGE_STATUS)
async def status_button(turn: Turn) -> None:
    parts = callback_parts(turn)
    tr = turn.tr
    if len(parts) >= 3 and parts[1] == "p" and parts[2].isdigit():
        participant = await picked_participant(turn, int(parts[2]))
        buttons = [(tr._(STATUS_LABELS[s]), f"st:s:{participant.id}:{s.value}")
                   for s in CHANGEABLE_STATUSES]
        await turn.edit(tr._("New status for %(code)s?", code=tr.isolate(participant.code)),
                        keyboard(grid(buttons, 2)))
    elif len(parts) == 4 and parts[1] == "s" and parts[2].isdigit():
        status = parse_word(Status, parts[3])
        if status is None or status == Status.ENDED:
            await expired(turn, "/status")
            return
        await save_status(turn, queries.code_for(int(parts[2])), status, edit=True)
    else:
        await expired(turn, "/status")


# ---- /end ----------------------------------------------------------------------------
_END_DETAILS = ("subsidy_type", "gained_qualification")
_QUALIFICATION_CODES = {"y": True, "n": False, "-": None}


@staff_only(Action.END_PARTICIPANT)
async def end_command(turn: Turn) -> None:
    tr = turn.tr
    if not turn.args:
        await ask_to_pick(turn, tr._("Whose participation ends? Tap a participant."), "end:p")
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
        outcomes=", ".join(o.value for o in Outcome),
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


@staff_only(Action.END_PARTICIPANT)
async def end_button(turn: Turn) -> None:
    """`end:p:<id>` outcomes → (`end:t:<id>:<subsidy>` for a subsidised job) →
    `end:c:<id>:<outcome>:<subsidy|->:<y|n|->` ends, the qualification answer on the button."""
    parts = callback_parts(turn)
    tr = turn.tr
    pid = parts[2] if len(parts) >= 3 and parts[2].isdigit() else None
    if pid is None:
        await expired(turn, "/end")
    elif len(parts) == 3 and parts[1] == "p":
        participant = await picked_participant(turn, int(pid))
        buttons = [(tr._(OUTCOME_LABELS[o]), f"end:o:{participant.id}:{o.value}")
                   for o in Outcome]
        await turn.edit(tr._("Why does %(code)s end? Pick the outcome.",
                             code=tr.isolate(participant.code)), keyboard(grid(buttons, 2)))
    elif len(parts) == 4 and parts[1] == "o" and (outcome := parse_word(Outcome, parts[3])):
        if outcome == Outcome.SUBSIDISED:
            buttons = [(tr._(SUBSIDY_LABELS[kind]), f"end:t:{pid}:{kind.value}")
                       for kind in SubsidyType]
            await turn.edit(tr._("Which kind of subsidised job does %(code)s have?",
                                 code=tr.isolate(queries.code_for(int(pid)))),
                            keyboard(grid(buttons, 2)))
        else:
            await confirm_end(turn, int(pid), outcome, None)
    elif len(parts) == 4 and parts[1] == "t" and parts[3] in set(SubsidyType):
        await confirm_end(turn, int(pid), Outcome.SUBSIDISED, SubsidyType(parts[3]))
    elif (len(parts) == 6 and parts[1] == "c" and (outcome := parse_word(Outcome, parts[3]))
          and (parts[4] == "-" or parts[4] in set(SubsidyType))
          and parts[5] in _QUALIFICATION_CODES):
        subsidy = None if parts[4] == "-" else SubsidyType(parts[4])
        await save_end(turn, queries.code_for(int(pid)), outcome, turn.today, subsidy=subsidy,
                       qualification=_QUALIFICATION_CODES[parts[5]], edit=True)
    else:
        await expired(turn, "/end")


async def confirm_end(turn: Turn, pid: int, outcome: Outcome,
                      subsidy: SubsidyType | None) -> None:
    """The last step: ending needs a tap that also answers ESF+'s qualification question."""
    tr = turn.tr
    data = f"end:c:{pid}:{outcome.value}:{subsidy.value if subsidy else '-'}"
    await turn.edit(
        tr._("End %(code)s today (%(date)s) with outcome “%(outcome)s”? Did they gain a "
             "qualification (a certificate, diploma or licence)? Your answer ends the "
             "participation.", code=tr.isolate(queries.code_for(pid)),
             date=tr.date(turn.today), outcome=outcome_text(tr, outcome, subsidy)),
        keyboard([[(tr._("End: gained a qualification"), f"{data}:y")],
                  [(tr._("End: no qualification"), f"{data}:n")],
                  [(tr._("End: not known"), f"{data}:-")],
                  [(tr._("Cancel"), "flow:cancel")]]),
    )


def register(app: Application) -> None:
    app.add_handler(CommandHandler(["add", "ny"], add_command))
    app.add_handler(CommandHandler(["mine", "mina"], mine_command))
    app.add_handler(CommandHandler(["find", "sok"], find_command))
    app.add_handler(CommandHandler(["participant", "visa"], card_command))
    app.add_handler(CommandHandler("status", status_command))
    app.add_handler(CommandHandler(["end", "avsluta"], end_command))
    app.add_handler(CallbackQueryHandler(add_button, pattern=r"^add:"))
    app.add_handler(CallbackQueryHandler(mine_button, pattern=r"^mine:"))
    app.add_handler(CallbackQueryHandler(card_button, pattern=r"^card:"))
    app.add_handler(CallbackQueryHandler(status_button, pattern=r"^st:"))
    app.add_handler(CallbackQueryHandler(end_button, pattern=r"^end:"))
