"""Free-text questions → structured queries. Pure: no Telegram, no SQL.

`parse()` reads a Swedish or English question into a `Parsed` query (intent + slots), or
`NotUnderstood` with example questions, or `Ambiguous` with the readings to choose from.
`equivalent_command()` gives the command that answers the same; `match_names()` matches
typed names (municipalities, coordinators, participants) against the ones the asker sees.
"""

from bot.questions.command import equivalent_command
from bot.questions.examples import EXAMPLES, suggestions
from bot.questions.model import (
    OUTCOME_GROUPS,
    Ambiguous,
    Duration,
    Intent,
    NotUnderstood,
    Parsed,
    Period,
    Result,
)
from bot.questions.names import match_names, name_variants
from bot.questions.parser import parse

__all__ = [
    "EXAMPLES",
    "OUTCOME_GROUPS",
    "Ambiguous",
    "Duration",
    "Intent",
    "NotUnderstood",
    "Parsed",
    "Period",
    "Result",
    "equivalent_command",
    "match_names",
    "name_variants",
    "parse",
    "suggestions",
]
