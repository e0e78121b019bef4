"""/staff (leads and admins list staff and add coordinators; admins any role), /handover,
and /away (a colleague gets your notices while you are away)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from telegram.ext import Application

from bot.interaction import menus
from bot.interaction.buttons import ButtonPayload, family
from bot.text.i18n import Translator
from bot.text.labels import ROLE_LABELS, parse_word
from bot.text.render import Button, grid, keyboard
from handlers.kit.base import (
    CancelFlow,
    Turn,
    bind_button,
    bind_command,
    bind_text_step,
    expired,
    parse_day,
    split_fields,
)
from storage import staff as queries
from storage.access import Action, roles_viewer_may_add
from storage.errors import InvalidValue
from storage.models import Role, Staff
from storage.participants import active_caseloads, hand_over
from storage.staff import set_away

STAFF_BUTTONS = 20
"""Colleagues offered as buttons per page (/away, /handover); "More…" opens the next page."""
AWAY_DAY_BUTTONS = 14


# ---- buttons ----------------------------------------------------------------------------
@family("staff:role", command="staff")
class StaffRole(ButtonPayload):
    """The new staff member's role: saves them."""

    role: Role


@family("ho:f", command="handover")
class HandoverFrom(ButtonPayload):
    """Whose caseload moves: offer receivers."""

    from_id: int


@family("ho:t", command="handover")
class HandoverTo(ButtonPayload):
    """To whom: ask to confirm."""

    from_id: int
    to_id: int


@family("ho:fm", command="handover")
class HandoverFromMore(ButtonPayload):
    """The next page of "whose caseload"."""

    page: int


@family("ho:tm", command="handover")
class HandoverToMore(ButtonPayload):
    """The next page of "to whom"."""

    from_id: int
    page: int


@family("ho:c", command="handover")
class HandoverConfirm(ButtonPayload):
    from_id: int
    to_id: int


@family("away:s", command="away")
class AwayColleague(ButtonPayload):
    """Who gets the notices: offer the last day away."""

    staff_id: int


@family("away:d", command="away")
class AwayUntil(ButtonPayload):
    staff_id: int
    until: date


@family("away:m", command="away")
class AwayMore(ButtonPayload):
    """The next page of colleagues."""

    page: int


@family("away:off", command="away")
class AwayOff(ButtonPayload):
    """"I'm back"."""


async def staff_command(turn: Turn) -> None:
    args = turn.args
    if not args:
        await list_staff(turn)
        return
    if args[0].lower() not in {"add", "ny", "lagg"}:
        await turn.reply(usage(turn.tr))
        return
    if len(args) == 1:
        turn.start_flow("staff", "telegram_id")
        await turn.reply(turn.tr._(
            "New staff member. What is their Telegram id? (They can see it by sending "
            "/start to me: I tell strangers their id.)"))
        return
    rest = turn.text_after_command.split(maxsplit=3)[1:]
    role = parse_word(Role, rest[1]) if len(rest) > 1 else None
    if len(rest) < 3 or not queries.TELEGRAM_ID.fullmatch(rest[0]) or role is None:
        await turn.reply(usage(turn.tr))
        return
    name_and_place = split_fields(rest[2])
    municipality = name_and_place[1] if len(name_and_place) > 1 else None
    await save(turn, int(rest[0]), role, name_and_place[0], municipality)


def usage(tr: Translator) -> str:
    return tr._(
        "Write: <code>/staff add TELEGRAM_ID ROLE Name | municipality</code>, for example "
        "<code>/staff add 123456789 coordinator Sara Lind | Växjö</code>. "
        "Roles: coordinator, lead, admin. Or send <code>/staff add</code> to be guided."
    )


async def list_staff(turn: Turn) -> None:
    tr = turn.tr
    async with turn.transaction() as session:
        members = await queries.list_staff(session, turn.require_viewer())
    lines = [tr._("<b>Staff</b>")]
    for member in members:
        line = tr._("%(name)s · %(role)s · %(municipality)s · id %(telegram_id)s",
                    name=member.name, role=tr._(ROLE_LABELS[Role(member.role)]),
                    municipality=member.municipality or "—",
                    telegram_id=member.telegram_user_id)
        lines.append(line if member.active else tr._("%(line)s (inactive)", line=line))
    await turn.reply("\n".join(lines))


