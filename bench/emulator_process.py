"""The Bot API emulator in a process of its own, so the bot's process does only bot work.

`python -m bench.emulator_process --token TOKEN [--enforce]` serves the project's emulator with a
`TelegramLimits` fault hook on a free port and prints `PORT <n>`. Two extra routes let
the benchmark read what arrived: `GET /bench/state` (counters, cheap to poll) and
`GET /bench/deliveries` (every accepted message); `POST /bench/send` lets a person
type a text (an update for the bot's long poll); `POST /bench/reset` starts a new run.
Closing its stdin stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.processes import start_child
from bench.processes import stop_on_stdin_eof
from bench.processes import stop_process
from bench.telegram_limits import Delivery
from bench.telegram_limits import TelegramLimits
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.emulator import FakeUser
from bot.sandbox.server import serving


@contextlib.asynccontextmanager
async def serving_nodelay(app: Any) -> AsyncIterator[int]:
    """Serve `app` in this loop on a free port (the project's `serving`, TCP_NODELAY on).

    A bot's parked long poll (getUpdates) must not hold the shutdown for its timeout;
    keep-alive longer than the outbox poll, whose sends would otherwise race uvicorn
    closing the idle connection (httpx.ReadError, a retry a poll later).
    """
    _quiet_shutdown_cancel()
    async with serving(app, timeout_graceful_shutdown=1, timeout_keep_alive=30) as port:
        yield port


class _ShutdownCancel(logging.Filter):
    """Drop uvicorn's report of the parked long poll it cancels on shutdown (expected)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, asyncio.CancelledError)
                    or "timeout graceful shutdown" in record.getMessage())


def _quiet_shutdown_cancel() -> None:
    errors = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _ShutdownCancel) for f in errors.filters):
        errors.addFilter(_ShutdownCancel())


def build(limits: TelegramLimits, token: str) -> Starlette:
    api = BotApiEmulator(token=token, fault=limits)

    async def state(_request: Request) -> JSONResponse:
        rows = [d.row_id for d in limits.deliveries if d.row_id is not None]
        return JSONResponse({
            "rows": len(set(rows)), "row_deliveries": len(rows),
            "deliveries": len(limits.deliveries), "over_global": limits.over_global,
            "over_chat": limits.over_chat})

    async def deliveries(_request: Request) -> JSONResponse:
        return JSONResponse([[d.row_id, d.chat_id, d.at] for d in limits.deliveries])

    async def send(request: Request) -> JSONResponse:
        """A person types a text: {"user": {"id", "first_name", "language_code"}, "text"}."""
        body = await request.json()
        return JSONResponse(api.user_sends(FakeUser(**body["user"]), body["text"]))

    async def reset(request: Request) -> JSONResponse:
        """Forget what arrived and set `enforce` (one emulator process serves several runs)."""
        limits.reset(enforce=bool((await request.json())["enforce"]))
        api.chats.clear()
        return JSONResponse(True)

    async def count(request: Request) -> JSONResponse:
        """How many of the bot's messages contain `?text=`."""
        wanted = request.query_params["text"]
        return JSONResponse(sum(wanted in message.body for messages in api.chats.values()
                                for message in messages if message.from_bot))

    routes = [Route("/bench/state", state), Route("/bench/deliveries", deliveries),
              Route("/bench/send", send, methods=["POST"]), Route("/bench/count", count),
              Route("/bench/reset", reset, methods=["POST"]),
              *api.routes()]
    # The emulator keeps every call; a long run only needs the counters and messages.
    api.calls = _Discard()
    return Starlette(routes=routes)


class _Discard(list):
    def append(self, _item: object) -> None:
        return None


async def serve(enforce: bool, token: str) -> None:
    limits = TelegramLimits(enforce=enforce)
    stop = asyncio.Event()
    stop_on_stdin_eof(stop)
    async with serving_nodelay(build(limits, token)) as port:
        print(f"PORT {port}", flush=True)
        await stop.wait()


# ---- the benchmark's side -----------------------------------------------------------------
@dataclass
class RemoteTelegram:
    base_url: str
    client: httpx.AsyncClient

    async def state(self) -> dict[str, int]:
        return (await self.client.get("/bench/state")).json()

    async def deliveries(self) -> list[Delivery]:
        rows = (await self.client.get("/bench/deliveries")).json()
        return [Delivery(row_id, chat_id, at) for row_id, chat_id, at in rows]

    async def send(self, user: FakeUser, text: str) -> None:
        """`user` types `text` in their chat with the bot (queued for getUpdates)."""
        person = {"id": user.id, "first_name": user.first_name,
                  "language_code": user.language_code}
        response = await self.client.post("/bench/send", json={"user": person, "text": text})
        response.raise_for_status()

    async def reset(self, *, enforce: bool) -> None:
        (await self.client.post("/bench/reset", json={"enforce": enforce})).raise_for_status()

    async def count(self, text: str) -> int:
        return (await self.client.get("/bench/count", params={"text": text})).json()

    async def limits(self) -> TelegramLimits:
        """The emulator's counters and deliveries as a (read-only) TelegramLimits."""
        state = await self.state()
        return TelegramLimits(deliveries=await self.deliveries(),
                              over_global=state["over_global"], over_chat=state["over_chat"])


@contextlib.asynccontextmanager
async def emulator_process(*, token: str, enforce: bool) -> AsyncIterator[RemoteTelegram]:
    process = await start_child("bench.emulator_process", "--token", token,
                                *(["--enforce"] if enforce else []))
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the emulator process did not start: {line!r}")
        root = f"http://127.0.0.1:{int(line.split()[1])}"
        async with httpx.AsyncClient(base_url=root, timeout=30) as client:
            yield RemoteTelegram(f"{root}/bot", client)
    finally:
        await stop_process(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enforce", action="store_true", help="enforce Telegram's limits")
    parser.add_argument("--token", required=True, help="the bot token the emulator accepts")
    args = parser.parse_args()
    asyncio.run(serve(args.enforce, args.token))


if __name__ == "__main__":
    main()
