"""The statistics request: a period and filters, typed as words or carried by a button.

/stats, /chart and /export take the same filter words — `2026-Q3 kommun:Växjö
gender:women coordinator:Bo`, `by municipality` — parsed and matched against what the
viewer sees here (`typed_request`), and carry the request in one of three button families
(`StatsView`, `ChartView`, `ExportView`: bounded fields, the municipality by a short
reference, so every payload fits Telegram's 64 bytes) decoded back here (`request_of`).
Questions in plain words build the same request, so their answers offer the same buttons.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from enum import StrEnum
from typing import Annotated
from typing import Protocol
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.ext import Application

from bot.interaction.buttons import ButtonPayload
from bot.interaction.buttons import Token
from bot.interaction.buttons import family
from bot.text.i18n import SafeHtml
from bot.text.i18n import Translator
from bot.text.labels import GENDER_LABELS
from bot.text.labels import fold
from bot.text.labels import parse_word
from bot.text.periods import ALL
from bot.text.periods import LABEL_LIMIT
from bot.text.periods import Period
from bot.text.periods import leading_period
from bot.text.periods import parse_period
from bot.text.render import municipality_error
from handlers.kit.base import Turn
from handlers.kit.base import bind_button
from handlers.kit.base import bind_command
from storage import stats
from storage.access import Viewer
from storage.errors import NotFound
from storage.models import Gender
from storage.municipalities import SWEDEN

# ---- the request -----------------------------------------------------------------------
_MUNICIPALITY_KEYS = {"kommun", "municipality"}
_COORDINATOR_KEYS = {"coordinator", "koordinator", "samordnare"}
_GENDER_KEYS = {"gender", "kon"}
_BY_WORDS = {"by", "per"}
_VIEW_WORDS = {"municipality": "m", "kommun": "m", "coordinator": "c", "koordinator": "c",
               "samordnare": "c"}
_PLURAL_GENDERS = {"women": "woman", "kvinnor": "kvinna", "men": "man"}
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


@dataclass(frozen=True, slots=True)
class StatsRequest:
    """A period and the filters, with names already resolved to what the viewer sees."""

    period: Period = ALL
    municipality: str | None = None
    coordinator_id: int | None = None
    gender: Gender | None = None

    def stats_filter(self, turn: Turn) -> stats.StatsFilter:
        return stats.StatsFilter(turn.services.settings.tz, self.period.start, self.period.end,
                                 self.municipality, self.coordinator_id, self.gender)

    def fields(self) -> tuple[str, int | None, Gender | None, str | None]:
        """The request as the last four fields of a button payload (`StatsView` and its
        siblings): the municipality by its short reference, so every payload fits."""
        return (self.period.label, self.coordinator_id, self.gender,
                stats.municipality_ref(self.municipality) if self.municipality else None)


# ---- the buttons: a view or a file of a period and filters ------------------------------
class View(StrEnum):
    FIGURES = "f"
    MUNICIPALITY = "m"
    COORDINATOR = "c"


class ChartChoice(StrEnum):
    OFFER = "p"  # the chart buttons
    QUARTERS = "q"
    CASELOAD = "a"
    MUNICIPALITIES = "m"


class ExportChoice(StrEnum):
    OFFER = "p"  # the format buttons
    XLSX = "x"
    CSV = "c"


PeriodLabel = Annotated[str, Token(LABEL_LIMIT)]
MunicipalityRef = Annotated[str, Token(stats.MUNICIPALITY_REF_LENGTH,
                                       stats.MUNICIPALITY_REF_PATTERN)]


@family("sx", command="stats")
class StatsView(ButtonPayload):
    """/stats as figures or a breakdown, for a period and filters."""

    view: View
    period: PeriodLabel
    coordinator_id: int | None
    gender: Gender | None
    municipality: MunicipalityRef | None


@family("ch", command="chart")
class ChartView(ButtonPayload):
    """A chart (or the chart buttons) for a period and filters."""

    chart: ChartChoice
    period: PeriodLabel
    coordinator_id: int | None
    gender: Gender | None
    municipality: MunicipalityRef | None


@family("ex", command="export")
class ExportView(ButtonPayload):
    """An export file (or the format buttons) for a period and filters."""

    file: ExportChoice
    period: PeriodLabel
    coordinator_id: int | None
    gender: Gender | None
    municipality: MunicipalityRef | None


RequestPayload = StatsView | ChartView | ExportView


async def request_of(turn: Turn, payload: RequestPayload) -> StatsRequest:
    """The request a button carries; NotFound (an expired button) when it names nothing."""
    period = parse_period(payload.period, turn.today)
    if period is None or period.label != payload.period:
        raise NotFound()
    municipality = None
    if payload.municipality is not None:
        async with turn.transaction() as session:
            municipality = await stats.municipality_by_ref(session, payload.municipality)
    return StatsRequest(period, municipality, payload.coordinator_id, payload.gender)


# ---- the words typed after /stats, /chart or /export -------------------------------------
@dataclass(slots=True)
class TypedWords:
    """What the words said, before names are matched against what the viewer sees."""

    period: Period | None = None
    municipality: str | None = None
    coordinator: str | None = None
    gender: Gender | None = None
    view: str | None = None
    rest: list[str] = field(default_factory=list)
    """Words that are no filter (a chart kind, an export format, or a mistake)."""


class BadFilter(Exception):
    """A filter word names nothing the viewer can see; `text` is the reply."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def split_words(text: str) -> list[str]:
    """Words, with quoted names kept whole: `kommun:"Upplands Väsby"`."""
    text = text.translate(_SMART_QUOTES)
    try:
        return shlex.split(text)
    except ValueError:  # an unbalanced quote: take the words as they are
        return text.split()


