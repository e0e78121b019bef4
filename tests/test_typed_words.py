"""Words staff type for a status, an outcome, a channel or a kind of follow-up, as Swedish
colleagues say them (bot/text/labels.py)."""

from __future__ import annotations

from enum import StrEnum

import pytest

from bot.text.labels import FOLLOWUP_KIND_WORDS
from bot.text.labels import fold
from bot.text.labels import parse_word
from storage.models import Channel
from storage.models import FollowUpKind
from storage.models import Outcome


def meaning(kind: type[StrEnum], typed: str) -> StrEnum | None:
    """What a typed word means where a value of `kind` is asked for."""
    if kind is FollowUpKind:
        return FOLLOWUP_KIND_WORDS.get(fold(typed))
    return parse_word(kind, typed)


@pytest.mark.parametrize(("kind", "typed", "meant"), [
    (Outcome, "Egen företagare", Outcome.SELF_EMPLOYED),
    (Outcome, "subventionerad anställning", Outcome.SUBSIDISED),
    (Outcome, "CSN", Outcome.STUDIES),
    (Outcome, "komvux", Outcome.OTHER_EDUCATION),
    (Outcome, "arbetsmarknadsprogram", Outcome.LABOUR_MARKET_PROGRAMME),
    (Outcome, "arbetslös", Outcome.JOB_SEEKING),
    (Outcome, "föräldraledighet", Outcome.PARENTAL_LEAVE),
    (Outcome, "flytt", Outcome.MOVED),
    (Outcome, "sjukskriven", Outcome.ILLNESS),
    (Channel, "telefonsamtal", Channel.PHONE),
    (Channel, "ringde", Channel.PHONE),
    (Channel, "mejl", Channel.MESSAGE),
    (Channel, "e-post", Channel.MESSAGE),
    # A kind of follow-up as its Swedish button says it, typed in a one-liner.
    (FollowUpKind, "telefonsamtal", FollowUpKind.PHONE_CALL),
    (FollowUpKind, "Avstämningsfråga", FollowUpKind.CHECKIN_QUESTION),
    (FollowUpKind, "möte", FollowUpKind.MEETING),
])
def test_swedish_words_mean_their_value(kind: type[StrEnum], typed: str, meant: StrEnum) -> None:
    assert meaning(kind, typed) == meant