async def save(turn: Turn, telegram_id: int, role: Role, name: str,
               municipality: str | None, *, edit: bool = False) -> None:
    tr = turn.tr
    async with turn.transaction() as session:
        member = await queries.add_staff(
            session, telegram_user_id=telegram_id, name=name, role=role,
            municipality=municipality, now=turn.now, added_by=turn.require_viewer(),
            municipalities=turn.services.settings.municipalities)
    turn.end_flow()
    settings = turn.services.settings
    await menus.publish_staff_menu(turn.context.bot, member, settings.tz, settings.default_language)
    text = tr._("✅ %(name)s was added as %(role)s.", name=member.name,
                role=tr._(ROLE_LABELS[role]))
    await (turn.edit(text) if edit else turn.reply(text))


async def staff_text_step(turn: Turn, state: dict[str, Any], text: str) -> None:
    tr = turn.tr
    if state["step"] == "telegram_id":
        if not queries.TELEGRAM_ID.fullmatch(text):
            await turn.reply(tr._("The Telegram id must be a positive number; nothing was saved."))
            return
        turn.start_flow("staff", "name", telegram_id=int(text))
        await turn.reply(tr._("Their name?"))
    elif state["step"] == "name":
        if not text or len(text) > queries.NAME_MAX:
            await turn.reply(tr._("The name must be 1–120 characters; nothing was saved."))
            return
        turn.start_flow("staff", "role", telegram_id=state["telegram_id"], staff_name=text)
        roles = sorted(roles_viewer_may_add(turn.require_viewer()), key=list(Role).index)
        await turn.reply(tr._("Which role?"), keyboard(
            [[(tr._(ROLE_LABELS[r]), StaffRole(r).encode()) for r in roles]]))
    else:
        await turn.reply(tr._("Tap one of the buttons above, or start again with /staff add."))


async def role_picked(turn: Turn, payload: StaffRole) -> None:
    state = turn.flow("staff")
    if state is None or state["step"] != "role":
        await expired(turn, "/staff add")
        return
    await save(turn, state["telegram_id"], payload.role, state["staff_name"], None, edit=True)


async def handover_command(turn: Turn) -> None:
    """/handover FROM TO [P-0001 P-0002 …] — FROM and TO are Telegram ids or names."""
    tr = turn.tr
    args = turn.args
    if not args:  # guided: whose caseload, to whom, confirm
        await ask_whose_caseload(turn)
        return
    if len(args) < 2:
        await turn.reply(handover_usage(tr))
        return
    async with turn.transaction() as session:
        from_staff = await queries.staff_by_reference(session, args[0])
        to_staff = await queries.staff_by_reference(session, args[1])
    await move_caseload(turn, from_staff.id, to_staff.id, args[2:] or None)


def handover_usage(tr: Translator) -> str:
    return tr._("Write <code>/handover FROM TO</code> to move a whole caseload, or "
                "<code>/handover FROM TO P-0001 P-0002</code> for some participants. FROM and "
                "TO are Telegram ids or a unique part of a name.")


async def move_caseload(turn: Turn, from_id: int | None, to_id: int | None,
                        codes: list[str] | None, *, edit: bool = False) -> None:
    tr = turn.tr
    async with turn.transaction() as session:
        from_staff = await session.get(Staff, from_id) if from_id is not None else None
        to_staff = await session.get(Staff, to_id) if to_id is not None else None
        if from_staff is None or to_staff is None:
            raise InvalidValue(field="staff")
        moved = await hand_over(session, turn.require_viewer(), from_staff=from_staff,
                                to_staff=to_staff, codes=codes, now=turn.now)
    if not moved:
        text = tr._("%(name)s has no active participants you can move.", name=from_staff.name)
    else:
        text = tr.ngettext(
            "✅ %(n)s participant moved from %(from_name)s to %(to_name)s: %(codes)s",
            "✅ %(n)s participants moved from %(from_name)s to %(to_name)s: %(codes)s",
            len(moved), from_name=from_staff.name, to_name=to_staff.name,
            codes=", ".join(moved))
    await (turn.edit(text) if edit else turn.reply(text))


