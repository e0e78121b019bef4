"""Hand a message on to the relay (participants ↔ staff) without importing the module
that relays it: handlers/conversation.py binds its media handler here, and a capability
that looks at a message first (a lead's spreadsheet is an import) passes on the rest."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from handlers.kit.base import Context
from handlers.kit.base import PTBCallback

RELAY_KEY = "koordinator.relay"
"""bot_data key: the relay's (guarded) handler for media and documents."""


def bind_relay(app: Application, relay: PTBCallback) -> None:
    if app.bot_data.get(RELAY_KEY, relay) is not relay:
        raise ValueError("the relay is bound twice")
    app.bot_data[RELAY_KEY] = relay


async def pass_to_relay(update: Update, context: Context) -> None:
    """What the relay does with this message (it is not for the caller)."""
    await context.bot_data[RELAY_KEY](update, context)
