"""/stats (/statistik) with its breakdown, /team and /digest: the lead's figures in seconds.

Filters are words — `/stats 2026-Q3 kommun:Växjö gender:women coordinator:Bo`,
`/stats by municipality` — or buttons that switch period and view. The same filter
words work for /chart and /export, so they are parsed here and carried by the button
families declared here (`StatsView`, `ChartView`, `ExportView`: bounded fields, the
municipality by a short reference, so every payload fits Telegram's 64 bytes). Numbers
come from `storage.stats` only; this module parses, resolves names the viewer can see,
and renders. Who sees what is the Viewer's scope: a coordinator gets
their own caseload, a lead the project or their municipalities.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from typing import Annotated

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardMarkup
from telegram.ext import Application

from bot.interaction.buttons import ButtonPayload, Token, family
from bot.outbox import digest
from bot.text.i18n import SafeHtml, Translator
from bot.text.labels import GENDER_LABELS, fold, parse_word
from bot.text.periods import (
    ALL,
    LABEL_LIMIT,
    Period,
    current,
    leading_period,
    parse_period,
    previous,
)
from bot.text.render import keyboard, municipality_error
from bot.text.stats_text import (
    category_legend,
    compact_percent,
    coordinator_label,
    gender_lines,
    outcome_lines,
    period_label,
    pre_table,
    reached_line,
    shares_line,
    short_names,
)
from handlers.kit.base import Turn, bind_button, bind_command
from storage import stats
from storage.access import Viewer
from storage.errors import NotFound
from storage.models import Gender
from storage.municipalities import SWEDEN

# ---- the request: period and filters, typed as words or carried by a button --------------
_MUNICIPALITY_KEYS = {"kommun", "municipality"}
_COORDINATOR_KEYS = {"coordinator", "koordinator", "samordnare"}
_GENDER_KEYS = {"gender", "kon"}
_BY_WORDS = {"by", "per"}
_VIEW_WORDS = {"municipality": "m", "kommun": "m", "coordinator": "c", "koordinator": "c",
               "samordnare": "c"}
_PLURAL_GENDERS = {"women": "woman", "kvinnor": "kvinna", "men": "man"}
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


@dataclass(frozen=True, slots=True)
class StatsRequest:
    """A period and the filters, with names already resolved to what the viewer sees."""

    period: Period = ALL
    municipality: str | None = None
    coordinator_id: int | None = None
    gender: Gender | None = None

    def stats_filter(self, turn: Turn) -> stats.StatsFilter:
        return stats.StatsFilter(turn.services.settings.tz, self.period.start, self.period.end,
                                 self.municipality, self.coordinator_id, self.gender)

    def fields(self) -> tuple[str, int | None, Gender | None, str | None]:
        """The request as the last four fields of a button payload (`StatsView` and its
        siblings): the municipality by its short reference, so every payload fits."""
        return (self.period.label, self.coordinator_id, self.gender,
                stats.municipality_ref(self.municipality) if self.municipality else None)


# ---- the buttons: a view or a file of a period and filters ------------------------------
class View(StrEnum):
    FIGURES = "f"
    MUNICIPALITY = "m"
    COORDINATOR = "c"


class ChartChoice(StrEnum):
    OFFER = "p"  # the chart buttons
    QUARTERS = "q"
    CASELOAD = "a"
    MUNICIPALITIES = "m"


class ExportChoice(StrEnum):
    OFFER = "p"  # the format buttons
    XLSX = "x"
    CSV = "c"


VIEWS: dict[View, stats.BreakdownBy | None] = {
    View.FIGURES: None, View.MUNICIPALITY: "municipality", View.COORDINATOR: "coordinator"}
PeriodLabel = Annotated[str, Token(LABEL_LIMIT)]
MunicipalityRef = Annotated[str, Token(stats.MUNICIPALITY_REF_LENGTH,
                                       stats.MUNICIPALITY_REF_PATTERN)]


@family("sx", command="stats")
class StatsView(ButtonPayload):
    """/stats as figures or a breakdown, for a period and filters."""

    view: View
    period: PeriodLabel
    coordinator_id: int | None
    gender: Gender | None
    municipality: MunicipalityRef | None


@family("ch", command="chart")
class ChartView(ButtonPayload):
    """A chart (or the chart buttons) for a period and filters."""

    chart: ChartChoice
    period: PeriodLabel
    coordinator_id: int | None
    gender: Gender | None
    municipality: MunicipalityRef | None


@family("ex", command="export")
class ExportView(ButtonPayload):
    """An export file (or the format buttons) for a period and filters."""

    file: ExportChoice
    period: PeriodLabel
    coordinator_id: int | None
    gender: Gender | None
    municipality: MunicipalityRef | None


RequestPayload = StatsView | ChartView | ExportView


async def request_of(turn: Turn, payload: RequestPayload) -> StatsRequest:
    """The request a button carries; NotFound (an expired button) when it names nothing."""
    period = parse_period(payload.period, turn.today)
    if period is None or period.label != payload.period:
        raise NotFound()
    municipality = None
    if payload.municipality is not None:
        async with turn.transaction() as session:
            municipality = await stats.municipality_by_ref(session, payload.municipality)
    return StatsRequest(period, municipality, payload.coordinator_id, payload.gender)


@dataclass(slots=True)
class TypedWords:
    """What the words said, before names are matched against what the viewer sees."""

    period: Period | None = None
    municipality: str | None = None
    coordinator: str | None = None
    gender: Gender | None = None
    view: str | None = None
    rest: list[str] = field(default_factory=list)
    """Words that are no filter (a chart kind, an export format, or a mistake)."""


class BadFilter(Exception):
    """A filter word names nothing the viewer can see; `text` is the reply."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def split_words(text: str) -> list[str]:
    """Words, with quoted names kept whole: `kommun:"Upplands Väsby"`."""
    text = text.translate(_SMART_QUOTES)
    try:
        return shlex.split(text)
    except ValueError:  # an unbalanced quote: take the words as they are
        return text.split()


