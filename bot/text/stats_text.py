"""How statistics read, in every reply that shows them: /stats, /team, charts, exports, digest.

One place for the words (outcome categories, period names) and the number rules:
counts and shares are formatted with Babel in the reader's locale, a share is rounded
half up (`storage.stats.round_half_up`, the one rule), and a share whose base is zero is
shown as "–", never computed. Every label says what it counts (docs/definitions.md).
"""

from __future__ import annotations

import html

from bot.text.i18n import N_
from bot.text.i18n import SafeHtml
from bot.text.i18n import Translator
from bot.text.i18n import isolate_typed
from bot.text.i18n import without_bidi_controls
from bot.text.labels import OUTCOME_LABELS
from bot.text.periods import Period
from bot.text.periods import quarter_of
from storage.models import OUTCOME_CATEGORY
from storage.models import Gender
from storage.models import OutcomeCategory
from storage.participants import CaseloadRow
from storage.stats import SPLIT_GENDERS
from storage.stats import TEAM_CHECKIN_DAYS
from storage.stats import TEAM_FOLLOWUP_DAYS
from storage.stats import Breakdown
from storage.stats import Figures
from storage.stats import GenderSplit
from storage.stats import TeamRow
from storage.stats import round_half_up
from storage.stats import share

NO_SHARE = "–"

CATEGORY_LABELS: dict[OutcomeCategory, str] = {
    OutcomeCategory.WORK: N_("work"),
    OutcomeCategory.SUBSIDISED_WORK: N_("subsidised work"),
    OutcomeCategory.STUDIES: N_("studies (CSN)"),
    OutcomeCategory.OTHER: N_("other"),
    OutcomeCategory.DROPOUT: N_("dropout"),
    OutcomeCategory.UNKNOWN: N_("unknown"),
}


def percent(tr: Translator, value: float | None) -> str:
    """A share in whole percent, rounded half up (72.5 % → 73 %), or "–" without a base."""
    return NO_SHARE if value is None else tr.percent(round_half_up(value, 2))


def compact_percent(tr: Translator, value: float | None) -> str:
    """A share for a narrow table column: the locale's format without its spaces (`50%`)."""
    return percent(tr, value).replace("\xa0", "").replace("\u202f", "").replace(" ", "")


def period_label(tr: Translator, period: Period) -> str:
    """`March 2026`, `Q1 2026`, `2026`, `1 Jan 2026 – 30 Jun 2026` or `all time`."""
    start, end, label = period
    if start is None or end is None:
        return tr._("all time")
    if "-Q" in label:
        return tr._("Q%(quarter)s %(year)s", quarter=quarter_of(start), year=start.year)
    if len(label) == 7:  # 2026-03
        return tr.date(start, "LLLL y")
    if len(label) == 4:
        return label
    return tr._("%(start)s – %(end)s", start=tr.date(start), end=tr.date(end))


def category_label(tr: Translator, category: OutcomeCategory) -> str:
    return tr._(CATEGORY_LABELS[category])


def outcome_lines(tr: Translator, figures: Figures) -> list[str]:
    """The ended participants by outcome category, in two short lines for a phone."""
    def part(category: OutcomeCategory) -> str:
        return tr._("%(category)s %(count)s", category=category_label(tr, category),
                    count=tr.number(figures.outcome(category)))

    first = (OutcomeCategory.WORK, OutcomeCategory.SUBSIDISED_WORK, OutcomeCategory.STUDIES)
    second = (OutcomeCategory.OTHER, OutcomeCategory.DROPOUT, OutcomeCategory.UNKNOWN)
    return [" · ".join(part(c) for c in first), " · ".join(part(c) for c in second)]


