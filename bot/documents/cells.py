"""What every spreadsheet and CSV file the project writes shares: cell values made safe,
sheet names within Excel's rules, the CSV dialect of the reader's locale.

Every writer in `bot.documents` passes each row through `safe_row` (or each value through
`safe_cell`), so no text a person typed — a municipality, a name, a note — can become a
formula in Excel, LibreOffice or Google Sheets (PITFALLS.md; OWASP's CSV-injection rule).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING
from typing import Any

from babel.numbers import get_decimal_symbol

from bot.text.i18n import Translator

if TYPE_CHECKING:  # openpyxl is imported where a file is written: ~0.2 s and ~28 MiB at start-up
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is evaluated by spreadsheet programs (OWASP)."""
MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv": "text/csv", "pdf": "application/pdf", "png": "image/png"}
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_TITLE_LIMIT = 31


def safe_cell(value: Any) -> Any:
    """The value as a cell: text that a spreadsheet would evaluate gets a leading `'`.

    Only text is touched; numbers, dates and None are written as they are (a negative
    number is a number, not a formula). openpyxl stores a string starting with `=` as a
    formula, and Excel evaluates CSV fields starting with any of `FORMULA_STARTS`.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


def append(sheet: Worksheet, values: Iterable[Any]) -> None:
    """A worksheet row, every text cell made safe: how every workbook here adds a row."""
    sheet.append(safe_row(values))


def sheet_title(tr: Translator, msgid: str) -> str:
    """A translated sheet name within Excel's rules (≤ 31 characters, no []:*?/\\)."""
    return _SHEET_FORBIDDEN.sub(" ", tr._(msgid))[:SHEET_TITLE_LIMIT]


def plain_sheet_title(text: str) -> str:
    """Text a person typed (a participant code) as a sheet name within Excel's rules."""
    return _SHEET_FORBIDDEN.sub(" ", text)[:SHEET_TITLE_LIMIT]


def csv_delimiter(tr: Translator) -> str:
    """`;` where numbers have decimal commas (Swedish Excel splits on it), else `,`."""
    return ";" if get_decimal_symbol(tr.locale) == "," else ","


def csv_text(value: object) -> str:
    """A CSV field for a plain value (dates in ISO form, None empty)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_file(rows: Iterable[Sequence[Any]], tr: Translator) -> bytes:
    """Rows of fields (already text or plain values) as a CSV file Excel opens correctly:
    the locale's delimiter, CRLF, a BOM so it reads UTF-8; every text field made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=csv_delimiter(tr), lineterminator="\r\n")
    for row in rows:
        writer.writerow(safe_row(row))
    return buffer.getvalue().encode("utf-8-sig")
