"""How statistics read, in every reply that shows them: /stats, /team, charts, exports, digest.

One place for the words (outcome categories, period names) and the number rules:
counts and shares are formatted with Babel in the reader's locale, and a share whose
base is zero is shown as "–", never computed.
"""

from __future__ import annotations

import html

from bot.text.i18n import N_, SafeHtml, Translator, isolate_typed, without_bidi_controls
from bot.text.periods import Period, quarter_of
from storage.models import OutcomeCategory
from storage.stats import Figures, NeglectedRow, TeamRow

NO_SHARE = "–"

CATEGORY_LABELS: dict[OutcomeCategory, str] = {
    OutcomeCategory.WORK: N_("work"),
    OutcomeCategory.SUBSIDISED_WORK: N_("subsidised work"),
    OutcomeCategory.STUDIES: N_("studies"),
    OutcomeCategory.OTHER: N_("other"),
    OutcomeCategory.DROPOUT: N_("dropout"),
    OutcomeCategory.UNKNOWN: N_("unknown"),
}


def percent(tr: Translator, value: float | None) -> str:
    return NO_SHARE if value is None else tr.percent(value)


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


def reached_line(tr: Translator, figures: Figures) -> str:
    return tr._("<b>To work or studies: %(count)s</b>",
                count=tr.number(figures.to_work_or_studies))


def shares_line(tr: Translator, figures: Figures) -> str:
    return tr._("%(of_ended)s of ended · %(excluding)s of ended excluding dropouts · "
                "%(of_all)s of all participants",
                of_ended=percent(tr, figures.share_of_ended),
                excluding=percent(tr, figures.share_excluding_dropouts),
                of_all=percent(tr, figures.share_of_all))


def gender_line(tr: Translator, figures: Figures) -> str:
    return tr._("Women: %(women)s of %(women_ended)s ended (%(women_share)s) · "
                "men: %(men)s of %(men_ended)s ended (%(men_share)s)",
                women=tr.number(figures.women.to_work_or_studies),
                women_ended=tr.number(figures.women.ended),
                women_share=percent(tr, figures.women.share_of_ended),
                men=tr.number(figures.men.to_work_or_studies),
                men_ended=tr.number(figures.men.ended),
                men_share=percent(tr, figures.men.share_of_ended))


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


def coordinator_label(tr: Translator, row: NeglectedRow | TeamRow) -> str:
    """A coordinator's name, or that the participants have none active (deactivated)."""
    name = row.coordinator if isinstance(row, NeglectedRow) else row.name
    active = row.coordinator_active if isinstance(row, NeglectedRow) else row.active
    return name if active else tr._("without an active coordinator")
