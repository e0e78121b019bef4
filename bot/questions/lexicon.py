"""The words of questions, Swedish and English, folded, each with what it can mean.

Built once at import. A word has one or more senses (`Sense(kind, value)`); the parser
decides between them from the words around. Weekday and month names come from Babel's
locale data (with the Swedish inflections "fredagen", "fredagens", "i fredags" derived
by rule). Typos are matched with rapidfuzz against the words of length ≥ 5.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from babel.dates import get_day_names
from babel.dates import get_month_names
from rapidfuzz import fuzz
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.questions.text import fold
from bot.text.periods import CALENDAR_PHRASES
from bot.text.periods import LAST_WORDS
from bot.text.periods import THIS_WORDS
from bot.text.periods import UNIT_WORDS

SV, EN, ANY = "sv", "en", "*"


class Sense(NamedTuple):
    kind: str
    value: object = None
    weak: bool = False
    """Means this only next to words that confirm it ("may" is a month in "in May")."""


Senses = dict[str, list[Sense]]  # language (or ANY) → senses
WORDS: dict[str, Senses] = {}
PHRASES: dict[tuple[str, ...], Senses] = {}
RAW: dict[str, list[Sense]] = {}
"""Exact lower-case forms where the diacritics decide: "år" (year) vs "är" (is)."""
MAX_PHRASE = 5


def _add(kind: str, value: object, entries: str, lang: str = ANY, *, weak: bool = False) -> None:
    """`entries`: words separated by spaces; a phrase joins its words with `_`."""
    sense = Sense(kind, value, weak)
    for entry in entries.split():
        parts = tuple(fold(part) for part in entry.split("_"))
        if len(parts) == 1:
            WORDS.setdefault(parts[0], {}).setdefault(lang, []).append(sense)
        else:
            PHRASES.setdefault(parts, {}).setdefault(lang, []).append(sense)


def _raw(word: str, *senses: Sense) -> None:
    RAW[word] = list(senses)


class _Words(NamedTuple):
    """One sense and the words for it in Swedish and English (a language may have none)."""

    kind: str
    value: object = None
    sv: str = ""
    en: str = ""


def _add_words(table: tuple[_Words, ...]) -> None:
    for row in table:
        _add(row.kind, row.value, row.sv, SV)
        _add(row.kind, row.value, row.en, EN)


# ---- what is asked ---------------------------------------------------------------------
_add_words((
    _Words("count", sv="hur_många hur_manga antal antalet antalen totala_antalet",
           en="how_many number_of count total_number"),
    _Words("share",
           sv="andel andelen andelar procent procentuellt procentandel hur_stor_andel hur_stor_del "
              "hur_stor_procent kvot",
           en="share percentage percent proportion rate ratio what_share what_percentage "
              "what_proportion"),
    _Words("who", sv="vilka vilken vilket vem vems vilkas lista listan",
           en="who whom whose which list"),
    _Words("show", sv="visa visar kolla öppna hämta ge_mig",
           en="show display open get give_me see pull_up look_up"),
    _Words("when", sv="när", en="when"),
    _Words("meeting",
           sv="möte möten mötet mötena mötes träff träffar träffen träffarna uppföljning "
              "uppföljningar uppföljningen uppföljningarna bokning bokningar bokat bokade bokad "
              "inbokat inbokade inbokad agenda agendan schema schemat kalender kalendern "
              "dagordning vad_har_jag vad_händer vad_händer_i_dag vad_är_på_gång",
           en="meeting meetings appointment appointments followup followups follow-up follow-ups "
              "follow_up follow_ups booked booking bookings schedule calendar agenda "
              "what_do_i_have what_is_on what_is_happening what_is_planned"),
    _Words("confirm",
           sv="bekräftat bekräftade bekräfta bekräftar bekräftelse bekräftats svarat svarade svara "
              "svar kvitterat",
           en="confirmed confirm confirmation answered replied responded answer reply rsvp"),
    _Words("unconfirmed",
           sv="obekräftade obekräftat obekräftad obekräftat obesvarade obesvarat osvarade "
              "inget_svar utan_svar",
           en="unconfirmed unanswered no_answer no_reply no_response pending"),
    _Words("contact",
           sv="träffat träffade träffa träffats sett såg setts hört hört_av pratat pratade prata "
              "talat kontakt kontakten kontaktat kontaktade ringt ringde besökt avstämning "
              "avstämningar avstämningen incheckning incheckningar loggat loggats loggad "
              "haft_kontakt",
           en="seen met meet heard contacted contact talked spoken spoke called visited saw "
              "check-in check-ins checkin checkins check_in checked_in in_touch logged"),
    _Words("neg",
           sv="inte ej icke inga ingen inget utan",
           en="not no without nobody none havent hasnt didnt dont doesnt isnt arent wasnt werent "
              "cant cannot wont"),
    _Words("neg", "never", sv="aldrig", en="never"),
    _Words("card",
           sv="hur_går_det_för hur_går_det_med hur_har_det_gått_för hur_mår hur_är_läget_med "
              "hur_är_det_med läget_för läget_med vad_händer_med berätta_om info_om information_om "
              "kortet_för kort_för kort kortet profil profilen detaljer_om uppgifter_om",
           en="how_is how_are_things_with how_about what_about tell_me_about info_on info_about "
              "information_on information_about details_for details_on details_about "
              "what_is_happening_with what_is_up_with card profile"),
    _Words("coordinator",
           sv="koordinator koordinatorn koordinatorer koordinatorerna koordinators samordnare "
              "samordnaren samordnarna handläggare handläggaren handläggarna",
           en="coordinator coordinators caseworker caseworkers case_worker case_workers"),
    _Words("most", sv="flest mest störst högst", en="most biggest largest highest top"),
    _Words("least", sv="minst färst lägst", en="fewest least smallest lowest"),
    _Words("participant",
           sv="deltagare deltagarna deltagaren deltagarnas deltagares personer folk klienter "
              "individer nyanlända",
           en="participant participants people persons clients client individuals caseload"),
    _Words("team", sv="team teamet teamets personalen kollegor kollegorna gruppen teamöversikt",
           en="team staff colleagues team_overview"),
    _Words("stats",
           sv="statistik statistiken siffror siffrorna resultat resultaten utfall utfallet rapport "
              "rapporten sammanställning översikt nyckeltal fördelning fördelningen",
           en="stats statistics figures numbers results outcomes report summary overview breakdown "
              "distribution"),
    _Words("mine", sv="jag mig min mitt mina själv", en="my me mine myself i"),
    _Words("help", sv="hjälp hjälpa vad_kan_du vad_kan_jag_fråga hur_funkar_du",
           en="help what_can_you_do what_can_i_ask how_do_you_work"),
    _Words("now", sv="nu just_nu för_närvarande i_nuläget i_dagsläget aktuellt",
           en="now currently right_now at_the_moment presently at_present"),
    _Words("past",
           sv="gick gått fick fått avslutade avslutades avslutats avslutat slutade slutat lämnade "
              "lämnat hittade hittat gick_vidare gått_vidare kom",
           en="went gone got gotten ended left found finished exited obtained landed went_on "
              "moved_on"),
    _Words("present", sv="jobbar arbetar studerar pluggar praktiserar går ligger sitter",
           en="working studying interning doing"),
    _Words("to", sv="till", en="to into"),
    _Words("and", sv="och samt", en="and"),
    _Words("or", sv="eller", en="or"),
    _Words("has", sv="har hade haft", en="has have had does do"),
    _Words("prep_in", sv="i inom från", en="in within from"),
    _Words("prep_for", sv="för om med", en="for about with of"),
    _Words("prep_dur", sv="på under", en="for over during on"),
    _Words("kommun", sv="kommun kommunen kommuner kommunerna kommuns",
           en="municipality municipalities town city"),
    _Words("split",
           sv="per uppdelat uppdelad uppdelade fördelat fördelad fördelade varje respektive",
           en="by per each every broken_down_by split_by"),
    _Words("gender_noun", sv="kön", en="gender sex"),
    _Words("new",
           sv="nya ny nytt inskrivna inskrivning inskrivningar inskrivits skrevs_in började "
              "startade registrerade tillkom",
           en="new enrolled enrolments enrollments joined started registered signed_up"),
    _Words("ended",
           sv="avslutade avslutad avslutat avslutades avslutats slutade slutat utskrivna avslut "
              "avsluten avslutningar",
           en="ended finished left exited completed exits endings"),
    _Words("longest", sv="längst längesen", en="longest"),
    _Words("is", sv="är", en="is are was were am"),
))
_add("share", None, "%")
_add("to", None, "→")

# ---- statuses and outcomes -------------------------------------------------------------
_SUBSIDISED_SV = ("subventionerad subventionerade subventionerat subventionerad_anställning "
                  "subventionerade_anställningar subventionerat_arbete subventionerade_jobb "
                  "extratjänst extratjänster extratjänsten nystartsjobb nystartsjobbet "
                  "lönebidrag lönebidraget introduktionsjobb introjobb yrkesintroduktion "
                  "anställningsstöd lönestöd")
_SUBSIDISED_EN = ("subsidised subsidized subsidised_employment subsidized_employment "
                  "subsidised_job subsidized_job subsidised_jobs subsidized_jobs "
                  "subsidised_work subsidized_work wage_subsidy")
_WORK_SV = ("jobb jobbet jobben jobba jobbar arbete arbetet arbeten arbetar anställning "
            "anställningar anställningen anställd anställda sysselsättning sysselsatta")
_WORK_EN = "work working job jobs employment employed hired"
_STUDIES_SV = ("studier studierna studera studerar studerade plugga pluggar pluggade "
               "utbildning utbildningar utbildningen skola skolan komvux folkhögskola "
               "folkhögskolan yrkeshögskola högskola högskolan universitet universitetet csn")
_STUDIES_EN = ("studies study studying studied education school college university "
               "students student")
_add_words((
    _Words("status", "active", sv="aktiv aktiva aktivt pågående inskrivna", en="active ongoing"),
    _Words("status", "internship",
           sv="praktik praktiken praktikplats praktikplatser praktikant praktikanter praktiserar "
              "praktisera arbetspraktik",
           en="internship internships intern interns interning placement placements work_placement "
              "trainee trainees"),
    _Words("status", "paused", sv="pausad pausade pausat paus vilande", en="paused pause on_hold"),
    _Words("status", "ended", sv="avslutade avslutad avslutat", en="ended"),
    _Words("status", "subsidised_employment", sv=_SUBSIDISED_SV, en=_SUBSIDISED_EN),
    _Words("outcome", "subsidised_work", sv=_SUBSIDISED_SV, en=_SUBSIDISED_EN),
    _Words("status", "employed", sv=_WORK_SV, en=_WORK_EN),
    _Words("outcome", "work", sv=_WORK_SV, en=_WORK_EN),
    _Words("status", "studies", sv=_STUDIES_SV, en=_STUDIES_EN),
    _Words("outcome", "studies", sv=_STUDIES_SV, en=_STUDIES_EN),
    _Words("outcome", "work_or_studies",
           sv="arbete_eller_studier jobb_eller_studier arbete_eller_utbildning "
              "jobb_eller_utbildning",
           en="work_or_studies work_or_study job_or_studies jobs_or_studies work_or_education "
              "employment_or_studies"),
    _Words("outcome", "self_employed",
           sv="eget_företag egen_företagare egenföretagare företagare startade_eget",
           en="self-employed self_employed own_business started_a_business"),
    _Words("outcome", "other_education", sv="annan_utbildning övrig_utbildning",
           en="other_education"),
    _Words("outcome", "labour_market_programme",
           sv="arbetsmarknadsprogram arbetsmarknadsprogrammet arbetsmarknadsinsats",
           en="labour_market_programme labor_market_program labour-market_programme programme"),
    _Words("outcome", "job_seeking", sv="arbetssökande arbetssökare",
           en="job_seeking job_seekers jobseekers jobseeking looking_for_work"),
    _Words("outcome", "dropout", sv="avbrott avbröt avbrutit avhopp hoppade_av hoppat_av",
           en="dropout dropouts dropped_out drop-out"),
    _Words("outcome", "moved", sv="flyttade flyttat flytt flyttat_ut",
           en="moved moved_away relocated"),
    _Words("outcome", "illness", sv="sjuk sjuka sjukdom sjukskriven sjukskrivna sjukskrivning",
           en="illness ill sick sick_leave"),
    _Words("outcome", "parental_leave", sv="föräldraledig föräldralediga föräldraledighet",
           en="parental_leave maternity_leave paternity_leave"),
    _Words("outcome", "unknown", sv="okänd okänt okända", en="unknown"),
    _Words("outcome", "other", sv="annat övrigt övriga", en="other"),
    _Words("gender", "woman",
           sv="kvinna kvinnor kvinnorna kvinnliga kvinnlig kvinnornas tjejer tjejerna damer",
           en="women woman female females girls ladies"),
    _Words("gender", "man", sv="män männen manliga manlig killar killarna herrar",
           en="man men male males boys guys"),
))

# ---- time ------------------------------------------------------------------------------
# Calendar units, "this"/"last" and phrases such as "i fjol" are the one period grammar's
# words (bot/text/periods.py), so a question and `/stats förra månaden` read them alike.
for _unit_name, _by_language in UNIT_WORDS.items():
    for _language, _entries in _by_language.items():
        _add("unit", _unit_name, _entries, _language)
for _language, _entries in THIS_WORDS.items():
    _add("this", None, _entries, _language)
for _language, _entries in LAST_WORDS.items():
    _add("last", None, _entries, _language)
for _meaning, _by_language in CALENDAR_PHRASES.items():
    for _language, _entries in _by_language.items():
        _add("calendar", _meaning, _entries, _language)
_add_words((
    _Words("unit", "day", sv="dag dagar dagen dagarna dygn dygnet", en="day days"),
    _Words("day", 0, sv="idag i_dag dagens", en="today tonight"),
    _Words("day", -1, sv="igår i_går gårdagens", en="yesterday"),
    _Words("day", 1,
           sv="imorgon i_morgon imorn i_morn imorrn i_morrn imorron i_morron morgondagens "
              "morgondagen",
           en="tomorrow tmrw tmr"),
    _Words("day", -2, sv="förrgår i_förrgår", en="day_before_yesterday the_day_before_yesterday"),
    _Words("day", 2, sv="övermorgon i_övermorgon", en="day_after_tomorrow the_day_after_tomorrow"),
    _Words("next", sv="nästa kommande närmaste nästkommande", en="next coming upcoming following"),
    _Words("rolling", sv="senaste", en="past last"),
    _Words("since", sv="sedan sen fr.o.m från_och_med efter", en="since after"),
    _Words("from", sv="från", en="from"),
    _Words("going", sv="hur_går_det hur_går_det_för_oss hur_går_det_för_projektet hur_ser_det_ut",
           en="how_is_it_going how_are_we_doing how_are_things how_is_the_project_doing"),
    _Words("between", sv="mellan", en="between"),
    _Words("until", sv="t.o.m till_och_med fram_till", en="until through thru"),
    _Words("ago", sv="sedan tillbaka", en="ago back"),
    _Words("all_time", sv="totalt sedan_start sedan_starten någonsin alla_år hela_tiden",
           en="all_time ever since_the_start since_start in_total overall"),
    _Words("vague", sv="några flera ett_antal", en="few a_few several some"),
    _Words("vague_duration", sv="länge ett_tag en_stund på_länge",
           en="a_while a_long_time long_time ages"),
    _Words("num", 2, sv="ett_par", en="a_couple a_couple_of couple_of couple"),
    _Words("unit", "fortnight", en="fortnight fortnights"),
    _Words("ordinal", 1, sv="första", en="first"),
    _Words("ordinal", 2, sv="andra", en="second"),
    _Words("ordinal", 3, sv="tredje", en="third"),
    _Words("ordinal", 4, sv="fjärde sista", en="fourth"),
    _Words("num", 100, sv="hundra etthundra", en="hundred a_hundred one_hundred"),
))

_NUMBERS_SV = {"noll": 0, "en": 1, "ett": 1, "två": 2, "tre": 3, "fyra": 4, "fem": 5,
               "sex": 6, "sju": 7, "åtta": 8, "nio": 9, "tio": 10, "elva": 11, "tolv": 12,
               "tretton": 13, "fjorton": 14, "femton": 15, "sexton": 16, "sjutton": 17,
               "arton": 18, "aderton": 18, "nitton": 19}
_TENS_SV = {"tjugo": 20, "trettio": 30, "fyrtio": 40, "femtio": 50, "sextio": 60,
            "sjuttio": 70, "åttio": 80, "nittio": 90}
_NUMBERS_EN = {"zero": 0, "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4,
               "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
               "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
               "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS_EN = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
            "seventy": 70, "eighty": 80, "ninety": 90}
for _word, _value in _NUMBERS_SV.items():
    _add("num", _value, _word, SV)
_UNITS_SV = {"en": 1, "ett": 1, "två": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6, "sju": 7,
             "åtta": 8, "nio": 9}
for _word, _value in _TENS_SV.items():
    _add("num", _value, _word, SV)
    for _unit_word, _unit in _UNITS_SV.items():
        _add("num", _value + _unit, _word + _unit_word, SV)
for _word, _value in _NUMBERS_EN.items():
    _add("num", _value, _word, EN)
for _word, _value in _TENS_EN.items():
    _add("num", _value, _word, EN)
    for _unit_word, _unit in list(_NUMBERS_EN.items())[1:12]:
        if _unit_word not in {"a", "an"}:
            _add("num", _value + _unit, f"{_word}-{_unit_word} {_word}_{_unit_word}", EN)

# Words for things Koordinator does not answer: vague seasons, averages.
_add_words((
    _Words("unsupported",
           sv="våras somras höstas vintras våren sommaren hösten vintern snitt genomsnitt "
              "genomsnittet genomsnittlig medel medelvärde median",
           en="spring summer autumn fall winter average mean median"),
))
_add("unit", "week", "v", SV, weak=True)

# ---- refused outright: not what Koordinator is for, or not a question at all -----------
_add_words((
    _Words("oos",
           sv="väder vädret vädrets regn regnar snö temperatur dikt dikter poesi haiku sång sången "
              "låttext skämt skämta vits vitsar recept matlagning översätt översätta översättning "
              "uppsats berättelse saga sagor novell fotboll hockey bitcoin krypto aktier börsen "
              "huvudstad statsminister film filmer musik ignorera ignorerar instruktioner "
              "instruktion systemprompt låtsas rollspel skriv skriva hitta_på lösenord hacka "
              "radera ta_bort töm glöm_allt glöm_tidigare",
           en="weather forecast rain snow temperature poem poems poetry haiku song lyrics joke "
              "jokes recipe cooking translate translation essay story stories novel football "
              "soccer hockey bitcoin crypto stocks capital president movie movies music ignore "
              "instructions instruction prompt prompts jailbreak pretend roleplay write compose "
              "chatgpt gpt openai password passwords hack delete drop truncate erase remove "
              "forget_everything developer_mode act_as"),
))
_add("oos", None, "sql select insert update javascript python")

# ---- known small words: never names ----------------------------------------------------
_add_words((
    _Words("stop",
           sv="att det de dem som den dessa vad hur var där då så också bara mycket lite fler "
              "många någon något några sig sin sina sitt deras hans hennes hen han hon vi ni du "
              "dig oss vår våra er era kan ska skulle vill får kunde blev bli varit vara gör gjort "
              "göra finns fanns ha tack snälla hej hallå kan_du jo ja nej väl ju nog typ ok okej "
              "alla allt alltså fortfarande än ännu av ut upp dock bra läget det_är om_du tror vet "
              "ser hittills hela bland gång gången gånger händer hände enligt ungefär cirka ca "
              "exakt sammanlagt egentligen",
           en="the of is are was were be been did done having will would can could should shall "
              "might must what how why that these those it its they them their we us our you your "
              "he she his her am there here so please thanks thank hi hello hey just only also any "
              "all more much than then else again too very really going getting things stand "
              "standing look looks like as if but ok okay up out tell let know right still yet "
              "many far there_are so_far the_whole whole among time times happening happened "
              "according approximately roughly exactly actually"),
))

# Diacritics decide: typed with them, these words mean only this.
_raw("är", Sense("is"))
_raw("år", Sense("unit", "year"))
_raw("här", Sense("stop"))
_raw("män", Sense("gender", "man"))
_raw("får", Sense("stop"))
_raw("för", Sense("prep_for"), Sense("prep_dur"))
_raw("på", Sense("prep_dur"))
# Typed without them, "ar" is "är" or "år" and "for" is "för" or English "for".
_add("unit", "year", "ar", SV, weak=True)
_add("is", None, "ar", SV)


# ---- weekday and month names from Babel ------------------------------------------------
def _calendar_names() -> None:
    sv_forms = {"": "plain", "en": "definite", "ens": "genitive", "s": "s_form",
                "ar": "plural", "arna": "plural"}
    for lang in (SV, EN):
        for index, name in get_day_names("wide", locale=lang).items():
            base = fold(name)
            forms = sv_forms if lang == SV else {"": "plain", "s": "plural"}
            for suffix, form in forms.items():
                _add("weekday", (index, form), base + suffix, lang)
        for index, name in get_day_names("abbreviated", locale=lang).items():
            short = fold(name).rstrip(".")
            if short not in WORDS:
                _add("weekday", (index, "plain"), short, lang, weak=True)
        for index, name in get_month_names("wide", locale=lang).items():
            word = fold(name)
            _add("month", index, word, lang, weak=word in {"may", "mars", "march"})
        for index, name in get_month_names("abbreviated", locale=lang).items():
            short = fold(name).rstrip(".")
            if short not in WORDS:
                _add("month", index, short, lang, weak=True)
    # "sept" and "tues"-style shortenings: prefixes of Babel's wide names, weak.
    for lang in (SV, EN):
        for index, name in get_month_names("wide", locale=lang).items():
            word = fold(name)
            for cut in range(4, len(word)):
                if word[:cut] not in WORDS:
                    _add("month", index, word[:cut], lang, weak=True)


_calendar_names()

# ---- looking words up ------------------------------------------------------------------
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?$")
_DAY_NUMBER = re.compile(r"^(\d{1,2})(?::?[ae]|st|nd|rd|th)?$")
_ORDINAL_NUMBER = re.compile(r"^([1-4])(?::?[ae]|st|nd|rd|th)$")
_QUARTER = re.compile(r"^(?:(\d{4})-?)?(?:q|kv)([1-4])(?:-?(\d{4}))?$")
_HALF = re.compile(r"^(?:(\d{4})-?)?h([12])(?:-?(\d{4}))?$")
_WEEK_NUMBER = re.compile(r"^(?:v|w|vecka|week)\.?(\d{1,2})$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_CODE = re.compile(r"^p-?0*(\d{1,9})$")


def pattern_senses(word: str) -> list[Sense]:
    """Senses written with digits: dates, quarters, week numbers, codes, numbers."""
    if match := _CODE.match(word):
        return [Sense("code", f"P-{int(match.group(1)):04d}")]
    if not any(ch.isdigit() for ch in word):
        return []
    senses: list[Sense] = []
    if match := _ISO_DATE.match(word):
        senses.append(Sense("date", tuple(int(part) for part in match.groups())))
    elif match := _SLASH_DATE.match(word):
        senses.append(Sense("slash_date", match.groups()))
    elif match := _QUARTER.match(word):
        year = match.group(1) or match.group(3)
        senses.append(Sense("quarter", (int(year) if year else None, int(match.group(2)))))
    elif match := _HALF.match(word):
        year = match.group(1) or match.group(3)
        senses.append(Sense("half", (int(year) if year else None, int(match.group(2)))))
    elif match := _WEEK_NUMBER.match(word):
        senses.append(Sense("week_number", int(match.group(1))))
    elif match := _YEAR_MONTH.match(word):
        senses.append(Sense("year_month", (int(match.group(1)), int(match.group(2)))))
    elif word.isdigit():
        value = int(word)
        if len(word) == 4 and 1990 <= value <= 2100:
            senses.append(Sense("year", value))
        elif len(word) <= 4:
            senses.append(Sense("num", value))
            if 1 <= value <= 31:
                senses.append(Sense("day_number", value))
    if match := _ORDINAL_NUMBER.match(word):
        senses.append(Sense("ordinal", int(match.group(1))))
    if (match := _DAY_NUMBER.match(word)) and not word.isdigit() and 1 <= int(
            match.group(1)) <= 31:
        senses.append(Sense("day_number", int(match.group(1))))
    return senses


def lookup(word: str, raw_lower: str, language: str) -> list[Sense]:
    """The senses of one word in `language` (falling back to the other language's)."""
    if raw_lower in RAW:
        return RAW[raw_lower]
    entry = WORDS.get(word)
    return _pick(entry, language) if entry is not None else []


def _pick(entry: Senses, language: str) -> list[Sense]:
    own = entry.get(language)
    other = entry.get(EN if language == SV else SV)
    return entry.get(ANY, []) + (own if own is not None else other or [])


def phrase_at(words: list[str], start: int, language: str) -> tuple[int, list[Sense]] | None:
    """The longest phrase starting at `start`: (its length, its senses)."""
    for length in range(min(MAX_PHRASE, len(words) - start), 1, -1):
        entry = PHRASES.get(tuple(words[start:start + length]))
        if entry is not None:
            senses = _pick(entry, language)
            if senses:
                return length, senses
    return None


_FUZZY_WORDS: list[str] = sorted(
    word for word, entry in WORDS.items()
    if len(word) >= 5 and not any(s.kind in {"stop", "num"} for senses in entry.values()
                                  for s in senses)
)


@lru_cache(maxsize=4096)
def fuzzy(word: str) -> str | None:
    """The known word `word` is a typo of (one edit, two for long words), if only one
    meaning is that close ("fredagns" → "fredagens"; "aktia" could be two things → None)."""
    if len(word) < 5 or not word.isalpha():
        return None
    limit = 1 if len(word) <= 7 else 2
    found = process.extract(word, _FUZZY_WORDS, scorer=OSA.distance, score_cutoff=limit,
                            limit=6)
    candidates = [(distance, choice) for choice, distance, _ in found if choice[0] == word[0]]
    if not candidates:
        return None
    best = min(distance for distance, _ in candidates)
    closest = [choice for distance, choice in candidates if distance == best]
    if len({_meaning(choice) for choice in closest}) != 1:
        return None
    return max(closest, key=lambda choice: fuzz.ratio(word, choice))


def _meaning(word: str) -> tuple[tuple[str, str], ...]:
    """What a word means, ignoring the grammatical form of a weekday."""
    return tuple(sorted({(s.kind, str(s.value[0] if s.kind == "weekday" else s.value))
                         for senses in WORDS[word].values() for s in senses}))


def language_votes(word: str, raw_lower: str) -> str | None:
    """Which language a word marks, if only one has it."""
    if any(ch in raw_lower for ch in "åäö"):
        return SV
    entry = WORDS.get(word)
    if entry is None:
        return None
    langs = {lang for lang in entry if lang != ANY}
    return langs.pop() if len(langs) == 1 else None
