"""Which languages Koordinator speaks, and what each is called in itself."""

from __future__ import annotations

from bot.text.words import unaccented

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


# Language names as a spreadsheet or a person writes them, in Swedish and English (folded).
_NAMES = {
    "svenska": "sv", "swedish": "sv", "engelska": "en", "english": "en",
    "arabiska": "ar", "arabic": "ar", "dari": "fa_AF", "persiska": "fa", "persian": "fa",
    "farsi": "fa", "somaliska": "so", "somali": "so", "tigrinja": "ti", "tigrinya": "ti",
    "ukrainska": "uk", "ukrainian": "uk", "pashto": "ps", "pashtu": "ps",
    "sorani": "ckb", "kurdiska (sorani)": "ckb", "kurdish (sorani)": "ckb",
}


def parse_language(word: str) -> str | None:
    """A participant language from its code, its own name or its Swedish or English name."""
    folded = unaccented(word.strip())
    for code, name in ENDONYMS.items():
        if folded in {unaccented(name), unaccented(code)}:
            return code
    if folded in _NAMES:
        return _NAMES[folded]
    code = normalize_language(word)
    return code if code in PARTICIPANT_LANGUAGES else None
