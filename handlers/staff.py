from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import timedelta
from typing import TypeVar

from telegram.ext import Application

from bot.interaction import menus
from bot.interaction.buttons import retire
from bot.text.i18n import Translator
from bot.text.labels import ROLE_LABELS
from bot.text.labels import fold
from bot.text.labels import parse_word
from bot.text.render import error_text
from handlers.kit.base import Turn
from handlers.kit.base import bind_command
from handlers.kit.base import parse_coming_day
from handlers.kit.base import split_fields
from handlers.kit.confirm import confirm_step
from handlers.kit.flows import AskText
from handlers.kit.flows import Flow
from handlers.kit.flows import Invalid
from handlers.kit.flows import Option
from handlers.kit.flows import PickDay
from handlers.kit.flows import PickOption
from handlers.kit.flows import ask_name_step
from handlers.kit.flows import bind_flow
from handlers.kit.flows import start
from storage import staff as queries
from storage.access import roles_viewer_may_add
from storage.errors import InvalidValue
from storage.errors import NotFound
from storage.models import Role
from storage.models import Staff
from storage.participants import active_caseloads
from storage.participants import hand_over
from storage.staff import set_away

D = TypeVar("D")
STAFF_BUTTONS = 20
"""Colleagues offered as buttons per page (/away, /handover); "More…" opens the next page."""
AWAY_DAY_BUTTONS = 14
BACK_FROM_AWAY = "back"

# The steps these commands sent before the flow engine: their old buttons expire.
retire("staff:role", command="staff")
retire("ho:f", "ho:t", "ho:fm", "ho:tm", "ho:c", command="handover")
retire("away:s", "away:d", "away:m", "away:off", command="away")


# ---- a step: pick a colleague --------------------------------------------------------------
def _answered_by_pick(draft: D, _value: str) -> D:
    return draft


@dataclass(frozen=True, kw_only=True)
class PickColleague(PickOption[D]):
    """Pick a colleague from a paged list: a PickOption whose options carry the staff id
    as the value and the full name and Telegram id as words. `pick(draft, option)` gets the
    whole option, so the draft can keep the name a later prompt shows (`choose` would see
    the value only); typed, a unique part of a name picks too, as in the one-liners."""

    pick: Callable[[D, Option], D]
    choose: Callable[[D, str], D] = _answered_by_pick
    page_size: int = STAFF_BUTTONS

    async def tapped(self, turn: Turn, draft: D, value: str) -> D:
        for option in await self._options(turn, draft):
            if option.value == value:
                return self.pick(draft, option)
        raise NotFound()  # no longer offered (left, or no caseload now): expired

    async def typed(self, turn: Turn, draft: D, text: str) -> D:
        options = await self._options(turn, draft)
        word = fold(text)
        named = [option for option in options
                 if word in {fold(option.label), *(fold(w) for w in option.words)}]
        named = named or [option for option in options
                          if word and any(word in fold(w) for w in option.words)]
        if len(named) != 1:
            raise Invalid(turn.tr._(
                "I did not recognise “%(text)s”. Tap one of the buttons, or write one of: "
                "%(choices)s.", text=text,
                choices=", ".join(option.label for option in named or options)))
        return self.pick(draft, named[0])


def colleague_options(members: Sequence[Staff], label: Callable[[Staff], str] | None = None
                      ) -> list[Option]:
    """Colleagues as options, by name."""
    return [Option(label(member) if label else member.name[:40], str(member.id),
                   (member.name, str(member.telegram_user_id)))
            for member in sorted(members, key=lambda member: member.name.casefold())]


# ---- /staff add, guided --------------------------------------------------------------------
@dataclass(frozen=True)
class StaffDraft:
    """What a guided /staff add has asked so far."""

    telegram_id: int | None = None
    name: str = ""
    role: Role | None = None


def parse_telegram_id(turn: Turn, draft: StaffDraft, text: str) -> StaffDraft:
    if not queries.TELEGRAM_ID.fullmatch(text):
        raise Invalid(turn.tr._("The Telegram id must be a positive number; nothing was saved."))
    return replace(draft, telegram_id=int(text))


