"""A native review an interpreter can do: `koordinator i18n review-sheet LANG` and
`koordinator i18n apply-review FILE`.

Nobody on the team reads Tigrinya or Pashto, but every municipality works with community
interpreters, who work in Swedish and a spreadsheet rather than in .po files. The sheet has
one row per participant-facing string: the Swedish source, the current translation, where
the participant sees it, the message as she would see it with real-looking data, and empty
columns for "correct?" and "better wording". Applying a returned sheet changes only the
msgstr of rows with a better wording, and only when its placeholders are exactly the
source's and the translation in the catalog is still the one the interpreter saw.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.catalog import Message

from bot.text import catalogs
from bot.text.i18n import SafeHtml
from bot.text.i18n import Translator
from bot.text.languages import ENDONYMS
from bot.text.languages import PARTICIPANT_LANGUAGES

SHEET_TITLE = "Granskning"
INFO_TITLE = "Om"
HEADERS = (
    "Nr", "Svensk text", "Nuvarande översättning", "Var deltagaren ser texten",
    "Exempel: så ser deltagaren det", "Stämmer? (ja/nej)", "Bättre formulering",
    "Kommentar", "msgid", "msgctxt",
)
COL_TRANSLATION, COL_CORRECT, COL_BETTER = 3, 6, 7
COL_MSGID, COL_MSGCTXT = 9, 10
REVIEWABLE = tuple(lang for lang in PARTICIPANT_LANGUAGES if lang not in ("sv", "en"))

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
_TAG = re.compile(r"<[^>]+>")

# Where a participant meets the strings of each source file, said to an interpreter.
_WHERE_BY_FILE = {
    "bot/app.py": "Felmeddelande när något går fel i boten",
    "bot/interaction/menus.py": "Telegrams kommandomeny och botens beskrivning (innan man "
                                "har börjat)",
    "bot/interaction/commands.py": "Telegrams kommandomeny (knappen Meny bredvid skrivfältet)",
    "bot/text/labels.py": "Ett ord som sätts in i andra meddelanden (t.ex. typ av bokning)",
    "handlers/conversation.py": "När deltagaren skriver till koordinatorn genom boten, och "
                                "koordinatorns svar",
    "bot/outbox/templates.py": "Påminnelsen inför en bokad tid (med svarsknappar)",
    "bot/outbox/outcome_questions.py": "Frågan som skickas 1, 6 och 13 månader efter att "
                                       "deltagaren lämnat projektet, och dess svarsknappar",
    "handlers/kit/base.py": "Svar till någon som ännu inte är ansluten, eller på en gammal knapp",
    "handlers/onboarding.py": "Anslutning via inbjudningslänken, samtycke, språkval, "
                              "/next, /stop och svaren på påminnelser",
    "handlers/language.py": "Efter att deltagaren valt språk",
    "handlers/outcome_followups.py": "Svaret efter att deltagaren tryckt på ett svar på "
                                     "uppföljningsfrågan",
}
_BUTTONS = {
    "✅ I'm coming", "🕒 I need another time", "❌ I can't come", "✅ I agree", "No, thank you",
    "Yes, stop", "No, keep them", "💼 I am working", "📚 I am studying",
    "🔎 I am looking for work", "Something else", "I'd rather not say",
    "Your next appointment", "Change language", "Stop all messages",
}

SAMPLE_TZ = ZoneInfo("Europe/Stockholm")
SAMPLE_MOMENT = datetime(2026, 12, 3, 10, 0, tzinfo=SAMPLE_TZ)
SAMPLE_PLACE = "Arbetsförmedlingen, Storgatan 5"


class ReviewError(Exception):
    """A sheet that cannot be applied at all (wrong file, unknown language)."""


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def where(message: Message) -> str:
    """Where the participant sees this string, in Swedish for the interpreter."""
    files = [location[0] for location in message.locations]
    places = list(dict.fromkeys(_WHERE_BY_FILE.get(f, f) for f in files))
    text = "; ".join(places) or "–"
    return f"Knapp. {text}" if message.id in _BUTTONS else text


def _sample_params(tr: Translator) -> dict[str, object]:
    from bot.outbox.templates import FOLLOWUP_KIND_LABELS
    from bot.outbox.templates import participant_appointment_text
    from bot.outbox.templates import when_text
    from storage.models import FollowUp
    from storage.models import FollowUpKind

    followup = FollowUp(id=1, participant_id=1, coordinator_id=1, due_at=SAMPLE_MOMENT,
                        kind=FollowUpKind.MEETING, place=SAMPLE_PLACE)
    return {
        "appointment": SafeHtml(participant_appointment_text(tr, followup)),
        "when": SafeHtml(when_text(tr, followup)),
        "kind": tr._(FOLLOWUP_KIND_LABELS[FollowUpKind.MEETING]),
        "date": SafeHtml(tr.full_date(SAMPLE_MOMENT.date())),
        "time": SafeHtml(tr.isolate(tr.clock(SAMPLE_MOMENT))),
        "place": SAMPLE_PLACE,
        "telegram_id": "5123456789",
        "command": tr.command("/next"),
        "next_command": tr.command("/next"),
        "language_command": tr.command("/language"),
        "stop_command": tr.command("/stop"),
        "code": SafeHtml(tr.isolate("P-0042")),
        "name": "Amina Hassan",
        "n": 3,
    }


def example(tr: Translator, message: Message, translation: str) -> str:
    """The translation as the participant would read it, with real-looking data."""
    params = _sample_params(tr)
    wanted = {name: params.get(name, "…") for name in placeholders(translation)}
    text = tr._format(str(message.id), translation, wanted) if wanted else translation
    return html.unescape(_TAG.sub("", text))


@dataclass(frozen=True)
class Row:
    msgid: str
    context: str | None
    swedish: str
    translation: str
    where: str
    example: str


def rows(language: str) -> list[Row]:
    template = catalogs.extract()
    swedish = catalogs.load(catalogs.po_path("sv"), "sv")
    catalog = catalogs.load(catalogs.po_path(language), language)
    tr = Translator(language, SAMPLE_TZ)
    found = []
    for source in template:
        if not source.id or not catalogs.is_participant_facing(source) \
                or not isinstance(source.id, str):  # no participant string is a plural yet
            continue
        sv = swedish.get(source.id, context=source.context)
        current = catalog.get(source.id, context=source.context)
        translation = current.string if current is not None and current.string else ""
        found.append(Row(
            msgid=source.id, context=source.context,
            swedish=(sv.string if sv is not None and sv.string else source.id),
            translation=translation, where=where(source),
            example=example(tr, source, translation) if translation else "",
        ))
    return found


def build_sheet(language: str, today: date) -> bytes:
    """The review workbook for `language` (not sv/en: those are the source languages)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment
    from openpyxl.styles import Font

    if language not in REVIEWABLE:
        raise ReviewError(f"no review sheet for {language!r}; choose one of "
                          f"{', '.join(REVIEWABLE)}")
    rtl = Translator(language, SAMPLE_TZ).rtl
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows(language), start=1):
        sheet.append([number, row.swedish, row.translation, row.where, row.example, None, None,
                      None, row.msgid, row.context])
    wrap = Alignment(wrap_text=True, vertical="top")
    right_to_left = Alignment(wrap_text=True, vertical="top", horizontal="right",
                              readingOrder=2)
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
            cell.alignment = right_to_left if rtl and cell.column in (
                COL_TRANSLATION, 5, COL_BETTER) else wrap
    for letter, width in zip("ABCDEFGHIJ", (5, 45, 45, 30, 50, 12, 45, 25, 30, 10),
                             strict=True):
        sheet.column_dimensions[letter].width = width
    for letter in ("I", "J"):  # the keys apply-review needs; not for the interpreter
        sheet.column_dimensions[letter].hidden = True
    sheet.freeze_panes = "C2"

    info = book.create_sheet(INFO_TITLE)
    for line in (
        ("Språk", language),
        ("Språkets namn", ENDONYMS[language]),
        ("Skapad", today.isoformat()),
        ("Så här gör du", "Läs varje rad: den svenska texten, översättningen och exemplet. "
                          "Skriv ja i kolumnen Stämmer? om översättningen är bra. Om den "
                          "kan bli bättre, skriv den bättre formuleringen i kolumnen "
                          "Bättre formulering. Behåll allt som står inom %(…)s exakt som "
                          "det är: där sätter boten in tider, platser och kommandon."),
    ):
        info.append(line)
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 90
    info["B4"].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass
