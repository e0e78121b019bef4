"""The bench-only outbox template, registered on import (benchmarks and their child bots)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.outbox.templates import Outgoing, Rendered, template

BENCH_TEMPLATE = "bench_ping"


@template(BENCH_TEMPLATE)
async def bench_ping(_session: AsyncSession, out: Outgoing) -> Rendered:
    """A reminder-sized text that renders without database work; `#id` names the row
    (`bench.telegram_limits.row_id_in` reads it back)."""
    return Rendered(f"🔔 Reminder #{out.row.id}: your appointment is tomorrow at 10:00.")
