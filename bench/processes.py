"""Child processes of the benchmarks: how they are started, stopped and measured (Linux)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import IO

TOKEN = "123456:BENCH-TOKEN"
"""The bot token every benchmark's emulator and bot use."""
ROOT = Path(__file__).resolve().parent.parent
"""The project directory (child processes run `python -m bench.…` from here)."""


def child_environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


async def start_child(module: str, *args: str, env: dict[str, str] | None = None,
                      stdout: int | IO[bytes] | None = asyncio.subprocess.PIPE,
                      stderr: int | IO[bytes] | None = None) -> asyncio.subprocess.Process:
    """`python -m <module> <args>` from the project directory, its stdin a pipe (closing
    it asks the child to stop: `stop_process`); `env` defaults to `child_environment()`."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, cwd=ROOT, env=env or child_environment(),
        stdin=asyncio.subprocess.PIPE, stdout=stdout, stderr=stderr)


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
