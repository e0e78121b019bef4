"""/chart (/diagram): PNG charts of the statistics, drawn with matplotlib for a phone screen.

Three charts: outcomes per quarter (stacked bars), active caseload over time (a line),
outcomes by municipality (stacked horizontal bars). The filter words of /stats apply
(`/chart outcomes 2026 kommun:Växjö`); without a chart word, buttons offer the three.

Drawing uses matplotlib's object API on the Agg backend, never pyplot: pyplot keeps
global figure state (shared between handlers, leaked if not closed) and needs a GUI
backend chosen before import. Rendering is CPU work, so it runs in a worker thread;
every text on the picture is translated before, so the drawing code only draws.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.documents.building import build_off_loop
from bot.text.i18n import N_, Translator
from bot.text.labels import fold
from bot.text.periods import month_ends
from bot.text.render import Button
from bot.text.stats_text import category_label, period_label
from handlers.base import Turn, callback_parts, expired, staff_only
from handlers.stats import (
    StatsRequest,
    decode_request,
    filter_text,
    safe_keyboard,
    typed_request,
)
from storage import stats
from storage.access import Action
from storage.models import OutcomeCategory

if TYPE_CHECKING:  # matplotlib is imported when the first chart is drawn (see _figure)
    from matplotlib.figure import Figure

SIZE_INCHES = (10, 7)
DPI = 100  # 1000 × 700 px: sharp on a phone, small to send
MAX_MONTHS = 36
COLORS: dict[OutcomeCategory, str] = {
    OutcomeCategory.WORK: "#2e7d32",
    OutcomeCategory.SUBSIDISED_WORK: "#81c784",
    OutcomeCategory.STUDIES: "#1e88e5",
    OutcomeCategory.OTHER: "#fbc02d",
    OutcomeCategory.DROPOUT: "#e53935",
    OutcomeCategory.UNKNOWN: "#9e9e9e",
}
LINE_COLOR = "#1565c0"

CHARTS: dict[str, str] = {
    "q": N_("Outcomes per quarter"),
    "a": N_("Active participants over time"),
    "m": N_("Outcomes by municipality"),
}
_CHART_WORDS = {
    "outcomes": "q", "utfall": "q", "quarters": "q", "kvartalsvis": "q",
    "caseload": "a", "active": "a", "aktiva": "a", "over-time": "a",
    "municipalities": "m", "kommuner": "m",
}


@dataclass(frozen=True, slots=True)
class ChartText:
    """Every word on a picture, already translated (drawing happens in another thread)."""

    title: str
    subtitle: str
    y_label: str


def _plain(text: str) -> str:
    """A translated string as plain text: pictures don't speak HTML."""
    return html.unescape(text)


# ---- drawing: pure functions from numbers and words to PNG bytes -------------------------
def _figure() -> Figure:
    # matplotlib (with numpy) is imported here, not at the top: ~0.5 s and ~50 MiB that
    # every start-up paid for a chart few ever ask for. Agg: no display on a server, chosen
    # before anything draws.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _decorate(figure: Figure, axes, text: ChartText, *, grid: str = "y") -> None:
    figure.suptitle(text.title, fontsize=26, fontweight="bold")
    axes.set_title(text.subtitle, fontsize=17, color="#444444")
    axes.tick_params(labelsize=16)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis=grid, alpha=0.3)
    axes.set_axisbelow(True)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def draw_stacked_bars(labels: Sequence[str], series: dict[str, tuple[str, list[int]]],
                      text: ChartText, *, horizontal: bool = False) -> bytes:
    """Stacked bars, one per label; `series` maps a legend entry to (colour, values)."""
    figure = _figure()
    from matplotlib.ticker import MaxNLocator

    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    base = [0] * len(labels)
    for name, (color, values) in series.items():
        if not any(values):
            continue
        if horizontal:
            axes.barh(positions, values, left=base, color=color, label=name, height=0.7)
        else:
            axes.bar(positions, values, bottom=base, color=color, label=name, width=0.7)
        base = [b + v for b, v in zip(base, values, strict=True)]
    for position, total in zip(positions, base, strict=True):
        if horizontal:
            axes.text(total, position, f" {total}", va="center", fontsize=15)
        else:
            axes.text(position, total, str(total), ha="center", va="bottom", fontsize=15)
    if horizontal:
        axes.set_yticks(positions, labels)
        axes.invert_yaxis()
        axes.set_xlabel(text.y_label, fontsize=17)
    else:
        axes.set_xticks(positions, labels, rotation=45 if len(labels) > 6 else 0,
                        ha="right" if len(labels) > 6 else "center")
        axes.set_ylabel(text.y_label, fontsize=17)
    # Below the plot, never over a bar.
    figure.legend(loc="outside lower center", ncols=3, fontsize=15, frameon=False)
    (axes.xaxis if horizontal else axes.yaxis).set_major_locator(MaxNLocator(integer=True))
    _decorate(figure, axes, text, grid="x" if horizontal else "y")
    return _png(figure)