def role_options(turn: Turn, _draft: StaffDraft) -> list[Option]:
    roles = sorted(roles_viewer_may_add(turn.require_viewer()), key=list(Role).index)
    return [Option(turn.tr._(ROLE_LABELS[role]), role.value, (ROLE_LABELS[role],))
            for role in roles]


async def save_from_draft(turn: Turn, draft: StaffDraft) -> None:
    assert draft.telegram_id is not None and draft.role is not None
    await save(turn, draft.telegram_id, draft.role, draft.name, None, edit=True)


STAFF_FLOW = Flow(
    "staff", command="staff", draft=StaffDraft,
    steps=(
        AskText(name="telegram_id", prompt=lambda tr, _d: tr._(
            "New staff member. What is their Telegram id? (They can see it by sending "
            "/start to me: I tell strangers their id.)"), parse=parse_telegram_id),
        ask_name_step(lambda tr: tr._("Their name?"), max_length=queries.NAME_MAX),
        PickOption(name="role", prompt=lambda tr, _d: tr._("Which role?"),
                   options=role_options, columns=3,
                   choose=lambda d, value: replace(d, role=Role(value))),
    ),
    finish=save_from_draft,
)


# ---- /handover, guided ---------------------------------------------------------------------
@dataclass(frozen=True)
class HandoverDraft:
    """Whose caseload moves to whom (names kept for the confirmation)."""

    from_id: int | None = None
    from_name: str = ""
    to_id: int | None = None
    to_name: str = ""


async def giver_options(turn: Turn, _draft: HandoverDraft) -> list[Option]:
    async with turn.transaction() as session:
        caseloads = await active_caseloads(session, turn.require_viewer())
    if not caseloads:
        raise Invalid(turn.tr._("Nobody has active participants you can move."))
    counts = {member.id: count for member, count in caseloads}
    return colleague_options([member for member, _count in caseloads],
                             lambda member: f"{member.name[:32]} ({counts[member.id]})")


async def receiver_options(turn: Turn, draft: HandoverDraft) -> list[Option]:
    async with turn.transaction() as session:
        receivers = [member for member in await queries.active_staff(session)
                     if member.id != draft.from_id]
    return colleague_options(receivers)


async def handover_from_draft(turn: Turn, draft: HandoverDraft) -> None:
    await move_caseload(turn, draft.from_id, draft.to_id, None, edit=True)


HANDOVER_FLOW = Flow(
    "handover", command="handover", draft=HandoverDraft,
    steps=(
        PickColleague(name="from", prompt=lambda tr, _d: tr._(
            "Whose caseload moves? Tap a colleague.") + "\n" + handover_usage(tr),
            options=giver_options,
            pick=lambda d, option: replace(d, from_id=int(option.value),
                                           from_name=option.words[0])),
        PickColleague(name="to", prompt=lambda tr, _d: tr._(
            "To whom? Tap the colleague who takes over."), options=receiver_options,
            pick=lambda d, option: replace(d, to_id=int(option.value),
                                           to_name=option.words[0])),
        confirm_step(
            prompt=lambda tr, d: tr._(
                "Move every active participant of %(from_name)s to %(to_name)s? Their "
                "coming follow-ups and notices move too.", from_name=d.from_name,
                to_name=d.to_name),
            label=lambda tr, _d: tr._("Yes, move them")),
    ),
    finish=handover_from_draft,
)


# ---- /away, guided -------------------------------------------------------------------------
@dataclass(frozen=True)
class AwayDraft:
    """Who gets the notices until when, or "I'm back"."""

    delegate_id: int | None = None
    back: bool = False
    until: date | None = None


async def away_options(turn: Turn, _draft: AwayDraft) -> list[Option]:
    me = turn.staff
    assert me is not None
    async with turn.transaction() as session:
        colleagues = [member for member in await queries.active_staff(session)
                      if member.id != me.id]
    back = ([Option(turn.tr._("I'm back"), BACK_FROM_AWAY, ("I'm back",))]
            if me.delegate_id is not None else [])
    return back + colleague_options(colleagues)


