"""Results → Markdown: one block per benchmark in BENCHMARKS.md, the rest of the file kept.

Each block sits between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` and says when,
how (the exact command) and where it was measured; running one benchmark with
`--only` replaces only its block, and hand-written analysis outside the blocks stays.
"""

from __future__ import annotations

import math
import os
import platform
import re
import sqlite3
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import telegram

from bench.common import Result

HEADER = """# Benchmarks

Measured by `python -m bench` (see `bench/__init__.py`); each block below says when, with
which command and on which machine it ran. Timings are medians and ratios measured side
by side in one run: the machines are shared and noisy.
"""


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            kib = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    return (f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}, SQLite "
            f"{sqlite3.sqlite_version}, python-telegram-bot {telegram.__version__}")


def render_block(result: Result, *, command: str, size: str, when: datetime,
                 machine_text: str, postgres: str | None) -> str:
    lines = [f"<!-- bench:{result.name} -->", f"### {result.title}", ""]
    lines.append(f"_Run {when.astimezone(UTC):%Y-%m-%d %H:%M} UTC · size **{size}** · "
                 f"`{command}`_  ")
    load = (f"; load average {result.load[0]:.1f} before, {result.load[1]:.1f} after "
            f"({os.cpu_count()} cores)" if result.load else "")
    lines.append(f"_Machine: {machine_text}" + (f"; {postgres}" if postgres else "")
                 + load + "_")
    lines.append("")
    if result.todo:
        lines += [f"**TODO:** {result.todo}", ""]
    for table in result.tables:
        lines.append("| " + " | ".join(str(h) for h in table.header) + " |")
        lines.append("|" + "---|" * len(table.header))
        for row in table.rows:
            lines.append("| " + " | ".join(_cell(cell) for cell in row) + " |")
        lines.append("")
    if result.targets:
        lines += ["| target | measured | |", "|---|---|---|"]
        for target in result.targets:
            lines.append(f"| {target.text} | {target.measured} | "
                         f"{'met' if target.met else '**missed**'} |")
        lines.append("")
    bad = {name: value for name, value in result.correctness.items() if value}
    lines.append("Correctness counters: " + (
        "all 0." if not bad else ", ".join(f"**{k} = {v}**" for k, v in bad.items())))
    lines.append("")
    for note in result.notes:
        lines.append(f"- {note}")
    if result.notes:
        lines.append("")
    lines.append(f"<!-- /bench:{result.name} -->")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "–" if math.isnan(value) else f"{value:.3g}"
    return str(value)


def write(path: Path, blocks: dict[str, str], order: list[str]) -> None:
    """Replace each block in `path` (append new ones in suite order); keep everything else."""
    document = path.read_text(encoding="utf-8") if path.exists() else HEADER
    for name in order:
        if name not in blocks:
            continue
        pattern = re.compile(rf"<!-- bench:{name} -->.*?<!-- /bench:{name} -->", re.DOTALL)
        if pattern.search(document):
            document = pattern.sub(lambda _m, text=blocks[name]: text, document)
        else:
            document = _insert_in_order(document, name, blocks[name], order)
    path.write_text(document.rstrip("\n") + "\n", encoding="utf-8")


def _insert_in_order(document: str, name: str, block: str, order: list[str]) -> str:
    """Before the first block of a later benchmark, else after the last block, else at the end."""
    for later in order[order.index(name) + 1:]:
        marker = f"<!-- bench:{later} -->"
        if marker in document:
            return document.replace(marker, f"{block}\n\n{marker}", 1)
    ends = list(re.finditer(r"<!-- /bench:[\w-]+ -->", document))
    if ends:
        cut = ends[-1].end()
        return f"{document[:cut]}\n\n{block}{document[cut:]}"
    return f"{document.rstrip()}\n\n{block}\n"
