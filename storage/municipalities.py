"""Sweden's municipalities as master data, and the one way a typed municipality is resolved.

The list is SCB's (storage/data/municipalities.csv, with its source and date). A project
works in some of them (the PROJECT_MUNICIPALITIES setting, default all): `Municipalities`
is that selection. `resolve` turns what someone typed into exactly one municipality, a
few close suggestions, or nothing — never a new name.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

from rapidfuzz import fuzz
from rapidfuzz import process

from storage.errors import DomainError
from storage.validation import check_text

_DATA = "data/municipalities.csv"
_FUZZY_CUTOFF = 75.0
_TIE_MARGIN = 5.0
_MAX_SUGGESTIONS = 4
# "Växjö kommun", "Region Gotland", "Göteborgs stad" name the municipality itself.
_AFFIXES = re.compile(r"^(?:region|kommun)\s+|\s+(?:kommun|stad|municipality)$")
_GENITIVE_AFFIX = re.compile(r"s\s+(?:kommun|stad)$")


@dataclass(frozen=True, slots=True)
class Municipality:
    code: str
    """SCB's four-digit kommunkod, e.g. "0780"."""
    name: str
    county_code: str
    county: str

    @property
    def label(self) -> str:
        """Name with code, as reports show it: "Växjö (0780)"."""
        return f"{self.name} ({self.code})"


class MatchKind(StrEnum):
    EXACT = "exact"
    SUGGESTIONS = "suggestions"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Resolution:
    typed: str
    kind: MatchKind
    municipality: Municipality | None = None
    suggestions: tuple[Municipality, ...] = ()


class MunicipalityUnknown(DomainError):
    """Not one of the project's municipalities; `suggestions` names close ones, if any."""

    code = "municipality_unknown"

    @classmethod
    def of(cls, resolution: Resolution) -> MunicipalityUnknown:
        names = ", ".join(m.name for m in resolution.suggestions)
        if names:
            error = MunicipalitySuggestions(typed=resolution.typed, names=names)
        else:
            error = cls(typed=resolution.typed)
        error.resolution = resolution
        return error

    resolution: Resolution | None = None


class MunicipalitySuggestions(MunicipalityUnknown):
    code = "municipality_suggestions"


def fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive form: "  VÄXJÖ " and "vaxjo" are the same;
    "Upplands Bro" and "Upplands-Bro" too."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s\-‐‑–—_.]+", " ", plain).strip()


def _folded_forms(text: str) -> list[str]:
    """The folded text, then without "kommun"/"stad" ("Lunds kommun" → "lund")."""
    plain = fold(text)
    forms = [plain, _GENITIVE_AFFIX.sub("", plain), _AFFIXES.sub("", plain).strip()]
    return [form for form in dict.fromkeys(forms) if form]


@cache
def sweden() -> tuple[Municipality, ...]:
    """All 290, in code order."""
    text = resources.files("storage").joinpath(_DATA).read_text(encoding="utf-8")
    lines = (line for line in text.splitlines() if line and not line.startswith("#"))
    return tuple(Municipality(row["code"], row["name"], row["county_code"], row["county"])
                 for row in csv.DictReader(lines))


class Municipalities:
    """The municipalities a project works in, and resolution against them."""

    def __init__(self, members: Iterable[Municipality]) -> None:
        self.members: tuple[Municipality, ...] = tuple(sorted(members, key=lambda m: m.code))
        self._by_code = {m.code: m for m in self.members}
        self._by_fold = {fold(m.name): m for m in self.members}
        # Folded names for rapidfuzz, in a fixed order (the index is the member).
        self._folded = list(self._by_fold)

    @classmethod
    def from_setting(cls, value: str) -> Municipalities:
        """PROJECT_MUNICIPALITIES: empty or "all" = Sweden; else names or codes separated
        by commas, each resolved exactly (ValueError names the first that is not)."""
        if not value.strip() or value.strip().casefold() in {"all", "alla"}:
            return SWEDEN
        chosen = []
        for part in value.split(","):
            if not part.strip():
                continue
            found = SWEDEN.resolve(part)
            if found.kind != MatchKind.EXACT:
                hint = ", ".join(m.name for m in found.suggestions)
                raise ValueError(f"{part.strip()!r} is not a Swedish municipality"
                                 + (f" (did you mean {hint}?)" if hint else ""))
            chosen.append(found.municipality)
        return cls(dict.fromkeys(chosen))  # type: ignore[arg-type]

    @property
    def names(self) -> list[str]:
        return sorted((m.name for m in self.members), key=fold)

    def by_code(self, code: str) -> Municipality | None:
        return self._by_code.get(code)

    def by_name(self, name: str) -> Municipality | None:
        """The municipality a stored name is exactly (folded) the name of."""
        return self._by_fold.get(fold(name))

    def resolve(self, typed: str) -> Resolution:
        """Exact (case-, accent-insensitive, or the four-digit code), else close spellings
        as suggestions, else unknown. Nothing is ever made up. Text with a control
        character is refused as such (never echoed back as a suggestion's source)."""
        check_text(str(typed), field="municipality")
        typed = " ".join(str(typed).split())
        forms = _folded_forms(typed)
        if not forms:
            return Resolution(typed, MatchKind.UNKNOWN)
        if re.fullmatch(r"[0-9]{4}", forms[0]):
            found = self._by_code.get(forms[0])
            return (Resolution(typed, MatchKind.EXACT, found) if found
                    else Resolution(typed, MatchKind.UNKNOWN))
        for form in forms:
            found = self._by_fold.get(form)
            if found is not None:
                return Resolution(typed, MatchKind.EXACT, found)
        wanted = forms[-1]
        scored = process.extract(wanted, self._folded, scorer=fuzz.ratio,
                                 score_cutoff=_FUZZY_CUTOFF, limit=_MAX_SUGGESTIONS * 2)
        if not scored:
            return Resolution(typed, MatchKind.UNKNOWN)
        top = scored[0][1]
        close = tuple(self._by_fold[name] for name, score, _ in scored
                      if score >= top - _TIE_MARGIN)[:_MAX_SUGGESTIONS]
        return Resolution(typed, MatchKind.SUGGESTIONS, suggestions=close)

    def require(self, typed: str) -> Municipality:
        """The one municipality `typed` names; MunicipalityUnknown (with suggestions) if not."""
        found = self.resolve(typed)
        if found.municipality is None:
            raise MunicipalityUnknown.of(found)
        return found.municipality

    def unambiguous(self, typed: str) -> Municipality | None:
        """For cleaning stored data: exact, or a single close suggestion; else None."""
        found = self.resolve(typed)
        if found.municipality is not None:
            return found.municipality
        if len(found.suggestions) == 1:
            return found.suggestions[0]
        return None

    def cleaning(self, stored: Iterable[str]) -> dict[str, str]:
        """Stored free-text values → the official name each unambiguously means, for those
        that are not already exactly an official name (the rest are left for `db check`)."""
        mapping = {}
        for value in stored:
            found = self.unambiguous(value)
            if found is not None and found.name != value:
                mapping[value] = found.name
        return mapping

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.by_name(name) is not None

    def __len__(self) -> int:
        return len(self.members)


SWEDEN = Municipalities(sweden())


def label(name: str) -> str:
    """A stored municipality name with its SCB code when it is one ("Växjö (0780)");
    a name that is not (old free text) as it is."""
    found = SWEDEN.by_name(name)
    return found.label if found is not None and found.name == name else name


def code_of(name: str) -> str:
    """The SCB code of a stored municipality name, or "" when it is not one."""
    found = SWEDEN.by_name(name)
    return found.code if found is not None else ""
