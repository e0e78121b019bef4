"""Typed button payloads: one small class per button family, encoded and decoded here only.

A family is a frozen dataclass declared with `@family("log:c", command="log")`: its prefix,
its fields (`int`, a `StrEnum`, `date`, `bool`, a bounded `Token`, each optionally
`| None`) and the command a person starts again with when a tap no longer means anything.
The longest payload a family can produce is computed from its field types when the class
is defined; a family that could exceed Telegram's 64 bytes is refused at import time, so
no keyboard ever drops a button at run time.

Decoding is strict: ASCII digits only (``int("²")`` would raise, see PITFALLS.md), enum
values only, exact field counts. Data that does not decode — forged, from another family,
from an older version — gives None, and the one router answers "this step has expired".
The encoded form keeps the `prefix:field:field` shape the bot has always sent, so buttons
already in people's chats (reminders above all) keep working across an upgrade.

A family that grows a field keeps decoding the buttons sent before it: the new field is
declared last as `name: X | None = trailing()`. It is left out of the data when None, and
data without it decodes with None (`fu:r:<id>:<answer>` and `fu:r:<id>:<answer>:<stamp>`).
The 64-byte proof counts the longest form, with every trailing field present.
A family may also refuse values its field types allow (`accepts`): such data does not decode.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated
from typing import Any
from typing import ClassVar
from typing import Self
from typing import TypeVar

CALLBACK_DATA_LIMIT = 64
SEPARATOR = ":"
NONE = "-"
ID_DIGITS = 12
"""Database ids and Telegram ids in a payload: at most 12 digits (ids beyond are refused)."""
ID_MAX = 2**31 - 1
"""The largest `int` a payload carries: ids are INTEGER columns, and PostgreSQL refuses a
larger value in a query instead of finding nothing (a forged `card:999999999999` ended in
an unhandled DataError). A family that one day carries Telegram ids needs its own type."""

_DIGITS = re.compile(rf"[0-9]{{1,{ID_DIGITS}}}")
_TRAILING = "koordinator.trailing"
_MAX_VALUE = "koordinator.max_value"
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TOKEN = re.compile(r"[A-Za-z0-9_.,=+\-]*")


@dataclass(frozen=True, slots=True)
class Token:
    """A short free token (a language code, a period label, `1430`): bounded, no `:`."""

    max_length: int
    pattern: str | None = None


def trailing(*, max_value: int | None = None) -> Any:
    """Declare the last field(s) of a family optional at the end of the data (see the
    module docstring): `stamp: int | None = trailing()`. `max_value` widens an `int`
    beyond ID_MAX for a number that never reaches a query (a time stamp)."""
    metadata: dict[str, Any] = {_TRAILING: True}
    if max_value is not None:
        if not 0 < max_value < 10**ID_DIGITS:
            raise ValueError(f"max_value must have at most {ID_DIGITS} digits")
        metadata[_MAX_VALUE] = max_value
    return dataclasses.field(default=None, metadata=metadata)


class ButtonPayload:
    """Base of every family; see the module docstring."""

    PREFIX: ClassVar[str]
    COMMAND: ClassVar[str]
    LONGEST: ClassVar[int]
    _CODECS: ClassVar[tuple[tuple[str, _Codec], ...]]
    _REQUIRED: ClassVar[int]
    """How many fields every payload carries; those after it are trailing (optional)."""

    def encode(self) -> str:
        codecs = list(self._CODECS)
        # Absent trailing fields are left out: the older, shorter form.
        while len(codecs) > self._REQUIRED and getattr(self, codecs[-1][0]) is None:
            codecs.pop()
        if any(getattr(self, name) is None for name, _ in codecs[self._REQUIRED:]):
            raise ValueError(f"{type(self).__name__}: a trailing field is left out only "
                             "when the ones after it are too")
        values = [codec.encode(getattr(self, name)) for name, codec in codecs]
        data = SEPARATOR.join([self.PREFIX, *values])
        if len(data.encode()) > CALLBACK_DATA_LIMIT:  # a value outside its declared bounds
            raise ValueError(f"{type(self).__name__} payload too long")
        return data

    @classmethod
    def decode_fields(cls, fields: list[str]) -> Self | None:
        if not cls._REQUIRED <= len(fields) <= len(cls._CODECS):
            return None
        values: dict[str, Any] = {}
        for raw, (name, codec) in zip(fields, cls._CODECS, strict=False):
            try:
                values[name] = codec.decode(raw)
            except (ValueError, KeyError, OverflowError):
                return None
        payload = cls(**values)
        return payload if payload.accepts() else None

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        """`data` decoded as this family; None when it is not one of its payloads."""
        payload = decode(data)
        return payload if isinstance(payload, cls) else None

    def accepts(self) -> bool:
        """Whether a decoded payload's values are ones the bot sends (override to refuse
        a value its types allow, e.g. one member of an enum)."""
        return True


P = TypeVar("P", bound=ButtonPayload)
FAMILIES: dict[str, type[ButtonPayload]] = {}
"""Prefix → family: what the router, the menus' tests and the hostile-input test enumerate."""


