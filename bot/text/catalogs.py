"""Catalog workflow on Babel: extract → update → translate → compile → check.

`check` is what CI runs (through the test suite): every catalog parses, no placeholder
is missing or extra against the source string, plural forms match the locale's rule,
staff languages are 100 % translated, and the compiled .mo matches its .po.
"""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.messages.pofile import write_po

from bot.text.i18n import DOMAIN
from bot.text.i18n import LOCALES_DIR
from bot.text.languages import PARTICIPANT_LANGUAGES
from bot.text.languages import STAFF_LANGUAGES

PROJECT_ROOT = LOCALES_DIR.parent
SOURCE_DIRS = ("bot", "handlers")
TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


PLURAL_FORMS: dict[str, tuple[int, str]] = {
    "fa": (2, "(n > 1)"),
    "fa_AF": (2, "(n > 1)"),
    "ti": (2, "(n > 1)"),
}
"""Where Babel's gettext plural table disagrees with CLDR's rules: Persian and Dari have
`one` (0 and 1) and `other`, not one form; Tigrinya's `one` covers 0 and 1, so `n != 1`
would say "0 ሰባት" in the plural form."""


def plural_forms(language: str) -> tuple[int, str]:
    """(number of forms, C expression) a catalog's Plural-Forms header must have."""
    if language in PLURAL_FORMS:
        return PLURAL_FORMS[language]
    plural = get_plural(Locale.parse(language))
    return plural.num_plurals, plural.plural_expr


def po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalog_languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def extract() -> Catalog:
    catalog = Catalog(project="Koordinator", charset="utf-8", fuzzy=False)
    for directory in SOURCE_DIRS:
        for filename, lineno, message, comments, context in extract_from_dir(
            PROJECT_ROOT / directory, method_map=[("**.py", "python")], keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",), strip_comment_tags=True,
        ):
            location = (f"{directory}/{filename}", lineno)
            catalog.add(message, None, [location], auto_comments=comments, context=context)
    return catalog


def write_catalog(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=False, omit_header=False, ignore_obsolete=True)
    path.write_bytes(buffer.getvalue())


