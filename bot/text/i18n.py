"""Catalogs, language resolution with per-string fallback, Babel formatting, RTL isolation.

Source strings (msgids) are English with named placeholders. A reply is built with
`Translator._()`: the translated template is trusted HTML, every parameter is escaped
unless it is `SafeHtml` built by us.
"""

from __future__ import annotations

import gettext
import html
import logging
import re
import unicodedata
from datetime import date
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import babel.dates
import babel.numbers
from babel import Locale
from babel.support import Translations

import locales
from bot.text import dates
from bot.text.languages import STAFF_LANGUAGES
from bot.text.languages import normalize_language

log = logging.getLogger(__name__)

LOCALES_DIR = Path(locales.__file__).resolve().parent
DOMAIN = "messages"
FALLBACK_CHAIN: tuple[str, ...] = ("sv", "en")

# Unicode isolates keep codes, times and Latin names upright inside right-to-left text.
FSI, LRI, PDI = "\u2068", "\u2066", "\u2069"
_ISOLATES = ("\u2066", "\u2067", "\u2068")
_RTL_CLASSES = frozenset({"R", "AL", "AN", "RLE", "RLO", "RLI"})
_RTL_NATIVE_CLASSES = frozenset({"R", "AL", "NSM", "WS"})

# Babel locale for formatting, where it differs from the catalog's: English dates are
# written the British (and Swedish) way, day before month.
FORMAT_LOCALES = {"en": "en_GB"}


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where the reader is known."""
    return message


class SafeHtml(str):
    """Text already escaped by us (a rendered fragment); not escaped again."""


# Explicit embeddings and overrides (LRE RLE PDF LRO RLO) and isolates (LRI RLI FSI PDI):
# typed into a name, U+202E would reverse the rest of the line it is shown in.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_EMBEDDINGS = re.compile("[\u202a-\u202e]")


def _isolates_balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch in "\u2066\u2067\u2068":
            depth += 1
        elif ch == PDI:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def without_bidi_controls(text: str) -> str:
    return _BIDI_CONTROLS.sub("", text)


def needs_isolation(text: str, rtl_reader: bool) -> bool:
    """Would `text` reorder its neighbours (or be reordered) in the reader's direction?

    In left-to-right text only right-to-left characters do harm ("%(name)s: %(n)s" with
    an Arabic name shows "5 :أمينة"); in right-to-left text anything but right-to-left
    letters does. Text that is already an isolate is left alone.
    """
    if not text or (text.startswith(_ISOLATES) and text.endswith(PDI)):
        return False
    classes = {unicodedata.bidirectional(ch) for ch in text}
    if rtl_reader:
        return not classes <= _RTL_NATIVE_CLASSES
    return bool(classes & _RTL_CLASSES)


def isolate_typed(text: str, rtl_reader: bool = False) -> str:
    """A fragment someone typed (a name, a place), safe inside any line.

    Embeddings, overrides and unbalanced isolates are dropped and the rest wrapped in
    FSI…PDI, so U+202E in a name cannot reverse the text after it. Otherwise it is wrapped
    where its direction could scramble the line (`needs_isolation`): right-to-left text in
    any line, and anything not right-to-left in a right-to-left reader's line ("Amina
    Hassan: 5"). Latin text for a left-to-right reader and our own balanced isolates
    (`Translator.isolate`) are returned unchanged, so a Latin name copied from Swedish
    text carries no invisible characters.
    """
    if _EMBEDDINGS.search(text) or not _isolates_balanced(text):
        return f"{FSI}{without_bidi_controls(text)}{PDI}"
    return f"{FSI}{text}{PDI}" if needs_isolation(text, rtl_reader) else text


def escape(value: object, rtl_reader: bool = False) -> str:
    """A placeholder's value for HTML text: escaped and, if typed text, isolated for a
    reader of that direction."""
    if isinstance(value, SafeHtml):
        return value
    if isinstance(value, str):
        value = isolate_typed(value, rtl_reader)
    return html.escape(str(value), quote=False)


@cache
def _catalog(language: str) -> gettext.NullTranslations | None:
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not path.exists():
        return None
    with path.open("rb") as handle:
        return Translations(handle, domain=DOMAIN)


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog for `language`, falling back string by string to sv, then the English source."""
    chain = [language, *[lang for lang in FALLBACK_CHAIN if lang != language]]
    head: gettext.NullTranslations | None = None
    for lang in chain:
        catalog = _catalog(lang)
        if catalog is None:
            continue
        # Fresh objects: add_fallback mutates, and catalogs are shared across chains.
        link = Translations(fp=None, domain=DOMAIN)
        link._catalog = dict(catalog._catalog)  # type: ignore[attr-defined]
        link.plural = catalog.plural  # type: ignore[attr-defined]
        if head is None:
            head = link
        else:
            head.add_fallback(link)
    return head or gettext.NullTranslations()


