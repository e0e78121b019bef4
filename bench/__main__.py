"""`python -m bench [--smoke | --full] [--only NAME] [--postgres URL] [--out BENCHMARKS.md]`."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from pathlib import Path
from types import ModuleType

from sqlalchemy import text

from bench import dispatch
from bench import head_of_line
from bench import importing
from bench import lateness
from bench import processes_dispatch
from bench import questions
from bench import report
from bench import soak
from bench import startup
from bench import stats
from bench import updates
from bench.common import SIZES
from bench.common import Options
from bench.common import Result
from bench.common import configure_logging
from storage.db import create_engine

SUITE: tuple[ModuleType, ...] = (dispatch, updates, stats, startup, lateness, soak, questions,
                                 head_of_line, processes_dispatch, importing)
"""In the issue's numbering: 1 dispatch, 2 updates, 3 stats, 4 startup, 5 lateness, 6 soak;
7 is issue 11's question parsing; 8 issue 21's head-of-line blocking, 9 its dispatch from
several processes; 10 issue 19's import."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--smoke", action="store_true",
                      help="tiny sizes, a few seconds (what tests/test_bench_smoke.py runs)")
    size.add_argument("--full", action="store_true",
                      help="the issue's sizes (10,000 reminders to 2,000 chats, 5,000 updates, "
                           "100,000 participants / 1,000,000 check-ins); takes many minutes")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this benchmark (name or number; repeatable): "
                             + ", ".join(f"{i} {m.NAME}" for i, m in enumerate(SUITE, 1)))
    parser.add_argument("--postgres", metavar="URL",
                        help="also measure on PostgreSQL (a scratch schema is created and "
                             "dropped), e.g. postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--soak-minutes", type=float, metavar="MIN",
                        help="soak duration (default 1 minute; the issue's soak is 30)")
    parser.add_argument("--out", type=Path, metavar="FILE",
                        help="write the results into this Markdown file (e.g. BENCHMARKS.md)")
    parser.add_argument("--workdir", type=Path, help="where scratch databases go (default: temp)")
    return parser


def selected(only: Sequence[str] | None) -> list[ModuleType]:
    if not only:
        return list(SUITE)
    wanted = {part.strip() for item in only for part in item.split(",") if part.strip()}
    by_key = {m.NAME: m for m in SUITE} | {str(i): m for i, m in enumerate(SUITE, 1)}
    unknown = wanted - set(by_key)
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; "
                         f"choose from {', '.join(m.NAME for m in SUITE)}")
    return [m for m in SUITE if any(by_key[w] is m for w in wanted)]


def postgres_url(value: str | None) -> str | None:
    if not value:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+asyncpg://" + value[len(prefix):]
    return value


async def run_suite(options: Options, modules: Sequence[ModuleType],
                    *, echo: Callable[[str], None] = print,
                    concurrently: bool = False) -> list[Result]:
    """Run the benchmarks one after the other (for figures), or all at once.

    `concurrently=True` is for the smoke test: it proves every benchmark still works in
    a few seconds; the timings it produces mean nothing.
    """
    if concurrently:  # the longest (the soak, last in the suite) starts first
        found = await asyncio.gather(*(module.run(options) for module in reversed(modules)))
        return found[::-1]
    results = []
    for module in modules:
        began, load = time.perf_counter(), os.getloadavg()[0]
        echo(f"-- {module.TITLE} ({options.sizes.label}) …")
        result: Result = await module.run(options)
        result.load = (load, os.getloadavg()[0])
        echo(summary(result) + f"   [{time.perf_counter() - began:.1f} s]")
        results.append(result)
    return results


def summary(result: Result) -> str:
    if result.todo:
        return f"   TODO: {result.todo}"
    lines = [f"   {t.text}: {t.measured} ({'met' if t.met else 'MISSED'})" for t in result.targets]
    bad = {k: v for k, v in result.correctness.items() if v}
    lines.append(f"   correctness: {'all 0' if not bad else bad}")
    return "\n".join(lines)


async def postgres_version(url: str) -> str:
    engine = create_engine(url, pooled=False)
    try:
        async with engine.connect() as connection:
            version = (await connection.execute(text("SHOW server_version"))).scalar_one()
        return f"PostgreSQL {version} on 127.0.0.1"
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    configure_logging()
    sizes = SIZES["smoke" if args.smoke else "full" if args.full else "default"]
    if args.soak_minutes is not None:
        sizes = dataclasses.replace(sizes, soak_seconds=args.soak_minutes * 60)
    modules = selected(args.only)
    with tempfile.TemporaryDirectory(prefix="koordinator-bench-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        options = Options(sizes=sizes, workdir=workdir, postgres_url=postgres_url(args.postgres))
        when = datetime.now(UTC)
        results = asyncio.run(run_suite(options, modules))
        pg = asyncio.run(postgres_version(options.postgres_url)) if options.postgres_url else None
    if args.out:
        command = "python -m bench" + "".join(f" {shlex.quote(a)}" for a in argv)
        machine = report.machine()
        blocks = {r.name: report.render_block(r, command=command, size=sizes.label, when=when,
                                              machine_text=machine, postgres=pg)
                  for r in results}
        report.write(args.out, blocks, [m.NAME for m in SUITE])
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