def draw_line(labels: Sequence[str], values: Sequence[int], text: ChartText) -> bytes:
    figure = _figure()
    from matplotlib.ticker import MaxNLocator

    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    axes.plot(positions, values, color=LINE_COLOR, linewidth=4, marker="o", markersize=7)
    axes.fill_between(positions, values, color=LINE_COLOR, alpha=0.12)
    step = max(1, len(labels) // 8)
    axes.set_xticks(positions[::step], list(labels)[::step],
                    rotation=45 if len(labels) > 8 else 0, ha="right" if len(labels) > 8 else
                    "center")
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(text.y_label, fontsize=17)
    if values:
        axes.annotate(str(values[-1]), (positions[-1], values[-1]), textcoords="offset points",
                      xytext=(0, 12), ha="center", fontsize=18, fontweight="bold")
    _decorate(figure, axes, text)
    return _png(figure)


# ---- the handlers ------------------------------------------------------------------------
@staff_only(Action.VIEW_STATS)
async def chart_command(turn: Turn) -> None:
    typed = await typed_request(turn)
    if typed is None:
        return
    request, words = typed
    kinds = [_CHART_WORDS.get(fold(word)) for word in words.rest]
    if len(kinds) > 1 or None in kinds:
        await turn.reply(chart_usage(turn.tr))
        return
    if not kinds:
        await offer_charts(turn, request)
        return
    await send_chart(turn, request, kinds[0])


def chart_usage(tr: Translator) -> str:
    return tr._(
        "Write <code>/chart outcomes</code>, <code>/chart caseload</code> or "
        "<code>/chart municipalities</code>, optionally with a period and filters as for "
        "/stats: <code>/chart outcomes 2026 kommun:Växjö</code>. Or send /chart alone to pick."
    )


def chart_buttons(turn: Turn, request: StatsRequest, *, except_kind: str | None = None
                  ) -> list[list[Button]]:
    return [[(turn.tr._(title), f"ch:{kind}:{request.encode()}")]
            for kind, title in CHARTS.items() if kind != except_kind]


async def offer_charts(turn: Turn, request: StatsRequest, *, edit: bool = False) -> None:
    tr = turn.tr
    text = tr._("Which chart (%(period)s)?", period=period_label(tr, request.period))
    markup = safe_keyboard(chart_buttons(turn, request))
    await (turn.edit(text, markup) if edit else turn.reply(text, markup))


@staff_only(Action.VIEW_STATS)
async def chart_button(turn: Turn) -> None:
    parts = callback_parts(turn)
    request = decode_request(parts[2:], turn) if len(parts) > 2 else None
    if request is None or parts[1] not in {"p", *CHARTS}:
        await expired(turn, "/chart")
        return
    if parts[1] == "p":
        await offer_charts(turn, request, edit=True)
    else:
        await send_chart(turn, request, parts[1])


async def send_chart(turn: Turn, request: StatsRequest, kind: str) -> None:
    """Query, translate, draw in a worker thread, send as a photo with the other charts' buttons."""
    tr = turn.tr
    flt = request.stats_filter(turn)
    async with turn.transaction() as session:
        viewer = turn.require_viewer()
        filters = await filter_text(session, turn, request)
        if kind == "a":
            drawing = await _caseload_drawing(session, viewer, flt, turn, request)
        else:
            series = (await stats.outcomes_per_quarter(session, viewer, flt) if kind == "q"
                      else await stats.outcomes_by_municipality(session, viewer, flt))
            drawing = _outcome_drawing(tr, series, request, horizontal=kind == "m")
    if drawing is None:
        await turn.reply(tr._("There is nothing to draw for %(period)s with this filter.",
                              period=period_label(tr, request.period)))
        return
    png = await build_off_loop(drawing)
    caption_lines = [tr._("<b>%(title)s</b> · %(period)s", title=tr._(CHARTS[kind]),
                          period=period_label(tr, request.period))]
    if filters:
        caption_lines.append(filters)
    await turn.reply_photo(png, "\n".join(caption_lines), f"chart-{kind}.png",
                           safe_keyboard(chart_buttons(turn, request, except_kind=kind)))


def _subtitle(tr: Translator, request: StatsRequest) -> str:
    return _plain(period_label(tr, request.period))


def _outcome_drawing(tr: Translator, series: stats.OutcomeSeries, request: StatsRequest,
                     *, horizontal: bool):
    if not series.total:
        return None
    kind = "m" if horizontal else "q"
    text = ChartText(_plain(tr._(CHARTS[kind])), _subtitle(tr, request),
                     _plain(tr._("Participants who ended")))
    bars = {_plain(category_label(tr, category)): (COLORS[category], series.counts[category])
            for category in OutcomeCategory}
    labels = [_plain(tr._("Q%(quarter)s %(year)s", quarter=label[-1], year=label[:4]))
              for label in series.labels] if not horizontal else list(series.labels)
    return lambda: draw_stacked_bars(labels, bars, text, horizontal=horizontal)


async def _caseload_drawing(session, viewer, flt: stats.StatsFilter, turn: Turn,
                            request: StatsRequest):
    tr = turn.tr
    first = request.period.start or await stats.first_enrolment(session, viewer, flt)
    last = min(request.period.end or turn.today, turn.today)
    if first is None or first > last:
        return None
    days: list[date] = month_ends(first, last)[-MAX_MONTHS:]
    points = await stats.caseload_over_time(session, viewer, flt, days)
    if not any(count for _, count in points):
        return None
    title = CHARTS["a"]  # a variable, so extraction does not take the key for a msgid
    text = ChartText(_plain(tr._(title)), _subtitle(tr, request),
                     _plain(tr._("Active participants")))
    labels = [_plain(tr.date(day, "MMM y")) for day, _ in points]
    values = [count for _, count in points]
    return lambda: draw_line(labels, values, text)


def register(app: Application) -> None:
    app.add_handler(CommandHandler(["chart", "diagram"], chart_command))
    app.add_handler(CallbackQueryHandler(chart_button, pattern=r"^ch:"))
