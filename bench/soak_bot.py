"""The bot as production runs it (`bot.runner.run_bot`: long polling, the outbox poller,
/healthz), against the emulator given, until its stdin closes. The soak benchmark samples
this process's RSS from outside.

`python -m bench.soak_bot --database-url URL --api BASE_URL [--poll-interval S]` imports
everything, waits for a line on stdin (the database is ready), starts, prints `READY` once
it is polling, and stops when stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bench.outbox_template import bench_templates
from bench.processes import TOKEN
from bench.processes import stop_on_stdin_eof
from bot.runner import run_bot
from bot.runtime.config import Settings
from storage.db import create_engine
from storage.db import session_maker


async def serve(database_url: str, api: str, poll_interval: float | None) -> None:
    extra = {"dispatch_interval_seconds": poll_interval} if poll_interval else {}
    settings = Settings(_env_file=None, telegram_bot_token=TOKEN,  # type: ignore[call-arg]
                        telegram_api_base_url=api, database_url=database_url,
                        listen_port=0, **extra)
    engine = create_engine(database_url)
    stop = asyncio.Event()
    stop_on_stdin_eof(stop)
    try:
        await run_bot(settings, session_maker(engine), stop=stop.wait,
                      on_ready=lambda _port: print("READY", flush=True),
                      templates=bench_templates())
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--poll-interval", type=float)
    args = parser.parse_args()
    sys.stdin.readline()  # imported while the benchmark prepared the database; now go
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    asyncio.run(serve(args.database_url, args.api, args.poll_interval))


if __name__ == "__main__":
    main()
