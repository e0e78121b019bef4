"""Start Koordinator as a fresh process would, up to its first claim round; report and exit.

`python -m bench.startup_probe --database-url URL [--schema NAME] --api BASE_URL` builds the
Application against the emulator at BASE_URL, initializes it (getMe), runs
`Dispatcher.startup()` and one `run_once()` claim round, then prints one JSON line at
once (the time each step took, what the claim found, the peak RSS so far) and exits.
"""

import time

BEGAN = time.perf_counter()

import argparse  # noqa: E402  (the clock starts before the imports it measures)
import asyncio  # noqa: E402
import json  # noqa: E402

from bench.processes import TOKEN  # noqa: E402
from bench.processes import peak_rss_kib  # noqa: E402
from bot.app import build_application  # noqa: E402
from bot.outbox.scheduler import DISPATCHER_KEY  # noqa: E402
from bot.runtime.config import Settings  # noqa: E402
from storage.db import create_engine  # noqa: E402
from storage.db import session_maker  # noqa: E402

IMPORTED = time.perf_counter()


async def probe(database_url: str, schema: str | None, api: str) -> None:
    """Print the JSON line the moment the first claim round is done (then shut down)."""
    marks = {"imports_s": IMPORTED - BEGAN}
    began = time.perf_counter()
    engine = create_engine(database_url, schema=schema)
    settings = Settings(_env_file=None, telegram_bot_token=TOKEN,  # type: ignore[call-arg]
                        telegram_api_base_url=api, database_url=database_url)
    app = build_application(settings, session_maker(engine), with_updater=False)
    marks["build_s"] = time.perf_counter() - began
    try:
        began = time.perf_counter()
        async with app:
            marks["initialize_s"] = time.perf_counter() - began
            dispatcher = app.bot_data[DISPATCHER_KEY]
            began = time.perf_counter()
            skipped = await dispatcher.startup()
            marks["startup_s"] = time.perf_counter() - began
            began = time.perf_counter()
            report = await dispatcher.run_once()
            marks["claim_s"] = time.perf_counter() - began
            marks["ready_s"] = time.perf_counter() - BEGAN
            marks["skipped"] = len(skipped)
            marks["claimed"] = report.claimed
            # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over an exec, so a
            # child forked from a big benchmark process would report the parent's size.
            marks["peak_rss_kib"] = peak_rss_kib()
            print(json.dumps(marks), flush=True)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--schema")
    parser.add_argument("--api", required=True, help="Bot API base URL (…/bot)")
    args = parser.parse_args()
    asyncio.run(probe(args.database_url, args.schema, args.api))


if __name__ == "__main__":
    main()