def away_days(turn: Turn, _draft: AwayDraft) -> list[date]:
    return [turn.today + timedelta(days=offset) for offset in range(AWAY_DAY_BUTTONS)]


def not_in_the_past(turn: Turn, day: date) -> str | None:
    return error_text(turn.tr, InvalidValue(field="away")) if day < turn.today else None


def picked_for_away(draft: AwayDraft, option: Option) -> AwayDraft:
    if option.value == BACK_FROM_AWAY:
        return replace(draft, back=True)
    return replace(draft, delegate_id=int(option.value))


async def away_from_draft(turn: Turn, draft: AwayDraft) -> None:
    if draft.back:
        await back_from_away(turn, edit=True)
        return
    assert draft.until is not None
    await save_away(turn, draft.delegate_id, draft.until, edit=True)


AWAY_FLOW = Flow(
    "away", command="away", draft=AwayDraft,
    steps=(
        PickColleague(name="who", prompt=lambda tr, _d: tr._(
            "Who gets your notices while you are away? Tap a colleague.") + "\n"
            + away_usage(tr), options=away_options, pick=picked_for_away),
        PickDay(name="until", prompt=lambda tr, _d: tr._(
            "Your last day away? (Further ahead: write <code>/away NAME YYYY-MM-DD</code>.)"),
            days=away_days, accept=not_in_the_past, when=lambda d: not d.back,
            choose=lambda d, day: replace(d, until=day)),
    ),
    finish=away_from_draft,
)


async def staff_command(turn: Turn) -> None:
    args = turn.args
    if not args:
        await list_staff(turn)
        return
    if fold(args[0]) not in {"add", "ny", "lagg"}:
        await turn.reply(usage(turn.tr))
        return
    # `add`, `ny`, or `lägg till` as a Swedish colleague says it.
    verb_words = 2 if len(args) > 1 and fold(args[1]) == "till" else 1
    if len(args) == verb_words:
        await start(turn, STAFF_FLOW, StaffDraft())
        return
    rest = turn.text_after_command.split(maxsplit=verb_words + 2)[verb_words:]
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
    settings = turn.services.settings
    await menus.publish_staff_menu(turn.context.bot, member, settings.tz, settings.default_language)
    text = tr._("✅ %(name)s was added as %(role)s.", name=member.name,
                role=tr._(ROLE_LABELS[role]))
    await turn.respond(text, edit=edit)


async def handover_command(turn: Turn) -> None:
    """/handover FROM TO [P-0001 P-0002 …] — FROM and TO are Telegram ids or names."""
    tr = turn.tr
    args = turn.args
    if not args:  # guided: whose caseload, to whom, confirm
        await start(turn, HANDOVER_FLOW, HandoverDraft())
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
    await turn.respond(text, edit=edit)


async def away_command(turn: Turn) -> None:
    """/away COLLEAGUE LAST-DAY — a colleague gets your notices; /away off ends it."""
    tr = turn.tr
    assert turn.staff is not None and turn.staff.id is not None
    args = turn.args
    if args == ["off"] or args == ["av"]:
        await back_from_away(turn)
        return
    if not args:  # guided: a colleague (or "I'm back"), then the last day away
        await start(turn, AWAY_FLOW, AwayDraft())
        return
    until = parse_coming_day(args[-1], turn.today) if len(args) >= 2 else None
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
    await turn.respond(text, edit=edit)


async def back_from_away(turn: Turn, *, edit: bool = False) -> None:
    assert turn.staff is not None and turn.staff.id is not None
    async with turn.transaction() as session:
        await set_away(session, turn.staff.id, delegate=None, until=None, today=turn.today,
                       now=turn.now)
    text = turn.tr._("Welcome back: your notices come to you again.")
    await turn.respond(text, edit=edit)


def register(app: Application) -> None:
    bind_command(app, "staff", staff_command)
    bind_flow(app, STAFF_FLOW)
    bind_command(app, "handover", handover_command)
    bind_flow(app, HANDOVER_FLOW)
    bind_command(app, "away", away_command)
    bind_flow(app, AWAY_FLOW)