def parse_words(text: str, turn: Turn) -> TypedWords:
    typed = TypedWords()
    words = split_words(text)
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        key, separator, value = word.partition(":") if ":" in word else word.partition("=")
        folded_key = fold(key)
        if separator and _take_filter(typed, folded_key, value):
            continue
        if folded_key in _BY_WORDS and index < len(words) and fold(words[index]) in _VIEW_WORDS:
            typed.view = _VIEW_WORDS[fold(words[index])]
            index += 1
            continue
        if typed.period is None:
            # The longest run of words that names a period: `förra månaden`, `last quarter`.
            found = leading_period(words[index - 1:], turn.today)
            if found is not None:
                typed.period, size = found
                index += size - 1
                continue
        typed.rest.append(word)
    return typed


def _take_filter(typed: TypedWords, key: str, value: str) -> bool:
    value = value.strip()
    if not value:
        return False
    if key in _MUNICIPALITY_KEYS:
        typed.municipality = value
    elif key in _COORDINATOR_KEYS:
        typed.coordinator = value
    elif key in _GENDER_KEYS:
        gender = parse_word(Gender, _PLURAL_GENDERS.get(fold(value), value))
        if gender is None:
            return False
        typed.gender = gender
    elif key in _BY_WORDS and fold(value) in _VIEW_WORDS:
        typed.view = _VIEW_WORDS[fold(value)]
    else:
        return False
    return True


