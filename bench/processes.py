"""Child processes of the benchmarks: how they are started, stopped and measured (Linux)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

TOKEN = "123456:BENCH-TOKEN"
"""The bot token every benchmark's emulator and bot use."""
ROOT = Path(__file__).resolve().parent.parent
"""The project directory (child processes run `python -m bench.…` from here)."""


def child_environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


async def stop_process(process: asyncio.subprocess.Process, *, grace: float = 15) -> None:
    """Close its stdin (our children's "please stop"), then terminate, then kill."""
    if process.stdin is not None and not process.stdin.is_closing():
        process.stdin.close()
    for ask in (None, process.terminate, process.kill):
        if process.returncode is not None:
            return
        if ask is not None:
            ask()
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            continue


def stop_on_stdin_eof(stop: asyncio.Event) -> None:
    """In a child: set `stop` when the parent closes our stdin (or dies)."""
    loop = asyncio.get_running_loop()

    def readable() -> None:
        if not os.read(0, 4096):
            loop.remove_reader(0)
            stop.set()

    loop.add_reader(0, readable)


def rss_kib(pid: int | str = "self") -> int:
    """Resident set size of a process now, in KiB (/proc)."""
    return _proc_status(pid, "VmRSS")


def peak_rss_kib(pid: int | str = "self") -> int:
    """The most RAM the process has held so far, in KiB (/proc VmHWM)."""
    return _proc_status(pid, "VmHWM")


def _proc_status(pid: int | str, key: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise LookupError(f"{key} not in /proc/{pid}/status")