def load(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


SOURCE_LANGUAGE = "en"
"""msgids are English: the en catalog is the source text, filled in by `update`."""


def update() -> None:
    """Extract, create missing staff-language catalogs, merge new msgids into every catalog."""
    template = extract()
    write_catalog(template, TEMPLATE)
    for language in sorted({*catalog_languages(), *PARTICIPANT_LANGUAGES}):
        path = po_path(language)
        catalog = load(path, language) if path.exists() else Catalog(
            locale=language, domain=DOMAIN, project="Koordinator", fuzzy=False)
        catalog._num_plurals, catalog._plural_expr = plural_forms(language)  # type: ignore[attr-defined]
        # A copy: update() shares Message objects with the template across catalogs.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        if language == SOURCE_LANGUAGE:
            for message in catalog:
                if message.id and not _is_translated(message.string):
                    message.string = message.id
        write_catalog(catalog, path)


def compile_all() -> None:
    for language in catalog_languages():
        compile_language(language)


def compile_language(language: str) -> None:
    catalog = load(po_path(language), language)
    # Babel fills untranslated plural entries with the source text; leaving them out
    # lets the per-string fallback (sv, then en) apply instead.
    for message in list(catalog):
        if message.id and not _is_translated(message.string):
            catalog.delete(message.id, context=message.context)
    with po_path(language).with_suffix(".mo").open("wb") as handle:
        write_mo(handle, catalog, use_fuzzy=False)


PARTICIPANT_MARK = "participant"
"""Translator comment (`# TRANSLATORS: participant`) on strings participants can see."""
REVIEW_NOTE = "needs review by a native speaker"


def is_participant_facing(message: Message) -> bool:
    return any(comment.startswith(PARTICIPANT_MARK) for comment in message.auto_comments)


@dataclass
class Report:
    language: str
    total: int
    translated: int
    participant_total: int = 0
    participant_translated: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        return self.translated / self.total if self.total else 1.0


def check_language(language: str, template: Catalog) -> Report:
    catalog = load(po_path(language), language)
    wanted = [m for m in template if m.id]
    participant_ids = {_key(m) for m in wanted if is_participant_facing(m)}
    report = Report(language, len(wanted), 0, participant_total=len(participant_ids))
    expected_plurals, expected_expr = plural_forms(language)
    if (catalog.num_plurals, catalog.plural_expr) != (expected_plurals, expected_expr):
        report.problems.append(
            f"{language}: Plural-Forms is nplurals={catalog.num_plurals}; "
            f"plural={catalog.plural_expr}, CLDR says nplurals={expected_plurals}; "
            f"plural={expected_expr}")
    missing = []
    for source in wanted:
        message = catalog.get(source.id, context=source.context)
        if message is None or message.fuzzy or not _is_translated(message.string):
            missing.append(source.id)
            if language not in STAFF_LANGUAGES and _key(source) in participant_ids:
                report.problems.append(
                    f"{language}: participant string untranslated: {source.id!r}")
            continue
        report.translated += 1
        if _key(source) in participant_ids:
            report.participant_translated += 1
    for message, errors in catalog.check():
        for error in errors:
            report.problems.append(f"{language}: {message.id!r}: {error}")
    if language not in STAFF_LANGUAGES and REVIEW_NOTE not in (catalog.header_comment or ""):
        report.problems.append(f"{language}: header lacks the note “{REVIEW_NOTE}”")
    mo_path = po_path(language).with_suffix(".mo")
    if not mo_path.exists():
        report.problems.append(f"{language}: {mo_path.name} missing; run `i18n compile`")
    else:
        with mo_path.open("rb") as handle:
            compiled = {_key(m): _hashable(m.string) for m in read_mo(handle)
                        if m.id and _is_translated(m.string)}
        source = {_key(m): _hashable(m.string) for m in catalog
                  if m.id and not m.fuzzy and _is_translated(m.string)}
        if compiled != source:
            report.problems.append(f"{language}: {mo_path.name} is stale; run "
                                   "`koordinator i18n compile`")
    if language in STAFF_LANGUAGES and missing:
        report.problems.append(f"{language}: {len(missing)} untranslated, first: {missing[:3]!r}")
    return report


def _key(message: Message) -> tuple[object, object]:
    context = message.context
    if isinstance(context, bytes):  # read_mo gives the context as bytes
        context = context.decode("utf-8")
    return (_hashable(message.id), context)


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _is_translated(string: object) -> bool:
    if isinstance(string, tuple | list):
        return all(string)
    return bool(string)


def check() -> list[Report]:
    template = extract()
    return [check_language(language, template) for language in catalog_languages()]


REVIEW_STATE = {"sv": "reviewed", "en": "source language"}


def coverage_table(reports: list[Report]) -> str:
    """The table in locales/README.md (regenerated by `koordinator i18n table`)."""
    from bot.text.languages import ENDONYMS

    lines = ["| code | language | all strings | participant strings | review |",
             "|---|---|---|---|---|"]
    for report in reports:
        review = REVIEW_STATE.get(report.language, "draft: needs review by a native speaker")
        lines.append(
            f"| {report.language} | {ENDONYMS[report.language]} | {report.coverage:.0%} "
            f"({report.translated}/{report.total}) | {report.participant_translated}/"
            f"{report.participant_total} | {review} |")
    return "\n".join(lines)


def run(action: str) -> int:
    if action == "extract":
        write_catalog(extract(), TEMPLATE)
        print(f"wrote {TEMPLATE.relative_to(PROJECT_ROOT)}")
    elif action == "update":
        update()
        print("updated: " + ", ".join(catalog_languages()))
    elif action == "compile":
        compile_all()
        print("compiled: " + ", ".join(catalog_languages()))
    elif action == "table":
        print(coverage_table(check()))
    elif action == "check":
        failed = False
        for report in check():
            print(f"{report.language:6} {report.coverage:6.1%} "
                  f"({report.translated}/{report.total}); participant strings "
                  f"{report.participant_translated}/{report.participant_total}")
            for problem in report.problems:
                failed = True
                print(f"  ✗ {problem}")
        return 1 if failed else 0
    return 0
