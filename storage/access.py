"""The one access policy: which role may take which action, and which rows a viewer sees.

Handlers never check roles or filter rows themselves: they ask `can()` and pass a
`Viewer` to every query, which scopes by `participant_scope()` in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import true

from storage.models import Participant
from storage.models import Role
from storage.models import Staff


class Action(StrEnum):
    ADD_PARTICIPANT = "add_participant"
    LOG_CHECKIN = "log_checkin"
    VIEW_PARTICIPANT = "view_participant"
    LIST_CASELOAD = "list_caseload"
    FIND_PARTICIPANT = "find_participant"
    CHANGE_STATUS = "change_status"
    END_PARTICIPANT = "end_participant"
    LIST_STAFF = "list_staff"
    ADD_COORDINATOR = "add_coordinator"
    ADD_ANY_STAFF = "add_any_staff"
    CHANGE_OWN_LANGUAGE = "change_own_language"
    BOOK_FOLLOWUP = "book_followup"
    VIEW_AGENDA = "view_agenda"
    INVITE_PARTICIPANT = "invite_participant"
    ERASE_PARTICIPANT = "erase_participant"
    HAND_OVER = "hand_over"
    SET_AWAY = "set_away"
    VIEW_STATS = "view_stats"
    VIEW_TEAM = "view_team"
    EXPORT_DATA = "export_data"
    EXPORT_NAMES = "export_names"
    RECEIVE_DIGEST = "receive_digest"
    EDIT_ENTRY_DATA = "edit_entry_data"
    SET_PERSONNUMMER = "set_personnummer"
    LOG_OUTCOME_FOLLOWUP = "log_outcome_followup"
    VIEW_REPORTS = "view_reports"
    LOG_HOURS = "log_hours"
    EXPORT_ATTENDANCE = "export_attendance"
    MESSAGE_PARTICIPANT = "message_participant"
    IMPORT_CASELOAD = "import_caseload"


_EVERY_STAFF = frozenset(Role)
_LEADS = frozenset({Role.ADMIN, Role.LEAD})

POLICY: dict[Action, frozenset[Role]] = {
    Action.ADD_PARTICIPANT: _EVERY_STAFF,
    Action.LOG_CHECKIN: _EVERY_STAFF,
    Action.VIEW_PARTICIPANT: _EVERY_STAFF,
    Action.LIST_CASELOAD: _EVERY_STAFF,
    Action.FIND_PARTICIPANT: _EVERY_STAFF,
    Action.CHANGE_STATUS: _EVERY_STAFF,
    Action.END_PARTICIPANT: _EVERY_STAFF,
    Action.LIST_STAFF: _LEADS,
    Action.ADD_COORDINATOR: _LEADS,
    Action.ADD_ANY_STAFF: frozenset({Role.ADMIN}),
    Action.CHANGE_OWN_LANGUAGE: _EVERY_STAFF,
    Action.BOOK_FOLLOWUP: _EVERY_STAFF,
    Action.VIEW_AGENDA: _EVERY_STAFF,
    Action.INVITE_PARTICIPANT: _EVERY_STAFF,
    Action.ERASE_PARTICIPANT: frozenset({Role.ADMIN}),
    Action.HAND_OVER: _LEADS,
    Action.SET_AWAY: _EVERY_STAFF,
    # Statistics, charts and exports are scoped by the Viewer: a coordinator gets their
    # own caseload, a lead the project (or their municipalities).
    Action.VIEW_STATS: _EVERY_STAFF,
    Action.VIEW_TEAM: _LEADS,
    Action.EXPORT_DATA: _EVERY_STAFF,
    # Exports leave the system (to funders, by e-mail): only those who work with the
    # people by name (coordinators, for their own caseload) and the system owner get
    # names and notes; leads get participant codes only.
    Action.EXPORT_NAMES: frozenset({Role.ADMIN, Role.COORDINATOR}),
    Action.RECEIVE_DIGEST: _LEADS,
    # Funder reporting: whoever works with the participant records their entry data and
    # identity number (scoped like every change); the number is only ever shown masked.
    Action.EDIT_ENTRY_DATA: _EVERY_STAFF,
    Action.SET_PERSONNUMMER: _EVERY_STAFF,
    Action.LOG_OUTCOME_FOLLOWUP: _EVERY_STAFF,
    # The funder's reports (ESF+, SCB) are the project's: leads and admins, scoped.
    Action.VIEW_REPORTS: _LEADS,
    # Attendance hours and the sheets to sign: scoped like the caseload; names on the
    # sheets follow EXPORT_NAMES.
    Action.LOG_HOURS: _EVERY_STAFF,
    Action.EXPORT_ATTENDANCE: _EVERY_STAFF,
    # Participants write to whoever follows them up; scoped like the caseload (and the
    # delegate or lead who reads her messages today may answer too).
    Action.MESSAGE_PARTICIPANT: _EVERY_STAFF,
    # Bringing a caseload in from a spreadsheet (the chat's /import; the command line
    # needs no role): the project's, so leads and admins.
    Action.IMPORT_CASELOAD: _LEADS,
}


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking: enough to decide permissions and scope queries."""

    staff_id: int
    role: Role
    municipalities: tuple[str, ...] = ()

    @classmethod
    def of(cls, staff: Staff) -> Viewer:
        assert staff.id is not None
        scope = (staff.municipality,) if staff.municipality else ()
        return cls(staff_id=staff.id, role=Role(staff.role), municipalities=scope)


def can(viewer: Viewer, action: Action) -> bool:
    return viewer.role in POLICY[action]


def participant_scope(viewer: Viewer) -> ColumnElement[bool]:
    """The SQL condition for the participants this viewer may see.

    A coordinator sees their own caseload; a lead sees the project, optionally
    restricted to municipalities; an admin sees everything.
    """
    if viewer.role == Role.COORDINATOR:
        return Participant.__table__.c.coordinator_id == viewer.staff_id
    if viewer.role == Role.LEAD and viewer.municipalities:
        return Participant.__table__.c.municipality.in_(viewer.municipalities)
    return and_(true())


def roles_viewer_may_add(viewer: Viewer) -> frozenset[Role]:
    if can(viewer, Action.ADD_ANY_STAFF):
        return frozenset(Role)
    if can(viewer, Action.ADD_COORDINATOR):
        return frozenset({Role.COORDINATOR})
    return frozenset()


def policy_matrix() -> str:
    """The role × action table as Markdown (docs/security.md embeds it; a test compares)."""
    roles = list(Role)
    lines = ["| action | " + " | ".join(r.value for r in roles) + " |",
             "|---|" + "---|" * len(roles)]
    for action in Action:
        marks = " | ".join("✓" if role in POLICY[action] else "·" for role in roles)
        lines.append(f"| {action.value} | {marks} |")
    return "\n".join(lines)
