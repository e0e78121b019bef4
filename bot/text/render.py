"""The one way a reply is built: localized HTML text plus an optional inline keyboard."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton
from telegram import InlineKeyboardMarkup

from bot.text.i18n import N_
from bot.text.i18n import Translator
from bot.text.i18n import isolate_typed
from bot.text.i18n import without_bidi_controls
from storage.errors import DomainError
from storage.models import Participant
from storage.municipalities import MunicipalityUnknown
from storage.municipalities import Resolution

TELEGRAM_TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
PARTICIPANT_LABEL_MAX = 40


# One piece of HTML text: a tag, an entity, or one character.
_HTML_PIECE = re.compile(r"<[^<>]*>|&#?[A-Za-z0-9]+;|.", re.DOTALL)
_TAG = re.compile(r"<(/?)\s*([A-Za-z][\w-]*)")


def utf16_length(text: str) -> int:
    """Telegram counts a message's length in UTF-16 code units: an emoji is two."""
    return len(text.encode("utf-16-le")) // 2


def fit_html(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> str:
    """`text` cut to at most `limit` UTF-16 units, counting tags as written (so it fits
    however Telegram counts), never inside a tag or an entity, with "…" where it was cut
    and every tag still open closed (a long `/team` table keeps its `</pre>`)."""
    if utf16_length(text) <= limit:
        return text
    ellipsis = "…"
    kept: list[str] = []
    open_tags: list[str] = []
    used = 0  # what is kept
    closers = 0  # the room the closing tags of the open tags will take
    for piece in _HTML_PIECE.findall(text):
        tag = _TAG.match(piece) if piece.startswith("<") and len(piece) > 1 else None
        name = tag.group(2).lower() if tag else ""
        if tag and tag.group(1):
            while name in open_tags:  # its room was reserved when it opened
                closed = open_tags.pop()
                kept.append(f"</{closed}>")
                used, closers = used + len(f"</{closed}>"), closers - len(f"</{closed}>")
                if closed == name:
                    break
            continue
        closer = len(f"</{name}>") if tag else 0
        cost = utf16_length(piece)
        if used + cost + closer + closers + len(ellipsis) > limit:
            break
        kept.append(piece)
        used += cost
        if tag:
            open_tags.append(name)
            closers += closer
    return "".join(kept) + ellipsis + "".join(f"</{name}>" for name in reversed(open_tags))


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    keyboard: InlineKeyboardMarkup | None = None


Button = tuple[str, str]
"""(label, callback data)."""


def keyboard(rows: Iterable[Sequence[Button]]) -> InlineKeyboardMarkup:
    built = []
    for row in rows:
        buttons = []
        for label, data in row:
            if len(data.encode()) > CALLBACK_DATA_LIMIT:
                raise ValueError(f"callback data too long: {data!r}")
            buttons.append(InlineKeyboardButton(label, callback_data=data))
        if buttons:
            built.append(buttons)
    return InlineKeyboardMarkup(built)


def grid(buttons: Sequence[Button], per_row: int = 2) -> list[list[Button]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def participant_keyboard(participants: Sequence[Participant],
                         callback: Callable[[Participant], str]) -> InlineKeyboardMarkup:
    """One button per participant ("P-0042 Amina …", cut to fit a phone), two per row."""
    return keyboard(grid([(isolate_typed(f"{p.code} {without_bidi_controls(p.display_name)}"
                                         [:PARTICIPANT_LABEL_MAX]), callback(p))
                          for p in participants], 2))


# What each domain error means to a person; the key is DomainError.code.
ERROR_MESSAGES: dict[str, str] = {
    "participant_not_found": N_(
        "I can't find participant %(code)s among the participants you can see. "
        "Check the code, or use /find."
    ),
    "staff_not_found": N_("No staff member matches “%(reference)s”. Use their Telegram id "
                          "or a part of their name."),
    "staff_ambiguous": N_("“%(reference)s” matches several staff members (%(names)s). "
                          "Write more of the name or use the Telegram id."),
    "staff_exists": N_("Telegram id %(telegram_id)s is already on the staff list."),
    "not_allowed": N_("Your role does not allow that."),
    "participant_ended": N_("%(code)s has already ended in the project; nothing was changed."),
    "invalid_value": N_("That value is not valid; nothing was changed."),
    "followup_in_past": N_("That time has already passed; nothing was booked."),
    "followup_not_found": N_("That follow-up no longer exists or was cancelled."),
    "unprintable_text": N_("That text contains a control character (such as a NUL byte) "
                           "that cannot be stored; nothing was saved. Type it again."),
    "municipality_unknown": N_("“%(typed)s” is not one of the project's municipalities; "
                               "nothing was saved. Write the municipality's name, e.g. Växjö."),
    "municipality_suggestions": N_("“%(typed)s” is not one of the project's municipalities; "
                                   "nothing was saved. Did you mean %(names)s?"),
    "personnummer_not_configured": N_(
        "Personal identity numbers cannot be stored: the PERSONNUMMER_KEY setting is empty. "
        "Ask your system administrator."),
}

FIELD_ERRORS: dict[str, str] = {
    "name": N_("The name must be 1–120 characters; nothing was saved."),
    "municipality": N_("The municipality must be 1–80 characters; nothing was saved."),
    "note": N_("The note is longer than %(max)s characters; nothing was saved. Shorten it."),
    "ended_on": N_("The end date is before the enrolment date; nothing was saved."),
    "telegram_id": N_("The Telegram id must be a positive number; nothing was saved."),
    "status": N_("Use /end to end a participant's time in the project."),
    "staff": N_("The receiving staff member must be active and not the same person; "
                "nothing was moved."),
    "away": N_("The colleague must be active staff, not you, and the last day away today or "
               "later; nothing was changed."),
    "place": N_("The place must be at most %(max)s characters; nothing was booked."),
    "date": N_("Dates must lie between 1900 and 2100; nothing was saved."),
    "birth_year": N_("The birth year must be between 1900 and this year; nothing was saved."),
    "month": N_("That month is in the future or outside the participant's time in the "
                "project; nothing was saved."),
    "hours": N_("The hours must be between 0 and %(max)s; nothing was saved."),
    "subsidy_type": N_("A kind of subsidised job goes only with the outcome subsidised; "
                       "nothing was saved."),
    "sensitive_off": N_("Disability and foreign background are not recorded in this project "
                        "(the SENSITIVE_CATEGORIES setting is off); nothing was saved."),
    "sensitive_owner": N_("Only the participant's own coordinator records disability and "
                          "foreign background; nothing was saved."),
}


def municipality_error(tr: Translator, resolution: Resolution) -> str:
    """What to say when a typed municipality is not exactly one of the project's."""
    return error_text(tr, MunicipalityUnknown.of(resolution))


def error_text(tr: Translator, error: DomainError) -> str:
    field = error.params.get("field")
    if error.code == "invalid_value" and isinstance(field, str) and field in FIELD_ERRORS:
        # The limits in these texts are numbers in the reader's format ("2,000", "2 000").
        limits = {k: tr.number(v) if isinstance(v, int) and not isinstance(v, bool) else v
                  for k, v in error.params.items() if k != "field"}
        return tr._(FIELD_ERRORS[field], **limits)
    template = ERROR_MESSAGES.get(error.code, ERROR_MESSAGES["invalid_value"])
    return tr._(template, **error.params)
