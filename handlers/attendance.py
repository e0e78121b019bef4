"""/hours and /attendance: monthly participation hours and the sheets to sign.

`/hours P-0042 2026-11 32` (also `32,5`; `/timmar`) logs or corrects a month's hours;
`/hours` alone, or a participant tapped in the monthly reminder, runs the hours flow (whose,
then the hours typed) and offers the next one still missing.
`/attendance 2026-11` (`/narvaro`) sends a workbook with an overview and one printable
sheet per participant (`/attendance 2026-11 P-0042` for one) with lines for signatures;
`… pdf` sends the same sheets as a PDF, one page per participant.
Which rows a sheet holds — the viewer's scope, names only for roles allowed to export
them, protected identities left out — and the audit row are decided in
`storage.attendance`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import replace
from datetime import date

from telegram.ext import Application

from bot.documents.attendance_sheets import build_pdf
from bot.documents.attendance_sheets import build_workbook
from bot.documents.building import build_off_loop
from bot.outbox.hours_reminder import HoursPick
from bot.outbox.hours_reminder import missing_keyboard
from bot.text.i18n import Translator
from bot.text.render import Button
from bot.text.render import participant_keyboard
from handlers.kit.base import PICKER_PAGE
from handlers.kit.base import Turn
from handlers.kit.base import bind_button
from handlers.kit.base import bind_command
from handlers.kit.base import picked_participant
from handlers.kit.flows import AskText
from handlers.kit.flows import Flow
from handlers.kit.flows import Invalid
from handlers.kit.flows import PickParticipant
from handlers.kit.flows import bind_flow
from handlers.kit.flows import start
from storage import attendance
from storage.models import Participant

_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
# `32`, `32,5`, `32.5`, and with a unit as people add one: `32 h`, `32,5 tim`, `32 timmar`.
_HOURS_RE = re.compile(r"^(\d{1,3}(?:[.,]\d{1,2})?)\s*(?:h|tim|timmar|timme|hours?|hrs?)?\.?$",
                       re.IGNORECASE)


def parse_month(text: str) -> date | None:
    match = _MONTH_RE.match(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return None
    return date(int(match.group(1)), int(match.group(2)), 1)


def parse_hours(text: str) -> float | None:
    match = _HOURS_RE.match(text.strip())
    return float(match.group(1).replace(",", ".")) if match else None


def hours_text(tr: Translator, hours: float | None) -> str:
    if hours is None:
        return ""
    return tr.number(round(hours, 2))


# ---- /hours ------------------------------------------------------------------------------
async def hours_command(turn: Turn) -> None:
    tr = turn.tr
    args = turn.args
    if not args:  # guided: last month, the one coordinators fill in
        await start(turn, HOURS_FLOW, HoursDraft(month=attendance.previous_month(turn.today)))
        return
    month = parse_month(args[1]) if len(args) == 3 else None
    hours = parse_hours(args[2]) if len(args) == 3 else None
    if month is None or hours is None:
        await turn.reply(hours_usage(tr, turn.today))
        return
    await save_hours(turn, args[0], month, hours)


async def save_hours(turn: Turn, code: str, month: date, hours: float) -> None:
    """Log the hours; a guided entry then offers who is still missing that month."""
    tr = turn.tr
    async with turn.transaction() as session:
        participant, _, previous = await attendance.log_hours(
            session, turn.require_viewer(), code, month, hours, today=turn.today,
            now=turn.now)
        missing = await attendance.without_hours(session, turn.staff.id, month) if (
            turn.staff is not None and turn.staff.id is not None) else []
    text = tr._("✅ %(code)s: %(hours)s hours in %(month)s.", code=tr.isolate(participant.code),
                hours=hours_text(tr, hours), month=tr.date(month, "LLLL y"))
    if previous is not None and previous != hours:
        text += " " + tr._("(Was %(hours)s.)", hours=hours_text(tr, previous))
    if missing:
        text += "\n" + tr.ngettext("Still missing for %(month)s: %(n)s. Tap the next one.",
                                    "Still missing for %(month)s: %(n)s. Tap the next one.",
                                    len(missing), month=tr.date(month, "LLLL y"))
    await turn.edit(text, missing_keyboard(missing, month) if missing else None)


# ---- the guided entry: whose hours, then the hours typed --------------------------------
@dataclass(frozen=True)
class HoursDraft:
    """Whose hours for which month (the first day of it)."""

    month: date
    participant_id: int | None = None
    code: str = ""
    hours: float | None = None


@dataclass(frozen=True, kw_only=True)
class PickWithoutHours(PickParticipant[HoursDraft]):
    """Those still without hours for the draft's month first: all of them, a page at a
    time, while there are any; else the usual picker. A code or name typed finds anyone."""

    async def buttons(self, turn: Turn, draft: HoursDraft,
                      page: int) -> tuple[list[list[Button]], bool]:
        missing: list[Participant] = []
        if turn.staff is not None and turn.staff.id is not None:
            async with turn.transaction() as session:
                missing = list(await attendance.without_hours(session, turn.staff.id,
                                                              draft.month))
        if not missing:
            return await super().buttons(turn, draft, page)
        shown = missing[page * PICKER_PAGE:(page + 1) * PICKER_PAGE]
        markup = participant_keyboard(shown, lambda p: str(p.id))
        return ([[(button.text, str(button.callback_data)) for button in line]
                 for line in markup.inline_keyboard], len(missing) > (page + 1) * PICKER_PAGE)


def hours_prompt(tr: Translator, draft: HoursDraft) -> str:
    return tr._("How many hours did %(code)s take part in %(month)s? Write a number, e.g. 32 "
                "or 32,5.", code=tr.isolate(draft.code), month=tr.date(draft.month, "LLLL y"))


def parse_typed_hours(turn: Turn, draft: HoursDraft, text: str) -> HoursDraft:
    hours = parse_hours(text)
    if hours is None:
        raise Invalid(turn.tr._("That is not a number of hours; nothing was saved.") + "\n"
                      + hours_prompt(turn.tr, draft))
    return replace(draft, hours=hours)


async def save_from_draft(turn: Turn, draft: HoursDraft) -> None:
    assert draft.hours is not None
    await save_hours(turn, draft.code, draft.month, draft.hours)


HOURS_FLOW = Flow(
    "hours", command="hours", draft=HoursDraft,
    steps=(
        PickWithoutHours(
            name="who",
            prompt=lambda tr, d: tr._("Hours for %(month)s: whose? Tap a participant.",
                                      month=tr.date(d.month, "LLLL y")),
            choose=lambda d, p: replace(d, participant_id=p.id, code=p.code),
            done=lambda d: d.participant_id is not None),
        AskText(name="hours", prompt=hours_prompt, parse=parse_typed_hours),
    ),
    finish=save_from_draft,
)


async def hours_button(turn: Turn, payload: HoursPick) -> None:
    """A participant tapped in the monthly reminder or after a saved entry: ask for their
    hours in that month."""
    participant = await picked_participant(turn, payload.participant_id)
    await start(turn, HOURS_FLOW, HoursDraft(payload.first_day, participant.id,
                                             participant.code))


def hours_usage(tr: Translator, today: date) -> str:
    month = attendance.previous_month(today)
    return tr._(
        "Write: <code>/hours P-0042 %(month)s 32</code> — participant, month (YYYY-MM) and "
        "the hours of participation that month (e.g. 32 or 32,5). Logging again corrects "
        "it. The sheets to sign: <code>/attendance %(month)s</code>.", month=f"{month:%Y-%m}")


# ---- /attendance ---------------------------------------------------------------------------
async def attendance_command(turn: Turn) -> None:
    tr = turn.tr
    args = turn.args
    as_pdf = bool(args) and args[-1].lower() == "pdf"
    if args and args[-1].lower() in {"pdf", "xlsx"}:
        args = args[:-1]
    month = parse_month(args[0]) if args else attendance.previous_month(turn.today)
    if month is None or len(args) > 2:
        await turn.reply(attendance_usage(tr, turn.today))
        return
    code = args[1] if len(args) == 2 else None
    async with turn.transaction() as session:
        sheets = await attendance.attendance_sheets(session, turn.require_viewer(), month,
                                                    code=code, now=turn.now)
    if not sheets.rows:
        await turn.reply(tr._("Nobody you can see was in the project in %(month)s.",
                              month=tr.date(month, "LLLL y")))
        return
    month_text = tr.date(month, "LLLL y")
    if as_pdf:
        content = await build_off_loop(build_pdf, sheets, tr, month_text=month_text)
    else:
        content = await build_off_loop(build_workbook, sheets, tr)
    caption = [tr.ngettext("📄 Attendance for %(month)s: %(n)s participant.",
                           "📄 Attendance for %(month)s: %(n)s participants.",
                           len(sheets.rows), month=tr.date(month, "LLLL y"))]
    missing = sum(1 for row in sheets.rows if row.hours is None)
    if missing:
        caption.append(tr.ngettext("%(n)s has no hours logged yet (fill in by hand or "
                                   "with /hours).",
                                   "%(n)s have no hours logged yet (fill in by hand or "
                                   "with /hours).", missing))
    if sheets.left_out:
        caption.append(tr.ngettext(
            "%(n)s participant with a protected identity was left out.",
            "%(n)s participants with a protected identity were left out.", sheets.left_out))
    suffix = f"-{sheets.rows[0].code}" if code else ""
    if not as_pdf:
        one = f" {sheets.rows[0].code}" if code else ""
        caption.append(tr._("Pages to print and sign as a PDF: %(command)s",
                            command=f"/attendance {month:%Y-%m}{one} pdf"))
    extension = "pdf" if as_pdf else "xlsx"
    await turn.reply_document(content, f"attendance-{month:%Y-%m}{suffix}.{extension}",
                              "\n".join(caption))


def attendance_usage(tr: Translator, today: date) -> str:
    return tr._("Write <code>/attendance %(month)s</code> for everyone, or "
                "<code>/attendance %(month)s P-0042</code> for one participant; add "
                "<code>pdf</code> for pages to print and sign instead of a workbook.",
                month=f"{attendance.previous_month(today):%Y-%m}")


def register(app: Application) -> None:
    bind_command(app, "hours", hours_command)
    bind_button(app, HoursPick, hours_button)
    bind_flow(app, HOURS_FLOW)
    bind_command(app, "attendance", attendance_command)
