"""Bringing a caseload in from a spreadsheet: participants and staff, all or nothing.

A project starts from its Excel file. `read_table` reads XLSX and CSV as Swedish offices
have them (`;` or `,`, UTF-8 with or without BOM, or Windows-1252; Swedish or English
headers; real Excel dates or dates as text). `plan_participants` / `plan_staff` check every
row with the bot's own rules and say, by the spreadsheet's row number and column, what is
wrong; `apply_participants` / `apply_staff` store a plan that has no errors, in the
caller's one transaction, so a file is stored whole or not at all. Importing the same file
again changes nothing: a row that is already there (same personnummer, or else the same
name, enrolment date and municipality) is counted, not added again.

The words of the bot's vocabulary (genders, languages, entry data) are given by the caller
(`Vocabulary`), so the rules are the same as in the chat and nothing here knows Telegram.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage import personnummer as pnr
from storage.entry import ENTRY_FIELDS
from storage.entry import OLDEST_BIRTH_YEAR
from storage.entry import SENSITIVE_FIELDS
from storage.models import AuditLog
from storage.models import Gender
from storage.models import Participant
from storage.models import Role
from storage.models import Staff
from storage.models import Status
from storage.municipalities import SWEDEN
from storage.municipalities import Municipalities
from storage.municipalities import Resolution
from storage.municipalities import fold
from storage.participants import MUNICIPALITY_MAX
from storage.participants import NAME_MAX
from storage.participants import code_for
from storage.personnummer import PersonnummerCipher

MAX_ROWS = 50_000
"""A caseload is hundreds of rows; a file far larger is a mistake (or an attack)."""
MAX_BYTES = 20 * 1024 * 1024
EXCEL_EPOCH = date(1899, 12, 30)
_CHUNK = 1000


class ImportFileError(Exception):
    """The file as a whole cannot be read (format, encoding, headers). `kind` and `params`
    say why; the bot's text (bot/text/import_text.py) words it in the reader's language."""

    def __init__(self, kind: str, **params: object) -> None:
        super().__init__(kind, params)
        self.kind = kind
        self.params = params


# ---- the vocabulary the bot gives ----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Vocabulary:
    gender: Callable[[str], Gender | None]
    language: Callable[[str], str | None]
    """A participant language code from a code or a language's name."""
    staff_language: Callable[[str], str | None]
    role: Callable[[str], Role | None]
    entry_field: Callable[[str], str | None]
    """The entry-data field a header names ("födelseår" → birth_year), or None."""
    entry_value: Callable[[str, str], Any]
    """(field, text) → the value; ValueError when the text is not one of the field's words."""
    gender_words: str = "kvinna, man, annat, -"
    language_words: str = "sv, en, ar, fa_AF, fa, so, ti, uk, ps, ckb"


# ---- reading a file ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    """(the spreadsheet's row number, the cells) for every row with something in it."""


def read_table(data: bytes, filename: str) -> Table:
    """The first sheet of an XLSX file, or a CSV file; ImportFileError if neither."""
    if len(data) > MAX_BYTES:
        raise ImportFileError("too_large", mb=MAX_BYTES // (1024 * 1024))
    suffix = Path(filename).suffix.lower()
    if data[:4] == b"PK\x03\x04" or suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(data)
    if suffix in {".xls", ".ods", ".numbers"}:
        raise ImportFileError("convert_first")
    return _read_csv(data)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportFileError("not_xlsx", error=type(exc).__name__) from None
    try:
        sheet = book.worksheets[0]
        numbered = ((number, list(values)) for number, values in
                    enumerate(sheet.iter_rows(values_only=True), start=1))
        return _table(numbered)
    finally:
        book.close()


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) when it is; else the encoding charset-normalizer finds
    among those Swedish offices' files come in (Windows-1252 above all)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if data[:2] in {b"\xff\xfe", b"\xfe\xff"}:
        return data.decode("utf-16")
    best = from_bytes(data, cp_isolation=["cp1252", "iso8859_15", "utf_16"]).best()
    if best is None:
        raise ImportFileError("encoding")
    return str(best)