def family(prefix: str, *, command: str) -> Callable[[type[P]], type[P]]:
    """Declare a button family (see the module docstring)."""
    if not re.fullmatch(r"[a-z]+(:[a-z]+)*", prefix):
        raise ValueError(f"bad button prefix {prefix!r}")

    def declare(cls: type[P]) -> type[P]:
        if prefix in FAMILIES and FAMILIES[prefix].__qualname__ != cls.__qualname__:
            raise ValueError(f"button prefix {prefix!r} declared twice")
        cls = dataclass(frozen=True, slots=True)(cls)
        hints = typing.get_type_hints(cls, include_extras=True)
        fields = dataclasses.fields(cls)
        required = sum(1 for f in fields if not f.metadata.get(_TRAILING))
        if any(f.metadata.get(_TRAILING) for f in fields[:required]):
            raise TypeError(f"{cls.__name__}: trailing fields must come last")
        codecs = tuple((f.name, _field_codec(cls, f, hints[f.name])) for f in fields)
        cls.PREFIX, cls.COMMAND, cls._CODECS, cls._REQUIRED = prefix, command, codecs, required
        cls.LONGEST = len(prefix.encode()) + sum(len(SEPARATOR) + c.longest for _, c in codecs)
        if cls.LONGEST > CALLBACK_DATA_LIMIT:
            raise ValueError(f"{cls.__name__}: payloads up to {cls.LONGEST} bytes "
                             f"exceed Telegram's {CALLBACK_DATA_LIMIT}")
        FAMILIES[prefix] = cls
        return cls

    return declare


def decode(data: str | None) -> ButtonPayload | None:
    """The payload a tap carries, or None when it is not one the bot could have sent."""
    if not data or len(data.encode()) > CALLBACK_DATA_LIMIT:
        return None
    parts = data.split(SEPARATOR)
    # Longest prefix first: `fu:xc` before `fu`.
    for cut in range(len(parts), 0, -1):
        cls = FAMILIES.get(SEPARATOR.join(parts[:cut]))
        if cls is not None:
            return cls.decode_fields(parts[cut:])
    return None


RETIRED: dict[str, str] = {}
"""Prefix → command of families the bot no longer sends (a flow's steps moved to the flow
engine): their old buttons still answer "start again with /log", not "/help"."""


def retire(*prefixes: str, command: str) -> None:
    """Declare prefixes no longer sent; their taps expire pointing at `command`."""
    for prefix in prefixes:
        if prefix in FAMILIES:
            raise ValueError(f"button prefix {prefix!r} is still a family")
        RETIRED[prefix] = command


