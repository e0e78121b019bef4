"""/staff (leads and admins list staff and add coordinators; admins any role), /handover,
and /away (a colleague gets your notices while you are away)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.interaction import menus
from bot.text.i18n import Translator
from bot.text.labels import ROLE_LABELS, parse_word
from bot.text.render import Button, grid, keyboard
from handlers.base import (
    Turn,
    callback_parts,
    expired,
    on_text,
    parse_day,
    split_fields,
    staff_only,
)
from storage import staff as queries
from storage.access import Action, roles_viewer_may_add
from storage.errors import InvalidValue
from storage.models import Role, Staff
from storage.participants import active_caseloads, hand_over
from storage.staff import set_away

STAFF_BUTTONS = 20
"""Colleagues offered as buttons (/away, /handover); with more staff, the name is typed."""
AWAY_DAY_BUTTONS = 14


@staff_only(Action.LIST_STAFF)
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
    if len(rest) < 3 or not (rest[0].isascii() and rest[0].isdigit()) or role is None:
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
            municipality=municipality, now=turn.now, added_by=turn.require_viewer())
    turn.end_flow()
    settings = turn.services.settings
    await menus.publish_staff_menu(turn.context.bot, member, settings.tz, settings.default_language)
    text = tr._("✅ %(name)s was added as %(role)s.", name=member.name,
                role=tr._(ROLE_LABELS[role]))
    await (turn.edit(text) if edit else turn.reply(text))


@on_text("staff")
async def staff_text_step(turn: Turn, state: dict[str, Any], text: str) -> None:
    tr = turn.tr
    if state["step"] == "telegram_id":
        if not (text.isascii() and text.isdigit()):
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
            [[(tr._(ROLE_LABELS[r]), f"staff:role:{r.value}") for r in roles]]))
    else:
        await turn.reply(tr._("Tap one of the buttons above, or start again with /staff add."))


@staff_only(Action.ADD_COORDINATOR)
async def staff_button(turn: Turn) -> None:
    parts = callback_parts(turn)
    state = turn.flow("staff")
    if state is None or state["step"] != "role" or len(parts) != 3 or parts[2] not in set(Role):
        await expired(turn, "/staff add")
        return
    await save(turn, state["telegram_id"], Role(parts[2]), state["staff_name"], None, edit=True)


@staff_only(Action.HAND_OVER)
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


async def ask_whose_caseload(turn: Turn) -> None:
    tr = turn.tr
    async with turn.transaction() as session:
        caseloads = await active_caseloads(session, turn.require_viewer())
    if not caseloads:
        await turn.reply(tr._("Nobody has active participants you can move."))
        return
    buttons: list[Button] = [(f"{member.name[:32]} ({count})", f"ho:f:{member.id}")
                             for member, count in caseloads[:STAFF_BUTTONS]]
    await turn.reply(tr._("Whose caseload moves? Tap a colleague.") + "\n"
                     + handover_usage(tr), keyboard(grid(buttons, 2)))


@staff_only(Action.HAND_OVER)
async def handover_button(turn: Turn) -> None:
    """`ho:f:<from>` → receivers · `ho:t:<from>:<to>` → confirm · `ho:c:<from>:<to>` moves."""
    parts = callback_parts(turn)
    tr = turn.tr
    ids = [int(part) for part in parts[2:] if part.isdigit()]
    if len(parts) < 3 or len(ids) != len(parts) - 2:
        await expired(turn, "/handover")
    elif parts[1] == "f" and len(ids) == 1:
        async with turn.transaction() as session:
            receivers = [member for member in await queries.active_staff(session)
                         if member.id != ids[0]]
        receivers.sort(key=lambda member: member.name.casefold())
        buttons: list[Button] = [(member.name[:40], f"ho:t:{ids[0]}:{member.id}")
                                 for member in receivers[:STAFF_BUTTONS]]
        await turn.edit(tr._("To whom? Tap the colleague who takes over."),
                        keyboard(grid(buttons, 2)))
    elif parts[1] == "t" and len(ids) == 2:
        async with turn.transaction() as session:
            names = [member.name if member else "?" for member in
                     (await session.get(Staff, ids[0]), await session.get(Staff, ids[1]))]
        await turn.edit(
            tr._("Move every active participant of %(from_name)s to %(to_name)s? Their "
                 "coming follow-ups and notices move too.", from_name=names[0],
                 to_name=names[1]),
            keyboard([[(tr._("Yes, move them"), f"ho:c:{ids[0]}:{ids[1]}"),
                       (tr._("Cancel"), "flow:cancel")]]))
    elif parts[1] == "c" and len(ids) == 2:
        await move_caseload(turn, ids[0], ids[1], None, edit=True)
    else:
        await expired(turn, "/handover")



@staff_only(Action.SET_AWAY)
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


async def ask_for_colleague(turn: Turn) -> None:
    tr = turn.tr
    assert turn.staff is not None
    async with turn.transaction() as session:
        colleagues = [member for member in await queries.active_staff(session)
                      if member.id != turn.staff.id]
    colleagues.sort(key=lambda member: member.name.casefold())
    buttons: list[Button] = [(member.name[:40], f"away:s:{member.id}")
                             for member in colleagues[:STAFF_BUTTONS]]
    rows = grid(buttons, 2)
    if turn.staff.delegate_id is not None:
        rows.append([(tr._("I'm back"), "away:off")])
    await turn.reply(tr._("Who gets your notices while you are away? Tap a colleague.")
                     + "\n" + away_usage(tr), keyboard(rows))


@staff_only(Action.SET_AWAY)
async def away_button(turn: Turn) -> None:
    """`away:s:<staff id>` → last day · `away:d:<staff id>:<YYYY-MM-DD>` saves ·
    `away:off` ends it."""
    parts = callback_parts(turn)
    tr = turn.tr
    if parts == ["away", "off"]:
        assert turn.staff is not None and turn.staff.id is not None
        async with turn.transaction() as session:
            await set_away(session, turn.staff.id, delegate=None, until=None, today=turn.today,
                           now=turn.now)
        await turn.edit(tr._("Welcome back: your notices come to you again."))
    elif len(parts) == 3 and parts[1] == "s" and parts[2].isdigit():
        days = [turn.today + timedelta(days=offset) for offset in range(AWAY_DAY_BUTTONS)]
        buttons: list[Button] = [(tr.date(day, "EEE d MMM"), f"away:d:{parts[2]}:{day}")
                                 for day in days]
        await turn.edit(tr._("Your last day away? (Further ahead: write "
                             "<code>/away NAME YYYY-MM-DD</code>.)"), keyboard(grid(buttons, 2)))
    elif (len(parts) == 4 and parts[1] == "d" and parts[2].isdigit()
          and (until := parse_day(parts[3], turn.today)) is not None):
        await save_away(turn, int(parts[2]), until, edit=True)
    else:
        await expired(turn, "/away")

def register(app: Application) -> None:
    app.add_handler(CommandHandler(["staff", "personal"], staff_command))
    app.add_handler(CommandHandler(["handover", "overlamna"], handover_command))
    app.add_handler(CommandHandler(["away", "borta"], away_command))
    app.add_handler(CallbackQueryHandler(staff_button, pattern=r"^staff:"))
    app.add_handler(CallbackQueryHandler(away_button, pattern=r"^away:"))
    app.add_handler(CallbackQueryHandler(handover_button, pattern=r"^ho:"))

