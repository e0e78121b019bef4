"""`koordinator`: run, demo, db, staff, import, gdpr, report, i18n (and its review sheets)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any
from typing import TypeVar

from bot.runtime import logs
from bot.runtime.config import ConfigError
from bot.runtime.config import Settings
from bot.runtime.config import load_settings
from storage import migrate
from storage.db import create_engine
from storage.db import session_maker
from storage.db import transaction
from storage.errors import DomainError
from storage.models import Role
from storage.models import set_dropout_reasons

T = TypeVar("T")

log = logging.getLogger("koordinator")


class CliError(Exception):
    """A one-line message for the operator; exit status 1."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        settings = load_settings()
        logs.configure(settings.log_level, settings.log_format)
        set_dropout_reasons(settings.dropouts)
        result = args.handler(settings, args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
        return int(result or 0)
    except (ConfigError, CliError) as exc:
        print(f"koordinator: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="koordinator", description=__doc__)
    commands = parser.add_subparsers(title="commands")

    run = commands.add_parser("run", help="run the bot (long polling)")
    run.set_defaults(handler=cmd_run)

    demo = commands.add_parser("demo", help="offline sandbox: emulated Telegram + web chat page")
    demo.add_argument("--port", type=int, default=8080, help="web page port (default 8080)")
    demo.add_argument("--fresh", action="store_true", help="start from a new demo database")
    demo.add_argument("--speed", type=float, default=1.0,
                      help="run the clock this many times faster (e.g. 120: a reminder "
                           "due in two hours fires within a minute)")
    demo.set_defaults(handler=cmd_demo)

    ask = commands.add_parser("ask", help="answer a question exactly as the bot would")
    ask.add_argument("question")
    ask.add_argument("--as", dest="telegram_id", type=int, required=True,
                     help="the staff member's Telegram id (their access rules apply)")
    ask.set_defaults(handler=cmd_ask)

    demo_data = commands.add_parser(
        "demo-data", help="fill an empty database with a realistic synthetic project")
    demo_data.add_argument("--seed", type=int, default=7)
    demo_data.set_defaults(handler=cmd_demo_data)

    db = commands.add_parser("db", help="database schema").add_subparsers(title="db commands")
    upgrade = db.add_parser("upgrade", help="apply migrations (run after every update)")
    upgrade.set_defaults(handler=cmd_db_upgrade)
    current = db.add_parser("current", help="show the schema revision")
    current.set_defaults(handler=cmd_db_current)
    copy = db.add_parser("copy", help="copy all data into another (empty, upgraded) database")
    copy.add_argument("--to", required=True, metavar="URL",
                      help="target, e.g. postgresql://user@host/koordinator")
    copy.add_argument("--to-schema", default="", help="PostgreSQL schema of the target")
    copy.set_defaults(handler=cmd_db_copy)
    tallies = db.add_parser(
        "tallies", help="check the check-in day tallies against the check-ins (exit 1 if off)")
    tallies.add_argument("--rebuild", action="store_true",
                         help="replace them with a recount (after triggers were lost)")
    tallies.set_defaults(handler=cmd_db_tallies)

    staff = commands.add_parser("staff", help="staff members").add_subparsers(title="staff")
    add = staff.add_parser("add", help="add a staff member (bootstrap the first admin)")
    add.add_argument("--telegram-id", type=int, required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=[r.value for r in Role], required=True)
    add.add_argument("--municipality")
    add.add_argument("--language", choices=["sv", "en"])
    add.set_defaults(handler=cmd_staff_add)
    for name, active in (("deactivate", False), ("activate", True)):
        toggle = staff.add_parser(name, help=f"{name} a staff member at once")
        toggle.add_argument("--telegram-id", type=int, required=True)
        toggle.set_defaults(handler=cmd_staff_active, active=active)
    listing = staff.add_parser("list", help="list staff")
    listing.set_defaults(handler=cmd_staff_list)

    audit_log = commands.add_parser(
        "audit", help="the latest audit entries (who did what to which code, when); ids only")
    audit_log.add_argument("--limit", type=int, default=50)
    audit_log.set_defaults(handler=cmd_audit)

    outbox = commands.add_parser("outbox", help="the message outbox").add_subparsers(
        title="outbox")
    status = outbox.add_parser(
        "status", help="rows by status; failed and expired (never sent) in all and last day")
    status.set_defaults(handler=cmd_outbox_status)

    importing = commands.add_parser(
        "import", help="bring a caseload in from a spreadsheet (XLSX or CSV), all or nothing"
    ).add_subparsers(title="import")
    people = importing.add_parser(
        "participants", help="participants: namn/name, kommun/municipality, kön/gender, "
                             "språk/language, inskrivningsdatum/enrolled, koordinator/coordinator")
    people.add_argument("file")
    people.add_argument("--dry-run", action="store_true", help="check and report; store nothing")
    people.add_argument("--coordinator", metavar="NAME|TELEGRAM_ID",
                        help="coordinator of the rows without one (or of all, without the column)")
    people.set_defaults(handler=cmd_import, kind="participants")
    team = importing.add_parser("staff", help="staff: namn/name, telegram id, roll/role, "
                                              "kommun/municipality, språk/language")
    team.add_argument("file")
    team.add_argument("--dry-run", action="store_true", help="check and report; store nothing")
    team.set_defaults(handler=cmd_import, kind="staff")

    check = db.add_parser("check", help="list data that breaks the rules, with what to do "
                                        "(exit 1 if any)")
    check.set_defaults(handler=cmd_db_check)
    rename = db.add_parser("rename-municipality",
                           help="replace a municipality stored as free text by an official one")
    rename.add_argument("stored", help="the value exactly as `db check` shows it")
    rename.add_argument("official", help="the municipality meant (name or SCB code)")
    rename.set_defaults(handler=cmd_db_rename_municipality)

    gdpr = commands.add_parser("gdpr", help="data-subject rights").add_subparsers(title="gdpr")
    erase = gdpr.add_parser("erase", help="erase a participant's personal data")
    erase.add_argument("code")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.set_defaults(handler=cmd_gdpr_erase)
    export = gdpr.add_parser("export", help="everything stored about a participant, as JSON")
    export.add_argument("code")
    export.set_defaults(handler=cmd_gdpr_export)
    retention = gdpr.add_parser("retention", help="anonymise participants ended long ago")
    retention.add_argument("--dry-run", action="store_true", help="only list who would be")
    retention.set_defaults(handler=cmd_gdpr_retention)

    report = commands.add_parser(
        "report", help="funder reports (ESF+, SCB) as CSV or XLSX; the SCB list with "
                       "personal identity numbers in clear")
    report.add_argument("kind", choices=["esf-entry", "esf-result", "scb-monthly", "outcomes"])
    report.add_argument("--from", dest="start", type=_iso_date, metavar="YYYY-MM-DD")
    report.add_argument("--to", dest="end", type=_iso_date, metavar="YYYY-MM-DD")
    report.add_argument("--out", metavar="FILE",
                        help="write here (.xlsx gives a workbook); default: CSV on stdout")
    report.add_argument("--lang", choices=["sv", "en"], help="language of the headers")
    report.set_defaults(handler=cmd_report)

    i18n = commands.add_parser("i18n", help="translation catalogs").add_subparsers(title="i18n")
    for name, help_text in (
        ("extract", "extract msgids into locales/messages.pot"),
        ("update", "extract and merge into every catalog"),
        ("compile", "compile .po catalogs into .mo"),
        ("check", "check catalogs: placeholders, plurals, coverage"),
        ("table", "print the coverage table for locales/README.md"),
    ):
        sub = i18n.add_parser(name, help=help_text)
        sub.set_defaults(handler=cmd_i18n, action=name)
    sheet = i18n.add_parser("review-sheet", help="an XLSX of a language's participant strings "
                                                 "for an interpreter to review")
    sheet.add_argument("language")
    sheet.add_argument("--out", metavar="FILE", help="default: review-LANG-DATE.xlsx")
    sheet.set_defaults(handler=cmd_i18n_review_sheet)
    apply = i18n.add_parser("apply-review", help="merge a returned review sheet's better "
                                                 "wordings into the catalog")
    apply.add_argument("file")
    apply.set_defaults(handler=cmd_i18n_apply_review)
    return parser


# ---- helpers ---------------------------------------------------------------------------
def engine_for(settings: Settings, *, bounded: bool = True) -> Any:
    """The database engine; `bounded=False` (migrations, copies) lifts the statement timeout."""
    return create_engine(
        settings.effective_database_url, schema=settings.database_schema or None,
        statement_timeout_seconds=settings.database_statement_timeout_seconds if bounded else None)


async def _with_sessions(settings: Settings, work: Callable[[Any], Awaitable[Any]],
                         *, require_schema: bool = True) -> Any:
    engine = engine_for(settings)
    try:
        if require_schema:
            await ensure_schema_current(engine)
        return await work(session_maker(engine))
    finally:
        await engine.dispose()


async def _in_transaction(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """`work(session)` in one transaction (committed before this returns), on a database
    whose schema is current; what it returns comes back."""

    async def run(sessions: Any) -> T:
        async with transaction(sessions) as session:
            return await work(session)

    result: T = await _with_sessions(settings, run)
    return result


async def ensure_schema_current(engine: Any) -> None:
    """Refuse to run on a database whose schema is behind (say which command fixes it)."""
    try:
        current = await migrate.current_revision(engine)
    except OSError as exc:
        raise CliError(f"cannot reach the database: {exc}") from None
    if current != migrate.head_revision():
        raise CliError(
            f"the database schema is at {current or 'nothing'}, the code needs "
            f"{migrate.head_revision()}: run `koordinator db upgrade` first"
        )


# ---- commands --------------------------------------------------------------------------
async def cmd_db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    engine = engine_for(settings, bounded=False)
    try:
        await migrate.upgrade(engine)
        print(f"database is at revision {await migrate.current_revision(engine)}")
    finally:
        await engine.dispose()
    return 0


async def cmd_db_current(settings: Settings, _args: argparse.Namespace) -> int:
    engine = engine_for(settings)
    try:
        current = await migrate.current_revision(engine)
        head = migrate.head_revision()
        print(f"current: {current or 'none'}; code expects: {head}")
        return 0 if current == head else 1
    finally:
        await engine.dispose()


async def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    """Send the question to the real bot through the offline emulator and print the reply."""
    import html
    import re

    from telegram import Update

    from bot.app import build_application
    from bot.sandbox.emulator import BotApiEmulator
    from bot.sandbox.emulator import FakeUser
    from bot.sandbox.server import serving

    engine = engine_for(settings)
    emulator = BotApiEmulator(token="cli:ask")
    try:
        await ensure_schema_current(engine)
        async with serving(emulator.asgi_app()) as port:
            offline = settings.model_copy(update={
                "telegram_bot_token": emulator.token,
                "telegram_api_base_url": f"http://127.0.0.1:{port}/bot"})
            app = build_application(offline, session_maker(engine), with_updater=False)
            async with app:
                asker = FakeUser(args.telegram_id, "CLI", language_code=None)
                update = emulator.user_sends(asker, args.question)
                await app.process_update(Update.de_json(update, app.bot))
    finally:
        await engine.dispose()
    for message in emulator.bot_messages(args.telegram_id):
        print(html.unescape(re.sub(r"<[^>]+>", "", message.body)))
        for label, _data in message.buttons:
            print(f"  [{label}]")
    return 0


async def cmd_demo_data(settings: Settings, args: argparse.Namespace) -> int:
    from bot.runtime.clock import SystemClock
    from storage.demo_data import database_is_empty
    from storage.demo_data import seed_demo_project

    async def work(sessions: Any) -> None:
        async with transaction(sessions) as session:
            empty = await database_is_empty(session)
        if not empty:
            raise CliError("the database is not empty; demo data goes into an empty one")
        project = await seed_demo_project(sessions, now=SystemClock().now(), rng_seed=args.seed)
        print(f"created a demo project: {len(project.personas)} staff personas, "
              f"{project.participants} participants ({project.ended} ended), "
              f"{project.checkins} check-ins")

    await _with_sessions(settings, work)
    return 0


async def cmd_db_copy(settings: Settings, args: argparse.Namespace) -> int:
    from storage.copy import CopyRefused
    from storage.copy import copy_database

    target_url = load_settings(database_url=args.to).database_url
    source, target = engine_for(settings, bounded=False), create_engine(target_url,
                                                         schema=args.to_schema or None)
    try:
        copied = await copy_database(
            source, target, progress=lambda table, n: print(f"{table}: {n} rows"))
    except CopyRefused as exc:
        raise CliError(f"nothing copied: {exc}") from None
    finally:
        await source.dispose()
        await target.dispose()
    print(f"copied {sum(copied.values())} rows; point DATABASE_URL at the new database")
    return 0


async def cmd_db_tallies(settings: Settings, args: argparse.Namespace) -> int:
    from storage.tallies import describe
    from storage.tallies import rebuild_tallies
    from storage.tallies import tally_differences

    shown = 20

    async def work(session: Any) -> tuple[dict[str, int] | None, list[Any]]:
        written = await rebuild_tallies(session) if args.rebuild else None
        return written, await tally_differences(session)

    written, differences = await _in_transaction(settings, work)
    if written is not None:
        print("rebuilt: " + ", ".join(f"{table} {n} rows" for table, n in written.items()))
    if not differences:
        print("the tallies match the check-ins")
        return 0
    for line in describe(differences[:shown]):
        print(line)
    more = f" ({len(differences) - shown} more)" if len(differences) > shown else ""
    raise CliError(f"{len(differences)} tally cells differ from the check-ins{more}: "
                   "run `koordinator db tallies --rebuild`")


async def cmd_staff_add(settings: Settings, args: argparse.Namespace) -> int:
    from bot.runtime.clock import SystemClock
    from storage.staff import add_staff

    try:
        member = await _in_transaction(settings, lambda session: add_staff(
            session, telegram_user_id=args.telegram_id, name=args.name, role=Role(args.role),
            municipality=args.municipality, language=args.language, now=SystemClock().now(),
            municipalities=settings.municipalities))
    except DomainError as exc:
        raise CliError(f"not added: {exc.code} {exc.params}") from None
    print(f"added {member.name} ({member.role}) with Telegram id {member.telegram_user_id}")
    return 0


async def cmd_staff_active(settings: Settings, args: argparse.Namespace) -> int:
    from bot.runtime.clock import SystemClock
    from storage.staff import set_staff_active

    try:
        member = await _in_transaction(settings, lambda session: set_staff_active(
            session, args.telegram_id, args.active, now=SystemClock().now()))
    except DomainError as exc:
        raise CliError(f"not changed: {exc.code}") from None
    print(f"{member.name}: {'active' if member.active else 'inactive'}")
    return 0


async def cmd_staff_list(settings: Settings, _args: argparse.Namespace) -> int:
    from sqlmodel import select

    from storage.models import Staff

    async def everyone(session: Any) -> Any:
        return (await session.exec(select(Staff).order_by(Staff.id))).all()

    for member in await _in_transaction(settings, everyone):
        state = "active" if member.active else "inactive"
        print(f"{member.telegram_user_id}\t{member.role}\t{state}\t{member.name}")
    return 0


async def cmd_audit(settings: Settings, args: argparse.Namespace) -> int:
    """The admin's view of the audit log: newest first, one line an entry, no names."""
    from storage import audit

    entries = await _in_transaction(
        settings, lambda session: audit.recent_entries(session, limit=max(1, args.limit)))
    for entry in entries:
        print(f"{entry.at.isoformat()}\t{entry.actor_staff_id or '-'}\t"
              f"{entry.action}\t{entry.target or '-'}")
    return 0


async def cmd_outbox_status(settings: Settings, _args: argparse.Namespace) -> int:
    """What an operator checks after an outage: how much waits, and what was never sent.

    Exit status 1 when a message failed or expired in the last day (for monitoring)."""
    from bot.runtime.clock import SystemClock
    from storage import outbox

    async def work(session: Any) -> tuple[dict[str, int], dict[str, Any]]:
        now = SystemClock().now()
        return (await outbox.count_by_status(session),
                await outbox.health_counts(session, now=now))

    by_status, health = await _in_transaction(settings, work)
    for name in sorted(by_status):
        print(f"{name}\t{by_status[name]}")
    for name in ("due", "oldest_due_seconds", "failed_last_day", "expired_last_day"):
        print(f"{name}\t{health[name]}")
    lost_recently = int(health["failed_last_day"]) + int(health["expired_last_day"])
    return 1 if lost_recently else 0

MAX_ERRORS_SHOWN = 100


def cmd_import(settings: Settings, args: argparse.Namespace) -> Any:
    """Read the file before entering the event loop, then check and store it."""
    from pathlib import Path

    from storage import importing

    path = Path(args.file)
    try:
        table = importing.read_table(path.read_bytes(), path.name)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    except importing.ImportFileError as exc:
        raise CliError(f"{path.name}: {_cli_text(settings, exc)}") from None
    return _import(settings, args, table, path.name)


async def _import(settings: Settings, args: argparse.Namespace, table: Any, name: str) -> int:
    """Check every row, and store all of it in one transaction (or nothing)."""
    from bot.runtime.clock import SystemClock
    from bot.text.vocabulary import IMPORT_VOCABULARY
    from storage import importing
    from storage.personnummer import PersonnummerCipher
    from storage.staff import staff_by_reference

    cipher = PersonnummerCipher.from_setting(settings.personnummer_key)
    clock = SystemClock()

    async def work(sessions: Any) -> int:
        async with transaction(sessions) as session:
            try:
                if args.kind == "staff":
                    plan = await importing.plan_staff(session, table, IMPORT_VOCABULARY,
                                                      municipalities=settings.municipalities)
                else:
                    default = None
                    if args.coordinator:
                        default = await staff_by_reference(session, args.coordinator)
                        if not default.active:
                            raise CliError(f"--coordinator {args.coordinator}: no longer "
                                           "active")
                    plan = await importing.plan_participants(
                        session, table, IMPORT_VOCABULARY,
                        today=clock.now().astimezone(settings.tz).date(),
                        municipalities=settings.municipalities, default_coordinator=default,
                        cipher=cipher, sensitive_allowed=settings.sensitive_categories)
            except importing.ImportFileError as exc:
                raise CliError(f"{name}: {_cli_text(settings, exc)}") from None
            except DomainError as exc:
                raise CliError(f"--coordinator {args.coordinator}: {exc.code} "
                               f"{exc.params}") from None
            _print_plan(settings, plan, name)
            if not plan.ok:
                print(f"nothing was imported: fix the {len(plan.errors)} error(s) and run "
                      f"again", file=sys.stderr)
                return 1
            if args.dry_run or not plan.new:
                if args.dry_run:
                    print("dry run: nothing was stored")
                return 0
            progress = _progress_bar(f"importing {args.kind}")
            if args.kind == "staff":
                await importing.apply_staff(session, plan, actor_staff_id=None,
                                            now=clock.now(), source=name)
            else:
                await importing.apply_participants(
                    session, plan, actor_staff_id=None, now=clock.now(), cipher=cipher,
                    source=name, progress=progress)
        print(f"imported {len(plan.new)} {args.kind}")
        return 0

    return await _with_sessions(settings, work)


def _english(settings: Settings) -> Any:
    from bot.text.i18n import Translator

    return Translator("en", settings.tz)


def _cli_text(settings: Settings, error: Any) -> str:
    from bot.text.import_text import file_error_text
    from bot.text.import_text import plain

    return plain(file_error_text(_english(settings), error))


def _print_plan(settings: Settings, plan: Any, name: str) -> None:
    from bot.text.import_text import plain
    from bot.text.import_text import plan_summary
    from bot.text.import_text import row_error_text

    tr = _english(settings)
    print(plain(plan_summary(tr, plan, name)))
    if plan.ignored_columns:
        print("columns not read: " + ", ".join(plan.ignored_columns))
    for error in plan.errors[:MAX_ERRORS_SHOWN]:
        print(f"  {plain(row_error_text(tr, error))}", file=sys.stderr)
    if len(plan.errors) > MAX_ERRORS_SHOWN:
        print(f"  … and {len(plan.errors) - MAX_ERRORS_SHOWN} more", file=sys.stderr)


def _progress_bar(label: str) -> Callable[[int, int], None] | None:
    """A one-line bar on a terminal's stderr; nothing when stderr is a file or a pipe."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] "
                         f"{done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


async def cmd_db_check(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.runtime.clock import SystemClock
    from storage.checks import check_database

    findings = await _in_transaction(settings, lambda session: check_database(
        session, municipalities=settings.municipalities,
        today=SystemClock().now().astimezone(settings.tz).date()))
    for finding in findings:
        print(f"{finding.problem}: {finding.subject}")
        print(f"    → {finding.remedy}")
    print(f"{len(findings)} problem(s) found" if findings else "no problems found")
    return 1 if findings else 0


async def cmd_db_rename_municipality(settings: Settings, args: argparse.Namespace) -> int:
    from bot.runtime.clock import SystemClock
    from storage.checks import rename_municipality

    found = settings.municipalities.resolve(args.official)
    if found.municipality is None:
        hint = ", ".join(m.name for m in found.suggestions)
        raise CliError(f"{args.official!r} is not one of the project's municipalities"
                       + (f" (did you mean {hint}?)" if hint else ""))
    official = found.municipality.name

    people, staff = await _in_transaction(settings, lambda session: rename_municipality(
        session, args.stored, official, now=SystemClock().now()))
    print(f"{people} participant(s) and {staff} staff member(s) now in {official}")
    return 0


def cmd_gdpr_erase(settings: Settings, args: argparse.Namespace) -> Any:
    """Ask before entering the event loop (input() would block it)."""
    if not args.yes:
        answer = input(f"Erase the personal data of {args.code} for good? Type yes: ")
        if answer.strip().lower() != "yes":
            print("nothing was erased")
            return 1
    return _gdpr_erase(settings, args)


async def _gdpr_erase(settings: Settings, args: argparse.Namespace) -> int:
    from bot.runtime.clock import SystemClock
    from storage import gdpr

    try:
        participant = await _in_transaction(settings, lambda session: gdpr.erase_participant(
            session, args.code, actor_staff_id=None, now=SystemClock().now()))
    except gdpr.NotErasable:
        raise CliError(f"no participant {args.code}") from None
    print(f"erased the personal data of {participant.code}")
    return 0


async def cmd_gdpr_export(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from bot.runtime.clock import SystemClock
    from storage import audit
    from storage import gdpr

    async def work(session: Any) -> dict[str, Any]:
        data = await gdpr.export_participant(session, args.code)
        audit.record(session, actor_staff_id=None, action="participant.export",
                     target=data["participant"]["code"], at=SystemClock().now())
        return data

    try:
        data = await _in_transaction(settings, work)
    except gdpr.NotErasable:
        raise CliError(f"no participant {args.code}") from None
    print(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


async def cmd_gdpr_retention(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import timedelta

    from bot.runtime.clock import SystemClock
    from storage import gdpr

    now = SystemClock().now()
    today = now.astimezone(settings.tz).date()
    keep = timedelta(days=settings.retention_days)

    if args.dry_run:
        due = await _in_transaction(settings, lambda session: gdpr.due_for_retention(
            session, today=today, keep=keep))
        for participant in due:
            print(f"{participant.code}\tended {participant.ended_on}")
        print(f"{len(due)} participant(s) would be anonymised")
        return 0
    codes = await _in_transaction(settings, lambda session: gdpr.apply_retention(
        session, today=today, keep=keep, now=now))
    print(f"anonymised {len(codes)} participant(s)")
    return 0


async def cmd_run(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.runner import run_bot

    if not settings.telegram_bot_token:
        raise CliError(
            "TELEGRAM_BOT_TOKEN is not set. Get one from BotFather, or try "
            "`koordinator demo` to run offline without a token."
        )
    stop = stop_on_signals()
    engine = engine_for(settings)
    try:
        await ensure_schema_current(engine)
        await run_bot(settings, session_maker(engine), stop=stop)
    finally:
        await engine.dispose()
    return 0


def stop_on_signals() -> Callable[[], Awaitable[None]]:
    """Install SIGINT/SIGTERM handlers now; the returned coroutine function waits for one."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop.wait


async def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.runtime.clock import ScaledClock
    from bot.sandbox.demo import PortUnavailable
    from bot.sandbox.demo import run_demo

    if args.speed <= 0:
        raise CliError("--speed must be a positive number")
    clock = ScaledClock(args.speed) if args.speed != 1.0 else None
    try:
        await run_demo(settings, port=args.port, fresh=args.fresh, stop=stop_on_signals(),
                       clock=clock)
    except PortUnavailable as exc:
        raise CliError(str(exc)) from None
    return 0


def _iso_date(text: str) -> Any:
    from bot.text.periods import parse_iso_day

    day = parse_iso_day(text)
    if day is None:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD, 1900–2100): {text!r}")
    return day


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    """The reports /report sends, from the command line: the only place the SCB list
    carries personal identity numbers in clear (audit-logged as such)."""
    from pathlib import Path

    if args.start and args.end and args.start > args.end:
        raise CliError("--from is after --to")
    content = asyncio.run(_report(settings, args))
    if args.out:
        Path(args.out).write_bytes(content)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(content.decode("utf-8-sig"))
    return 0


async def _report(settings: Settings, args: argparse.Namespace) -> bytes:
    from bot.documents import reports
    from bot.runtime.clock import SystemClock
    from bot.text.i18n import Translator
    from storage import entry
    from storage import reporting
    from storage.access import Viewer
    from storage.personnummer import PersonnummerCipher

    now = SystemClock().now()
    tr = Translator(args.lang or settings.default_language, settings.tz)
    file_format = "xlsx" if args.out and args.out.lower().endswith(".xlsx") else "csv"
    cipher = PersonnummerCipher.from_setting(settings.personnummer_key)
    everyone = Viewer(staff_id=0, role=Role.ADMIN)

    def clear(token: str | None) -> str:
        if not token:
            return ""
        number = entry.decrypt_token(token, cipher)
        if number is None:
            raise CliError("a stored personal identity number cannot be decrypted: "
                           "PERSONNUMMER_KEY is missing or wrong")
        return str(number)

    async def work(session: Any) -> Any:
        data = await reporting.report(
            session, everyone, args.kind, reporting.ReportPeriod(args.start, args.end),
            actor_staff_id=None, file_format=file_format, now=now,
            personnummer=args.kind == "scb-monthly", sensitive=settings.sensitive_categories)
        # Inside the transaction: a key problem rolls the audit row back with it.
        period = (f"{args.start or '…'} – {args.end or '…'}")
        return reports.report_file(tr, data, period_text=period, exported=tr.datetime(now),
                                   number=clear)

    report = await _in_transaction(settings, work)
    return reports.build_file(report, tr, file_format)


def cmd_i18n(_settings: Settings, args: argparse.Namespace) -> int:
    from bot.text import catalogs

    return catalogs.run(args.action)


def cmd_i18n_review_sheet(settings: Settings, args: argparse.Namespace) -> int:
    from bot.runtime.clock import SystemClock
    from bot.text import review

    today = SystemClock().now().astimezone(settings.tz).date()
    return review.run_sheet(args.language, args.out, today)


def cmd_i18n_apply_review(_settings: Settings, args: argparse.Namespace) -> int:
    from bot.text import review

    return review.run_apply(args.file)


if __name__ == "__main__":
    raise SystemExit(main())