def paged_rows(tr: Translator, buttons: list[Button], page: int,
               more: Callable[[int], ButtonPayload]) -> list[list[Button]]:
    """One page of colleague buttons, two a row, with "More…" when a next page exists."""
    start = page * STAFF_BUTTONS
    rows = grid(buttons[start:start + STAFF_BUTTONS], 2)
    if len(buttons) > start + STAFF_BUTTONS:
        rows.append([(tr._("More…"), more(page + 1).encode())])
    return rows


async def ask_whose_caseload(turn: Turn, page: int = 0, *, edit: bool = False) -> None:
    tr = turn.tr
    async with turn.transaction() as session:
        caseloads = await active_caseloads(session, turn.require_viewer())
    if not caseloads:
        await turn.reply(tr._("Nobody has active participants you can move."))
        return
    buttons: list[Button] = [(f"{member.name[:32]} ({count})",
                              HandoverFrom(member.id or 0).encode())
                             for member, count in caseloads]
    await (turn.edit if edit else turn.reply)(
        tr._("Whose caseload moves? Tap a colleague.") + "\n" + handover_usage(tr),
        keyboard(paged_rows(tr, buttons, page, HandoverFromMore)))


async def giver_more(turn: Turn, payload: HandoverFromMore) -> None:
    await ask_whose_caseload(turn, payload.page, edit=True)


async def receiver_more(turn: Turn, payload: HandoverToMore) -> None:
    await giver_picked(turn, HandoverFrom(payload.from_id), page=payload.page)


async def giver_picked(turn: Turn, payload: HandoverFrom, page: int = 0) -> None:
    async with turn.transaction() as session:
        receivers = [member for member in await queries.active_staff(session)
                     if member.id != payload.from_id]
    receivers.sort(key=lambda member: member.name.casefold())
    buttons: list[Button] = [(member.name[:40],
                              HandoverTo(payload.from_id, member.id or 0).encode())
                             for member in receivers]
    await turn.edit(turn.tr._("To whom? Tap the colleague who takes over."),
                    keyboard(paged_rows(turn.tr, buttons, page,
                                        lambda more: HandoverToMore(payload.from_id, more))))


async def receiver_picked(turn: Turn, payload: HandoverTo) -> None:
    tr = turn.tr
    async with turn.transaction() as session:
        names = [member.name if member else "?" for member in
                 (await session.get(Staff, payload.from_id),
                  await session.get(Staff, payload.to_id))]
    await turn.edit(
        tr._("Move every active participant of %(from_name)s to %(to_name)s? Their "
             "coming follow-ups and notices move too.", from_name=names[0],
             to_name=names[1]),
        keyboard([[(tr._("Yes, move them"),
                    HandoverConfirm(payload.from_id, payload.to_id).encode()),
                   (tr._("Cancel"), CancelFlow().encode())]]))


async def handover_confirmed(turn: Turn, payload: HandoverConfirm) -> None:
    await move_caseload(turn, payload.from_id, payload.to_id, None, edit=True)


async def away_command(turn: Turn) -> None:
    """/away COLLEAGUE LAST-DAY — a colleague gets your notices; /away off ends it."""
    tr = turn.tr
    assert turn.staff is not None and turn.staff.id is not None
    args = turn.args
    if args == ["off"] or args == ["av"]:
        async with turn.transaction() as session:
            await set_away(session, turn.staff.id, delegate=None, until=None, today=turn.today,
                           now=turn.now)
        await turn.reply(tr._("Welcome back: your notices come to you again."))
        return
    if not args:  # guided: a colleague, then the last day away
        await ask_for_colleague(turn)
        return
    until = parse_day(args[-1], turn.today) if len(args) >= 2 else None
    if until is None:
        await turn.reply(away_usage(tr))
        return
    async with turn.transaction() as session:
        delegate = await queries.staff_by_reference(session, " ".join(args[:-1]))
    await save_away(turn, delegate.id, until)


