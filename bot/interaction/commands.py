"""The command registry: every command the bot knows, once.

One row per command: its English name, its Swedish alias, who may use it (the audience and
the access-policy action), its line in the command menu and in /help. Everything that
names commands reads this table: handler registration (`handlers.kit.base.bind_command`), the
published menus (`bot.interaction.menus`), the Swedish names used in messages
(`command_for`), /help, and the question parser's "same as" command. A handler bound to
a name this table does not know is refused when the application is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.text.i18n import N_
from bot.text.labels import closest_word
from bot.text.labels import fold
from storage.access import POLICY
from storage.access import Action
from storage.models import Role


class Audience(StrEnum):
    STAFF = "staff"
    PARTICIPANT = "participant"
    ANYONE = "anyone"


class Section(StrEnum):
    """Where a command stands in /help (and whether it is in the staff menu)."""

    DAILY = "daily"
    FIGURES = "figures"
    LEAD = "lead"
    ADMIN = "admin"
    PARTICIPANT = "participant"
    HIDDEN = "hidden"  # works, but is not listed (e.g. /start, /cancel in the menu)


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    swedish: str | None
    audience: Audience
    action: Action | None
    section: Section
    menu: str | None = None
    """Menu text (a msgid); None keeps the command out of the menu."""
    help: str | None = None
    """The /help line (a msgid); None keeps it out of /help."""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, self.swedish) if self.swedish else (self.name,)

    def allowed_for(self, role: Role) -> bool:
        return self.action is None or role in POLICY[self.action]


_S, _P, _A = Audience.STAFF, Audience.PARTICIPANT, Audience.ANYONE

COMMANDS: tuple[Command, ...] = (
    # ---- everyone ----
    Command("start", None, _A, None, Section.HIDDEN),
    Command("help", "hjalp", _A, None, Section.HIDDEN, menu=N_("All commands")),
    # ---- every day (staff) ----
    Command("add", "ny", _S, Action.ADD_PARTICIPANT, Section.DAILY,
            menu=N_("Register a participant"), help=N_("/add — register a participant (/ny)")),
    Command("log", "logg", _S, Action.LOG_CHECKIN, Section.DAILY, menu=N_("Log a check-in"),
            help=N_("/log — log a check-in: <code>/log P-0042 phone note</code> (/logg)")),
    Command("mine", "mina", _S, Action.LIST_CASELOAD, Section.DAILY, menu=N_("My caseload"),
            help=N_("/mine — your caseload, least recently seen first (/mina)")),
    Command("find", "sok", _S, Action.FIND_PARTICIPANT, Section.DAILY,
            menu=N_("Find a participant"), help=N_("/find — search by code or name (/sok)")),
    Command("participant", "visa", _S, Action.VIEW_PARTICIPANT, Section.DAILY,
            help=N_("/participant — a participant's card: "
                    "<code>/participant P-0042</code> (/visa)")),
    Command("status", None, _S, Action.CHANGE_STATUS, Section.DAILY,
            help=N_("/status — change status: <code>/status P-0042 internship</code>")),
    Command("end", "avsluta", _S, Action.END_PARTICIPANT, Section.DAILY,
            help=N_("/end — end with an outcome: <code>/end P-0042 employed</code> "
                    "(/avsluta)")),
    Command("followup", "uppfoljning", _S, Action.BOOK_FOLLOWUP, Section.DAILY,
            menu=N_("Book a follow-up"),
            help=N_("/followup — book a follow-up: "
                    "<code>/followup P-0042 2026-12-03 10:00 meeting Place</code> "
                    "(/uppfoljning)")),
    Command("today", "idag", _S, Action.VIEW_AGENDA, Section.DAILY,
            menu=N_("Today's follow-ups"), help=N_("/today — today's follow-ups (/idag)")),
    Command("invite", "bjud", _S, Action.INVITE_PARTICIPANT, Section.DAILY,
            menu=N_("Invite a participant"),
            help=N_("/invite — invitation link and QR code for a participant (/bjud)")),
    Command("entry", "inskrivning", _S, Action.EDIT_ENTRY_DATA, Section.DAILY,
            menu=N_("Entry data for the funder"),
            help=N_("/entry — entry data for the funder: "
                    "<code>/entry P-0042 employment:unemployed born:1990 education:3-4</code>; "
                    "/pnr — personal identity number (stored encrypted)")),
    Command("pnr", "personnummer", _S, Action.SET_PERSONNUMMER, Section.DAILY),
    Command("hours", "timmar", _S, Action.LOG_HOURS, Section.DAILY,
            menu=N_("Attendance hours"),
            help=N_("/hours — attendance hours: <code>/hours P-0042 2026-11 32</code>; "
                    "/attendance — sheets to sign")),
    Command("attendance", "narvaro", _S, Action.EXPORT_ATTENDANCE, Section.DAILY,
            menu=N_("Attendance sheets to sign")),
    Command("preview", "forhandsvisa", _S, Action.VIEW_PARTICIPANT, Section.DAILY,
            help=N_("/preview — see what a participant receives: <code>/preview P-0042</code>")),
    Command("reply", "svara", _S, Action.MESSAGE_PARTICIPANT, Section.DAILY,
            help=N_("/reply — answer a participant: <code>/reply P-0042 text</code>, or reply "
                    "to her message (/svara)")),
    Command("away", "borta", _S, Action.SET_AWAY, Section.DAILY,
            help=N_("/away — a colleague gets your notices while you are away (/borta)")),
    # TRANSLATORS: participant
    Command("language", "sprak", _A, None, Section.DAILY, menu=N_("Change language"),
            help=N_("/language — change your language (/sprak)")),
    Command("cancel", "avbryt", _S, None, Section.DAILY,
            help=N_("/cancel — stop a guided step (/avbryt)")),
    # ---- figures ----
    Command("stats", "statistik", _S, Action.VIEW_STATS, Section.FIGURES, menu=N_("Statistics"),
            help=N_("/stats — outcomes and counts: <code>/stats 2026-Q3 kommun:Växjö</code> "
                    "(/statistik)")),
    Command("chart", "diagram", _S, Action.VIEW_STATS, Section.FIGURES, menu=N_("Charts"),
            help=N_("/chart — charts (/diagram)")),
    Command("export", None, _S, Action.EXPORT_DATA, Section.FIGURES,
            menu=N_("Export for reports"), help=N_("/export — XLSX and CSV for reports")),
    # ---- project lead ----
    Command("team", None, _S, Action.VIEW_TEAM, Section.LEAD, menu=N_("Team overview"),
            help=N_("/team — each coordinator's caseload and follow-ups")),
    Command("digest", None, _S, Action.RECEIVE_DIGEST, Section.LEAD, menu=N_("Weekly summary"),
            help=N_("/digest — this week's summary now")),
    Command("report", "rapport", _S, Action.VIEW_REPORTS, Section.LEAD,
            menu=N_("Funder reports (ESF+, SCB)"),
            help=N_("/report — ESF+ indicators, SCB starts and ends, outcome rates")),
    Command("import", "importera", _S, Action.IMPORT_CASELOAD, Section.LEAD,
            help=N_("/import — bring the caseload in from a spreadsheet: the template, then "
                    "send the file (/importera)")),
    Command("staff", "personal", _S, Action.LIST_STAFF, Section.LEAD, menu=N_("Staff"),
            help=N_("/staff — list staff; <code>/staff add 123456789 coordinator Name</code>")),
    Command("handover", "overlamna", _S, Action.HAND_OVER, Section.LEAD,
            help=N_("/handover — move a caseload: <code>/handover Anna Bo</code>")),
    Command("forget", "glom", _S, Action.ERASE_PARTICIPANT, Section.ADMIN,
            help=N_("/forget — erase a participant's personal data (GDPR)")),
    # ---- participants ----
    # TRANSLATORS: participant
    Command("next", "nasta", _P, None, Section.PARTICIPANT, menu=N_("Your next appointment")),
    # TRANSLATORS: participant
    Command("stop", None, _P, None, Section.PARTICIPANT, menu=N_("Stop all messages")),
)

BY_NAME: dict[str, Command] = {name: c for c in COMMANDS for name in c.names}
"""Every name a command answers to (English and Swedish) → its row."""

STAFF_MENU_ORDER = ("today", "log", "add", "mine", "find", "followup", "invite", "stats",
                    "chart", "export", "entry", "hours", "attendance", "team", "digest",
                    "report", "staff", "help", "language")
"""The staff menu, most used first (the table's order is /help's)."""
PARTICIPANT_MENU_ORDER = ("next", "language", "stop")


def command(name: str) -> Command:
    """The row for a name (English or Swedish, with or without the slash)."""
    return BY_NAME[name.removeprefix("/")]


def _command_word(typed: str) -> str:
    """`/logg@KoordinatorBot` → `logg`."""
    return typed.removeprefix("/").partition("@")[0]


def resolve(typed: str) -> Command | None:
    """The row a typed command word names however it was spelt: `/Hjälp`, `/sök`,
    `/logg@KoordinatorBot`. Telegram only matches `[a-z0-9_]` names, so a Swedish name
    typed with å, ä or ö reaches the bot as an unknown command."""
    return BY_NAME.get(fold(_command_word(typed)))


def closest_command(typed: str, role: Role) -> str | None:
    """The listed command name a mistyped word is a slip of (`/logga` → `/logg`), among
    those this role may use; None when none is close."""
    names = [name for c in COMMANDS if c.audience != Audience.PARTICIPANT
             and c.section != Section.HIDDEN and c.allowed_for(role) for name in c.names]
    word = closest_word(_command_word(typed), names)
    return "/" + word if word is not None else None


def command_for(language: str, text: str) -> str:
    """`/add P-1` for English readers, `/ny P-1` for Swedish ones (the first word only)."""
    head, _, rest = text.partition(" ")
    row = BY_NAME.get(head.removeprefix("/")) if head.startswith("/") else None
    if row is None or language != "sv" or row.swedish is None:
        return text
    localized = "/" + row.swedish
    return f"{localized} {rest}" if rest else localized


def staff_menu(role: Role) -> list[Command]:
    return [BY_NAME[name] for name in STAFF_MENU_ORDER if BY_NAME[name].allowed_for(role)]


def participant_menu() -> list[Command]:
    return [BY_NAME[name] for name in PARTICIPANT_MENU_ORDER]


def help_lines(role: Role, section: Section) -> list[str]:
    """The /help lines (msgids) of one section that this role may use."""
    return [c.help for c in COMMANDS
            if c.section == section and c.help and c.audience != Audience.PARTICIPANT
            and c.allowed_for(role)]
