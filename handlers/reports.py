"""/report (/rapport, leads): ESF+ and SCB reports and outcome rates as XLSX or CSV.

The files are built in `bot.documents.reports` (the same builder `koordinator report`
uses); in the chat the SCB list shows personal identity numbers masked, only the command
line prints them in clear.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from telegram.ext import Application

from bot.documents.building import build_off_loop
from bot.documents.cells import MIME
from bot.documents.reports import KIND_TITLES
from bot.documents.reports import ReportFile
from bot.documents.reports import build_file
from bot.documents.reports import masked_numbers
from bot.documents.reports import report_file
from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import Token
from bot.interaction.buttons import family
from bot.text.i18n import Translator
from bot.text.labels import fold
from bot.text.periods import ALL
from bot.text.periods import LABEL_LIMIT
from bot.text.periods import Period
from bot.text.periods import current
from bot.text.periods import leading_period
from bot.text.periods import parse_period
from bot.text.periods import previous
from bot.text.render import keyboard
from bot.text.stats_text import period_label
from handlers.kit.base import Turn
from handlers.kit.base import bind_button
from handlers.kit.base import bind_command
from storage import reporting
from storage.errors import NotFound
from storage.personnummer import PersonnummerCipher


class ReportCode(StrEnum):
    ESF_ENTRY = "e"
    ESF_RESULT = "r"
    SCB_MONTHLY = "s"
    OUTCOMES = "o"


KIND_CODES: dict[ReportCode, reporting.ReportKind] = {
    ReportCode.ESF_ENTRY: "esf-entry", ReportCode.ESF_RESULT: "esf-result",
    ReportCode.SCB_MONTHLY: "scb-monthly", ReportCode.OUTCOMES: "outcomes"}
_KIND_WORDS = {fold(kind): kind for kind in reporting.REPORT_KINDS} | {
    "entry": "esf-entry", "result": "esf-result", "results": "esf-result", "scb": "scb-monthly",
    "utfall": "outcomes", "outcome": "outcomes"}
_FORMAT_WORDS = {"xlsx": "xlsx", "excel": "xlsx", "csv": "csv"}


@family("rp", command="report")
class ReportPick(ButtonPayload):
    """A report picked from the list: sent as a workbook for that period."""

    report: ReportCode
    period: Annotated[str, Token(LABEL_LIMIT)]


# ---- /report -----------------------------------------------------------------------------
def default_period(kind: reporting.ReportKind, today: date) -> Period:
    """Last month for the SCB list (handed in monthly), this year for the rest."""
    return previous("month", today) if kind == "scb-monthly" else current("year", today)


async def report_command(turn: Turn) -> None:
    tr = turn.tr
    kind: reporting.ReportKind | None = None
    period: Period | None = None
    file_format = "xlsx"
    words, index = turn.args, 0
    while index < len(words):
        folded = fold(words[index])
        index += 1
        if folded in _KIND_WORDS and kind is None:
            kind = _KIND_WORDS[folded]  # type: ignore[assignment]
        elif folded in _FORMAT_WORDS:
            file_format = _FORMAT_WORDS[folded]
        elif period is None and (found := leading_period(words[index - 1:], turn.today)):
            period, size = found
            index += size - 1
        else:
            await turn.reply(report_usage(tr))
            return
    if kind is None:
        await offer_reports(turn)
        return
    await send_report(turn, kind, period or default_period(kind, turn.today), file_format)


def report_usage(tr: Translator) -> str:
    return tr._(
        "Write <code>/report esf-entry 2026</code>, <code>/report esf-result 2026-01-01..2026-06-30"
        "</code>, <code>/report scb-monthly 2026-10</code> or <code>/report outcomes 2026 "
        "csv</code>. Reports: esf-entry, esf-result, scb-monthly, outcomes; format xlsx "
        "(default) or csv. Or send /report alone to pick."
    )


async def offer_reports(turn: Turn) -> None:
    tr = turn.tr
    rows = []
    for code, kind in KIND_CODES.items():
        period = default_period(kind, turn.today)
        label = tr._("%(report)s, %(period)s", report=tr._(KIND_TITLES[kind]),
                     period=period_label(tr, period))
        rows.append([(label, ReportPick(code, period.label).encode())])
    await turn.reply(tr._("Which report?"), keyboard(rows))


async def report_button(turn: Turn, payload: ReportPick) -> None:
    period = parse_period(payload.period, turn.today)
    if period is None or period.label != payload.period:
        raise NotFound()  # answered as an expired button
    await send_report(turn, KIND_CODES[payload.report], period, "xlsx")


async def send_report(turn: Turn, kind: reporting.ReportKind, period: Period,
                      file_format: str) -> None:
    """Read and audit in one transaction, lay out in a worker thread, send the file."""
    tr = turn.tr
    viewer = turn.require_viewer()
    async with turn.transaction() as session:
        data = await reporting.report(
            session, viewer, kind, reporting.ReportPeriod(period.start, period.end),
            actor_staff_id=viewer.staff_id, file_format=file_format, now=turn.now,
            sensitive=turn.services.settings.sensitive_categories)
    period_text = period_label(tr, period)
    report = report_file(tr, data, period_text=period_text, exported=tr.datetime(turn.now),
                         number=masked_numbers(PersonnummerCipher.from_setting(
                             turn.services.settings.personnummer_key)))
    content = await build_off_loop(build_file, report, tr, file_format)
    label = period.label.replace("..", "_") if period != ALL else "all"
    filename = f"koordinator-{kind}-{label}.{file_format}"
    assert file_format in MIME
    await turn.reply_document(content, filename, report_caption(tr, data, report, period_text))


def report_caption(tr: Translator, data: reporting.ReportData, report: ReportFile,
                   period_text: str) -> str:
    lines = [tr._("📄 %(report)s, %(period)s.", report=report.title, period=period_text)]
    if data.left_out:
        lines.append(tr.ngettext(
            "%(n)s participant with a protected identity was left out.",
            "%(n)s participants with a protected identity were left out.", data.left_out))
    if data.scb is not None:
        lines.append(tr._("Personal identity numbers are masked here; the list for SCB with "
                          "the numbers comes from <code>koordinator report scb-monthly</code> "
                          "on the server."))
        if data.scb.changed_months:
            lines.append(tr._("Changed since the last export: %(months)s — send these months "
                              "again.", months=", ".join(data.scb.changed_months)))
    return "\n".join(lines)


def register(app: Application) -> None:
    bind_command(app, "report", report_command)
    bind_button(app, ReportPick, report_button)
