"""/stats (/statistik) with its breakdown, /team and /digest: the lead's figures in seconds.

Filters are words — `/stats 2026-Q3 kommun:Växjö gender:women coordinator:Bo`,
`/stats by municipality` — or buttons that switch period and view. The same filter
words work for /chart and /export, so they are parsed, and carried by buttons, in
`handlers.kit.stats_request`. Numbers come from `storage.stats` only, and read as
`bot.text.stats_text` writes them. Who sees what is the Viewer's scope: a coordinator
gets their own caseload, a lead the project or their municipalities.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from telegram import InlineKeyboardMarkup
from telegram.ext import Application

from bot.outbox import digest
from bot.text.i18n import Translator
from bot.text.periods import ALL
from bot.text.periods import current
from bot.text.periods import previous
from bot.text.render import keyboard
from bot.text.stats_text import breakdown_text
from bot.text.stats_text import figures_text
from bot.text.stats_text import team_lines
from handlers.kit.base import Turn
from handlers.kit.base import bind_button
from handlers.kit.base import bind_command
from handlers.kit.stats_request import ChartChoice
from handlers.kit.stats_request import ChartView
from handlers.kit.stats_request import ExportChoice
from handlers.kit.stats_request import ExportView
from handlers.kit.stats_request import StatsRequest
from handlers.kit.stats_request import StatsView
from handlers.kit.stats_request import View
from handlers.kit.stats_request import filter_text
from handlers.kit.stats_request import request_of
from handlers.kit.stats_request import typed_request
from storage import stats

VIEWS: dict[View, stats.BreakdownBy | None] = {
    View.FIGURES: None, View.MUNICIPALITY: "municipality", View.COORDINATOR: "coordinator"}


# ---- /stats ------------------------------------------------------------------------------
async def stats_command(turn: Turn) -> None:
    typed = await typed_request(turn)
    if typed is None:
        return
    request, words = typed
    if words.rest:
        await turn.reply(stats_usage(turn.tr))
        return
    await show_stats(turn, request, View(words.view or View.FIGURES))


def stats_usage(tr: Translator) -> str:
    return tr._(
        "Write for example <code>/stats 2026-Q3</code>, <code>/stats year kommun:Växjö</code>, "
        "<code>/stats all gender:women coordinator:Bo</code> or "
        "<code>/stats by municipality</code>.\n"
        "Periods: this month, last month, this quarter, last quarter, this year, last year, "
        "all, 2026, 2026-Q3, 2026-03, 2026-01-01..2026-06-30. Put names with spaces in quotes: "
        "<code>kommun:\"Upplands Väsby\"</code>."
    )


async def stats_button(turn: Turn, payload: StatsView) -> None:
    await show_stats(turn, await request_of(turn, payload), payload.view, edit=True)


async def show_stats(turn: Turn, request: StatsRequest, view: View, *,
                     edit: bool = False) -> None:
    tr = turn.tr
    flt = request.stats_filter(turn)
    by = VIEWS[view]
    async with turn.transaction() as session:
        viewer = turn.require_viewer()
        filters = await filter_text(session, turn, request)
        if by is None:
            text = figures_text(tr, request.period, filters,
                                await stats.project_figures(session, viewer, flt))
        else:
            text = breakdown_text(tr, request.period, filters,
                                  await stats.breakdown(session, viewer, flt, by))
    markup = stats_keyboard(turn, request, view)
    await turn.respond(text, markup, edit=edit)


def stats_keyboard(turn: Turn, request: StatsRequest, view: View) -> InlineKeyboardMarkup:
    tr, today = turn.tr, turn.today
    periods = [(tr._("This month"), current("month", today)),
               (tr._("This quarter"), current("quarter", today)),
               (tr._("This year"), current("year", today)), (tr._("All time"), ALL)]
    earlier = [(tr._("Previous month"), previous("month", today)),
               (tr._("Previous quarter"), previous("quarter", today)),
               (tr._("Previous year"), previous("year", today))]
    period_row = [(f"• {label}" if period.label == request.period.label else label,
                   StatsView(view, *replace(request, period=period).fields()).encode())
                  for label, period in periods]
    earlier_row = [(f"• {label}" if period.label == request.period.label else label,
                    StatsView(view, *replace(request, period=period).fields()).encode())
                   for label, period in earlier]
    views = [(View.FIGURES, tr._("Overview")), (View.MUNICIPALITY, tr._("By municipality")),
             (View.COORDINATOR, tr._("By coordinator"))]
    view_row = [(label, StatsView(key, *request.fields()).encode())
                for key, label in views if key != view]
    more_row = [(tr._("📈 Charts"), ChartView(ChartChoice.OFFER, *request.fields()).encode()),
                (tr._("📄 Export"), ExportView(ExportChoice.OFFER, *request.fields()).encode())]
    return keyboard([period_row[:2], period_row[2:], earlier_row, view_row, more_row])


# ---- /team -------------------------------------------------------------------------------
async def team_command(turn: Turn) -> None:
    tr = turn.tr
    async with turn.transaction() as session:
        team = await stats.team_overview(session, turn.require_viewer(), turn.now)
    if not team:
        await turn.reply(tr._("There are no coordinators in your part of the project yet."))
        return
    await turn.reply("\n".join(team_lines(tr, team)))


# ---- /digest -----------------------------------------------------------------------------
async def digest_command(turn: Turn) -> None:
    """The weekly digest now, for the 7 days before today (what Monday's would say)."""
    end = turn.today - timedelta(days=1)
    start = end - timedelta(days=digest.DIGEST_DAYS - 1)
    async with turn.transaction() as session:
        text = await digest.digest_text(session, turn.tr, turn.require_viewer(), start, end,
                                        now=turn.now)
    await turn.reply(text)


def register(app: Application) -> None:
    bind_command(app, "stats", stats_command)
    bind_command(app, "team", team_command)
    bind_command(app, "digest", digest_command)
    bind_button(app, StatsView, stats_button)

