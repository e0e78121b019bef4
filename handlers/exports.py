"""/export: the filtered data as an XLSX workbook or a CSV file, for the funder's reports.

The files are built in `bot.documents.exports`; which rows and columns an export holds —
names and notes only for roles allowed to export them, an audit row for every export —
is decided in `storage.exports`. This module parses, reads and sends.
"""

from __future__ import annotations

import html

from telegram.ext import Application

from bot.documents.building import build_off_loop
from bot.documents.exports import build_csv
from bot.documents.exports import build_xlsx
from bot.text.i18n import Translator
from bot.text.render import keyboard
from bot.text.stats_text import period_label
from handlers.kit.base import Turn
from handlers.kit.stats_request import ExportChoice
from handlers.kit.stats_request import ExportView
from handlers.kit.stats_request import StatsRequest
from handlers.kit.stats_request import bind_one_kind
from handlers.kit.stats_request import filter_text
from storage import exports

KINDS: dict[ExportChoice, exports.ExportKind] = {ExportChoice.XLSX: "xlsx",
                                                 ExportChoice.CSV: "csv"}
_KIND_WORDS: dict[str, exports.ExportKind] = {"xlsx": "xlsx", "excel": "xlsx", "csv": "csv"}


# ---- the handlers ------------------------------------------------------------------------
def export_usage(tr: Translator) -> str:
    return tr._(
        "Write <code>/export xlsx</code> or <code>/export csv</code>, optionally with a "
        "period and filters as for /stats: <code>/export xlsx 2026-Q3 kommun:Växjö</code>. "
        "Or send /export alone to pick."
    )


async def offer_exports(turn: Turn, request: StatsRequest, *, edit: bool = False) -> None:
    tr = turn.tr
    text = tr._("Export %(period)s as:", period=period_label(tr, request.period))
    markup = keyboard([[(tr._("Excel (XLSX)"), ExportView(ExportChoice.XLSX,
                                                          *request.fields()).encode()),
                        (tr._("CSV"), ExportView(ExportChoice.CSV, *request.fields()).encode())]])
    await turn.respond(text, markup, edit=edit)


async def send_export(turn: Turn, request: StatsRequest, kind: exports.ExportKind) -> None:
    """Read and audit-log in one transaction, lay out in a worker thread, send the file."""
    tr = turn.tr
    async with turn.transaction() as session:
        data = await exports.export_data(session, turn.require_viewer(),
                                         request.stats_filter(turn), kind=kind, now=turn.now)
        filters = await filter_text(session, turn, request)
    period = period_label(tr, request.period)
    if kind == "xlsx":
        heading = [(tr._("Period"), html.unescape(period)),
                   (tr._("Filter"), html.unescape(filters or tr._("none"))),
                   (tr._("Exported"), tr.datetime(turn.now))]
        content = await build_off_loop(build_xlsx, data, tr, heading)
    else:
        content = await build_off_loop(build_csv, data, tr)
    filename = f"koordinator-{request.period.label.replace('..', '_')}.{kind}"
    await turn.reply_document(content, filename, export_caption(tr, data, period, filters))


def export_caption(tr: Translator, data: exports.ExportData, period: str,
                   filters: str | None) -> str:
    participants = tr.ngettext("%(n)s participant", "%(n)s participants", len(data.participants))
    if data.summary is not None:
        checkins = tr.ngettext("%(n)s check-in", "%(n)s check-ins", len(data.checkins))
        lines = [tr._("📄 Export for %(period)s: %(participants)s and %(checkins)s.",
                      period=period, participants=participants, checkins=checkins)]
    else:
        lines = [tr._("📄 Export for %(period)s: %(participants)s.", period=period,
                      participants=participants)]
    if filters:
        lines.append(filters)
    if not data.with_names:
        lines.append(tr._("Names and notes are left out for your role; participants appear "
                          "by code."))
    if data.left_out:
        lines.append(tr.ngettext(
            "%(n)s participant with a protected identity was left out.",
            "%(n)s participants with a protected identity were left out.", data.left_out))
    return "\n".join(lines)


def register(app: Application) -> None:
    bind_one_kind(app, "export", ExportView, words=_KIND_WORDS, usage=export_usage,
                  offer=offer_exports, send=send_export, kind_of=lambda p: KINDS.get(p.file))
