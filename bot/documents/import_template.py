"""The caseload template a lead gets with /import: the columns the importer reads
(storage.importing), in Swedish or English, with one example row and the accepted words."""

from __future__ import annotations

import io
from datetime import date

from bot.text.i18n import Translator
from bot.text.languages import PARTICIPANT_LANGUAGES

HEADERS = {
    "sv": ["Namn", "Kommun", "Kön", "Språk", "Inskrivningsdatum", "Koordinator",
           "Personnummer", "Födelseår"],
    "en": ["Name", "Municipality", "Gender", "Language", "Enrolled", "Coordinator",
           "Personnummer", "Birth year"],
}
EXAMPLE = ["Amina Hassan", "Växjö", "kvinna", "ar", date(2026, 9, 1), "Anna Andersson", "",
           1990]


def template_workbook(tr: Translator, language: str, coordinator: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = tr._("Participants")
    headers = HEADERS.get(language, HEADERS["en"])
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append([*EXAMPLE[:5], coordinator, *EXAMPLE[6:]])
    sheet.cell(row=2, column=5).number_format = "yyyy-mm-dd"
    for letter, width in zip("ABCDEFGH", (28, 18, 10, 10, 18, 24, 16, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    help_sheet = book.create_sheet(tr._("Help"))
    for line in (
        tr._("One row per participant; replace the example row. The first row names the "
             "columns (Swedish or English)."),
        tr._("Municipality: the name as SCB writes it (or its four-digit code)."),
        tr._("Gender: kvinna/woman, man, annat/other, or - (not stated)."),
        tr._("Language: %(codes)s (or the language's name).",
             codes=", ".join(PARTICIPANT_LANGUAGES)),
        tr._("Dates as dates or as YYYY-MM-DD. Coordinator: a staff member's name or "
             "Telegram id."),
        tr._("Personnummer and birth year are optional. A file with any bad row is not "
             "imported at all; importing the same file again adds nothing."),
    ):
        help_sheet.append([line])
    help_sheet.column_dimensions["A"].width = 110
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
