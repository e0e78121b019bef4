"""The monthly attendance sheets as a PDF: one A4 page per participant, ready to print
and sign (the same content as the workbook's sheets, `handlers.attendance`).

fpdf2 lays the pages out; text is shaped with HarfBuzz so names in Arabic script come out
joined and right to left. The font is DejaVu Sans from matplotlib's own data (a
dependency already), which covers Latin, Cyrillic and Arabic script.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from bot.text.i18n import Translator
from storage.attendance import SheetRow, Sheets

if TYPE_CHECKING:
    from fpdf import FPDF

FONT = "DejaVu"
LINE_HEIGHT = 9.0
LABEL_WIDTH = 62.0


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
    from fpdf.enums import XPos, YPos

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
