"""A real `koordinator run` whose outbox also renders the bench-only template.

`python -m bench.dispatch_bot` does what `koordinator run` does (settings from the
environment, the schema checked, `bot.runner.run_bot` until SIGTERM/SIGINT), with
`bench_templates()` given to the bot, so `bench_ping` rows render.
"""

from __future__ import annotations

import asyncio
import sys

from bench.outbox_template import bench_templates
from bot import cli
from bot.runner import run_bot
from bot.runtime import logs
from bot.runtime.config import Settings
from bot.runtime.config import load_settings
from storage.db import session_maker


async def serve(settings: Settings) -> None:
    stop = cli.stop_on_signals()
    engine = cli.engine_for(settings)
    try:
        await cli.ensure_schema_current(engine)
        await run_bot(settings, session_maker(engine), stop=stop, templates=bench_templates())
    finally:
        await engine.dispose()


def main() -> int:
    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
