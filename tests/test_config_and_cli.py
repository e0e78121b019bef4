"""Settings errors name the setting; the CLI bootstraps staff and guards the schema."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.runtime.config import ConfigError
from bot.runtime.config import load_settings


@pytest.mark.parametrize(
    ("variable", "value"),
    [("TIMEZONE", "Mars/Olympus"), ("DEFAULT_LANGUAGE", "xx"),
     ("DATABASE_URL", "mysql://x"), ("TELEGRAM_API_BASE_URL", "ftp://x"),
     ("NOTE_MAX_LENGTH", "lots"), ("OUTCOME_FOLLOWUP_OFFSETS", "6m,28d,13m"),
     ("OUTCOME_FOLLOWUP_OFFSETS", "28d,6m"), ("OUTCOME_FOLLOWUP_NO_ANSWER_DAYS", "0"),
     ("DROPOUT_REASONS", "employed"), ("DROPOUT_REASONS", "illness,holiday")],
)
def test_malformed_setting_gives_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    message = str(raised.value)
    assert variable in message and "\n" not in message


def test_database_url_gets_the_async_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    assert load_settings().database_url == "postgresql+asyncpg://u@h/db"
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("DATA_DIR", "/tmp/kdata")
    assert load_settings().effective_database_url == (
        "sqlite+aiosqlite:////tmp/kdata/koordinator.sqlite3")


def koordinator(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("TELEGRAM_", "DATABASE_", "DATA_DIR"))}
    environment.update({"DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=tmp_path, env=environment,
        capture_output=True, text=True, timeout=60,
    )


def test_cli_refuses_unmigrated_database_then_bootstraps_admin(tmp_path: Path) -> None:
    refused = koordinator(tmp_path, "staff", "add", "--telegram-id", "42", "--name", "Ada",
                          "--role", "admin")
    assert refused.returncode == 1
    assert "koordinator db upgrade" in refused.stderr and "Traceback" not in refused.stderr

    assert koordinator(tmp_path, "db", "upgrade").returncode == 0
    added = koordinator(tmp_path, "staff", "add", "--telegram-id", "42", "--name", "Ada",
                        "--role", "admin")
    assert added.returncode == 0, added.stderr
    listed = koordinator(tmp_path, "staff", "list")
    assert "42\tadmin\tactive\tAda" in listed.stdout
    # The admin's view of the audit log: the bootstrap is there, by id, without the name.
    audited = koordinator(tmp_path, "audit", "--limit", "5")
    assert audited.returncode == 0, audited.stderr
    assert "\tstaff." in audited.stdout and "Ada" not in audited.stdout
    duplicate = koordinator(tmp_path, "staff", "add", "--telegram-id", "42", "--name", "Ada",
                            "--role", "admin")
    assert duplicate.returncode == 1 and "staff_exists" in duplicate.stderr


def test_run_without_token_says_what_to_do(tmp_path: Path) -> None:
    result = koordinator(tmp_path, "run")
    assert result.returncode == 1
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "koordinator demo" in result.stderr


def test_bad_setting_stops_cli_with_one_line(tmp_path: Path) -> None:
    result = koordinator(tmp_path, "db", "current", TIMEZONE="Nowhere/Land")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "TIMEZONE" in result.stderr


def test_demo_data_fills_an_empty_database_once(tmp_path: Path) -> None:
    assert koordinator(tmp_path, "db", "upgrade").returncode == 0
    created = koordinator(tmp_path, "demo-data")
    assert created.returncode == 0, created.stderr
    assert "122 participants" in created.stdout
    again = koordinator(tmp_path, "demo-data")
    assert again.returncode == 1 and "not empty" in again.stderr


def test_cli_ask_answers_like_the_bot_within_the_askers_scope(tmp_path: Path) -> None:
    assert koordinator(tmp_path, "db", "upgrade").returncode == 0
    assert koordinator(tmp_path, "demo-data").returncode == 0
    karin, sam = "1004", "1005"  # demo coordinators: Växjö (Swedish), Alvesta (English)
    answer = koordinator(tmp_path, "ask", "hur många deltagare har jag?", "--as", karin)
    assert answer.returncode == 0, answer.stderr
    # Swedish staff are shown the Swedish command name.
    assert "/statistik all" in answer.stdout and "21" in answer.stdout, answer.stdout
    english = koordinator(tmp_path, "ask", "who haven't I seen in two weeks?", "--as", sam)
    assert english.returncode == 0 and "I understood" in english.stdout, english.stdout
    stranger = koordinator(tmp_path, "ask", "how many ended this year?", "--as", "999")
    assert "999" in stranger.stdout and "I understood" not in stranger.stdout


def test_logging_keeps_libraries_that_log_personal_data_quiet() -> None:
    """PTB and the database drivers log request bodies and SQL parameters at DEBUG."""
    from bot.runtime.logs import CHATTY_LIBRARIES
    from bot.runtime.logs import configure

    root = logging.getLogger()
    names = ("httpx", *CHATTY_LIBRARIES)
    saved = root.handlers[:], root.level, {name: logging.getLogger(name).level for name in names}
    try:
        for level in ("DEBUG", "INFO"):
            configure(level, "text")
            assert root.level == getattr(logging, level)
            assert logging.getLogger("bot.outbox.dispatch").getEffectiveLevel() == root.level
            assert logging.getLogger("telegram.ext.ExtBot").getEffectiveLevel() >= logging.INFO
            # SQLAlchemy's engine logs every statement (with its parameters) at INFO.
            for name in ("aiosqlite", "sqlalchemy.engine.Engine", "asyncpg", "httpx"):
                assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


def test_db_tallies_checks_and_rebuilds_the_checkin_tallies(tmp_path: Path) -> None:
    assert koordinator(tmp_path, "db", "upgrade").returncode == 0
    assert koordinator(tmp_path, "demo-data").returncode == 0
    checked = koordinator(tmp_path, "db", "tallies")
    assert checked.returncode == 0 and "match" in checked.stdout, checked.stderr
    [database] = (tmp_path / "data").glob("*.sqlite3")
    with sqlite3.connect(database) as connection:  # the triggers' work undone by hand
        connection.execute("DELETE FROM checkin_tally_coordinator")
    broken = koordinator(tmp_path, "db", "tallies")
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    assert "--rebuild" in broken.stderr and "checkin_tally_coordinator" in broken.stdout
    mended = koordinator(tmp_path, "db", "tallies", "--rebuild")
    assert mended.returncode == 0 and "match" in mended.stdout, mended.stderr
