"""What importing a spreadsheet says, in the reader's language: the command line (English)
and the chat both word storage.importing's findings here."""

from __future__ import annotations

import html

from bot.text.i18n import N_
from bot.text.i18n import SafeHtml
from bot.text.i18n import Translator
from storage.importing import ImportFileError
from storage.importing import Plan
from storage.importing import RowError

FILE_ERRORS: dict[str, str] = {
    "too_large": N_("The file is larger than %(mb)s MB."),
    "convert_first": N_("Save the file as .xlsx or .csv first."),
    "not_xlsx": N_("This is not a readable .xlsx file (%(error)s)."),
    "not_csv": N_("This is not a readable CSV file (%(error)s)."),
    "encoding": N_("The file's characters are neither UTF-8 nor Windows-1252."),
    "too_many_rows": N_("The file has more than %(max)s rows."),
    "empty": N_("The file is empty."),
    "column_twice": N_("The column “%(column)s” appears twice."),
    "missing_columns": N_("The file has no column for %(columns)s (the first row must name "
                          "the columns)."),
    "no_coordinator_column": N_("The file has no column koordinator/coordinator: name the "
                                "coordinator of every row (on the command line: "
                                "--coordinator)."),
}

ROW_ERRORS: dict[str, str] = {
    "name_length": N_("a name of 1–%(max)s characters is needed"),
    "municipality_missing": N_("a municipality is needed"),
    "municipality_unknown": N_("“%(value)s” is not a Swedish municipality"),
    "municipality_unknown_suggest": N_("“%(value)s” is not a Swedish municipality; did you "
                                       "mean %(names)s?"),
    "municipality_outside": N_("“%(value)s” is not one of the project's municipalities"),
    "municipality_outside_suggest": N_("“%(value)s” is not one of the project's "
                                       "municipalities; did you mean %(names)s?"),
    "gender": N_("“%(value)s” is not a gender; use one of %(words)s"),
    "language": N_("“%(value)s” is not a language the bot speaks; use one of %(words)s"),
    "date": N_("“%(value)s” is not a date; write it as YYYY-MM-DD"),
    "date_future": N_("the enrolment date is in the future"),
    "coordinator_ambiguous": N_("“%(value)s” is several staff members; use the Telegram id"),
    "coordinator_unknown": N_("“%(value)s” is not on the staff list (a name or a Telegram "
                              "id)"),
    "coordinator_inactive": N_("“%(value)s” is no longer active"),
    "coordinator_missing": N_("a coordinator is needed"),
    "personnummer_off": N_("personal identity numbers cannot be stored: the "
                           "PERSONNUMMER_KEY setting is empty"),
    "personnummer_invalid": N_("not a valid personal identity number"),
    "sensitive_off": N_("disability and foreign background are not recorded in this "
                        "project (SENSITIVE_CATEGORIES is off)"),
    "not_understood": N_("“%(value)s” is not understood"),
    "duplicate": N_("the same participant as row %(row)s"),
    "telegram_id": N_("“%(value)s” is not a Telegram id (a number)"),
    "role": N_("“%(value)s” is not a role; use admin, lead or coordinator"),
    "staff_language": N_("“%(value)s” is not a staff language (sv or en)"),
    "duplicate_telegram_id": N_("the same Telegram id as row %(row)s"),
}


def file_error_text(tr: Translator, error: ImportFileError) -> str:
    return tr._(FILE_ERRORS[error.kind], **error.params)


def row_error_text(tr: Translator, error: RowError) -> str:
    """`row 5, Kommun: “Atlantis” is not a Swedish municipality` (escaped HTML)."""
    problem = tr._(ROW_ERRORS[error.kind], **error.params)
    if error.column:
        return tr._("row %(row)s, %(column)s: %(problem)s", row=error.row,
                    column=error.column, problem=SafeHtml(problem))
    return tr._("row %(row)s: %(problem)s", row=error.row, problem=SafeHtml(problem))


def plan_summary(tr: Translator, plan: Plan, name: str) -> str:
    what = (tr.ngettext("%(n)s new participant", "%(n)s new participants", len(plan.new))
            if plan.kind == "participants"
            else tr.ngettext("%(n)s new staff member", "%(n)s new staff members",
                             len(plan.new)))
    return tr._("%(name)s: %(rows)s rows; %(new)s, %(existing)s already there, %(errors)s "
                "with errors.", name=name, rows=plan.rows_read, new=SafeHtml(what),
                existing=plan.existing, errors=len(plan.errors))


def plain(text: str) -> str:
    """Translated HTML text for a terminal."""
    return html.unescape(text)

