"""The bot's words for master data, given to storage's importer (storage/importing.py) so
a spreadsheet is read with exactly the rules the chat uses."""

from __future__ import annotations

from typing import Any

from bot.text.funder_labels import FIELD_WORDS
from bot.text.funder_labels import NotUnderstood
from bot.text.funder_labels import parse_field
from bot.text.labels import fold
from bot.text.labels import parse_word
from bot.text.languages import PARTICIPANT_LANGUAGES
from bot.text.languages import STAFF_LANGUAGES
from bot.text.languages import parse_language
from storage.importing import Vocabulary
from storage.models import Gender
from storage.models import Role


def _entry_field(header: str) -> str | None:
    key = "_".join(fold(header).replace("-", " ").split())
    # In a caseload sheet "Status" is what the participant does now, not entry employment.
    return None if key == "status" else FIELD_WORDS.get(key)


def _entry_value(field: str, text: str, today_year: int = 9999) -> Any:
    # parse_field reads `word:value`; any of the field's header words will do.
    word = next(key for key, name in FIELD_WORDS.items() if name == field)
    try:
        return parse_field(f"{word}:{text}", today_year=today_year)[1]
    except NotUnderstood:
        raise ValueError(text) from None


def _staff_language(word: str) -> str | None:
    code = parse_language(word)
    return code if code in STAFF_LANGUAGES else None


IMPORT_VOCABULARY = Vocabulary(
    gender=lambda word: parse_word(Gender, word),
    language=parse_language,
    staff_language=_staff_language,
    role=lambda word: parse_word(Role, word),
    entry_field=_entry_field,
    entry_value=_entry_value,
    gender_words="kvinna/woman, man, annat/other, -",
    language_words=", ".join(PARTICIPANT_LANGUAGES),
)
