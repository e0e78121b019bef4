"""Comparing words as people type them; pure (the question parser relies on that)."""

from __future__ import annotations

import unicodedata


def unaccented(text: str) -> str:
    """Lower case without diacritics: `Möte` → `möte` → `mote`, `Växjö` → `vaxjo`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
