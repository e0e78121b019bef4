"""Telegram's flood limits, judged where Telegram judges them: on arrival at the server.

The emulator gets `bench.telegram_limits.TelegramLimits` as its fault hook: at most 30
messages in any sliding second and one per second per chat, anything over answered 429
and counted. The bot's rate limiter and the outbox dispatcher must never trip it, and
the dispatcher must keep going while a chat is not free yet.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from telegram.error import RetryAfter

from bench.telegram_limits import TelegramLimits
from bench.telegram_limits import busiest_second
from bench.telegram_limits import closest_gap_per_chat
from bot.outbox.ratelimit import TelegramRateLimiter
from storage.models import OutboxStatus
from tests.conftest import TEST_NOW
from tests.conftest import Database
from tests.conftest import People
from tests.harness import running_bot
from tests.steps import outbox_rows
from tests.steps import queue_notices


async def test_rate_limiter_lets_no_more_than_30_messages_into_any_second_at_the_server(
    db: Database,
) -> None:
    # After an idle moment a leaky bucket lets a whole bucket go at once and then its
    # rate on top; 90 messages sent at once show whether any second gets more than 30.
    limits = TelegramLimits()
    async with running_bot(db.url, db.sessions, now=TEST_NOW) as bot:
        bot.api.fault = limits
        results = await asyncio.gather(
            *(bot.app.bot.send_message(700_000 + index, f"message {index}")
              for index in range(90)),
            return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert limits.violations == 0
    assert len(limits.deliveries) == 90
    assert busiest_second([d.at for d in limits.deliveries]) <= 30


async def test_a_429_reaches_the_caller_it_is_not_retried_by_the_limiter(db: Database) -> None:
    # The outbox row is the place to wait out a RetryAfter (it is rescheduled there);
    # a limiter that retried would hold the sender for the whole wait.
    limits = TelegramLimits()
    async with running_bot(db.url, db.sessions, now=TEST_NOW) as bot:
        bot.api.fault = limits
        await bot.app.bot.send_message(700_001, "first")
        try:
            await bot.app.bot.send_message(700_001, "second, too soon")
        except RetryAfter:
            pass
        else:
            raise AssertionError("the second message in the same second must get a 429")
    assert limits.over_chat == 1 and len(limits.deliveries) == 1


async def test_dispatcher_keeps_a_second_between_messages_to_a_chat_under_a_full_limiter(
    db: Database, people: People
) -> None:
    # 30 chats with one message fill the first second, so the first messages to the five
    # chats after them wait in the rate limiter for most of a second. Their second
    # messages must still arrive a second after the first ones have, not a second after
    # the first ones were started.
    chats = [800_000 + index for index in range(30)] + [801_000 + index for index in range(5)] * 2
    await queue_notices(db, people, chats)
    limits = TelegramLimits()
    async with running_bot(db.url, db.sessions, now=TEST_NOW,
                           per_chat_interval_seconds=1.0) as bot:
        bot.api.fault = limits
        report = await bot.dispatcher.drain()
    assert limits.violations == 0, (limits.over_global, limits.over_chat)
    delivered = limits.deliveries
    assert sorted(d.chat_id for d in delivered) == sorted(chats)
    assert closest_gap_per_chat(delivered) >= 1.0
    assert report.sent == len(chats)
    assert {r.status for r in await outbox_rows(db)} == {OutboxStatus.SENT}


async def test_outbox_message_waits_a_second_after_a_reply_in_the_same_chat(
    db: Database, people: People
) -> None:
    # The handler's reply went out without the dispatcher: the limiter saw it, and the
    # notice queued right after must not arrive within the same second.
    limits = TelegramLimits()
    async with running_bot(db.url, db.sessions, now=TEST_NOW,
                           per_chat_interval_seconds=1.0) as bot:
        bot.api.fault = limits
        assert await bot.send(people.anna.user, "/help"), "the handler replied"
        await queue_notices(db, people, [people.anna.id])
        report = await bot.dispatcher.run_once()
    assert report.sent == 1 and limits.violations == 0
    to_anna = [d for d in limits.deliveries if d.chat_id == people.anna.id]
    assert len(to_anna) == 2 and to_anna[1].at - to_anna[0].at >= 1.0


async def test_a_row_waiting_for_its_chat_holds_up_no_other_chat(
    db: Database, people: People
) -> None:
    # One place to send from: chat A's second and third rows must wait their second
    # outside it, so chat B's row (queued after them) goes out before them.
    chat_a, chat_b = 810_001, 810_002
    await queue_notices(db, people, [chat_a, chat_a, chat_a, chat_b])
    limits = TelegramLimits()
    async with running_bot(db.url, db.sessions, now=TEST_NOW, per_chat_interval_seconds=1.0,
                           dispatch_concurrency=1) as bot:
        bot.api.fault = limits
        report = await bot.dispatcher.run_once()
    assert report.sent == 4 and limits.violations == 0
    assert [d.chat_id for d in limits.deliveries] == [chat_a, chat_b, chat_a, chat_a]


async def test_a_chat_with_a_long_queue_gets_its_later_rows_given_back_in_order(
    db: Database, people: People
) -> None:
    # A lease of 10 s lets a row wait in memory 2.5 s at most: of six rows to one chat,
    # a second apart, the first three are sent and the other three go back to the outbox
    # due when the chat is free (3, 4 and 5 s on), not counted as attempts.
    chat = 820_001
    await queue_notices(db, people, [chat] * 6)
    async with running_bot(db.url, db.sessions, now=TEST_NOW, per_chat_interval_seconds=1.0,
                           dispatch_lease_seconds=10) as bot:
        report = await bot.dispatcher.run_once()
        assert (await bot.dispatcher.run_once()).claimed == 0, "not due before their time"
        rows = [r for r in await outbox_rows(db) if r.chat_id == chat]
        assert [r.status for r in rows] == [OutboxStatus.SENT] * 3 + [OutboxStatus.PENDING] * 3
        assert [r.send_at - TEST_NOW for r in rows[3:]] == [
            timedelta(seconds=seconds) for seconds in (3, 4, 5)]
        assert all(r.attempts == 0 and r.lease_until is None for r in rows[3:])
        assert report.sent == 3 and report.postponed == 3
        assert len(bot.api.bot_messages(chat)) == 3

        bot.clock.advance(timedelta(seconds=5))
        await asyncio.sleep(1.0)  # the chat's last message was a moment ago (real time)
        assert (await bot.dispatcher.drain()).sent == 3
    assert len(bot.api.bot_messages(chat)) == 6


async def test_one_run_claims_again_while_its_batch_drains(db: Database, people: People) -> None:
    # A batch of 4 and 12 due rows: one run delivers all 12 (it claims more as places
    # free up) instead of stopping at a batch boundary.
    await queue_notices(db, people, [830_000 + index for index in range(12)])
    async with running_bot(db.url, db.sessions, now=TEST_NOW, dispatch_batch_size=4) as bot:
        report = await bot.dispatcher.run_once()
    assert report.claimed == 12 and report.sent == 12
    assert {r.status for r in await outbox_rows(db)} == {OutboxStatus.SENT}


async def test_a_group_gets_its_own_window_and_does_not_hold_up_private_chats() -> None:
    """Telegram allows 20 messages a minute in a group; here 3 per 0.3 s, same rule."""
    limiter = TelegramRateLimiter(group_per_minute=3, group_period_seconds=0.3)
    spans: dict[int | str, list[tuple[float, float]]] = {}

    async def send(chat_id: int | str) -> bool:
        started = time.monotonic()
        await asyncio.sleep(0.01)
        spans.setdefault(chat_id, []).append((started, time.monotonic()))
        return True

    async def request(chat_id: int | str) -> object:
        return await limiter.process_request(send, (chat_id,), {}, "sendMessage",
                                             {"chat_id": chat_id}, None)

    await asyncio.gather(*(request(-100) for _ in range(7)), *(request("@channel")
                                                               for _ in range(4)),
                         *(request(800_000 + n) for n in range(20)))
    for group in (-100, "@channel"):
        group_spans = sorted(spans[group])
        # Each send starts no sooner than the window after the send three places earlier
        # finished: never more than 3 in flight or finished within any 0.3 s.
        for earlier, later in zip(group_spans, group_spans[3:], strict=False):
            assert later[0] >= earlier[1] + 0.3 - 1e-3, group
    first_group_wait = sorted(spans[-100])[3][0]
    private = [start for chat, chat_spans in spans.items() if isinstance(chat, int) and chat > 0
               for start, _ in chat_spans]
    assert len(private) == 20 and max(private) < first_group_wait, (
        "private chats went while the groups waited")
