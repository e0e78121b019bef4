"""Drive the real bot the way people do: through the Bot API emulator over HTTP."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.outbox.dispatch import Dispatcher
from bot.outbox.scheduler import DISPATCHER_KEY
from bot.runtime.clock import ManualClock
from bot.runtime.config import Settings
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.emulator import ChatMessage
from bot.sandbox.emulator import FakeUser
from bot.sandbox.server import serving
from storage.db import SessionMaker

TOKEN = "123456:TEST-TOKEN"


@dataclass
class BotHarness:
    app: Application
    api: BotApiEmulator
    clock: ManualClock
    sessions: SessionMaker
    settings: Settings

    @property
    def dispatcher(self) -> Dispatcher:
        return self.app.bot_data[DISPATCHER_KEY]

    async def deliver(self, update: dict[str, Any]) -> None:
        await self.app.process_update(Update.de_json(update, self.app.bot))

    async def send(self, user: FakeUser, text: str) -> list[ChatMessage]:
        """`user` types `text`; returns what the bot sent or edited in that chat in answer."""
        before = self._snapshot(user.id)
        await self.deliver(self.api.user_sends(user, text))
        return self._changed_since(user.id, before)

    async def send_document(self, user: FakeUser, name: str,
                            content: bytes) -> list[ChatMessage]:
        """`user` sends a file; returns what the bot sent or edited in that chat in answer."""
        before = self._snapshot(user.id)
        await self.deliver(self.api.user_sends_media(user, "document", content, name=name))
        return self._changed_since(user.id, before)

    async def press(self, user: FakeUser, message: ChatMessage, label: str) -> list[ChatMessage]:
        """`user` taps the button of `message` whose label contains `label`."""
        return await self.press_data(user, message, message.button_data(label))

    async def press_data(
        self, user: FakeUser, message: ChatMessage, data: str
    ) -> list[ChatMessage]:
        before = self._snapshot(user.id)
        await self.deliver(self.api.user_presses(user, message, data))
        return self._changed_since(user.id, before)

    def _snapshot(self, chat_id: int) -> dict[int, tuple[Any, ...]]:
        return {m.message_id: (m.text, m.caption, str(m.reply_markup))
                for m in self.api.bot_messages(chat_id)}

    def _changed_since(self, chat_id: int, before: dict[int, tuple[Any, ...]]) -> list[ChatMessage]:
        return [m for m in self.api.bot_messages(chat_id)
                if before.get(m.message_id) != (m.text, m.caption, str(m.reply_markup))]


@contextlib.asynccontextmanager
async def running_bot(
    database_url: str, sessions: SessionMaker, *, now: datetime, **setting_overrides: Any
) -> AsyncIterator[BotHarness]:
    api = BotApiEmulator(token=TOKEN)
    async with serving(api.asgi_app()) as port:
        settings = Settings(
            telegram_bot_token=TOKEN,
            telegram_api_base_url=f"http://127.0.0.1:{port}/bot",
            database_url=database_url,
            **{"per_chat_interval_seconds": 0.0, **setting_overrides},
        )
        clock = ManualClock(now)
        app = build_application(settings, sessions, clock=clock, with_updater=False)
        async with app:
            yield BotHarness(app, api, clock, sessions, settings)