def resolve_language(*candidates: str | None, allowed: tuple[str, ...] = STAFF_LANGUAGES,
                     default: str = "sv") -> str:
    """The first candidate we ship (Telegram tags accepted), else `default`."""
    for candidate in candidates:
        code = normalize_language(candidate)
        if code in allowed:
            return code
    return default


class Translator:
    """Everything language-dependent for one reader: text, dates, numbers, direction."""

    def __init__(self, language: str, tz: ZoneInfo) -> None:
        self.language = language
        self.tz = tz
        self.locale = Locale.parse(FORMAT_LOCALES.get(language, language))
        self.rtl = self.locale.character_order == "right-to-left"
        self._translations = translations(language)

    def _(self, message: str, **params: object) -> str:
        return self._format(message, self._translations.gettext(message), params)

    def pgettext(self, context: str, message: str, **params: object) -> str:
        """A message whose meaning depends on where it is used (same English, two uses)."""
        return self._format(message, self._translations.pgettext(context, message), params)

    def ngettext(self, singular: str, plural: str, n: int, **params: object) -> str:
        params.setdefault("n", self.number(n))
        source = singular if n == 1 else plural
        return self._format(source, self._translations.ngettext(singular, plural, n), params)

    def _format(self, source: str, template: str, params: dict[str, object]) -> str:
        if not params:
            return template
        # Plain strings are what people typed (names, places) or words of ours: isolated
        # with FSI where their direction could scramble this reader's line. SafeHtml
        # fragments are ours and isolate their own parts.
        escaped = {key: escape(value, self.rtl) for key, value in params.items()}
        try:
            return template % escaped
        except (KeyError, ValueError, TypeError):
            # A broken translation must never crash a reply: use the source string.
            log.error("placeholder mismatch in %s catalog for %r", self.language, source)
            return source % escaped

    def isolate(self, text: str) -> str:
        """Wrap left-to-right fragments (codes, commands, times) when the text is RTL.

        LRI is right only for what is always left to right; a name or a place may be in
        any script and is isolated with FSI by `_()` itself (see `isolate_typed`)."""
        return f"{LRI}{text}{PDI}" if self.rtl else text

    def command(self, command: str) -> SafeHtml:
        """A slash command inside a sentence ("send /stop"): isolated so that RTL text
        shows "/stop", not "stop/". Commands are placeholders in translations for this."""
        return SafeHtml(self.isolate(escape(command)))

    def full_date(self, value: date) -> str:
        """"torsdag 3 december 2026", "پنجشنبه 3 دسمبر 2026 (۱۲ قوس ۱۴۰۵)": what a
        participant reads (weekday, day, full month, year; Solar Hijri where it is used)."""
        return dates.full_date(value, self.language, self.locale)

    def clock(self, moment: datetime) -> str:
        """The local clock time a participant reads: "10:00", with the part of day and
        "Swedish time" in languages whose traditional clock starts at 06:00."""
        return dates.clock_time(self.local(moment), self.language)

    def date(self, value: date, fmt: str = "medium") -> str:
        return babel.dates.format_date(value, format=fmt, locale=self.locale)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def datetime(self, moment: datetime, fmt: str = "medium") -> str:
        local = self.local(moment)
        return babel.dates.format_datetime(local, format=fmt, tzinfo=self.tz, locale=self.locale)

    def short_datetime(self, moment: datetime) -> str:
        local = self.local(moment)
        return f"{self.date(local.date())} {self.time(moment)}"

    def time(self, moment: datetime) -> str:
        return babel.dates.format_time(moment, format="HH:mm", tzinfo=self.tz, locale=self.locale)

    def number(self, value: float) -> str:
        return babel.numbers.format_decimal(value, locale=self.locale)

    def percent(self, value: float) -> str:
        return babel.numbers.format_percent(value, locale=self.locale)