def _read_csv(data: bytes) -> Table:
    text = decode_text(data)
    first_line = text.split("\n", 1)[0]
    # Swedish Excel writes `;` (the comma is the decimal sign); others write `,`.
    delimiter = max(";,\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # The row number is the record's: what Excel shows when it opens the file.
        return _table(enumerate(reader, start=1))
    except csv.Error as exc:
        raise ImportFileError("not_csv", error=str(exc)) from None


def _table(numbered: Any) -> Table:
    headers: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    for number, values in numbered:
        cells = [_cell(value) for value in values]
        if not any(cell not in (None, "") for cell in cells):
            continue
        if headers is None:
            headers = [str(cell or "").strip() for cell in cells]
            continue
        rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            raise ImportFileError("too_many_rows", max=MAX_ROWS)
    if headers is None:
        raise ImportFileError("empty")
    return Table(headers, rows)


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = " ".join(value.split())
        return value or None
    return value


# ---- columns -------------------------------------------------------------------------------
def _folded_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(header)).strip()


PARTICIPANT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("namn", "name", "deltagare", "participant", "for och efternamn", "full name",
             "namn alias", "alias"),
    "municipality": ("kommun", "municipality", "hemkommun"),
    "gender": ("kon", "gender", "sex"),
    "language": ("sprak", "language", "modersmal"),
    "enrolled_on": ("inskrivningsdatum", "inskriven", "inskrivningsdag", "startdatum",
                    "start", "enrolled", "enrolment date", "enrollment date", "enrolled on",
                    "start date"),
    "coordinator": ("koordinator", "coordinator", "samordnare", "handlaggare"),
    "personnummer": ("personnummer", "pnr", "personal identity number",
                     "personal number"),
}
REQUIRED_PARTICIPANT = ("name", "municipality", "gender", "language", "enrolled_on")

STAFF_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("namn", "name"),
    "telegram_id": ("telegram id", "telegram", "telegram user id", "telegramid"),
    "role": ("roll", "role"),
    "municipality": ("kommun", "municipality"),
    "language": ("sprak", "language"),
}
REQUIRED_STAFF = ("name", "telegram_id", "role")


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    """The column's header as written in the file ("" for the row as a whole)."""
    kind: str
    """What is wrong (bot/text/import_text.py words it), e.g. "municipality_unknown"."""
    params: dict[str, object] = field(default_factory=dict)


def _map_columns(headers: list[str], known: dict[str, tuple[str, ...]],
                 required: Sequence[str], vocabulary: Vocabulary | None
                 ) -> tuple[dict[str, int], dict[str, int], list[str]]:
    """(core field → index, entry field → index, ignored headers); ImportFileError when a
    required column is missing or a column appears twice."""
    aliases = {alias: name for name, words in known.items() for alias in words}
    core: dict[str, int] = {}
    entry: dict[str, int] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        if not header:
            continue
        folded = _folded_header(header)
        name = aliases.get(folded)
        target = core
        if name is None and vocabulary is not None:
            name = vocabulary.entry_field(header)
            target = entry
        if name is None:
            ignored.append(header)
            continue
        if name in core or name in entry:
            raise ImportFileError("column_twice", column=header)
        target[name] = index
    missing = [name for name in required if name not in core]
    if missing:
        wanted = ", ".join(f"{known[name][0]}/{known[name][1]}" for name in missing)
        raise ImportFileError("missing_columns", columns=wanted)
    return core, entry, ignored


# ---- values --------------------------------------------------------------------------------
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%d/%m/%Y", "%d.%m.%Y",
                 "%d-%m-%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