def away_usage(tr: Translator) -> str:
    return tr._("Write <code>/away NAME YYYY-MM-DD</code>: a colleague gets your notices "
                "(answers, missing confirmations, agenda) until that day. "
                "<code>/away off</code> ends it.")


async def save_away(turn: Turn, delegate_id: int | None, until: date, *,
                    edit: bool = False) -> None:
    assert turn.staff is not None and turn.staff.id is not None
    async with turn.transaction() as session:
        delegate = await session.get(Staff, delegate_id) if delegate_id is not None else None
        if delegate is None:
            raise InvalidValue(field="away")
        await set_away(session, turn.staff.id, delegate=delegate, until=until, today=turn.today,
                       now=turn.now)
    text = turn.tr._("✅ Until %(date)s, %(name)s gets your notices.",
                     date=turn.tr.date(until), name=delegate.name)
    await (turn.edit(text) if edit else turn.reply(text))


async def ask_for_colleague(turn: Turn, page: int = 0, *, edit: bool = False) -> None:
    tr = turn.tr
    assert turn.staff is not None
    async with turn.transaction() as session:
        colleagues = [member for member in await queries.active_staff(session)
                      if member.id != turn.staff.id]
    colleagues.sort(key=lambda member: member.name.casefold())
    buttons: list[Button] = [(member.name[:40], AwayColleague(member.id or 0).encode())
                             for member in colleagues]
    rows = paged_rows(tr, buttons, page, AwayMore)
    if turn.staff.delegate_id is not None:
        rows.append([(tr._("I'm back"), AwayOff().encode())])
    await (turn.edit if edit else turn.reply)(
        tr._("Who gets your notices while you are away? Tap a colleague.") + "\n"
        + away_usage(tr), keyboard(rows))


async def colleagues_more(turn: Turn, payload: AwayMore) -> None:
    await ask_for_colleague(turn, payload.page, edit=True)


async def back_from_away(turn: Turn, _payload: AwayOff) -> None:
    assert turn.staff is not None and turn.staff.id is not None
    async with turn.transaction() as session:
        await set_away(session, turn.staff.id, delegate=None, until=None, today=turn.today,
                       now=turn.now)
    await turn.edit(turn.tr._("Welcome back: your notices come to you again."))


async def colleague_picked(turn: Turn, payload: AwayColleague) -> None:
    tr = turn.tr
    days = [turn.today + timedelta(days=offset) for offset in range(AWAY_DAY_BUTTONS)]
    buttons: list[Button] = [(tr.date(day, "EEE d MMM"),
                              AwayUntil(payload.staff_id, day).encode()) for day in days]
    await turn.edit(tr._("Your last day away? (Further ahead: write "
                         "<code>/away NAME YYYY-MM-DD</code>.)"), keyboard(grid(buttons, 2)))


async def last_day_picked(turn: Turn, payload: AwayUntil) -> None:
    await save_away(turn, payload.staff_id, payload.until, edit=True)


def register(app: Application) -> None:
    bind_command(app, "staff", staff_command)
    # Adding is a narrower right than listing (leads add coordinators, admins any role).
    bind_button(app, StaffRole, role_picked, action=Action.ADD_COORDINATOR)
    bind_text_step(app, "staff", staff_text_step)
    bind_command(app, "handover", handover_command)
    bind_button(app, HandoverFrom, giver_picked)
    bind_button(app, HandoverTo, receiver_picked)
    bind_button(app, HandoverFromMore, giver_more)
    bind_button(app, HandoverToMore, receiver_more)
    bind_button(app, HandoverConfirm, handover_confirmed)
    bind_command(app, "away", away_command)
    bind_button(app, AwayColleague, colleague_picked)
    bind_button(app, AwayMore, colleagues_more)
    bind_button(app, AwayUntil, last_day_picked)
    bind_button(app, AwayOff, back_from_away)
