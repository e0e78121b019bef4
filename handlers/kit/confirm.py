"""The last step of a flow that changes something for good: one "Yes, …" button.

A confirmation is a `PickOption` with one option (the engine adds « Back and Cancel);
typed, its label or a plain yes/ja confirms too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bot.text.i18n import Translator
from handlers.kit.base import Turn
from handlers.kit.flows import Option
from handlers.kit.flows import PickOption

D = TypeVar("D")
YES = "yes"


def confirm_step(prompt: Callable[[Translator, D], str],
                 label: Callable[[Translator, D], str]) -> PickOption[D]:
    """A step named "confirm": `prompt` says what will happen, `label` is the button."""

    def options(turn: Turn, draft: D) -> list[Option]:
        return [Option(label(turn.tr, draft), YES, (turn.tr._("yes"), "yes"))]

    return PickOption(name="confirm", prompt=prompt, options=options,
                      choose=lambda draft, _value: draft, columns=1)