def parse_words(text: str, turn: Turn) -> TypedWords:
    typed = TypedWords()
    words = split_words(text)
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        key, separator, value = word.partition(":") if ":" in word else word.partition("=")
        folded_key = fold(key)
        if separator and _take_filter(typed, folded_key, value):
            continue
        if folded_key in _BY_WORDS and index < len(words) and fold(words[index]) in _VIEW_WORDS:
            typed.view = _VIEW_WORDS[fold(words[index])]
            index += 1
            continue
        if typed.period is None:
            # The longest run of words that names a period: `förra månaden`, `last quarter`.
            found = leading_period(words[index - 1:], turn.today)
            if found is not None:
                typed.period, size = found
                index += size - 1
                continue
        typed.rest.append(word)
    return typed


def _take_filter(typed: TypedWords, key: str, value: str) -> bool:
    value = value.strip()
    if not value:
        return False
    if key in _MUNICIPALITY_KEYS:
        typed.municipality = value
    elif key in _COORDINATOR_KEYS:
        typed.coordinator = value
    elif key in _GENDER_KEYS:
        gender = parse_word(Gender, _PLURAL_GENDERS.get(fold(value), value))
        if gender is None:
            return False
        typed.gender = gender
    elif key in _BY_WORDS and fold(value) in _VIEW_WORDS:
        typed.view = _VIEW_WORDS[fold(value)]
    else:
        return False
    return True


async def resolve(session: AsyncSession, viewer: Viewer, typed: TypedWords,
                  tr: Translator) -> StatsRequest:
    """Match typed names (any case, with or without å/ä/ö) against what the viewer sees."""
    municipality = coordinator_id = None
    if typed.municipality:
        # The official list first, so a filter never depends on how a name was typed;
        # old free text not yet cleaned (koordinator db check) is still found as stored.
        found = SWEDEN.resolve(typed.municipality)
        if found.municipality is not None:
            municipality = found.municipality.name
        else:
            known = await stats.municipalities_in_scope(session, viewer)
            municipality = _match(typed.municipality, [k for k in known if k not in SWEDEN])
            if municipality is None:
                raise BadFilter(municipality_error(tr, found))
    if typed.coordinator:
        team = await stats.coordinators_in_scope(session, viewer)
        names = {name: staff_id for staff_id, name in team}
        match = _match(typed.coordinator, list(names))
        if match is None:
            raise BadFilter(tr._(
                "I don't know one coordinator called “%(name)s” among the participants you "
                "can see. Known: %(known)s.", name=typed.coordinator,
                known=", ".join(names) or "–"))
        coordinator_id = names[match]
    return StatsRequest(typed.period or ALL, municipality, coordinator_id, typed.gender)


