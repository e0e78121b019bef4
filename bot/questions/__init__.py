"""Free-text questions → structured queries. Pure: no Telegram, no SQL.

`parse()` reads a Swedish or English question into a `Parsed` query (intent + slots), or
`NotUnderstood` with example questions, or `Ambiguous` with the readings to choose from.
`equivalent_command()` gives the command that answers the same; `match_names()` matches
typed names (municipalities, coordinators, participants) against the ones the asker sees.
"""

from bot.questions.command import equivalent_command
from bot.questions.examples import EXAMPLES
from bot.questions.examples import suggestions
from bot.questions.model import OUTCOME_GROUPS
from bot.questions.model import Ambiguous
from bot.questions.model import Duration
from bot.questions.model import Intent
from bot.questions.model import NotUnderstood
from bot.questions.model import Parsed
from bot.questions.model import Period
from bot.questions.model import Result
from bot.questions.names import match_names
from bot.questions.names import name_variants
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
