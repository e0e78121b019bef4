"""Matching a typed name to the names the asker may see: accent-insensitive and fuzzy.

"Vaxjo", "växjö", "Växjös" and "Vâxjö" all find "Växjö"; "Lund" finds "Lund" alone when
that is a name, and both "Lunda" and "Lund" only when neither is exact — then the
handler asks which one.
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz

from bot.questions.text import fold

_FUZZY_CUTOFF = 84.0
_TIE_MARGIN = 4.0


def name_variants(text: str) -> tuple[str, ...]:
    """The name as typed, then without a genitive -s ("Aminas" → "Amina")."""
    text = " ".join(text.split()).strip(" ?!.,:;")
    variants = [text]
    for ending in ("'s", ":s", "s"):
        if text.lower().endswith(ending) and len(text) > len(ending) + 1:
            variants.append(text[: -len(ending)])
            break
    return tuple(dict.fromkeys(variants))


def match_names(typed: str, candidates: Iterable[str]) -> list[str]:
    """The candidates `typed` means, best kind of match first: exact (folded), a whole word
    of the name ("Bo" → "Bo Berg"), the start of the name ("Lund" → "Lunda", "Lundby"),
    then close spellings. Several results mean the text is ambiguous between them.
    """
    names = list(dict.fromkeys(candidates))
    folded = {name: fold(name) for name in names}
    variants = [fold(variant) for variant in name_variants(typed) if variant]
    if not variants:
        return []
    for matches in (
        lambda wanted, name: folded[name] == wanted,
        lambda wanted, name: wanted in folded[name].split(),
        lambda wanted, name: len(wanted) >= 3 and folded[name].startswith(wanted),
    ):
        for wanted in variants:
            found = [name for name in names if matches(wanted, name)]
            if found:
                return found
    scored = []
    for name in names:
        best = max(fuzz.ratio(wanted, folded[name]) for wanted in variants)
        if best >= _FUZZY_CUTOFF:
            scored.append((best, name))
    if not scored:
        return []
    top = max(score for score, _ in scored)
    return [name for score, name in sorted(scored, reverse=True) if score >= top - _TIE_MARGIN]