class ApplyResult:
    language: str
    changed: list[str] = field(default_factory=list)
    confirmed: int = 0
    problems: list[str] = field(default_factory=list)


def _cell_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def apply_review(path: Path) -> ApplyResult:
    """Merge a returned sheet's better wordings into the catalog, and compile it."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path)
    except Exception as error:  # openpyxl raises several kinds for a file that is no XLSX
        raise ReviewError(f"{path}: not a review sheet ({error.__class__.__name__})") from error
    if SHEET_TITLE not in book.sheetnames or INFO_TITLE not in book.sheetnames:
        raise ReviewError(f"{path}: not a review sheet (no {SHEET_TITLE!r} sheet)")
    info = {_cell_text(row[0]): _cell_text(row[1])
            for row in book[INFO_TITLE].iter_rows(values_only=True) if row and row[0]}
    language = info.get("Språk", "")
    if language not in REVIEWABLE:
        raise ReviewError(f"{path}: unknown language {language!r}")
    po = catalogs.po_path(language)
    catalog = catalogs.load(po, language)
    result = ApplyResult(language)
    sheet = book[SHEET_TITLE]
    for number, line in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        msgid = _cell_text(line[COL_MSGID - 1]) if len(line) >= COL_MSGID else ""
        if not msgid:
            continue
        context = _cell_text(line[COL_MSGCTXT - 1]) or None
        better = _cell_text(line[COL_BETTER - 1])
        shown = line[COL_TRANSLATION - 1] or ""
        if _cell_text(line[COL_CORRECT - 1]).casefold() in {"ja", "yes", "j", "x"} and not better:
            result.confirmed += 1
            continue
        if not better:
            continue
        message = catalog.get(msgid, context=context)
        if message is None:
            result.problems.append(f"row {number}: the string is no longer in the catalog")
            continue
        if better.startswith("="):
            result.problems.append(f"row {number}: starts like a formula; not applied")
            continue
        if placeholders(better) != placeholders(msgid):
            result.problems.append(
                f"row {number}: placeholders {sorted(placeholders(better))} differ from the "
                f"source's {sorted(placeholders(msgid))}; not applied")
            continue
        if (message.string or "") != shown:
            result.problems.append(f"row {number}: the translation changed since the sheet "
                                   "was made; not applied")
            continue
        message.string = better.replace("\r\n", "\n")
        if message.fuzzy:
            message.flags.discard("fuzzy")
        result.changed.append(msgid)
    if result.changed:
        catalogs.write_catalog(catalog, po)
        catalogs.compile_language(language)
    return result


def run_sheet(language: str, out: str | None, today: date) -> int:
    target = Path(out or f"review-{language}-{today.isoformat()}.xlsx")
    try:
        target.write_bytes(build_sheet(language, today))
    except ReviewError as error:
        print(error)
        return 2
    print(f"wrote {target}")
    return 0


def run_apply(path: str) -> int:
    try:
        result = apply_review(Path(path))
    except ReviewError as error:
        print(error)
        return 2
    print(f"{result.language}: {len(result.changed)} translations changed, "
          f"{result.confirmed} confirmed as correct")
    for problem in result.problems:
        print(f"  ✗ {problem}")
    return 1 if result.problems else 0