def command_of(data: str | None) -> str | None:
    """The command a tap's data belongs to — a family's or a retired prefix's — for
    "start again with …"."""
    if not data:
        return None
    parts = data.split(SEPARATOR)
    for cut in range(len(parts), 0, -1):
        prefix = SEPARATOR.join(parts[:cut])
        if prefix in FAMILIES:
            return FAMILIES[prefix].COMMAND
        if prefix in RETIRED:
            return RETIRED[prefix]
    return None


def family_of(data: str | None) -> type[ButtonPayload] | None:
    """The family whose prefix the data starts with (for "start again with …")."""
    if not data:
        return None
    parts = data.split(SEPARATOR)
    for cut in range(len(parts), 0, -1):
        cls = FAMILIES.get(SEPARATOR.join(parts[:cut]))
        if cls is not None:
            return cls
    return None


# ---- field codecs ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Codec:
    encode: Callable[[Any], str]
    decode: Callable[[str], Any]
    longest: int


def _int_codec(max_value: int = ID_MAX) -> _Codec:
    def decode_value(raw: str) -> int:
        if not _DIGITS.fullmatch(raw) or int(raw) > max_value:
            raise ValueError(raw)
        return int(raw)

    def encode(value: int) -> str:
        if value < 0 or value > max_value:
            raise ValueError(value)
        return str(value)

    return _Codec(encode, decode_value, ID_DIGITS)


def _day_decode(raw: str) -> date:
    if not _ISO_DAY.fullmatch(raw):
        raise ValueError(raw)
    return date.fromisoformat(raw)


def _bool_decode(raw: str) -> bool:
    return {"1": True, "0": False}[raw]


def _enum_codec(enum: type[StrEnum]) -> _Codec:
    def decode_value(raw: str) -> StrEnum:
        return enum(raw)

    return _Codec(lambda value: enum(value).value, decode_value,
                  max(len(member.value.encode()) for member in enum))


def _token_codec(token: Token) -> _Codec:
    pattern = re.compile(token.pattern) if token.pattern else _TOKEN

    def check(raw: str) -> str:
        if len(raw.encode()) > token.max_length or not pattern.fullmatch(raw) or (
                token.pattern is None and not _TOKEN.fullmatch(raw)):
            raise ValueError(raw)
        return raw

    return _Codec(check, check, token.max_length)


def _optional(codec: _Codec) -> _Codec:
    def encode(value: Any) -> str:
        return NONE if value is None else codec.encode(value)

    def decode_value(raw: str) -> Any:
        return None if raw == NONE else codec.decode(raw)

    return _Codec(encode, decode_value, max(codec.longest, len(NONE)))


def _field_codec(cls: type, field: dataclasses.Field[Any], hint: Any) -> _Codec:
    """The codec of one field; a trailing one is present or absent, never `-`."""
    max_value = field.metadata.get(_MAX_VALUE)
    if not field.metadata.get(_TRAILING):
        return _codec_for(hint)
    members = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    if typing.get_origin(hint) not in (types.UnionType, typing.Union) or len(members) != 1:
        raise TypeError(f"{cls.__name__}.{field.name}: a trailing field is typed `X | None`")
    if max_value is not None:
        if members[0] is not int:
            raise TypeError(f"{cls.__name__}.{field.name}: max_value is for int fields")
        return _int_codec(max_value)
    return _codec_for(members[0])


def _codec_for(hint: Any) -> _Codec:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        members = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(members) != 1:
            raise TypeError(f"unsupported button field type {hint!r}")
        return _optional(_codec_for(members[0]))
    if origin is Annotated:
        base, *extras = typing.get_args(hint)
        token = next((extra for extra in extras if isinstance(extra, Token)), None)
        if base is str and token is not None:
            return _token_codec(token)
        raise TypeError(f"unsupported button field type {hint!r}")
    if hint is bool:
        return _Codec(lambda value: "1" if value else "0", _bool_decode, 1)
    if hint is int:
        return _int_codec()
    if hint is date:
        return _Codec(date.isoformat, _day_decode, 10)
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return _enum_codec(hint)
    raise TypeError(f"unsupported button field type {hint!r}")
