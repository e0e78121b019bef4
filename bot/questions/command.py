"""The command that answers the same question, so the user can check it and reuse it."""

from __future__ import annotations

from bot.questions.model import Intent
from bot.questions.model import Parsed

_GENDER_WORDS = {"woman": "women", "man": "men", "other": "other"}
_SPLIT_WORDS = {"municipality": "by municipality", "coordinator": "by coordinator"}


def equivalent_command(parsed: Parsed) -> str | None:
    """`/stats 2026-Q3 kommun:Växjö gender:women`, `/mine`, `/today`, `/participant P-0042`.

    None when no single command gives the same answer (the agenda of another day, the
    next follow-up with one participant). Names are written as they stand in `parsed`:
    the handler puts the matched names in before asking for the command.
    """
    intent = parsed.intent
    if intent == Intent.PARTICIPANT_CARD and parsed.participant:
        if parsed.participant_is_code:
            return f"/participant {parsed.participant}"
        return f"/find {parsed.participant}"
    if intent in {Intent.CASELOAD, Intent.LIST_NEGLECTED, Intent.LIST_BY_STATUS}:
        return "/mine"
    if intent in {Intent.LIST_AGENDA, Intent.UNCONFIRMED_FOLLOWUPS}:
        period = parsed.period
        today = parsed.asked_on
        if period is not None and period.is_single_day and period.start == today:
            return "/today"
        return None
    if intent == Intent.TEAM_OVERVIEW:
        return "/team"
    if intent == Intent.HELP:
        return "/help"
    if intent in {Intent.COUNT_PARTICIPANTS, Intent.COUNT_OUTCOMES, Intent.SHARE_OUTCOMES,
                  Intent.STATS}:
        return stats_command(parsed)
    return None


def stats_command(parsed: Parsed) -> str:
    words = ["/stats", parsed.period.label if parsed.period else "all"]
    if parsed.municipality:
        words.append(f"kommun:{_quoted(parsed.municipality)}")
    if parsed.coordinator:
        words.append(f"coordinator:{_quoted(parsed.coordinator)}")
    if parsed.gender:
        words.append(f"gender:{_GENDER_WORDS[parsed.gender]}")
    if parsed.split_by in _SPLIT_WORDS:
        words.append(_SPLIT_WORDS[parsed.split_by])
    return " ".join(words)


def _quoted(name: str) -> str:
    name = name.replace('"', "")
    return f'"{name}"' if any(ch.isspace() for ch in name) else name