def category_legend(tr: Translator) -> str:
    """Which end reasons "other" and "dropout" hold (dropouts: the project's setting)."""
    def reasons(category: OutcomeCategory) -> str:
        return ", ".join(tr._(OUTCOME_LABELS[reason])
                         for reason, of in OUTCOME_CATEGORY.items() if of == category) or "–"

    return tr._("<i>Other: %(other)s. Dropout: %(dropout)s.</i>",
                other=reasons(OutcomeCategory.OTHER), dropout=reasons(OutcomeCategory.DROPOUT))


def reached_line(tr: Translator, figures: Figures) -> str:
    return tr._("<b>To work or studies (work, subsidised work, CSN studies): %(count)s</b>",
                count=tr.number(figures.to_work_or_studies))


def shares_line(tr: Translator, figures: Figures) -> str:
    return tr._("%(of_ended)s of those who ended · %(excluding)s of those who ended, "
                "dropouts excluded · %(of_all)s of all participants in the period",
                of_ended=percent(tr, figures.share_of_ended),
                excluding=percent(tr, figures.share_excluding_dropouts),
                of_all=percent(tr, figures.share_of_all))


GENDER_GROUP_LABELS: dict[Gender, str] = {
    Gender.WOMAN: N_("Women"),
    Gender.MAN: N_("Men"),
    Gender.OTHER: N_("Other gender"),
    Gender.UNSPECIFIED: N_("Gender not stated"),
}
"""Every gender value as a group, at the start of a line or a row."""


def gender_split_line(tr: Translator, gender: Gender, split: GenderSplit) -> str:
    return tr._("%(gender)s: %(count)s of %(ended)s who ended (%(share)s)",
                gender=tr._(GENDER_GROUP_LABELS[gender]),
                count=tr.number(split.to_work_or_studies), ended=tr.number(split.ended),
                share=percent(tr, split.share_of_ended))


def gender_lines(tr: Translator, figures: Figures) -> list[str]:
    """To work or studies by gender: every gender value among those who ended, so the
    lines add up to the total (other and not stated included)."""
    lines = [tr._("To work or studies, by gender:")]
    lines += [gender_split_line(tr, gender, figures.gender(gender))
              for gender in SPLIT_GENDERS if figures.gender(gender).ended]
    return lines


def short_names(names: list[str]) -> dict[str, str]:
    """Names as colleagues say them: the first name, with the surname's initial where two
    share a first name ("Karin K."), the whole name where even that is shared."""
    def first(name: str) -> str:
        return name.split()[0] if name.split() else name

    def initial(name: str) -> str:
        parts = name.split()
        return f"{parts[0]} {parts[-1][0]}." if len(parts) > 1 else name

    result: dict[str, str] = {}
    for name in names:
        if sum(first(other) == first(name) for other in names) == 1:
            result[name] = first(name)
        elif sum(initial(other) == initial(name) for other in names) == 1:
            result[name] = initial(name)
        else:
            result[name] = name
    return result


def pre_table(rows: list[list[str]], widths: list[int]) -> SafeHtml:
    """A monospace table for a phone: first column left-aligned and cut, the rest right-aligned.

    Cells are plain text; the whole table is escaped here, once.
    """
    lines = []
    for row in rows:
        first = without_bidi_controls(row[0])
        first = first if len(first) <= widths[0] else first[: widths[0] - 1] + "…"
        # Padded by what shows: the isolates around a right-to-left name are invisible.
        cells = [isolate_typed(first) + " " * (widths[0] - len(first))]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append(" ".join(cells).rstrip())
    return SafeHtml("<pre>" + html.escape("\n".join(lines), quote=False) + "</pre>")


def coordinator_label(tr: Translator, row: CaseloadRow | TeamRow) -> str:
    """A coordinator's name, or that the participants have none active (deactivated)."""
    if isinstance(row, CaseloadRow):
        return row.coordinator if row.coordinator_active else tr._(
            "without an active coordinator")
    return row.name if row.active else tr._("without an active coordinator")


def share_cell(value: float | None, places: int = 1) -> float | None:
    """A share for a spreadsheet cell shown with `places` decimals of a percent (`0.0%`):
    rounded half up to what the cell shows, so the file holds the figure the chat shows."""
    return None if value is None else float(round_half_up(value, places + 2))