async def resolve(session: AsyncSession, viewer: Viewer, typed: TypedWords,
                  tr: Translator) -> StatsRequest:
    """Match typed names (any case, with or without å/ä/ö) against what the viewer sees."""
    municipality = coordinator_id = None
    if typed.municipality:
        # The official list first, so a filter never depends on how a name was typed;
        # old free text not yet cleaned (koordinator db check) is still found as stored.
        found = SWEDEN.resolve(typed.municipality)
        if found.municipality is not None:
            municipality = found.municipality.name
        else:
            known = await stats.municipalities_in_scope(session, viewer)
            municipality = _match(typed.municipality, [k for k in known if k not in SWEDEN])
            if municipality is None:
                raise BadFilter(municipality_error(tr, found))
    if typed.coordinator:
        team = await stats.coordinators_in_scope(session, viewer)
        names = {name: staff_id for staff_id, name in team}
        match = _match(typed.coordinator, list(names))
        if match is None:
            raise BadFilter(tr._(
                "I don't know one coordinator called “%(name)s” among the participants you "
                "can see. Known: %(known)s.", name=typed.coordinator,
                known=", ".join(names) or "–"))
        coordinator_id = names[match]
    return StatsRequest(typed.period or ALL, municipality, coordinator_id, typed.gender)


def _match(typed: str, candidates: list[str]) -> str | None:
    """The one candidate equal to, or else starting with, the typed name (or a word of it)."""
    wanted = fold(typed)
    exact = [c for c in candidates if fold(c) == wanted]
    if len(exact) == 1:
        return exact[0]
    starting = [c for c in candidates
                if any(part.startswith(wanted) for part in (fold(c), *fold(c).split()))]
    return starting[0] if len(starting) == 1 else None


async def typed_request(turn: Turn) -> tuple[StatsRequest, TypedWords] | None:
    """Parse and resolve the words after a command; a bad name is answered here (None)."""
    typed = parse_words(turn.text_after_command, turn)
    try:
        async with turn.transaction() as session:
            request = await resolve(session, turn.require_viewer(), typed, turn.tr)
    except BadFilter as error:
        await turn.reply(error.text)
        return None
    return request, typed


async def filter_text(session: AsyncSession, turn: Turn, request: StatsRequest) -> str | None:
    """`Filter: Växjö · woman · Bo Berg` (None without filters)."""
    tr = turn.tr
    parts: list[str] = []
    if request.municipality:
        parts.append(tr._("municipality %(name)s", name=request.municipality))
    if request.gender:
        parts.append(tr._(GENDER_LABELS[request.gender]))
    if request.coordinator_id:
        team = dict(await stats.coordinators_in_scope(session, turn.require_viewer()))
        parts.append(tr._("coordinator %(name)s",
                          name=team.get(request.coordinator_id, f"#{request.coordinator_id}")))
    if not parts:
        return None
    return tr._("Filter: %(filters)s", filters=SafeHtml(" · ".join(parts)))


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
    await (turn.edit(text, markup) if edit else turn.reply(text, markup))


def figures_text(tr: Translator, period: Period, filters: str | None,
                 figures: stats.Figures) -> str:
    lines = [tr._("<b>📊 Statistics: %(period)s</b>", period=period_label(tr, period))]
    if filters:
        lines.append(filters)
    if figures.is_empty:
        lines.append(tr._("No participants or check-ins match this period and filter."))
        return "\n".join(lines)
    lines += period_lines(tr, figures)
    if figures.ended:
        lines += ["", tr.ngettext("<b>Of the %(n)s who ended in the period:</b>",
                                  "<b>Of the %(n)s who ended in the period:</b>", figures.ended)]
        lines += outcome_lines(tr, figures)
        lines += [category_legend(tr), reached_line(tr, figures), shares_line(tr, figures)]
        lines += gender_lines(tr, figures)
    else:
        lines.append(tr._("Nobody ended in this period, so there are no outcomes yet."))
    lines += ["", tr._("Check-ins logged in the period: %(n)s", n=tr.number(figures.checkins)),
              now_line(tr, figures)]
    return "\n".join(lines)


def period_lines(tr: Translator, figures: stats.Figures) -> list[str]:
    """What happened in the period, each figure for the period itself."""
    return [
        tr._("In the project at some time in the period: %(n)s",
             n=tr.number(figures.participants)),
        tr._("Enrolled in the period: %(enrolled)s · ended in the period: %(ended)s",
             enrolled=tr.number(figures.enrolled), ended=tr.number(figures.ended)),
    ]


