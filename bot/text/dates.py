"""Dates and clock times written out the way each participant language reads them.

Babel's "medium" formats put the year first in Pashto and Sorani and abbreviate month
names ("دسم", "ታሕ", "Dis", "груд."), so a participant's date uses an explicit full
pattern: weekday, day, full month name, year. Dari, Persian and Pashto readers also get
the Solar Hijri date in brackets; the conversion is jdatetime's, the Afghan month names
are data (CLDR's fa_AF Persian calendar). Tigrinya and traditional Somali time-keeping
count the hours from 06:00, so a bare "10:00" can be read as 4 pm: there the clock time
carries the part of day and "Swedish time".
"""

from __future__ import annotations

from datetime import date
from datetime import datetime

import babel.dates
import jdatetime
from babel import Locale

FULL_DATE_PATTERNS: dict[str, str] = {
    "sv": "EEEE d MMMM y",          # torsdag 3 december 2026
    "en": "EEEE d MMMM y",          # Thursday 3 December 2026 (British order, not US)
    "ar": "EEEE، d MMMM y",         # الخميس، 3 ديسمبر 2026
    "fa": "EEEE d MMMM y",          # پنجشنبه 3 دسامبر 2026
    "fa_AF": "EEEE d MMMM y",       # پنجشنبه 3 دسمبر 2026
    "ps": "EEEE، d MMMM y",         # not Babel's "EEEE د y د MMMM d" (year first)
    "ckb": "EEEE، d MMMM y",        # not Babel's "y MMMM d, EEEE" (year first)
    "so": "EEEE, d MMMM y",         # Khamiis, 3 Diseembar 2026
    "ti": "EEEE፣ d MMMM y",         # ሓሙስ፣ 3 ታሕሳስ 2026
    "uk": "EEEE, d MMMM y 'р'.",    # четвер, 3 грудня 2026 р.
}
"""Weekday, day, full month, year — per language, so no reader meets a year-first date."""

IRANIAN_MONTHS: tuple[str, ...] = tuple(jdatetime.date.j_months_fa)
"""Farvardin … Esfand, as Persian (Iran) writes them: "۱۲ آذر ۱۴۰۵"."""

AFGHAN_MONTHS: tuple[str, ...] = (
    "حمل", "ثور", "جوزا", "سرطان", "اسد", "سنبله",
    "میزان", "عقرب", "قوس", "جدی", "دلو", "حوت",
)
"""Hamal … Hut, the Solar Hijri months as Afghanistan names them (CLDR fa_AF):
"۱۲ قوس ۱۴۰۵". Pashto also has its own names (وری، غویی …); a native review may prefer them."""

SOLAR_HIJRI_MONTHS: dict[str, tuple[str, ...]] = {
    "fa": IRANIAN_MONTHS,
    "fa_AF": AFGHAN_MONTHS,
    "ps": AFGHAN_MONTHS,
}

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

# Part of day for languages whose traditional clock starts at 06:00: (from hour, words).
_PARTS_OF_DAY: dict[str, tuple[tuple[int, str], ...]] = {
    "ti": ((0, "ለይቲ"), (5, "ንግሆ"), (12, "ድሕሪ ቀትሪ"), (17, "ምሸት"), (21, "ለይቲ")),
    "so": ((0, "habeennimo"), (5, "subaxnimo"), (12, "galabnimo"), (17, "fiidnimo"),
           (21, "habeennimo")),
}
_SWEDISH_TIME: dict[str, str] = {"ti": "ብሰዓት ሽወደን", "so": "waqtiga Iswiidhan"}


def solar_hijri(value: date, language: str) -> str | None:
    """"۱۲ قوس ۱۴۰۵" for Dari and Pashto, "۱۲ آذر ۱۴۰۵" for Persian, else None."""
    months = SOLAR_HIJRI_MONTHS.get(language)
    if months is None:
        return None
    solar = jdatetime.date.fromgregorian(date=value)
    return f"{solar.day} {months[solar.month - 1]} {solar.year}".translate(_PERSIAN_DIGITS)


def full_date(value: date, language: str, locale: Locale) -> str:
    """Weekday, day, full month and year; the Solar Hijri date in brackets where it is read."""
    pattern = FULL_DATE_PATTERNS.get(language, FULL_DATE_PATTERNS["en"])
    text = babel.dates.format_date(value, format=pattern, locale=locale)
    solar = solar_hijri(value, language)
    return f"{text} ({solar})" if solar else text


def clock_time(local: datetime, language: str) -> str:
    """"10:00", or "10:00 ንግሆ (ብሰዓት ሽወደን)" where 10:00 could be read as 4 pm."""
    text = f"{local:%H:%M}"
    parts = _PARTS_OF_DAY.get(language)
    if parts is None:
        return text
    part = next(words for start, words in reversed(parts) if local.hour >= start)
    return f"{text} {part} ({_SWEDISH_TIME[language]})"
