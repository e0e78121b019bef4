"""Which languages Koordinator speaks, and what each is called in itself."""

from __future__ import annotations

STAFF_LANGUAGES: tuple[str, ...] = ("sv", "en")
"""Languages with complete catalogs; staff can use the bot in these."""

PARTICIPANT_LANGUAGES: tuple[str, ...] = (
    "sv", "en", "ar", "fa_AF", "fa", "so", "ti", "uk", "ps", "ckb",
)
"""Languages a participant may prefer; missing strings fall back per string to sv, then en."""

ENDONYMS: dict[str, str] = {
    "sv": "Svenska",
    "en": "English",
    "ar": "العربية",
    "fa_AF": "دری",
    "fa": "فارسی",
    "so": "Soomaali",
    "ti": "ትግርኛ",
    "uk": "Українська",
    "ps": "پښتو",
    "ckb": "کوردی",
}

# Telegram's language_code is an IETF tag ("sv-SE", "fa-AF", "prs"); map it to our codes.
# Not "ku": that is Kurmanji (Latin script), which Sorani readers' `ckb` is not.
_ALIASES = {"prs": "fa_AF", "fa-af": "fa_AF", "fa_af": "fa_AF", "sv-fi": "sv"}


def normalize_language(tag: str | None) -> str | None:
    """Our language code for a Telegram/IETF tag, or None when we do not know it."""
    if not tag:
        return None
    lowered = tag.strip().lower().replace("_", "-")
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    for code in PARTICIPANT_LANGUAGES:
        if lowered == code.lower().replace("_", "-"):
            return code
    base = lowered.split("-", 1)[0]
    if base in _ALIASES:
        return _ALIASES[base]
    return base if base in PARTICIPANT_LANGUAGES else None