FigureRow = tuple[str, int | None, float | None]


def figure_rows(tr: Translator, figures: Figures) -> list[FigureRow]:
    """Every figure of /stats as (label, count, share) rows, for exports: the same labels,
    saying what each counts, and the same definitions (docs/definitions.md)."""
    rows: list[FigureRow] = [
        (tr._("In the project at some time in the period"), figures.participants, None),
        (tr._("Enrolled in the period"), figures.enrolled, None),
        (tr._("Ended in the period"), figures.ended, None),
    ]
    rows += [(tr._("Ended in the period: %(category)s", category=category_label(tr, category)),
              figures.outcome(category), share_cell(share(figures.outcome(category),
                                                           figures.ended)))
             for category in OutcomeCategory]
    rows += [
        (tr._("To work or studies (work, subsidised work, CSN studies), share of those who "
              "ended"), figures.to_work_or_studies, share_cell(figures.share_of_ended)),
        (tr._("To work or studies, share of those who ended, dropouts excluded"),
         None, share_cell(figures.share_excluding_dropouts)),
        (tr._("To work or studies, share of all in the project in the period"),
         None, share_cell(figures.share_of_all)),
    ]
    for gender in SPLIT_GENDERS:
        split = figures.gender(gender)
        if not split.ended:
            continue
        label = tr._(GENDER_GROUP_LABELS[gender])
        rows += [(tr._("%(gender)s: ended in the period", gender=label), split.ended, None),
                 (tr._("%(gender)s: to work or studies, share of those who ended",
                       gender=label), split.to_work_or_studies, share_cell(split.share_of_ended))]
    rows += [
        (tr._("Check-ins logged in the period"), figures.checkins, None),
        (tr._("Active now (today, whatever the period)"), figures.active, None),
    ]
    return rows


# ---- the /stats message, its breakdown and the team table -------------------------------
def figures_text(tr: Translator, period: Period, filters: str | None,
                 figures: Figures) -> str:
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


def period_lines(tr: Translator, figures: Figures) -> list[str]:
    """What happened in the period, each figure for the period itself."""
    return [
        tr._("In the project at some time in the period: %(n)s",
             n=tr.number(figures.participants)),
        tr._("Enrolled in the period: %(enrolled)s · ended in the period: %(ended)s",
             enrolled=tr.number(figures.enrolled), ended=tr.number(figures.ended)),
    ]


def now_line(tr: Translator, figures: Figures) -> str:
    """The one figure about today, apart from the period's and labelled so."""
    return tr._("Now (today, whatever the period): %(n)s active participants",
                n=tr.number(figures.active))


BREAKDOWN_WIDTHS = [12, 4, 4, 4, 4]
"""32 characters: what a phone shows in monospace without wrapping."""


def breakdown_text(tr: Translator, period: Period, filters: str | None,
                   table: Breakdown) -> str:
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


def _breakdown_cells(tr: Translator, label: str, figures: Figures) -> list[str]:
    return [label, tr.number(figures.participants), tr.number(figures.ended),
            tr.number(figures.to_work_or_studies), compact_percent(tr, figures.share_of_ended)]


TEAM_WIDTHS = [12, 4, 4, 4, 4]


def team_lines(tr: Translator, team: list[TeamRow]) -> list[str]:
    """/team's table (and a question's about the team): a row a coordinator, the caseloads
    of deactivated staff last, and the legend."""
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
    return [
        tr._("<b>👥 Team overview</b>"), pre_table(rows, TEAM_WIDTHS),
        tr._("Case = active participants, Chk = check-ins in the last %(days)s days, "
             "Due = follow-ups in the next %(next)s days, Unc = of those, not confirmed "
             "by the participant.", days=TEAM_CHECKIN_DAYS, next=TEAM_FOLLOWUP_DAYS),
    ]
