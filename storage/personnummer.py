"""Swedish personal identity numbers: validation, masking, encryption at rest.

Pure: no database, no Telegram. A personnummer is `YYYYMMDD-NNNC`: the birth date
(with the century), a serial number and a Luhn check digit computed over the ten
digits `YYMMDDNNN`. A samordningsnummer (coordination number) is the same with 60
added to the day. People write ten digits (`YYMMDD-NNNC`, `+` instead of `-` from the
year they turn 100) or twelve, with or without the separator.

The number is stored only as a Fernet token (`PersonnummerCipher`, key from the
PERSONNUMMER_KEY setting), shown to staff masked (`19900101-****`) and in clear only in
the command-line SCB export. Nothing here logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken
from cryptography.fernet import MultiFernet

COORDINATION_OFFSET = 60
_FORMAT = re.compile(r"^(\d{2})?(\d{6})([-+]?)(\d{4})$")


class InvalidPersonnummer(ValueError):
    """Not a valid number; `reason` is `format`, `date` or `checksum` (never the number)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Personnummer:
    """A validated number; `digits` is the canonical twelve-digit form."""

    digits: str
    birth_date: date
    coordination: bool

    def __str__(self) -> str:
        return f"{self.digits[:8]}-{self.digits[8:]}"

    def __repr__(self) -> str:  # never the clear number in a traceback or a log line
        return f"Personnummer({self.masked})"

    @property
    def masked(self) -> str:
        """`19900101-****`: the date part (as written), never the last four digits."""
        return f"{self.digits[:8]}-****"


def luhn_check_digit(nine_digits: str) -> int:
    """The check digit for `YYMMDDNNN` (weights 2, 1, 2, … ; digit sums of the products)."""
    total = 0
    for index, char in enumerate(nine_digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def parse(text: str, *, today: date) -> Personnummer:
    """Validate `text` (10 or 12 digits, with or without `-`/`+`); InvalidPersonnummer if not.

    With ten digits the century is the latest one that does not put the birth date after
    `today`; `+` means a hundred years earlier still.
    """
    match = _FORMAT.match("".join(text.split()))
    if match is None:
        raise InvalidPersonnummer("format")
    century, yymmdd, separator, tail = match.groups()
    if century is not None and separator == "+":
        raise InvalidPersonnummer("format")
    if int(tail[-1]) != luhn_check_digit(yymmdd + tail[:3]):
        raise InvalidPersonnummer("checksum")
    year, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    coordination = day > COORDINATION_OFFSET
    if coordination:
        day -= COORDINATION_OFFSET
    if century is not None:
        full_year = int(century) * 100 + year
    else:
        full_year = (today.year // 100) * 100 + year
        if full_year > today.year or (full_year == today.year and (month, day) > (
                today.month, today.day)):
            full_year -= 100
        if separator == "+":
            full_year -= 100
    try:
        born = date(full_year, month, day)
    except ValueError:
        raise InvalidPersonnummer("date") from None
    if born > today or full_year < 1870:
        raise InvalidPersonnummer("date")
    return Personnummer(f"{full_year:04d}{yymmdd[2:]}{tail}", born, coordination)


def is_valid(text: str, *, today: date) -> bool:
    try:
        parse(text, today=today)
    except InvalidPersonnummer:
        return False
    return True


class PersonnummerCipher:
    """Encrypts with the first key and decrypts with any (so keys can be rotated)."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one key")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    @classmethod
    def from_setting(cls, value: str) -> PersonnummerCipher | None:
        """`key1,key2`: None when the setting is empty (personnummer cannot be stored)."""
        keys = [key.strip() for key in value.split(",") if key.strip()]
        return cls(keys) if keys else None

    def encrypt(self, number: Personnummer) -> str:
        return self._fernet.encrypt(number.digits.encode()).decode()

    def decrypt(self, token: str) -> Personnummer:
        """The stored number; InvalidToken if it was encrypted with an unknown key."""
        digits = self._fernet.decrypt(token.encode()).decode()
        day = int(digits[6:8])
        coordination = day > COORDINATION_OFFSET
        born = date(int(digits[:4]), int(digits[4:6]),
                    day - COORDINATION_OFFSET if coordination else day)
        return Personnummer(digits, born, coordination)


def validate_keys(value: str) -> str:
    """For the setting: every comma-separated key must be a Fernet key (32 bytes, base64)."""
    try:
        PersonnummerCipher.from_setting(value)
    except (ValueError, TypeError):
        raise ValueError("must be one or more Fernet keys separated by commas (make one "
                         "with `python -c 'from cryptography.fernet import Fernet; "
                         "print(Fernet.generate_key().decode())'`)") from None
    return value


__all__ = ["InvalidPersonnummer", "InvalidToken", "Personnummer", "PersonnummerCipher",
           "is_valid", "luhn_check_digit", "parse", "validate_keys"]
