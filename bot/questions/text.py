"""From what was typed to tokens: invisible characters out, contractions opened, folded words.

A token keeps the text as typed (for names: "Växjö", "Amina") and its folded form
(lower case, no diacritics: "vaxjo") for matching words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.text.words import unaccented

if TYPE_CHECKING:
    from bot.questions.lexicon import Sense

MAX_CHARS = 300
"""Longer text is not a question (and is not worth the work of reading it)."""

# Format, control, private-use and unassigned characters: bidi overrides, zero-width
# joiners, BOMs, soft hyphens. Whitespace controls become spaces.
_WHITESPACE_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_DASHES = re.compile(r"\s+[-–—]\s+|[–—]|\.\.+")
_CONTRACTIONS = (
    (re.compile(r"\b(ca)n't\b", re.IGNORECASE), r"\1n not"),
    (re.compile(r"\b(wo)n't\b", re.IGNORECASE), "will not"),
    (re.compile(r"n't\b", re.IGNORECASE), " not"),
    (re.compile(r"'re\b", re.IGNORECASE), " are"),
    (re.compile(r"'ve\b", re.IGNORECASE), " have"),
    (re.compile(r"'m\b", re.IGNORECASE), " am"),
    (re.compile(r"'ll\b", re.IGNORECASE), " will"),
    (re.compile(r"\b(who|how|what|where|when|that|it|there|here|he|she)'s\b", re.IGNORECASE),
     r"\1 is"),
)
_TOKEN = re.compile(r"[^\W_]+(?:[-:/.'][^\W_]+)*|%|→")
_GENITIVE = re.compile(r"^(.+?)(?:'s|:s|')$", re.IGNORECASE)
_FILTER_KEY = re.compile(r"^(kommun|municipality|koordinator|coordinator|samordnare|gender|kon)"
                         r":(.+)$", re.IGNORECASE)


fold = unaccented
"""Lower case without diacritics (`Växjö` → `vaxjo`), spaces kept: token offsets hold."""


def clean(text: str) -> str:
    """NFKC, invisible and control characters removed, apostrophes and dashes unified."""
    text = unicodedata.normalize("NFKC", text)
    kept = []
    for ch in text:
        if ch in _WHITESPACE_CONTROLS:
            kept.append(" ")
        elif unicodedata.category(ch)[0] != "C":
            kept.append(ch)
    text = "".join(kept).translate(_APOSTROPHES)
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    # "1 mars – 30 juni", "2026-01-01..2026-06-30": a range arrow between the two ends.
    return _DASHES.sub(" → ", text)


@dataclass(slots=True)
class Token:
    raw: str
    """As typed (cleaned), genitive ending removed."""
    word: str
    """Folded."""
    genitive: bool = False
    senses: tuple[Sense, ...] = ()
    used: bool = False
    """Taken by a time expression."""

    @property
    def capitalized(self) -> bool:
        return self.raw[:1].isupper()

    def has(self, kind: str) -> bool:
        return any(sense.kind == kind for sense in self.senses)

    def sense(self, kind: str) -> Sense | None:
        for sense in self.senses:
            if sense.kind == kind:
                return sense
        return None



def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        piece = match.group()
        key = _FILTER_KEY.match(piece)
        pieces = [key.group(1), key.group(2)] if key else [piece]
        for raw in pieces:
            genitive = False
            found = _GENITIVE.match(raw)
            if found and not raw[:1].isdigit():
                raw, genitive = found.group(1), True
            tokens.append(Token(raw=raw, word=fold(raw), genitive=genitive))
    return tokens
