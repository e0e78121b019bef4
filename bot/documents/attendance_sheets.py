"""The monthly attendance sheets to sign: a workbook (an overview, then one printable
sheet per participant) or a PDF (one A4 page per participant), with the same content.

fpdf2 lays the pages out; text is shaped with HarfBuzz so names in Arabic script come out
joined and right to left. The font is DejaVu Sans from matplotlib's own data (a
dependency already), which covers Latin, Cyrillic and Arabic script.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path
from typing import TYPE_CHECKING

from bot.documents.cells import append
from bot.documents.cells import plain_sheet_title
from bot.documents.cells import sheet_title
from bot.text.i18n import Translator
from storage.attendance import SheetRow
from storage.attendance import Sheets

if TYPE_CHECKING:  # imported when a file is written (openpyxl ~0.2 s and ~28 MiB)
    from fpdf import FPDF
    from openpyxl.worksheet.worksheet import Worksheet

FONT = "DejaVu"
LINE_HEIGHT = 9.0
LABEL_WIDTH = 62.0


# ---- the workbook ---------------------------------------------------------------------
def build_workbook(sheets: Sheets, tr: Translator) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    overview = workbook.active
    assert overview is not None
    overview.title = sheet_title(tr, tr._("Overview"))
    month = tr.date(sheets.month, "LLLL y")
    bold = Font(bold=True)
    append(overview, [tr._("Attendance, %(month)s", month=month)])
    overview["A1"].font = Font(bold=True, size=14)
    append(overview, [])
    header = [tr._("Code"), *([tr._("Name")] if sheets.with_names else []),
              tr._("Municipality"), tr._("Coordinator"), tr._("Hours")]
    append(overview, header)
    for cell in overview[overview.max_row]:
        cell.font = bold
    for row in sheets.rows:
        append(overview, [row.code, *([row.name] if sheets.with_names else []),
                         row.municipality, row.coordinator, row.hours])
    append(overview, [])
    append(overview, [tr._("Left out (protected identity)"), sheets.left_out])
    for letter in "ABCDE":
        overview.column_dimensions[letter].width = 22
    for row in sheets.rows:
        _signing_sheet(workbook.create_sheet(plain_sheet_title(row.code)), tr, row, month)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _signing_sheet(sheet: Worksheet, tr: Translator, row: SheetRow,
                   month: str) -> None:
    """One printable page: who, which month, how many hours, two signatures."""
    from openpyxl.styles import Border
    from openpyxl.styles import Font
    from openpyxl.styles import Side

    line = Border(bottom=Side(style="thin"))
    append(sheet, [tr._("Attendance, %(month)s", month=month)])
    sheet["A1"].font = Font(bold=True, size=14)
    append(sheet, [])
    fields = [(tr._("Participant"), row.code if row.name is None else f"{row.code} {row.name}"),
              (tr._("Municipality"), row.municipality), (tr._("Coordinator"), row.coordinator),
              (tr._("Month"), month), (tr._("Hours of participation"), row.hours)]
    for label, value in fields:
        append(sheet, [label, value])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        if value is None:  # left to fill in by hand
            sheet.cell(row=sheet.max_row, column=2).border = line
    append(sheet, [])
    append(sheet, [tr._("We confirm that the hours above are correct.")])
    for signer in (tr._("Participant's signature"), tr._("Coordinator's signature")):
        append(sheet, [])
        append(sheet, [])
        append(sheet, [signer, None, tr._("Date")])
        for column in (2, 4):
            sheet.cell(row=sheet.max_row, column=column).border = line
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 34
    sheet.column_dimensions["C"].width = 8
    sheet.column_dimensions["D"].width = 16
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 1
    sheet.print_area = f"A1:D{sheet.max_row}"


# ---- the PDF --------------------------------------------------------------------------
def _font_dir() -> Path:
    # Found without importing matplotlib (half a second and ~50 MiB) just for a path.
    spec = importlib.util.find_spec("matplotlib")
    assert spec is not None and spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"


def build_pdf(sheets: Sheets, tr: Translator, *, month_text: str) -> bytes:
    """Every row of `sheets` on a page of its own."""
    from fpdf import FPDF  # imported when a PDF is asked for: it is not needed to start

    pdf = FPDF(format="A4")
    pdf.set_title(tr._("Attendance, %(month)s", month=month_text))
    pdf.set_creator("Koordinator")
    fonts = _font_dir()
    pdf.add_font(FONT, "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_text_shaping(True)
    pdf.set_auto_page_break(False)
    for row in sheets.rows:
        _page(pdf, tr, row, month_text)
    return bytes(pdf.output())


def _page(pdf: FPDF, tr: Translator, row: SheetRow, month_text: str) -> None:
    from fpdf.enums import XPos
    from fpdf.enums import YPos

    pdf.add_page()
    pdf.set_font(FONT, "B", 18)
    pdf.cell(0, 14, tr._("Attendance, %(month)s", month=month_text),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    participant = row.code if row.name is None else f"{row.code} {row.name}"
    fields = [(tr._("Participant"), participant), (tr._("Municipality"), row.municipality),
              (tr._("Coordinator"), row.coordinator), (tr._("Month"), month_text),
              (tr._("Hours of participation"), _hours(tr, row.hours))]
    for label, value in fields:
        pdf.set_font(FONT, "B", 12)
        pdf.cell(LABEL_WIDTH, LINE_HEIGHT, label)
        pdf.set_font(FONT, "", 12)
        if value:
            pdf.cell(0, LINE_HEIGHT, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:  # left to fill in by hand, on a line
            x, y = pdf.get_x(), pdf.get_y() + LINE_HEIGHT - 1
            pdf.line(x, y, x + 60, y)
            pdf.ln(LINE_HEIGHT)
    pdf.ln(10)
    pdf.set_font(FONT, "", 12)
    pdf.multi_cell(0, LINE_HEIGHT, tr._("We confirm that the hours above are correct."),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for signer in (tr._("Participant's signature"), tr._("Coordinator's signature")):
        pdf.ln(22)
        y = pdf.get_y()
        left = pdf.l_margin
        pdf.line(left, y, left + 100, y)
        pdf.line(left + 120, y, left + 170, y)
        pdf.set_font(FONT, "", 10)
        pdf.cell(120, 6, signer)
        pdf.cell(50, 6, tr._("Date"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _hours(tr: Translator, hours: float | None) -> str:
    return "" if hours is None else tr.number(round(hours, 2))