def now_line(tr: Translator, figures: stats.Figures) -> str:
    """The one figure about today, apart from the period's and labelled so."""
    return tr._("Now (today, whatever the period): %(n)s active participants",
                n=tr.number(figures.active))


BREAKDOWN_WIDTHS = [12, 4, 4, 4, 4]
"""32 characters: what a phone shows in monospace without wrapping."""


def breakdown_text(tr: Translator, period: Period, filters: str | None,
                   table: stats.Breakdown) -> str:
    title = (tr._("<b>📊 By municipality: %(period)s</b>", period=period_label(tr, period))
             if table.by == "municipality" else
             tr._("<b>📊 By coordinator: %(period)s</b>", period=period_label(tr, period)))
    lines = [title]
    if filters:
        lines.append(filters)
    if not table.rows:
        lines.append(tr._("No participants or check-ins match this period and filter."))
        return "\n".join(lines)
    heading = tr._("Municipality") if table.by == "municipality" else tr._("Coordinator")
    rows = [[heading,
             # TRANSLATORS: column heading, at most 4 characters: participants
             tr._("Part"),
             # TRANSLATORS: column heading, at most 4 characters: ended
             tr.pgettext("table column", "End"),
             # TRANSLATORS: column heading, at most 4 characters: to work or studies
             tr._("W/S"),
             "%"]]
    # Names as colleagues say them ("Karin K."), so a phone shows them whole.
    names = short_names([row.label for row in table.rows]) if table.by == "coordinator" else {}
    rows += [_breakdown_cells(tr, names.get(row.label, row.label), row.figures)
             for row in table.rows]
    rows.append(_breakdown_cells(tr, tr._("Total"), table.total))
    lines += [pre_table(rows, BREAKDOWN_WIDTHS), tr._(
        "Part = in the project at some time in the period, End = ended in the period, "
        "W/S = of those, to work or studies (work, subsidised work, CSN studies), "
        "% = W/S as a share of End, rounded half up.")]
    return "\n".join(lines)


def _breakdown_cells(tr: Translator, label: str, figures: stats.Figures) -> list[str]:
    return [label, tr.number(figures.participants), tr.number(figures.ended),
            tr.number(figures.to_work_or_studies), compact_percent(tr, figures.share_of_ended)]


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
TEAM_WIDTHS = [12, 4, 4, 4, 4]


async def team_command(turn: Turn) -> None:
    tr = turn.tr
    async with turn.transaction() as session:
        team = await stats.team_overview(session, turn.require_viewer(), turn.now)
    if not team:
        await turn.reply(tr._("There are no coordinators in your part of the project yet."))
        return
    rows = [[tr._("Coordinator"),
             # TRANSLATORS: column heading, at most 4 characters: active caseload
             tr._("Case"),
             # TRANSLATORS: column heading, at most 4 characters: check-ins
             tr._("Chk"),
             # TRANSLATORS: column heading, at most 4 characters: follow-ups due
             tr._("Due"),
             # TRANSLATORS: column heading, at most 4 characters: unconfirmed
             tr._("Unc")]]
    # Names as colleagues say them ("Karin K."), whole on a phone.
    names = short_names([row.name for row in team if row.active])
    rows += [[names[row.name] if row.active else coordinator_label(tr, row),
              tr.number(row.caseload), tr.number(row.checkins_30_days),
              tr.number(row.followups_next_7_days), tr.number(row.unconfirmed_next_7_days)]
             for row in team]
    await turn.reply("\n".join([
        tr._("<b>👥 Team overview</b>"), pre_table(rows, TEAM_WIDTHS),
        tr._("Case = active participants, Chk = check-ins in the last %(days)s days, "
             "Due = follow-ups in the next %(next)s days, Unc = of those, not confirmed "
             "by the participant.", days=stats.TEAM_CHECKIN_DAYS,
             next=stats.TEAM_FOLLOWUP_DAYS),
    ]))


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


# ---- transition: handlers/ask.py (another owner) still builds `sx:` data by hand -------
