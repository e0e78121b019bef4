"""Where typed text goes when it is not a command, and what /start with a token opens.

One ordered chain, declared here by its slots: a capability binds its route to a slot
(`bind_text_route(app, TextSlot.QUESTION, answer)`), and handlers/start.py's text router
asks the routes in slot order until one takes the text. So the router knows the order
without importing the capabilities, and no capability imports another to hand text on.
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from enum import IntEnum

from telegram.ext import Application

from handlers.kit.base import Turn

TextRoute = Callable[[Turn, str], Awaitable[bool]]
"""Takes the text (True) or leaves it to the next route (False)."""
StartToken = Callable[[Turn, str], Awaitable[None]]

TEXT_ROUTES_KEY = "koordinator.text_routes"
START_TOKEN_KEY = "koordinator.start_token"


class TextSlot(IntEnum):
    """The order typed text is offered in."""

    PARTICIPANT_MESSAGE = 10
    """A linked participant wrote: the relay passes it to whoever reads her messages."""
    REPLY_TO_RELAYED = 20
    """Staff replied to a relayed message: it goes back to the participant."""
    FLOW_STEP = 30
    """The answer to the step of a guided flow the person is in."""
    PERSONNUMMER = 40
    """A personal identity number typed outside /pnr: deleted from the chat, not answered."""
    QUESTION = 90
    """Anything else from staff: a question in plain words."""


def bind_text_route(app: Application, slot: TextSlot, route: TextRoute) -> None:
    routes: dict[TextSlot, TextRoute] = app.bot_data.setdefault(TEXT_ROUTES_KEY, {})
    if slot in routes and routes[slot] is not route:
        raise ValueError(f"text slot {slot.name} bound twice")
    routes[slot] = route


async def route_text(turn: Turn, text: str) -> bool:
    """Offer the text to the bound routes in slot order; whether one took it."""
    routes: dict[TextSlot, TextRoute] = turn.context.bot_data.get(TEXT_ROUTES_KEY, {})
    for slot in sorted(routes):
        if await routes[slot](turn, text):
            return True
    return False


def bind_start_token(app: Application, open_token: StartToken) -> None:
    """What `/start <token>` does (onboarding opens an invitation)."""
    app.bot_data[START_TOKEN_KEY] = open_token


async def open_start_token(turn: Turn, token: str) -> bool:
    opener: StartToken | None = turn.context.bot_data.get(START_TOKEN_KEY)
    if opener is None:
        return False
    await opener(turn, token)
    return True
