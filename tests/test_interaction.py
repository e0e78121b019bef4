"""The interaction layer: the command registry, typed button payloads and their one router."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram.ext import CallbackQueryHandler
from telegram.ext import CommandHandler

from bot.interaction import buttons
from bot.interaction.buttons import CALLBACK_DATA_LIMIT
from bot.interaction.buttons import FAMILIES
from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import Token
from bot.interaction.buttons import family
from bot.interaction.buttons import trailing
from bot.interaction.commands import BY_NAME
from bot.interaction.commands import COMMANDS
from bot.interaction.commands import command_for
from bot.outbox.templates import ReminderAnswer
from handlers.checkins import LogPick
from handlers.kit.base import bind_command
from handlers.kit.flows import FlowFor
from handlers.kit.flows import FlowTap
from storage.models import Channel
from storage.models import FollowUpResponse
from tests.conftest import People
from tests.harness import BotHarness

EXPIRED = "has expired"
APOLOGY = "something went wrong"


def test_every_family_fits_telegrams_64_bytes_by_construction(bot_app_families: None) -> None:
    assert FAMILIES, "no button family registered"
    for prefix, cls in FAMILIES.items():
        assert cls.LONGEST <= CALLBACK_DATA_LIMIT, prefix
        assert cls.PREFIX == prefix and cls.COMMAND in BY_NAME, prefix


def test_a_family_that_could_exceed_64_bytes_is_refused_when_declared() -> None:
    with pytest.raises(ValueError, match="exceed"):
        @family("zz:toolong", command="help")
        class TooLong(ButtonPayload):
            a: int
            b: int
            c: int
            d: int
            e: int
    assert "zz:toolong" not in FAMILIES


@pytest.mark.parametrize("data", [
    "log:p:²", "log:p:٣", "log:p:፭", "log:p:" + "9" * 30, "log:p:-1", "log:p:", "log:p:1:2",
    "log:c:1:telepathy", "log:s:ended:x", "log:c:1", "log", "nope:1", "", "x" * 65,
    "log:p:1\u202e",
])
def test_odd_or_forged_data_does_not_decode(data: str) -> None:
    assert buttons.decode(data) is None


@given(pid=st.integers(0, buttons.ID_MAX), channel=st.sampled_from(list(Channel)),
       step=st.integers(0, 99))
def test_payloads_round_trip(pid: int, channel: Channel, step: int) -> None:
    for payload in (LogPick(pid), FlowFor("log", pid), FlowTap("log", pid, step, channel.value),
                    FlowTap("followup", pid, step, "+12")):
        data = payload.encode()
        assert len(data.encode()) <= CALLBACK_DATA_LIMIT
        assert buttons.decode(data) == payload


def test_dates_and_old_wire_format() -> None:
    @family("zz:day", command="help")
    class Day(ButtonPayload):
        day: date

    try:
        assert Day(date(2026, 12, 3)).encode() == "zz:day:2026-12-03"
        assert buttons.decode("zz:day:2026-02-30") is None
        # What cards have always sent keeps meaning the same; the steps /log sent before
        # the flow engine no longer decode, but still say which command to start again.
        assert buttons.decode("log:p:42") == LogPick(42)
        assert buttons.decode("log:c:42:phone") is None
        assert buttons.command_of("log:c:42:phone") == "log"
    finally:
        FAMILIES.pop("zz:day")


def test_a_trailing_field_may_be_absent_and_decodes_as_none() -> None:
    @family("zz:tail", command="help")
    class Tail(ButtonPayload):
        item_id: int
        channel: Channel
        stamp: int | None = trailing()

    try:
        assert Tail(4, Channel.PHONE).encode() == "zz:tail:4:phone", "the older, shorter form"
        assert Tail(4, Channel.PHONE, 77).encode() == "zz:tail:4:phone:77"
        assert buttons.decode("zz:tail:4:phone") == Tail(4, Channel.PHONE, None)
        assert buttons.decode("zz:tail:4:phone:77") == Tail(4, Channel.PHONE, 77)
        # One encoding per value: no `-` for an absent tail, no empty field, nothing extra,
        # and the required fields stay required.
        for data in ("zz:tail:4:phone:-", "zz:tail:4:phone:", "zz:tail:4:phone:77:1",
                     "zz:tail:4", "zz:tail", "zz:tail:4:phone:²", "zz:tail:4:phone:2147483648"):
            assert buttons.decode(data) is None, data
        assert Tail.parse("zz:tail:4:phone") == Tail(4, Channel.PHONE)
        assert Tail.parse("log:p:4") is None, "another family's payload"
        assert Tail.LONGEST == len("zz:tail") + 1 + 12 + 1 + max(
            len(c.value) for c in Channel) + 1 + 12, "the proof counts the longest form"
    finally:
        FAMILIES.pop("zz:tail")


def test_trailing_fields_are_declared_last_optional_and_within_64_bytes() -> None:
    with pytest.raises(ValueError, match="exceed"):
        @family("zz:longtail", command="help")
        class LongTail(ButtonPayload):
            a: int
            b: int
            c: int
            d: Annotated[str, Token(10)]
            e: int | None = trailing()
    with pytest.raises(TypeError, match="last"):
        @family("zz:middle", command="help")
        class Middle(ButtonPayload):
            a: int | None = trailing()
            b: int = 0
    with pytest.raises(TypeError, match="X \\| None"):
        @family("zz:plain", command="help")
        class Plain(ButtonPayload):
            a: int = trailing()
    with pytest.raises(TypeError, match="int"):
        @family("zz:widestr", command="help")
        class WideText(ButtonPayload):
            a: Annotated[str, Token(4)] | None = trailing(max_value=10**11)
    assert not {"zz:longtail", "zz:middle", "zz:plain", "zz:widestr"} & set(FAMILIES)


def test_reminder_answers_old_and_new_are_one_declared_family() -> None:
    assert FAMILIES["fu:r"] is ReminderAnswer
    old = buttons.decode("fu:r:12:cant_come")
    assert old == ReminderAnswer(12, FollowUpResponse.CANT_COME, None)
    # Stamps are epoch seconds: past INTEGER's range from 2038, still a valid button.
    after_2038 = ReminderAnswer(12, FollowUpResponse.CONFIRMED, 2_300_000_000)
    assert after_2038.encode() == "fu:r:12:confirmed:2300000000"
    assert buttons.decode(after_2038.encode()) == after_2038
    for data in ("fu:r:12:pending", "fu:r:12:pending:1796288400", "fu:r:12:confirmed:-",
                 "fu:r:2147483648:confirmed", "fu:r:12:confirmed:1000000000000"):
        assert buttons.decode(data) is None, data


def test_swedish_names_come_from_the_registry() -> None:
    for row in COMMANDS:
        if row.swedish:
            assert command_for("sv", f"/{row.name} P-1") == f"/{row.swedish} P-1"
            assert command_for("en", f"/{row.name}") == f"/{row.name}"
    for alias in ("narvaro", "inskrivning", "timmar", "personnummer", "forhandsvisa",
                  "rapport"):
        assert alias in BY_NAME


async def test_every_registered_command_is_in_the_registry_and_bound(bot: BotHarness) -> None:
    bound: set[str] = set()
    for group in bot.app.handlers.values():
        for handler in group:
            if isinstance(handler, CommandHandler):
                bound |= set(handler.commands)
    assert bound == set(BY_NAME), bound ^ set(BY_NAME)
    with pytest.raises(ValueError, match="not in"):
        bind_command(bot.app, "astronaut", lambda turn: None)  # type: ignore[arg-type,return-value]


async def test_one_router_answers_every_button(bot: BotHarness) -> None:
    routers = [handler for group in bot.app.handlers.values() for handler in group
               if isinstance(handler, CallbackQueryHandler) and handler.pattern is None]
    assert len(routers) == 1


def _forgeries() -> list[tuple[str, bool]]:
    """(data, whether it cannot decode): odd digits and shapes never decode; a plausible
    shape may decode and must then be refused or answered like any tap."""
    data = []
    for prefix, cls in FAMILIES.items():
        data += [(f"{prefix}:²", True), (f"{prefix}:{'9' * 40}"[:64], True),
                 (f"{prefix}:٣:፭", True), (f"{prefix}:-:-:-:-:-:-:-", True),
                 (f"{prefix}:\u202e", True)]
        # Other families' shapes under this prefix.
        for other in {len(f._CODECS) for f in FAMILIES.values() if f is not cls}:
            data.append((prefix + ":" + ":".join(["1"] * other), False))
    return data


async def test_forged_payloads_at_every_family_get_expired_and_no_error(
    bot: BotHarness, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    """Every family: non-ASCII digits, huge numbers, wrong field counts — the same localized
    "this step has expired", nothing changed, no ERROR line in the log."""
    caplog.set_level(logging.INFO)
    for user in (people.bo.user, people.lead.user, people.stranger.user):
        [anchor] = await bot.send(user, "/help")
        for data, undecodable in _forgeries():
            replies = await bot.press_data(user, anchor, data)
            assert replies, data
            for reply in replies:
                assert APOLOGY not in reply.body, (data, reply.body)
            if undecodable:
                assert buttons.decode(data) is None, data
                assert any(EXPIRED in reply.body or "har gått ut" in reply.body
                           for reply in replies), (
                    data, [r.body for r in replies])
            [anchor] = await bot.send(user, "/help")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.fixture
def bot_app_families(bot: BotHarness) -> None:
    """Families are declared by the handler modules the application registers."""


def test_no_handler_builds_a_familys_callback_data_by_hand(bot_app_families: None) -> None:
    """Buttons are built with their payload class (`FollowUpOpen(5).encode()`), never as an
    f-string `"fu:o:5"` that bypasses the family's bounds and breaks silently when the
    family changes."""
    import ast
    from pathlib import Path

    handlers_dir = Path(__file__).resolve().parent.parent / "handlers"
    hand_built = []
    for path in sorted(handlers_dir.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.JoinedStr) or not node.values:
                continue
            head = node.values[0]
            if not (isinstance(head, ast.Constant) and isinstance(head.value, str)):
                continue
            if buttons.family_of(head.value.rstrip(":") or None) is not None \
                    and head.value.endswith(":"):
                hand_built.append(f"{path.name}:{node.lineno} {head.value!r}")
    assert hand_built == []


# Capability modules that still import another one; being removed in the flows work.
STILL_CROSS_IMPORTED = frozenset({
})


def test_no_handler_module_imports_another_capability() -> None:
    """A capability module (handlers/*.py) imports what it shares with others from
    handlers/kit/ (or bot/, storage/), never another capability: anywhere in the file,
    as `from handlers import x`, `from handlers.x import …` or `import handlers.x`."""
    import ast
    from pathlib import Path

    handlers_dir = Path(__file__).resolve().parent.parent / "handlers"
    capabilities = {path.stem for path in handlers_dir.glob("*.py") if path.stem != "__init__"}
    found: set[tuple[str, str]] = set()
    for path in sorted(handlers_dir.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module == "handlers":
                modules = [f"handlers.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                package, _, rest = module.partition(".")
                imported = rest.partition(".")[0]
                if package == "handlers" and imported in capabilities and imported != path.stem:
                    found.add((path.stem, imported))
    assert found - STILL_CROSS_IMPORTED == set()
    assert STILL_CROSS_IMPORTED - found == set(), "no longer imported: drop it from the list"


async def test_a_flow_started_replaces_the_one_the_person_was_in(
    bot: BotHarness, people: People
) -> None:
    """One flow at a time per person: the next text typed answers the flow started last."""
    user = people.bo.user
    await bot.send(user, "/add Amina H | Växjö | woman | ar")
    [picker] = await bot.send(user, "/followup")
    await bot.press(user, picker, "P-0001")  # the engine's flow waits for a day
    await bot.send(user, "/add")  # another flow asks for a name
    *_, asked = await bot.send(user, "Omar A")
    assert "municipality" in asked.text.lower(), asked.text
    await bot.send(user, "/cancel")
    await bot.send(user, "/add")  # waits for a name …
    await bot.send(user, "/preview")  # … until the engine's flow starts (and ends)
    *_, shown = await bot.send(user, "P-0001")
    assert "What P-0001 receives" in shown.text
    *_, after = await bot.send(user, "Omar A")
    assert "municipality" not in after.text.lower(), "no flow is left to answer"
