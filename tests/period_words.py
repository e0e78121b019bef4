"""The one period grammar as a table: what people type → the period it names.

Shared by the command tests (`/stats …`, tests/test_stats.py) and the question tests
(tests/test_questions_parser.py), so a period word that works in one works in the other.
Relative to TODAY, a Tuesday in November 2026 (the tests' `TEST_NOW`).
"""

from __future__ import annotations

from datetime import date

TODAY = date(2026, 11, 24)

PERIOD_WORDS: list[tuple[str, str]] = [
    ("förra månaden", "2026-10"),
    ("denna månad", "2026-11"),
    ("this month", "2026-11"),
    ("last month", "2026-10"),
    ("previous month", "2026-10"),
    ("förra kvartalet", "2026-Q3"),
    ("föregående kvartal", "2026-Q3"),
    ("last quarter", "2026-Q3"),
    ("this quarter", "2026-Q4"),
    ("förra året", "2025"),
    ("i fjol", "2025"),
    ("previous year", "2025"),
    ("last year", "2025"),
    ("i år", "2026"),
    ("this year", "2026"),
    ("förra veckan", "2026-11-16..2026-11-22"),
    ("this week", "2026-11-23..2026-11-29"),
    ("2026", "2026"),
    ("2026-Q1", "2026-Q1"),
    ("Q1 2026", "2026-Q1"),
    ("2026-03", "2026-03"),
    ("2026-01-01..2026-06-30", "2026-01-01..2026-06-30"),
]
