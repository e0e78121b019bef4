"""/chart (/diagram): PNG charts of the statistics (drawn in `bot.documents.charts`).

The filter words of /stats apply (`/chart outcomes 2026 kommun:Växjö`); without a chart
word, buttons offer the three charts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

from telegram.ext import Application

from bot.documents.building import build_off_loop
from bot.documents.charts import CHART_TITLES
from bot.documents.charts import MAX_MONTHS
from bot.documents.charts import ChartKind
from bot.documents.charts import caseload_chart
from bot.documents.charts import outcome_chart
from bot.text.i18n import Translator
from bot.text.periods import month_ends
from bot.text.render import Button
from bot.text.render import keyboard
from bot.text.stats_text import period_label
from handlers.kit.base import Turn
from handlers.kit.stats_request import ChartChoice
from handlers.kit.stats_request import ChartView
from handlers.kit.stats_request import StatsRequest
from handlers.kit.stats_request import bind_one_kind
from handlers.kit.stats_request import filter_text
from storage import stats

_CHART_WORDS = {
    "outcomes": ChartKind.QUARTERS, "utfall": ChartKind.QUARTERS,
    "quarters": ChartKind.QUARTERS, "kvartalsvis": ChartKind.QUARTERS,
    "caseload": ChartKind.CASELOAD, "active": ChartKind.CASELOAD,
    "aktiva": ChartKind.CASELOAD, "over-time": ChartKind.CASELOAD,
    "municipalities": ChartKind.MUNICIPALITIES, "kommuner": ChartKind.MUNICIPALITIES,
}


# ---- the handlers ------------------------------------------------------------------------
def chart_usage(tr: Translator) -> str:
    return tr._(
        "Write <code>/chart outcomes</code>, <code>/chart caseload</code> or "
        "<code>/chart municipalities</code>, optionally with a period and filters as for "
        "/stats: <code>/chart outcomes 2026 kommun:Växjö</code>. Or send /chart alone to pick."
    )


def chart_buttons(turn: Turn, request: StatsRequest, *, except_kind: ChartKind | None = None
                  ) -> list[list[Button]]:
    return [[(turn.tr._(title), ChartView(ChartChoice(kind), *request.fields()).encode())]
            for kind, title in CHART_TITLES.items() if kind != except_kind]


async def offer_charts(turn: Turn, request: StatsRequest, *, edit: bool = False) -> None:
    tr = turn.tr
    text = tr._("Which chart (%(period)s)?", period=period_label(tr, request.period))
    markup = keyboard(chart_buttons(turn, request))
    await turn.respond(text, markup, edit=edit)


def tapped_chart(payload: ChartView) -> ChartKind | None:
    return None if payload.chart == ChartChoice.OFFER else ChartKind(payload.chart)


async def send_chart(turn: Turn, request: StatsRequest, kind: ChartKind) -> None:
    """Query, draw in a worker thread, send as a photo with the other charts' buttons."""
    tr = turn.tr
    flt = request.stats_filter(turn)
    drawing: Callable[[], bytes] | None = None
    async with turn.transaction() as session:
        viewer = turn.require_viewer()
        filters = await filter_text(session, turn, request)
        if kind == ChartKind.CASELOAD:
            first = request.period.start or await stats.first_enrolment(session, viewer, flt)
            last = min(request.period.end or turn.today, turn.today)
            days: list[date] = (month_ends(first, last)[-MAX_MONTHS:]
                                if first is not None and first <= last else [])
            points = await stats.caseload_over_time(session, viewer, flt, days) if days else []
            if any(count for _, count in points):
                drawing = partial(caseload_chart, tr, points, request.period)
        else:
            series = (await stats.outcomes_per_quarter(session, viewer, flt)
                      if kind == ChartKind.QUARTERS
                      else await stats.outcomes_by_municipality(session, viewer, flt))
            if series.total:
                drawing = partial(outcome_chart, tr, series, request.period,
                                  by_municipality=kind == ChartKind.MUNICIPALITIES)
    if drawing is None:
        await turn.reply(tr._("There is nothing to draw for %(period)s with this filter.",
                              period=period_label(tr, request.period)))
        return
    png = await build_off_loop(drawing)
    caption_lines = [tr._("<b>%(title)s</b> · %(period)s", title=tr._(CHART_TITLES[kind]),
                          period=period_label(tr, request.period))]
    if filters:
        caption_lines.append(filters)
    await turn.reply_photo(png, "\n".join(caption_lines), f"chart-{kind}.png",
                           keyboard(chart_buttons(turn, request, except_kind=kind)))


def register(app: Application) -> None:
    bind_one_kind(app, "chart", ChartView, words=_CHART_WORDS, usage=chart_usage,
                  offer=offer_charts, send=send_chart, kind_of=tapped_chart)
