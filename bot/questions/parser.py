"""A question in Swedish or English → a structured query, or an honest "I don't know".

Reading happens in fixed steps, each cheap: clean and tokenize; tell the language; give
each word its possible meanings (phrases first, then single words, then typos); find the
time expressions; find the names (a run of words with no meaning of their own) and what
points at them ("i Växjö", "koordinator Bo", "hur går det för Amina"); decide the intent
from the cue words; fill the slots. Anything that could be read two ways comes back as
`Ambiguous`; anything without a clear reading as `NotUnderstood`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import date

from bot.questions import lexicon
from bot.questions.examples import suggestions
from bot.questions.lexicon import EN
from bot.questions.lexicon import SV
from bot.questions.lexicon import Sense
from bot.questions.model import Ambiguous
from bot.questions.model import Duration
from bot.questions.model import Intent
from bot.questions.model import NotUnderstood
from bot.questions.model import Parsed
from bot.questions.model import Period
from bot.questions.model import Result
from bot.questions.text import MAX_CHARS
from bot.questions.text import Token
from bot.questions.text import clean
from bot.questions.text import tokenize
from bot.questions.when import ALL
from bot.questions.when import Context
from bot.questions.when import Grammar
from bot.questions.when import Rolling
from bot.questions.when import Spec
from bot.questions.when import Vague
from bot.questions.when import range_period
from bot.text.periods import in_calendar

MAX_TOKENS = 40
MAX_NAME_WORDS = 3
# Text written to attack a database or a page, not to ask: refused as such (it could do
# no harm anyway, since no query is ever built from text).
_SQL = re.compile(
    r";\s*(select|drop|delete|insert|update|alter|truncate|--)\b|'\s*(;|--|or\b|and\b)"
    r"|/\*|\bunion\s+(all\s+)?select\b|\bselect\b.*\bfrom\b|\b(drop|alter|truncate)\s+table\b"
    r"|\binsert\s+into\b|\bdelete\s+from\b|\bor\s+\d+\s*=\s*\d+|<\s*/?\s*script",
    re.IGNORECASE,
)
_NAME = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")
_FORWARD = frozenset({Intent.LIST_AGENDA, Intent.UNCONFIRMED_FOLLOWUPS, Intent.NEXT_FOLLOWUP})
_FIGURES = frozenset({Intent.COUNT_PARTICIPANTS, Intent.COUNT_OUTCOMES, Intent.SHARE_OUTCOMES,
                      Intent.STATS})
_NEGLECT_CHOICES = (Duration(1, "week"), Duration(2, "week"), Duration(1, "month"))
_ROLLING_CHOICES = (Duration(1, "month"), Duration(3, "month"), Duration(6, "month"))
_SHARE_CHOICES = (("work_or_studies",), ("work",), ("studies",))
_NOW = frozenset({Intent.PARTICIPANT_CARD, Intent.NEXT_FOLLOWUP, Intent.HELP,
                  Intent.TEAM_OVERVIEW, Intent.CASELOAD, Intent.LIST_BY_STATUS})


def _covers_today(said: object, today: date) -> bool:
    return isinstance(said, Period) and (said.start or today) <= today <= (said.end or today)


def parse(text: str, *, today: date, language_hint: str | None = None) -> Result:
    """Read one question. Never raises on any text; takes well under a millisecond."""
    fallback = _language(language_hint)
    if not isinstance(text, str) or len(text) > MAX_CHARS:
        return _refuse("too_long", fallback)
    cleaned = clean(text).strip()
    tokens = tokenize(cleaned)
    if not tokens:
        return _refuse("empty", fallback)
    if len(tokens) > MAX_TOKENS:
        return _refuse("too_long", fallback)
    if _SQL.search(cleaned):
        return _refuse("out_of_scope", fallback)
    language = _detect(tokens, fallback)
    tokens = _annotate(tokens, language)
    if any(token.has("oos") for token in tokens):
        return _refuse("out_of_scope", language)
    if any(token.has("unsupported") for token in tokens):
        return _refuse("unsupported", language, cleaned)
    return _Reader(tokens, language, today, cleaned).read()


def _language(hint: str | None) -> str:
    code = (hint or "").strip().lower()[:2]
    return code if code in (SV, EN) else SV


def _refuse(reason: str, language: str, text: str = "", cues: frozenset[str] = frozenset()
            ) -> NotUnderstood:
    return NotUnderstood(reason, suggestions(text, language, cues), language)


def _detect(tokens: list[Token], fallback: str) -> str:
    votes = {SV: 0, EN: 0}
    for token in tokens:
        vote = lexicon.language_votes(token.word, token.raw.lower())
        if vote is not None:
            votes[vote] += 1
    if votes[SV] == votes[EN]:
        return fallback
    return SV if votes[SV] > votes[EN] else EN


def _annotate(tokens: list[Token], language: str) -> list[Token]:
    """Merge phrases into one token each and give every token its senses."""
    words = [token.word for token in tokens]
    merged: list[Token] = []
    index = 0
    while index < len(tokens):
        phrase = lexicon.phrase_at(words, index, language)
        if phrase is not None:
            length, senses = phrase
            span = tokens[index:index + length]
            merged.append(Token(raw=" ".join(t.raw for t in span),
                                word=" ".join(words[index:index + length]),
                                genitive=span[-1].genitive, senses=tuple(senses)))
            index += length
            continue
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.word == "p" and following is not None and following.word.isdigit():
            code = lexicon.pattern_senses("p" + following.word)
            merged.append(Token(raw=f"{token.raw} {following.raw}", word=f"p{following.word}",
                                senses=tuple(code)))
            index += 2
            continue
        token.senses = tuple(_senses(token, language, first=index == 0))
        merged.append(token)
        index += 1
    return merged


def _senses(token: Token, language: str, *, first: bool) -> list[Sense]:
    found = lexicon.pattern_senses(token.word)
    if found:
        return found
    senses = lexicon.lookup(token.word, token.raw.lower(), language)
    if senses:
        return senses
    # Typos, but not in what looks like a name typed with a capital inside a sentence.
    if first or not token.capitalized:
        known = lexicon.fuzzy(token.word)
        if known is not None:
            return lexicon.lookup(known, known, language)
    return []


# ---- names ---------------------------------------------------------------------------
@dataclass
class _Run:
    """Consecutive words that could be a name, and what the words around say it is."""

    start: int
    end: int
    text: str
    role: str = "loose"
    """coordinator, municipality, participant, for, has, owner or loose."""

    @property
    def capitalized(self) -> bool:
        return all(word[:1].isupper() for word in self.text.split())


def _name_like(token: Token) -> bool:
    if token.used or not _NAME.fullmatch(token.raw):
        return False
    # "August", "Jan", "May": month words that did not become a date can be names.
    return all(sense.weak or sense.kind == "month" for sense in token.senses)


def _runs(tokens: list[Token]) -> list[_Run]:
    runs: list[_Run] = []
    index = 0
    while index < len(tokens):
        if not _name_like(tokens[index]):
            index += 1
            continue
        end = index
        while end < len(tokens) and _name_like(tokens[end]):
            end += 1
        runs.append(_Run(index, end, " ".join(t.raw for t in tokens[index:end])))
        index = end
    for number, run in enumerate(runs):
        joined = run.start >= 2 and (tokens[run.start - 1].has("and") or tokens[
            run.start - 1].has("or"))
        previous = runs[number - 1] if number else None
        if joined and previous is not None and previous.end == run.start - 1:
            run.role = previous.role  # "Amina och Sara", "i Lund eller Malmö"
        else:
            run.role = _role(tokens, run)
    return runs


def _role(tokens: list[Token], run: _Run) -> str:
    before = tokens[run.start - 1] if run.start > 0 else None
    before2 = tokens[run.start - 2] if run.start > 1 else None
    after = tokens[run.end] if run.end < len(tokens) else None
    last = tokens[run.end - 1]
    if before is not None and before.has("coordinator"):
        return "coordinator"
    if before is not None and before.has("prep_for") and before2 is not None and before2.has(
            "coordinator"):
        return "coordinator"
    if (before is not None and before.has("kommun")) or (after is not None and after.has(
            "kommun")):
        return "municipality"
    if before is not None and before.has("prep_for") and before2 is not None and before2.has(
            "kommun"):
        return "municipality"
    if before is not None and before.has("prep_in"):
        return "municipality"
    if after is not None and after.has("participant") and (
            last.genitive or last.word.endswith("s")):
        return "owner"
    if (before is not None and (before.has("card") or before.has("show"))) or (
            after is not None and after.has("card")):
        return "participant"
    if before is not None and before.has("participant"):
        return "participant"
    if before is not None and before.has("prep_for"):
        return "for"
    if before is not None and before.has("has"):
        return "has"
    return "loose"


# ---- reading one question -------------------------------------------------------------
@dataclass
class _Reader:
    tokens: list[Token]
    language: str
    today: date
    text: str
    specs: list[Spec] = field(default_factory=list)
    runs: list[_Run] = field(default_factory=list)

    def read(self) -> Result:
        ctx = Context(self.tokens, self.language,
                      months_after_for=not self.has("card"))
        self.specs = Grammar(self.today).find(ctx)
        self.runs = _runs(self.tokens)
        if any(not t.senses and not t.used and any(ch.isdigit() for ch in t.word)
               for t in self.tokens):
            return self.refuse("unknown")  # "Q5", "vecka 60": a number that means nothing
        intent = self.intent()
        if intent is None:
            return self.refuse("unknown")
        return self.fill(intent)

    # -- cues ---------------------------------------------------------------------------
    def has(self, kind: str) -> bool:
        return any(token.has(kind) and not token.used for token in self.tokens)

    def values(self, kind: str) -> list[object]:
        found: list[object] = []
        for token in self.tokens:
            sense = token.sense(kind)
            if sense is not None and not token.used and sense.value not in found:
                found.append(sense.value)
        return found

    def cues(self) -> frozenset[str]:
        return frozenset(s.kind for t in self.tokens for s in t.senses if not t.used)

    def refuse(self, reason: str) -> NotUnderstood:
        return _refuse(reason, self.language, self.text, self.cues())

    @property
    def code(self) -> str | None:
        codes = self.values("code")
        return str(codes[0]) if len(codes) == 1 else None

    def outcome_context(self) -> bool:
        """Outcome words that speak of leaving ("gick till jobb"), not of now ("jobbar")."""
        if not self.has("outcome") or self.has("now") or self.has("present"):
            return False
        if self.has("past") or self.has("ended") or self.has("to") or self.has("share"):
            return True
        return bool(self.specs)

    # -- the intent ---------------------------------------------------------------------
    def intent(self) -> Intent | None:
        asks_figures = self.has("count") or self.has("share") or self.has("stats")
        if self.has("help") and not (asks_figures or self.has("meeting") or self.has(
                "contact") or self.code):
            return Intent.HELP
        negated = self.has("neg")
        if self.has("unconfirmed") or (negated and self.has("confirm")):
            return Intent.UNCONFIRMED_FOLLOWUPS
        if self.has("contact") and self.has("longest") and not self.specs:
            return Intent.CASELOAD
        if self.has("contact") and negated:
            return Intent.LIST_NEGLECTED
        if (self.has("meeting") or self.has("confirm")) and not asks_figures:
            named = self.code or any(r.role in {"for", "participant", "has"}
                                     for r in self.runs) or (self.has("when") and self.runs)
            if named and (self.has("when") or self.has("next") or not self.specs):
                return Intent.NEXT_FOLLOWUP
            return Intent.LIST_AGENDA
        if self.asks_team():
            return Intent.TEAM_OVERVIEW
        ranks = self.has("most") or self.has("least")
        if self.has("share"):
            return Intent.SHARE_OUTCOMES
        if ranks and (self.has("coordinator") or self.has("kommun")):
            # "vilken koordinator har flest avslut i år", "vilken kommun har flest deltagare"
            if self.outcome_context() or self.has("ended"):
                return Intent.COUNT_OUTCOMES
            return Intent.COUNT_PARTICIPANTS
        if self.has("count"):
            if self.counts_unknown_thing():
                return None  # "hur många katter": not something Koordinator counts
            if self.outcome_context() or (self.has("ended") and not self.has("now")):
                return Intent.COUNT_OUTCOMES
            if not (self.runs or self.specs or any(self.has(kind) for kind in (
                    "participant", "status", "gender", "mine", "split", "new"))):
                return None  # "hur många?": of what?
            return Intent.COUNT_PARTICIPANTS
        if self.code:
            return Intent.PARTICIPANT_CARD
        if self.has("card"):
            return Intent.PARTICIPANT_CARD if self.runs else None
        if self.has("going") or self.has("stats"):
            return Intent.STATS
        asks_list = self.has("who") or self.has("show")
        if asks_list and self.has("status"):
            return Intent.LIST_BY_STATUS
        if asks_list and (self.has("mine") or self.has("participant")) and not self.runs:
            return Intent.CASELOAD
        if self.has("show") and self.runs:
            return Intent.PARTICIPANT_CARD
        if self.bare_name():
            return Intent.PARTICIPANT_CARD
        if self.runs and self.specs and all(
                r.role == "municipality" or (r.role == "loose" and r.capitalized)
                for r in self.runs):
            return Intent.STATS  # "Växjö förra kvartalet"
        if self.specs and all(t.used or t.has("stop") for t in self.tokens):
            return self.bare_period()
        if self.has("status") and self.has("mine"):
            return Intent.LIST_BY_STATUS
        if self.has("participant") and self.has("mine"):
            return Intent.CASELOAD
        return None

    def asks_team(self) -> bool:
        """"visa teamet", "vilken koordinator har flest aktiva", "vem har flest deltagare";
        not when outcomes, shares or municipalities are asked about (those are /stats)."""
        if self.outcome_context() or any(self.has(kind) for kind in (
                "share", "stats", "ended", "kommun")):
            return False
        ranks = self.has("most") or self.has("least")
        return ((self.has("team") and not self.has("count"))
                or (self.has("coordinator") and (ranks or self.has("split")))
                or (ranks and (self.has("who") or self.has("has"))))

    def bare_period(self) -> Intent | None:
        """Only a time ("idag", "Q3"): a day or a week is the agenda, longer is statistics."""
        if len(self.specs) != 1:
            return None
        resolved = self.specs[0].resolve(self.today, future=True)
        if len(resolved) != 1 or not isinstance(resolved[0], Period) or resolved[0].is_all:
            return None
        period = resolved[0]
        assert period.start is not None and period.end is not None
        return Intent.LIST_AGENDA if (period.end - period.start).days < 7 else Intent.STATS

    def counts_unknown_thing(self) -> bool:
        """A name-like word right after "how many" is what is counted, not a place."""
        for index, token in enumerate(self.tokens):
            if token.has("count"):
                following = [t for t in self.tokens[index + 1:] if not t.has("stop")]
                return bool(following) and _name_like(following[0])
        return False

    def bare_name(self) -> bool:
        """Only a name ("Amina", "Amina Hassan?"): the participant's card."""
        if len(self.runs) != 1 or self.specs:
            return False
        run = self.runs[0]
        inside = range(run.start, run.end)
        if any(i not in inside and not self.tokens[i].has("stop") for i in range(len(
                self.tokens))):
            return False
        words = run.end - run.start
        return words == 1 or (words <= MAX_NAME_WORDS and run.capitalized)

    # -- the slots ----------------------------------------------------------------------
    def fill(self, intent: Intent) -> Result:
        parsed = Parsed(intent=intent, language=self.language, asked_on=self.today,
                        mine=self.has("mine"))
        ambiguous = self.names(intent, parsed)
        if isinstance(ambiguous, Ambiguous | NotUnderstood):
            return ambiguous
        parsed = ambiguous
        if intent in _FIGURES or intent == Intent.TEAM_OVERVIEW:
            parsed = self.figures(intent, parsed)
            if isinstance(parsed, Ambiguous | NotUnderstood):
                return parsed
        if intent == Intent.LIST_BY_STATUS:
            statuses = [s for s in self.values("status") if s != "ended"]
            if not statuses:
                return self.refuse("unsupported")
            if self.outcome_context() or self.has("past"):
                return self.refuse("unsupported")  # "vilka fick jobb": no such list
            if len(statuses) > 1:
                return self.choose("status", [replace(parsed, status=str(s)) for s in statuses])
            parsed = replace(parsed, status=str(statuses[0]))
        return self.when(parsed)

    def choose(self, slot: str, options: list[Parsed]) -> Ambiguous:
        return Ambiguous(slot, tuple(options), self.language)

    def names(self, intent: Intent, parsed: Parsed) -> Parsed | Ambiguous | NotUnderstood:
        runs = list(self.runs)
        municipalities = [r for r in runs if r.role == "municipality"]
        coordinators = [r for r in runs if r.role in {"coordinator", "owner"}]
        if intent in _FIGURES:
            coordinators += [r for r in runs if r.role == "has"]
            municipalities += [r for r in runs if r.role in {"for", "loose", "participant"}]
        if intent in {Intent.PARTICIPANT_CARD, Intent.NEXT_FOLLOWUP}:
            if self.code:
                return replace(parsed, participant=self.code)
            people = [r for r in runs if r.role in {"participant", "for", "loose", "has"}]
            if not people:
                people = runs
            if not people:
                return self.refuse("unknown")
            if len(people) > 1:
                return self.choose("participant", [replace(parsed, participant=r.text)
                                                   for r in people])
            return replace(parsed, participant=people[0].text)
        if intent in _FIGURES or intent == Intent.TEAM_OVERVIEW:
            if len(municipalities) > 1:
                return self.choose("municipality", [replace(parsed, municipality=r.text)
                                                    for r in municipalities])
            if len(coordinators) > 1:
                return self.choose("coordinator", [replace(parsed, coordinator=r.text)
                                                   for r in coordinators])
            if intent == Intent.TEAM_OVERVIEW:
                return parsed
            return replace(parsed,
                           municipality=municipalities[0].text if municipalities else None,
                           coordinator=coordinators[0].text if coordinators else None)
        if any(r.role in {"has", "owner", "coordinator"} for r in runs):
            return self.refuse("unsupported")  # someone else's list: not a question I answer
        if len(municipalities) > 1:
            return self.choose("municipality", [replace(parsed, municipality=r.text)
                                                for r in municipalities])
        # Lists are of the asker's own participants; a municipality narrows them.
        return replace(parsed, municipality=municipalities[0].text if municipalities else None)

    def figures(self, intent: Intent, parsed: Parsed) -> Parsed | Ambiguous | NotUnderstood:
        genders = [str(g) for g in self.values("gender")]
        split_by = self.split()
        if len(genders) > 1:
            genders, split_by = [], split_by or "gender"
        statuses = [str(s) for s in self.values("status") if s != "ended"]
        order = "most" if self.has("most") else "least" if self.has("least") else None
        if intent == Intent.TEAM_OVERVIEW:
            status = statuses[0] if len(statuses) == 1 else None
            return replace(parsed, order=order, status=status, mine=False)
        parsed = replace(parsed, gender=genders[0] if genders else None, split_by=split_by)
        if intent in {Intent.COUNT_OUTCOMES, Intent.SHARE_OUTCOMES}:
            if self.negated_outcome():
                return self.refuse("unsupported")  # "utan jobb": not a figure /stats has
            groups = self.outcomes()
            if intent == Intent.SHARE_OUTCOMES and not groups:
                return self.choose("outcomes", [replace(parsed, outcomes=choice)
                                                for choice in _SHARE_CHOICES])
            return replace(parsed, outcomes=groups)
        if intent == Intent.COUNT_PARTICIPANTS:
            if len(statuses) > 1:
                return self.choose("status", [replace(parsed, status=s) for s in statuses])
            return replace(parsed, status=statuses[0] if statuses else None)
        return parsed

    def negated_outcome(self) -> bool:
        return any(token.has("outcome") and index and self.tokens[index - 1].has("neg")
                   for index, token in enumerate(self.tokens))

    def outcomes(self) -> tuple[str, ...]:
        groups = {str(value) for value in self.values("outcome")}
        if "work_or_studies" in groups or {"work", "studies"} <= groups:
            groups -= {"work", "studies", "subsidised_work"}
            groups.add("work_or_studies")
        return tuple(sorted(groups))

    def split(self) -> str | None:
        if self.has("most") or self.has("least"):
            if self.has("coordinator"):
                return "coordinator"
            if self.has("kommun"):
                return "municipality"
        for index, token in enumerate(self.tokens):
            if not token.has("split") or token.used:
                continue
            for after in self.tokens[index + 1:index + 3]:
                if after.has("kommun"):
                    return "municipality"
                if after.has("coordinator"):
                    return "coordinator"
                if after.has("gender_noun"):
                    return "gender"
        return None

    # -- time ---------------------------------------------------------------------------
    def when(self, parsed: Parsed) -> Result:
        intent = parsed.intent
        future = intent in _FORWARD
        # A time outside 1900–2100 ("0001-01-01") is no time this project can mean.
        resolved = [tuple(option for option in spec.resolve(self.today, future)
                          if not isinstance(option, Period) or in_calendar(option))
                    for spec in self.specs]
        if intent in _NOW:
            if intent in {Intent.CASELOAD, Intent.LIST_BY_STATUS} and not all(
                    _covers_today(option, self.today) for options in resolved
                    for option in options):
                return self.refuse("unsupported")  # "vilka hade praktik i oktober"
            return parsed  # these answer "now"
        if any(not options for options in resolved):
            return self.refuse("unknown")  # "31 februari"
        if len(resolved) > 1:
            resolved = [options for options in resolved if options != (ALL,)]
        distinct: list[tuple[Period | Duration | Vague, ...]] = []
        for options in resolved:
            if options not in distinct:
                distinct.append(options)
        if len(distinct) > 1:
            return self.choose("period", [self.timed(parsed, options[0]) for options in
                                          distinct if not isinstance(options[0], Vague)])
        said = distinct[0] if distinct else ()
        if len(said) > 1:
            return self.choose("period", [self.timed(parsed, option) for option in said])
        if said and isinstance(said[0], Vague):
            choices = _NEGLECT_CHOICES if intent == Intent.LIST_NEGLECTED else _ROLLING_CHOICES
            return self.choose("duration", [self.timed(parsed, c) for c in choices])
        if said:
            return self.timed(parsed, said[0])
        return self.default_time(parsed)

    def timed(self, parsed: Parsed, said: Period | Duration | Vague) -> Parsed:
        intent, today = parsed.intent, self.today
        if isinstance(said, Duration):
            if intent in _FORWARD:
                period = Rolling(said, forward=True).resolve(today, True)[0]
            else:
                period = Rolling(said).resolve(today, False)[0]
            assert isinstance(period, Period)
            duration = said if intent == Intent.LIST_NEGLECTED else None
            return replace(parsed, period=period, duration=duration)
        assert isinstance(said, Period)
        if intent == Intent.LIST_NEGLECTED and said.start is not None:
            # "not seen since 1 October" / "i fredags": no check-in from that day on.
            return replace(parsed, period=range_period(said.start, max(said.start, today)))
        return replace(parsed, period=said)

    def default_time(self, parsed: Parsed) -> Result:
        intent, today = parsed.intent, self.today
        if intent == Intent.LIST_AGENDA:
            return replace(parsed, period=range_period(today, today),
                           assumed=frozenset({"period"}))
        if intent == Intent.UNCONFIRMED_FOLLOWUPS:
            seven = Rolling(Duration(7, "day"), forward=True).resolve(today, True)[0]
            assert isinstance(seven, Period)
            return replace(parsed, period=seven, assumed=frozenset({"period"}))
        if intent == Intent.LIST_NEGLECTED:
            if "never" in self.values("neg"):
                return replace(parsed, period=ALL)
            return self.choose("duration", [self.timed(parsed, c) for c in _NEGLECT_CHOICES])
        return parsed