def parse_date(value: Any) -> date | None:
    """A real Excel date, an ISO date or a day-first date as text, or an Excel serial."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(value)
    text = str(value).strip()
    if re.fullmatch(r"[0-9]{5}", text):
        return _serial(int(text))
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _serial(value: float) -> date | None:
    # Excel day numbers between 1982 and 2064: anything else is not a date someone meant.
    if 30_000 <= value <= 60_000:
        return EXCEL_EPOCH + timedelta(days=int(value))
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def name_key(name: str) -> str:
    return " ".join(name.casefold().split())


# ---- participants --------------------------------------------------------------------------
@dataclass(slots=True)
class ParticipantRow:
    row: int
    display_name: str
    municipality: str
    gender: Gender
    language: str
    enrolled_on: date
    coordinator_id: int
    number: pnr.Personnummer | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Plan:
    """What importing a file would do: rows to add, rows already there, and errors."""

    kind: str
    rows_read: int = 0
    new: list[Any] = field(default_factory=list)
    existing: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


async def plan_participants(
    session: AsyncSession, table: Table, vocabulary: Vocabulary, *, today: date,
    municipalities: Municipalities = SWEDEN, default_coordinator: Staff | None = None,
    cipher: PersonnummerCipher | None = None, sensitive_allowed: bool = False,
) -> Plan:
    """Check every row; nothing is written. Errors name the row and the column."""
    core, entry, ignored = _map_columns(table.headers, PARTICIPANT_COLUMNS,
                                        REQUIRED_PARTICIPANT, vocabulary)
    if "coordinator" not in core and default_coordinator is None:
        raise ImportFileError("no_coordinator_column")
    plan = Plan("participants", rows_read=len(table.rows), ignored_columns=ignored)
    header = {name: table.headers[index] for name, index in {**core, **entry}.items()}
    staff = (await session.exec(select(Staff))).all()
    by_id = {str(member.telegram_user_id): member for member in staff}
    by_name: dict[str, list[Staff]] = {}
    for member in staff:
        by_name.setdefault(name_key(member.name), []).append(member)
    existing_keys, existing_numbers = await _existing_participants(session, cipher)
    seen: dict[object, int] = {}
    resolved: dict[str, Any] = {}
    """A sheet repeats a few municipalities thousands of times: resolve each spelling once."""

    def cell(cells: list[Any], name: str) -> Any:
        index = core.get(name, entry.get(name))
        return cells[index] if index is not None and index < len(cells) else None

    for number, cells in table.rows:
        errors: list[RowError] = []

        def fail(name: str, kind: str, number: int = number,
                 errors: list[RowError] = errors, **params: object) -> None:
            errors.append(RowError(number, header.get(name, ""), kind, params))

        name = _text(cell(cells, "name"))
        if not name or len(name) > NAME_MAX:
            fail("name", "name_length", max=NAME_MAX)
        typed_place = _text(cell(cells, "municipality"))
        place = None
        if not typed_place or len(typed_place) > MUNICIPALITY_MAX:
            fail("municipality", "municipality_missing")
        else:
            found = resolved.get(typed_place)
            if found is None:
                found = resolved[typed_place] = municipalities.resolve(typed_place)
            if found.municipality is not None:
                place = found.municipality.name
            else:
                fail("municipality", _unknown_kind(found, municipalities), value=typed_place,
                     names=", ".join(m.name for m in found.suggestions))
        gender = vocabulary.gender(_text(cell(cells, "gender")) or "-")
        if gender is None:
            fail("gender", "gender", value=_text(cell(cells, "gender")),
                 words=vocabulary.gender_words)
        language = vocabulary.language(_text(cell(cells, "language")))
        if language is None:
            fail("language", "language", value=_text(cell(cells, "language")),
                 words=vocabulary.language_words)
        raw_date = cell(cells, "enrolled_on")
        enrolled_on = parse_date(raw_date) if raw_date is not None else None
        if enrolled_on is None:
            fail("enrolled_on", "date", value=_text(raw_date))
        elif enrolled_on > today:
            fail("enrolled_on", "date_future")
        coordinator = default_coordinator
        typed_coordinator = _text(cell(cells, "coordinator"))
        if typed_coordinator:
            matches = ([by_id[typed_coordinator]] if typed_coordinator in by_id
                       else by_name.get(name_key(typed_coordinator), []))
            if len(matches) != 1:
                coordinator = None
                fail("coordinator", "coordinator_ambiguous" if matches
                     else "coordinator_unknown", value=typed_coordinator)
            elif not matches[0].active:
                coordinator = None
                fail("coordinator", "coordinator_inactive", value=typed_coordinator)
            else:
                coordinator = matches[0]
        elif coordinator is None:
            fail("coordinator", "coordinator_missing")
        number_value = None
        typed_number = _text(cell(cells, "personnummer"))
        if typed_number:
            if cipher is None:
                fail("personnummer", "personnummer_off")
            else:
                try:
                    number_value = pnr.parse(typed_number, today=today)
                except pnr.InvalidPersonnummer:
                    fail("personnummer", "personnummer_invalid")
        details: dict[str, Any] = {}
        for field_name in entry:
            raw = _text(cell(cells, field_name))
            if not raw:
                continue
            if field_name in SENSITIVE_FIELDS and not sensitive_allowed:
                fail(field_name, "sensitive_off")
                continue
            try:
                details[field_name] = _entry_value(vocabulary, field_name, raw, today)
            except ValueError:
                fail(field_name, "not_understood", value=raw)
        if errors:
            plan.errors.extend(errors)
            continue
        assert place is not None and gender is not None and language is not None
        assert enrolled_on is not None and coordinator is not None
        key: object = (number_value.digits if number_value is not None
                       else (name_key(name), enrolled_on, place))
        if key in seen:
            plan.errors.append(RowError(number, "", "duplicate", {"row": seen[key]}))
            continue
        seen[key] = number
        # Already stored: the same personnummer, or (a number added since, or none) the
        # same name, enrolment date and municipality.
        if (number_value is not None and number_value.digits in existing_numbers) or (
                (name_key(name), enrolled_on, place) in existing_keys):
            plan.existing += 1
            continue
        plan.new.append(ParticipantRow(number, name, place, gender, language, enrolled_on,
                                       coordinator.id, number_value, details))  # type: ignore[arg-type]
    return plan


def _unknown_kind(found: Resolution, municipalities: Municipalities) -> str:
    """municipality_unknown / _outside (not one of PROJECT_MUNICIPALITIES), with
    `_suggest` when there are close names."""
    kind = ("municipality_unknown" if municipalities is SWEDEN or SWEDEN.resolve(
        found.typed).municipality is None else "municipality_outside")
    return kind + ("_suggest" if found.suggestions else "")


def _entry_value(vocabulary: Vocabulary, field_name: str, raw: str, today: date) -> Any:
    if field_name == "birth_year":
        if not re.fullmatch(r"[0-9]{4}", raw) or not OLDEST_BIRTH_YEAR <= int(raw) <= today.year:
            raise ValueError(raw)
        return int(raw)
    value = vocabulary.entry_value(field_name, raw)
    if field_name not in ENTRY_FIELDS:
        raise ValueError(raw)
    return value


async def _existing_participants(
    session: AsyncSession, cipher: PersonnummerCipher | None
) -> tuple[set[tuple[str, date, str]], set[str]]:
    """The match keys of the participants already stored: (name, enrolment date,
    municipality) and personnummer digits (decrypted: the tokens are not comparable)."""
    rows = (await session.exec(select(Participant.display_name, Participant.enrolled_on,
                                      Participant.municipality,
                                      Participant.personnummer_encrypted))).all()
    keys = {(name_key(name), enrolled, place) for name, enrolled, place, _ in rows}
    numbers: set[str] = set()
    if cipher is not None:
        for *_, token in rows:
            if token:
                try:
                    numbers.add(cipher.decrypt(token).digits)
                except Exception:  # a token of a retired key: not comparable
                    continue
    return keys, numbers


Progress = Callable[[int, int], None]


async def apply_participants(
    session: AsyncSession, plan: Plan, *, actor_staff_id: int | None, now: datetime,
    cipher: PersonnummerCipher | None = None, source: str = "",
    progress: Progress | None = None,
) -> list[str]:
    """Store a plan without errors in the session's transaction; the new codes, in file
    order. Rows go in a thousand per statement (insertmanyvalues), then get their codes
    and their audit rows the same way: 10,000 rows must not be 30,000 round trips."""
    if not plan.ok:
        raise ValueError("a plan with errors is not stored")
    participants = Participant.__table__
    total = len(plan.new)
    codes: list[str] = []
    for start in range(0, total, _CHUNK):
        chunk: list[ParticipantRow] = plan.new[start:start + _CHUNK]
        values = [{
            "code": f"~{uuid.uuid4().hex[:16]}", "display_name": row.display_name,
            "municipality": row.municipality, "gender": str(row.gender),
            "language": row.language, "coordinator_id": row.coordinator_id,
            "enrolled_on": row.enrolled_on, "status": str(Status.ACTIVE),
            "protected_identity": bool(row.details.get("protected_identity", False)),
            "created_at": now, "updated_at": now,
            "personnummer_encrypted": (cipher.encrypt(row.number)
                                       if cipher is not None and row.number is not None
                                       else None),
            **{key: value for key, value in row.details.items()
               if key != "protected_identity"},
        } for row in chunk]
        # Every row names the same columns, so one executemany covers the chunk.
        columns = set().union(*(value.keys() for value in values))
        values = [{column: value.get(column) for column in columns} for value in values]
        inserted = await session.exec(  # type: ignore[call-overload]
            insert(participants).returning(participants.c.id, sort_by_parameter_order=True),
            params=values)
        ids = [row[0] for row in inserted.all()]
        chunk_codes = [code_for(participant_id) for participant_id in ids]
        await session.exec(  # type: ignore[call-overload]
            update(participants).where(participants.c.id == bindparam("pid"))
            .values(code=bindparam("new_code")),
            params=[{"pid": pid, "new_code": code}
                    for pid, code in zip(ids, chunk_codes, strict=True)])
        await session.exec(  # type: ignore[call-overload]
            insert(AuditLog.__table__),  # type: ignore[attr-defined]
            params=[{"at": now, "actor_staff_id": actor_staff_id, "action": "participant.import",
              "target": code, "details": "{}"} for code in chunk_codes])
        codes += chunk_codes
        if progress is not None:
            progress(min(start + _CHUNK, total), total)
    audit.record(session, actor_staff_id=actor_staff_id, action="import.participants",
                 target=None, at=now, source=source, rows=plan.rows_read, added=total,
                 already_there=plan.existing)
    return codes


# ---- staff ---------------------------------------------------------------------------------
@dataclass(slots=True)
class StaffRow:
    row: int
    telegram_user_id: int
    name: str
    role: Role
    municipality: str | None
    language: str | None


async def plan_staff(session: AsyncSession, table: Table, vocabulary: Vocabulary, *,
                     municipalities: Municipalities = SWEDEN) -> Plan:
    core, _entry, ignored = _map_columns(table.headers, STAFF_COLUMNS, REQUIRED_STAFF, None)
    plan = Plan("staff", rows_read=len(table.rows), ignored_columns=ignored)
    header = {name: table.headers[index] for name, index in core.items()}
    known = set((await session.exec(select(Staff.telegram_user_id))).all())
    seen: dict[int, int] = {}
    for number, cells in table.rows:
        errors: list[RowError] = []

        def fail(name: str, kind: str, number: int = number,
                 errors: list[RowError] = errors, **params: object) -> None:
            errors.append(RowError(number, header.get(name, ""), kind, params))

        def cell(name: str, cells: list[Any] = cells) -> str:
            index = core.get(name)
            return _text(cells[index]) if index is not None and index < len(cells) else ""

        name = cell("name")
        if not name or len(name) > NAME_MAX:
            fail("name", "name_length", max=NAME_MAX)
        telegram_id = int(cell("telegram_id")) if re.fullmatch(r"[0-9]{1,15}",
                                                                cell("telegram_id")) else 0
        if telegram_id <= 0:
            fail("telegram_id", "telegram_id", value=cell("telegram_id"))
        role = vocabulary.role(cell("role"))
        if role is None:
            fail("role", "role", value=cell("role"))
        place = None
        if cell("municipality"):
            found = municipalities.resolve(cell("municipality"))
            if found.municipality is None:
                fail("municipality", _unknown_kind(found, municipalities),
                     value=cell("municipality"),
                     names=", ".join(m.name for m in found.suggestions))
            else:
                place = found.municipality.name
        language = None
        if cell("language"):
            language = vocabulary.staff_language(cell("language"))
            if language is None:
                fail("language", "staff_language", value=cell("language"))
        if errors:
            plan.errors.extend(errors)
            continue
        if telegram_id in seen:
            plan.errors.append(RowError(number, header["telegram_id"], "duplicate_telegram_id",
                                        {"row": seen[telegram_id]}))
            continue
        seen[telegram_id] = number
        if telegram_id in known:
            plan.existing += 1
            continue
        plan.new.append(StaffRow(number, telegram_id, name, role, place,  # type: ignore[arg-type]
                                 language))
    return plan


async def apply_staff(session: AsyncSession, plan: Plan, *, actor_staff_id: int | None,
                      now: datetime, source: str = "") -> int:
    if not plan.ok:
        raise ValueError("a plan with errors is not stored")
    members = [Staff(telegram_user_id=row.telegram_user_id, name=row.name, role=row.role,
                     municipality=row.municipality, language=row.language, created_at=now)
               for row in plan.new]
    session.add_all(members)
    await session.flush()
    for member in members:
        audit.record(session, actor_staff_id=actor_staff_id, action="staff.add",
                     target=f"staff:{member.id}", at=now, role=str(member.role),
                     imported=True)
    audit.record(session, actor_staff_id=actor_staff_id, action="import.staff", target=None,
                 at=now, source=source, rows=plan.rows_read, added=len(members),
                 already_there=plan.existing)
    return len(members)


async def participant_count(session: AsyncSession) -> int:
    return int((await session.exec(select(func.count()).select_from(Participant))).one())

