"""Documents are built in a worker thread, a bounded number at a time per process.

Building an XLSX of a whole project or drawing a chart is seconds of CPU in pure Python.
In a worker thread the event loop keeps answering other people; but with several at
once (two leads exporting, a chart clicked five times) they share the process's one GIL
and 2 cores with every other update, so each waits its turn here instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec
from typing import TypeVar

DOCUMENTS_AT_ONCE = 1

P = ParamSpec("P")
T = TypeVar("T")

_SLOTS: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}


def _slot() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    return _SLOTS.setdefault(loop, asyncio.Semaphore(DOCUMENTS_AT_ONCE))


async def build_off_loop(build: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`build(*args, **kwargs)` in a worker thread, once a building slot is free."""
    async with _slot():
        return await asyncio.to_thread(build, *args, **kwargs)
