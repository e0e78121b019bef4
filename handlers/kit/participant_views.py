"""How participants read in lists, the caseload (/mine) and where a participant's card opens.

Shared by the capabilities that list participants (/mine, /find, questions): the line of a
participant, its "last check-in" and reach markers, the caseload page with its buttons, and
the button families that open a card (`ParticipantCard`, `CardFromCaseload`). The card
itself is drawn by handlers/participants.py, with other capabilities' buttons under it; it
binds its card view here (`bind_card_view`, from its `register`), so any module can open a
card (`open_card`) without importing another capability.
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable

from telegram.ext import Application

from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import family
from bot.text.i18n import SafeHtml
from bot.text.i18n import Translator
from bot.text.labels import STATUS_LABELS
from bot.text.render import Button
from bot.text.render import grid
from bot.text.render import keyboard
from handlers.kit.base import Turn
from storage import participants as queries
from storage.models import Participant
from storage.models import Status

PAGE_SIZE = 8


# ---- buttons ----------------------------------------------------------------------------
@family("mine", command="mine")
class CaseloadPage(ButtonPayload):
    page: int


@family("mine:c", command="mine")
class CardFromCaseload(ButtonPayload):
    """Open a card from page `page` of /mine: the card has « Back to that page."""

    participant_id: int
    page: int


@family("card", command="participant")
class ParticipantCard(ButtonPayload):
    participant_id: int


# ---- a participant in a list ------------------------------------------------------------
def participant_line(tr: Translator, participant: Participant) -> str:
    return tr._(
        "%(code)s · %(name)s · %(status)s",
        code=tr.isolate(participant.code),
        name=participant.display_name,
        status=tr._(STATUS_LABELS[Status(participant.status)]),
    )


def reach_flag(tr: Translator, row: queries.CaseloadRow) -> str:
    """A short marker when the bot cannot (or may not) reach the participant."""
    participant = row.participant
    if participant.stopped_at is not None:
        return " " + tr._("🛑 stopped the bot")
    if participant.unreachable_at is not None:
        return " " + tr._("⚠️ unreachable in Telegram")
    if row.invited_not_joined:
        return " " + tr._("✉️ invited, has not pressed Start")
    return ""


def seen_text(tr: Translator, row: queries.CaseloadRow) -> str:
    """`last check-in 3 Nov 2026` (the local day) or `no check-in yet`."""
    if row.last_checkin_at is None:
        return tr._("no check-in yet")
    return tr._("last check-in %(date)s", date=tr.date(tr.local(row.last_checkin_at).date()))


def caseload_line(tr: Translator, row: queries.CaseloadRow) -> str:
    """A caseload row: the participant, when last seen, and whether the bot reaches them."""
    return tr._("%(line)s — %(seen)s", line=SafeHtml(participant_line(tr, row.participant)),
                seen=seen_text(tr, row)) + reach_flag(tr, row)


# ---- /mine ------------------------------------------------------------------------------
async def show_caseload(turn: Turn, *, page: int, edit: bool = False) -> None:
    tr = turn.tr
    async with turn.transaction() as session:
        rows, total = await queries.caseload(
            session, turn.require_viewer(), now=turn.now, offset=page * PAGE_SIZE,
            limit=PAGE_SIZE)
    if total == 0:
        await turn.reply(tr._("You have no active participants. Add one with /add."))
        return
    lines = [tr.ngettext("<b>Your caseload: %(n)s participant</b> (least recently seen first)",
                         "<b>Your caseload: %(n)s participants</b> (least recently seen first)",
                         total)]
    lines += [caseload_line(tr, row) for row in rows]
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    nav: list[Button] = []
    if page > 0:
        nav.append((tr._("◀ Previous"), CaseloadPage(page - 1).encode()))
    if page + 1 < pages:
        nav.append((tr._("Next ▶"), CaseloadPage(page + 1).encode()))
    if pages > 1:
        lines.append(tr._("Page %(page)s of %(pages)s", page=page + 1, pages=pages))
    open_buttons = [(row.participant.code,
                     CardFromCaseload(row.participant.id or 0, page).encode())
                    for row in rows]
    markup = keyboard([*grid(open_buttons, 4), nav])
    await turn.respond("\n".join(lines), markup, edit=edit)


# ---- the card, wherever it is opened from -------------------------------------------------
CardView = Callable[[Turn, Participant, ButtonPayload | None], Awaitable[None]]
CARD_VIEW_KEY = "koordinator.card_view"
"""bot_data key: the function that shows a participant's card (bound by participants)."""


def bind_card_view(app: Application, view: CardView) -> None:
    """Who draws the participant card; bound once, by handlers/participants.py."""
    bound = app.bot_data.get(CARD_VIEW_KEY)
    if bound is not None and bound is not view:
        raise ValueError("the participant card view is bound twice")
    app.bot_data[CARD_VIEW_KEY] = view


async def open_card(turn: Turn, participant: Participant,
                    back: ButtonPayload | None = None) -> None:
    """The card exactly as /participant shows it; with `back`, it replaces the list it was
    opened from and « Back returns there."""
    view: CardView = turn.context.bot_data[CARD_VIEW_KEY]
    await view(turn, participant, back)
