"""Charts of the statistics as PNG pictures, drawn with matplotlib for a phone screen.

Three charts: outcomes per quarter (stacked bars), active caseload over time (a line),
outcomes by municipality (stacked horizontal bars). Each takes the figures from
`storage.stats`, a Translator and the period, and returns PNG bytes.

Drawing uses matplotlib's object API on the Agg backend, never pyplot: pyplot keeps
global figure state (shared between callers, leaked if not closed) and needs a GUI
backend chosen before import. Rendering is CPU work: callers run it in a worker thread.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.text.i18n import N_
from bot.text.i18n import Translator
from bot.text.periods import Period
from bot.text.stats_text import category_label
from bot.text.stats_text import period_label
from storage import stats
from storage.models import OutcomeCategory

if TYPE_CHECKING:  # matplotlib is imported when the first chart is drawn (see _figure)
    from matplotlib.figure import Figure

SIZE_INCHES = (10, 7)
DPI = 100  # 1000 × 700 px: sharp on a phone, small to send
MAX_MONTHS = 36
"""The caseload line shows at most this many month ends (the latest)."""
COLORS: dict[OutcomeCategory, str] = {
    OutcomeCategory.WORK: "#2e7d32",
    OutcomeCategory.SUBSIDISED_WORK: "#81c784",
    OutcomeCategory.STUDIES: "#1e88e5",
    OutcomeCategory.OTHER: "#fbc02d",
    OutcomeCategory.DROPOUT: "#e53935",
    OutcomeCategory.UNKNOWN: "#9e9e9e",
}
LINE_COLOR = "#1565c0"


class ChartKind(StrEnum):
    QUARTERS = "q"
    CASELOAD = "a"
    MUNICIPALITIES = "m"


CHART_TITLES: dict[ChartKind, str] = {
    ChartKind.QUARTERS: N_("Outcomes per quarter"),
    ChartKind.CASELOAD: N_("Active participants over time"),
    ChartKind.MUNICIPALITIES: N_("Outcomes by municipality"),
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
    return _png(stacked_bars_figure(labels, series, text, horizontal=horizontal))


BAR_HEADROOM = 0.15
"""Room past the largest bar for its total, as a share of the axis: without it the axis can
end exactly at the bar and its number collides with the subtitle."""


def stacked_bars_figure(labels: Sequence[str], series: dict[str, tuple[str, list[int]]],
                        text: ChartText, *, horizontal: bool = False) -> Figure:
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
    top = max(base, default=0) * (1 + BAR_HEADROOM) + 1
    (axes.set_xlim if horizontal else axes.set_ylim)(0, top)
    _decorate(figure, axes, text, grid="x" if horizontal else "y")
    return figure


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


# ---- the charts: figures and words in, PNG out ------------------------------------------
def outcome_chart(tr: Translator, series: stats.OutcomeSeries, period: Period, *,
                  by_municipality: bool) -> bytes:
    """Outcomes per quarter (bars) or by municipality (horizontal bars), by category."""
    kind = ChartKind.MUNICIPALITIES if by_municipality else ChartKind.QUARTERS
    text = ChartText(_plain(tr._(CHART_TITLES[kind])), _plain(period_label(tr, period)),
                     _plain(tr._("Participants who ended")))
    bars = {_plain(category_label(tr, category)): (COLORS[category], series.counts[category])
            for category in OutcomeCategory}
    labels = (list(series.labels) if by_municipality else
              [_plain(tr._("Q%(quarter)s %(year)s", quarter=label[-1], year=label[:4]))
               for label in series.labels])
    return draw_stacked_bars(labels, bars, text, horizontal=by_municipality)


def caseload_chart(tr: Translator, points: Sequence[tuple[date, int]], period: Period) -> bytes:
    """Active participants at each month end (a line)."""
    text = ChartText(_plain(tr._(CHART_TITLES[ChartKind.CASELOAD])),
                     _plain(period_label(tr, period)), _plain(tr._("Active participants")))
    labels = [_plain(tr.date(day, "MMM y")) for day, _ in points]
    return draw_line(labels, [count for _, count in points], text)
