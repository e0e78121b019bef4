"""Every kind of outbox row can be rendered by the bot the composition root builds.

Templates are listed in one place (`bot.outbox.catalog.outbox_templates()`) and handed to
the dispatcher by `build_application`: none exists because some module happened to be
imported first. Checked in a fresh interpreter that imports nothing but what building the
bot imports, and against the source: nothing queues a kind outside
`storage.models.OutboxTemplate`.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from storage.models import OutboxTemplate

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json
from bot.app import build_application
from bot.outbox.scheduler import DISPATCHER_KEY
from bot.runtime.config import Settings
from storage.db import create_engine, session_maker

settings = Settings(_env_file=None, telegram_bot_token="1:probe",
                    telegram_api_base_url="http://127.0.0.1:9/bot",
                    database_url="sqlite+aiosqlite:///:memory:")
app = build_application(settings, session_maker(create_engine(settings.database_url)),
                        with_updater=False)
templates = app.bot_data[DISPATCHER_KEY].templates
print(json.dumps({name: callable(fn) for name, fn in templates.items()}))
"""


def test_a_freshly_built_bot_renders_every_kind_of_outbox_row() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    known = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(known) == {kind.value for kind in OutboxTemplate}
    assert all(known.values())


def queued_kinds() -> dict[str, list[str]]:
    """Every outbox kind the code names as a string: `enqueue(template="…")`,
    `notify_staff_now(…, "…", …)` and `OutboundMessage.template == "…"` → where."""
    found: dict[str, list[str]] = {}
    for package in ("bot", "handlers", "storage"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names: list[ast.expr] = []
                if isinstance(node, ast.Call):
                    called = node.func.attr if isinstance(node.func, ast.Attribute) else (
                        node.func.id if isinstance(node.func, ast.Name) else "")
                    if called in ("enqueue", "notify_staff_now"):
                        names += [k.value for k in node.keywords if k.arg == "template"]
                    if called == "notify_staff_now" and len(node.args) > 3:
                        names.append(node.args[3])
                elif (isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute)
                      and node.left.attr == "template"):
                    names += node.comparators
                for name in names:
                    if isinstance(name, ast.Constant) and isinstance(name.value, str):
                        where = f"{path.relative_to(ROOT)}:{node.lineno}"
                        found.setdefault(name.value, []).append(where)
    return found


def test_nothing_queues_a_kind_the_outbox_does_not_know() -> None:
    found = queued_kinds()
    assert found, "the scan found no queued kind at all: has the outbox API changed?"
    unknown = {name: where for name, where in found.items()
               if name not in {kind.value for kind in OutboxTemplate}}
    assert unknown == {}
