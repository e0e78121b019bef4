"""Domain errors. Each carries a stable `code`; the bot layer turns it into localized text."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, **params: object) -> None:
        super().__init__(self.code, params)
        self.params = params


class NotFound(DomainError):
    """Something named by id or code that does not exist or that the viewer may not see."""

    code = "not_found"


class ParticipantNotFound(NotFound):
    """Unknown code, or a participant the viewer may not see (the same answer on purpose)."""

    code = "participant_not_found"


class StaffNotFound(NotFound):
    code = "staff_not_found"


class StaffAmbiguous(DomainError):
    code = "staff_ambiguous"


class StaffAlreadyExists(DomainError):
    code = "staff_exists"


class NotAllowed(DomainError):
    code = "not_allowed"


class ParticipantEnded(DomainError):
    code = "participant_ended"


class InvalidValue(DomainError):
    code = "invalid_value"
