"""Documents are built outside the chat: `koordinator report` makes its files without
importing Telegram or any handler."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook


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