def _match(typed: str, candidates: list[str]) -> str | None:
    """The one candidate equal to, or else starting with, the typed name (or a word of it)."""
    wanted = fold(typed)
    exact = [c for c in candidates if fold(c) == wanted]
    if len(exact) == 1:
        return exact[0]
    starting = [c for c in candidates
                if any(part.startswith(wanted) for part in (fold(c), *fold(c).split()))]
    return starting[0] if len(starting) == 1 else None


async def typed_request(turn: Turn) -> tuple[StatsRequest, TypedWords] | None:
    """Parse and resolve the words after a command; a bad name is answered here (None)."""
    typed = parse_words(turn.text_after_command, turn)
    try:
        async with turn.transaction() as session:
            request = await resolve(session, turn.require_viewer(), typed, turn.tr)
    except BadFilter as error:
        await turn.reply(error.text)
        return None
    return request, typed


K = TypeVar("K")
KindPayload = TypeVar("KindPayload", ChartView, ExportView)


class OfferKinds(Protocol):
    """Offer the kinds as buttons for a request: a new message, or in place (`edit`)."""

    def __call__(self, turn: Turn, request: StatsRequest, *, edit: bool = False
                 ) -> Awaitable[None]: ...


def bind_one_kind(
    app: Application, command: str, family: type[KindPayload], *, words: Mapping[str, K],
    usage: Callable[[Translator], str], offer: OfferKinds,
    send: Callable[[Turn, StatsRequest, K], Awaitable[None]],
    kind_of: Callable[[KindPayload], K | None],
) -> None:
    """Bind a figures command that sends one kind of document for a request (`/chart
    outcomes 2026`, `/export csv`) and its button family.

    Typed: no kind word offers the kinds as buttons, one of `words` sends that kind, anything
    else left over gets `usage`. Tapped: the button carries the request and a kind
    (`kind_of` gives None for the button that offers the kinds again, in place)."""

    async def typed(turn: Turn) -> None:
        answer = await typed_request(turn)
        if answer is None:
            return
        request, typed_words = answer
        kinds = [words.get(fold(word)) for word in typed_words.rest]
        if len(kinds) > 1 or None in kinds:
            await turn.reply(usage(turn.tr))
            return
        if not kinds:
            await offer(turn, request)
            return
        kind = kinds[0]
        assert kind is not None
        await send(turn, request, kind)

    async def tapped(turn: Turn, payload: KindPayload) -> None:
        request = await request_of(turn, payload)
        kind = kind_of(payload)
        if kind is None:
            await offer(turn, request, edit=True)
        else:
            await send(turn, request, kind)

    # The names the guard's log lines have always used.
    typed.__name__, tapped.__name__ = f"{command}_command", f"{command}_button"
    bind_command(app, command, typed)
    bind_button(app, family, tapped)


async def filter_text(session: AsyncSession, turn: Turn, request: StatsRequest) -> str | None:
    """`Filter: Växjö · woman · Bo Berg` (None without filters)."""
    tr = turn.tr
    parts: list[str] = []
    if request.municipality:
        parts.append(tr._("municipality %(name)s", name=request.municipality))
    if request.gender:
        parts.append(tr._(GENDER_LABELS[request.gender]))
    if request.coordinator_id:
        team = dict(await stats.coordinators_in_scope(session, turn.require_viewer()))
        parts.append(tr._("coordinator %(name)s",
                          name=team.get(request.coordinator_id, f"#{request.coordinator_id}")))
    if not parts:
        return None
    return tr._("Filter: %(filters)s", filters=SafeHtml(" · ".join(parts)))
