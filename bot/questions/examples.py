"""Example questions, offered when a question was not understood.

They are questions as a user would type them, in the language the user typed, so they
are not translated; the tests check that each one is understood as its intent.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from bot.questions.model import Intent
from bot.questions.text import fold

EXAMPLES: dict[str, tuple[tuple[Intent, str], ...]] = {
    "sv": (
        (Intent.LIST_NEGLECTED, "vilka har jag inte träffat på två veckor?"),
        (Intent.LIST_AGENDA, "vilka möten har jag imorgon?"),
        (Intent.COUNT_OUTCOMES, "hur många gick till jobb i år?"),
        (Intent.UNCONFIRMED_FOLLOWUPS, "vem har inte bekräftat fredagens möte?"),
        (Intent.PARTICIPANT_CARD, "hur går det för P-0042?"),
        (Intent.SHARE_OUTCOMES, "andel till arbete eller studier förra kvartalet"),
        (Intent.LIST_BY_STATUS, "vilka har praktik just nu?"),
        (Intent.COUNT_PARTICIPANTS, "hur många aktiva deltagare har vi i Växjö?"),
        (Intent.STATS, "statistik för förra månaden"),
        (Intent.TEAM_OVERVIEW, "vilken koordinator har flest aktiva?"),
        (Intent.CASELOAD, "visa mina deltagare"),
    ),
    "en": (
        (Intent.LIST_NEGLECTED, "who haven't I seen in two weeks?"),
        (Intent.LIST_AGENDA, "what meetings do I have tomorrow?"),
        (Intent.COUNT_OUTCOMES, "how many went to work this year?"),
        (Intent.UNCONFIRMED_FOLLOWUPS, "who hasn't confirmed Friday's meeting?"),
        (Intent.PARTICIPANT_CARD, "how is P-0042 doing?"),
        (Intent.SHARE_OUTCOMES, "share to work or studies last quarter"),
        (Intent.LIST_BY_STATUS, "who is in an internship right now?"),
        (Intent.COUNT_PARTICIPANTS, "how many active participants do we have in Växjö?"),
        (Intent.STATS, "statistics for last month"),
        (Intent.TEAM_OVERVIEW, "which coordinator has the most active participants?"),
        (Intent.CASELOAD, "show my participants"),
    ),
}

# Which intents a cue word hints at, to rank the examples close to what was typed.
_HINTS: dict[str, tuple[Intent, ...]] = {
    "meeting": (Intent.LIST_AGENDA, Intent.UNCONFIRMED_FOLLOWUPS),
    "confirm": (Intent.UNCONFIRMED_FOLLOWUPS,),
    "contact": (Intent.LIST_NEGLECTED,),
    "count": (Intent.COUNT_OUTCOMES, Intent.COUNT_PARTICIPANTS),
    "share": (Intent.SHARE_OUTCOMES,),
    "outcome": (Intent.COUNT_OUTCOMES, Intent.SHARE_OUTCOMES),
    "status": (Intent.LIST_BY_STATUS, Intent.COUNT_PARTICIPANTS),
    "coordinator": (Intent.TEAM_OVERVIEW, Intent.COUNT_PARTICIPANTS),
    "team": (Intent.TEAM_OVERVIEW,),
    "card": (Intent.PARTICIPANT_CARD,),
    "code": (Intent.PARTICIPANT_CARD,),
    "stats": (Intent.STATS, Intent.COUNT_OUTCOMES),
    "participant": (Intent.CASELOAD, Intent.COUNT_PARTICIPANTS),
    "mine": (Intent.CASELOAD,),
}
_FOLDED = {lang: tuple((intent, text, fold(text)) for intent, text in examples)
           for lang, examples in EXAMPLES.items()}


def suggestions(text: str, language: str, cues: frozenset[str] = frozenset(),
                count: int = 3) -> tuple[str, ...]:
    """`count` example questions nearest to `text` (by words and cue words), one per intent."""
    examples = _FOLDED.get(language, _FOLDED["sv"])
    hinted = {intent for cue in cues for intent in _HINTS.get(cue, ())}
    folded = fold(text)
    scored = []
    for order, (intent, example, example_folded) in enumerate(examples):
        score = fuzz.token_set_ratio(folded, example_folded) if folded else 0.0
        if intent in hinted:
            score += 50
        scored.append((-score, order, intent, example))
    scored.sort()
    chosen: list[str] = []
    seen: set[Intent] = set()
    for _, _, intent, example in scored:
        if intent not in seen:
            seen.add(intent)
            chosen.append(example)
        if len(chosen) == count:
            break
    return tuple(chosen)
