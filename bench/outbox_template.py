"""The bench-only outbox template, given to the bots the benchmarks build (never registered
by importing this module: `bench_templates()` is passed to `build_application`/`run_bot`)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.outbox.catalog import outbox_templates
from bot.outbox.templates import Outgoing
from bot.outbox.templates import Rendered
from bot.outbox.templates import Template

BENCH_TEMPLATE = "bench_ping"


async def bench_ping(_session: AsyncSession, out: Outgoing) -> Rendered:
    """A reminder-sized text that renders without database work; `#id` names the row
    (`bench.telegram_limits.row_id_in` reads it back)."""
    return Rendered(f"🔔 Reminder #{out.row.id}: your appointment is tomorrow at 10:00.")


def bench_templates() -> dict[str, Template]:
    """The bot's own templates plus `bench_ping`."""
    return {**outbox_templates(), BENCH_TEMPLATE: bench_ping}
