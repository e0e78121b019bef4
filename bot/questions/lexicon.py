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


# ---- what is asked ---------------------------------------------------------------------
_add("count", None, "hur_många hur_manga antal antalet antalen totala_antalet", SV)
_add("count", None, "how_many number_of count total_number", EN)
_add("share", None, "andel andelen andelar procent procentuellt procentandel hur_stor_andel "
     "hur_stor_del hur_stor_procent kvot", SV)
_add("share", None, "share percentage percent proportion rate ratio what_share "
     "what_percentage what_proportion", EN)
_add("share", None, "%")
_add("who", None, "vilka vilken vilket vem vems vilkas lista listan", SV)
_add("who", None, "who whom whose which list", EN)
_add("show", None, "visa visar kolla öppna hämta ge_mig", SV)
_add("show", None, "show display open get give_me see pull_up look_up", EN)
_add("when", None, "när", SV)
_add("when", None, "when", EN)
_add("meeting", None, "möte möten mötet mötena mötes träff träffar träffen träffarna "
     "uppföljning uppföljningar uppföljningen uppföljningarna bokning bokningar bokat "
     "bokade bokad inbokat inbokade inbokad agenda agendan schema schemat kalender "
     "kalendern dagordning vad_har_jag vad_händer vad_händer_i_dag vad_är_på_gång", SV)
_add("meeting", None, "meeting meetings appointment appointments followup followups "
     "follow-up follow-ups follow_up follow_ups booked booking bookings schedule "
     "calendar agenda what_do_i_have what_is_on what_is_happening what_is_planned", EN)
_add("confirm", None, "bekräftat bekräftade bekräfta bekräftar bekräftelse bekräftats "
     "svarat svarade svara svar kvitterat", SV)
_add("confirm", None, "confirmed confirm confirmation answered replied responded answer "
     "reply rsvp", EN)
_add("unconfirmed", None, "obekräftade obekräftat obekräftad obekräftat obesvarade "
     "obesvarat osvarade inget_svar utan_svar", SV)
_add("unconfirmed", None, "unconfirmed unanswered no_answer no_reply no_response pending", EN)
_add("contact", None, "träffat träffade träffa träffats sett såg setts hört hört_av "
     "pratat pratade prata talat kontakt kontakten kontaktat kontaktade ringt ringde "
     "besökt avstämning avstämningar avstämningen incheckning incheckningar loggat "
     "loggats loggad haft_kontakt", SV)
_add("contact", None, "seen met meet heard contacted contact talked spoken spoke called "
     "visited saw check-in check-ins checkin checkins check_in checked_in in_touch "
     "logged", EN)
_add("neg", None, "inte ej icke inga ingen inget utan", SV)
_add("neg", None, "not no without nobody none", EN)
_add("neg", None, "havent hasnt didnt dont doesnt isnt arent wasnt werent cant cannot wont",
     EN)
_add("neg", "never", "aldrig", SV)
_add("neg", "never", "never", EN)
_add("card", None, "hur_går_det_för hur_går_det_med hur_har_det_gått_för hur_mår "
     "hur_är_läget_med hur_är_det_med läget_för läget_med vad_händer_med berätta_om "
     "info_om information_om kortet_för kort_för kort kortet profil profilen "
     "detaljer_om uppgifter_om", SV)
_add("card", None, "how_is how_are_things_with how_about what_about tell_me_about "
     "info_on info_about information_on information_about details_for details_on "
     "details_about what_is_happening_with what_is_up_with card profile", EN)
_add("coordinator", None, "koordinator koordinatorn koordinatorer koordinatorerna "
     "koordinators samordnare samordnaren samordnarna handläggare handläggaren "
     "handläggarna", SV)
_add("coordinator", None, "coordinator coordinators caseworker caseworkers case_worker "
     "case_workers", EN)
_add("most", None, "flest mest störst högst", SV)
_add("most", None, "most biggest largest highest top", EN)
_add("least", None, "minst färst lägst", SV)
_add("least", None, "fewest least smallest lowest", EN)
_add("participant", None, "deltagare deltagarna deltagaren deltagarnas deltagares "
     "personer folk klienter individer nyanlända", SV)
_add("participant", None, "participant participants people persons clients client "
     "individuals caseload", EN)
_add("team", None, "team teamet teamets personalen kollegor kollegorna gruppen "
     "teamöversikt", SV)
_add("team", None, "team staff colleagues team_overview", EN)
_add("stats", None, "statistik statistiken siffror siffrorna resultat resultaten utfall "
     "utfallet rapport rapporten sammanställning översikt nyckeltal fördelning "
     "fördelningen", SV)
_add("stats", None, "stats statistics figures numbers results outcomes report summary "
     "overview breakdown distribution", EN)
_add("mine", None, "jag mig min mitt mina själv", SV)
_add("mine", None, "my me mine myself i", EN)
_add("help", None, "hjälp hjälpa vad_kan_du vad_kan_jag_fråga hur_funkar_du", SV)
_add("help", None, "help what_can_you_do what_can_i_ask how_do_you_work", EN)
_add("now", None, "nu just_nu för_närvarande i_nuläget i_dagsläget aktuellt", SV)
_add("now", None, "now currently right_now at_the_moment presently at_present", EN)
_add("past", None, "gick gått fick fått avslutade avslutades avslutats avslutat slutade "
     "slutat lämnade lämnat hittade hittat gick_vidare gått_vidare kom", SV)
_add("past", None, "went gone got gotten ended left found finished exited obtained landed "
     "went_on moved_on", EN)
_add("present", None, "jobbar arbetar studerar pluggar praktiserar går ligger sitter", SV)
_add("present", None, "working studying interning doing", EN)
_add("to", None, "till", SV)
_add("to", None, "to into", EN)
_add("to", None, "→")
_add("and", None, "och samt", SV)
_add("and", None, "and", EN)
_add("or", None, "eller", SV)
_add("or", None, "or", EN)
_add("has", None, "har hade haft", SV)
_add("has", None, "has have had does do", EN)
_add("prep_in", None, "i inom från", SV)
_add("prep_in", None, "in within from", EN)
_add("prep_for", None, "för om med", SV)
_add("prep_for", None, "for about with of", EN)
_add("prep_dur", None, "på under", SV)
_add("prep_dur", None, "for over during on", EN)
_add("kommun", None, "kommun kommunen kommuner kommunerna kommuns", SV)
_add("kommun", None, "municipality municipalities town city", EN)
_add("split", None, "per uppdelat uppdelad uppdelade fördelat fördelad fördelade varje "
     "respektive", SV)
_add("split", None, "by per each every broken_down_by split_by", EN)
_add("gender_noun", None, "kön", SV)
_add("gender_noun", None, "gender sex", EN)
_add("new", None, "nya ny nytt inskrivna inskrivning inskrivningar inskrivits skrevs_in "
     "började startade registrerade tillkom", SV)
_add("new", None, "new enrolled enrolments enrollments joined started registered signed_up",
     EN)
_add("ended", None, "avslutade avslutad avslutat avslutades avslutats slutade slutat "
     "utskrivna avslut avsluten avslutningar", SV)
_add("ended", None, "ended finished left exited completed exits endings", EN)
_add("longest", None, "längst längesen", SV)
_add("longest", None, "longest", EN)
_add("is", None, "är", SV)
_add("is", None, "is are was were am", EN)

# ---- statuses and outcomes -------------------------------------------------------------
_add("status", "active", "aktiv aktiva aktivt pågående inskrivna", SV)
_add("status", "active", "active ongoing", EN)
_add("status", "internship", "praktik praktiken praktikplats praktikplatser praktikant "
     "praktikanter praktiserar praktisera arbetspraktik", SV)
_add("status", "internship", "internship internships intern interns interning placement "
     "placements work_placement trainee trainees", EN)
_add("status", "paused", "pausad pausade pausat paus vilande", SV)
_add("status", "paused", "paused pause on_hold", EN)
_add("status", "ended", "avslutade avslutad avslutat", SV)
_add("status", "ended", "ended", EN)
_SUBSIDISED_SV = ("subventionerad subventionerade subventionerat subventionerad_anställning "
                  "subventionerade_anställningar subventionerat_arbete subventionerade_jobb "
                  "extratjänst extratjänster extratjänsten nystartsjobb nystartsjobbet "
                  "lönebidrag lönebidraget introduktionsjobb introjobb yrkesintroduktion "
                  "anställningsstöd lönestöd")
_SUBSIDISED_EN = ("subsidised subsidized subsidised_employment subsidized_employment "
                  "subsidised_job subsidized_job subsidised_jobs subsidized_jobs "
                  "subsidised_work subsidized_work wage_subsidy")
_add("status", "subsidised_employment", _SUBSIDISED_SV, SV)
_add("status", "subsidised_employment", _SUBSIDISED_EN, EN)
_add("outcome", "subsidised_work", _SUBSIDISED_SV, SV)
_add("outcome", "subsidised_work", _SUBSIDISED_EN, EN)
_WORK_SV = ("jobb jobbet jobben jobba jobbar arbete arbetet arbeten arbetar anställning "
            "anställningar anställningen anställd anställda sysselsättning sysselsatta")
_WORK_EN = "work working job jobs employment employed hired"
_add("status", "employed", _WORK_SV, SV)
_add("status", "employed", _WORK_EN, EN)
_add("outcome", "work", _WORK_SV, SV)
_add("outcome", "work", _WORK_EN, EN)
_STUDIES_SV = ("studier studierna studera studerar studerade plugga pluggar pluggade "
               "utbildning utbildningar utbildningen skola skolan komvux folkhögskola "
               "folkhögskolan yrkeshögskola högskola högskolan universitet universitetet csn")
_STUDIES_EN = ("studies study studying studied education school college university "
               "students student")
_add("status", "studies", _STUDIES_SV, SV)
_add("status", "studies", _STUDIES_EN, EN)
_add("outcome", "studies", _STUDIES_SV, SV)
_add("outcome", "studies", _STUDIES_EN, EN)
_add("outcome", "work_or_studies", "arbete_eller_studier jobb_eller_studier "
     "arbete_eller_utbildning jobb_eller_utbildning", SV)
_add("outcome", "work_or_studies", "work_or_studies work_or_study job_or_studies "
     "jobs_or_studies work_or_education employment_or_studies", EN)
_add("outcome", "self_employed", "eget_företag egen_företagare egenföretagare företagare "
     "startade_eget", SV)
_add("outcome", "self_employed", "self-employed self_employed own_business "
     "started_a_business", EN)
_add("outcome", "other_education", "annan_utbildning övrig_utbildning", SV)
_add("outcome", "other_education", "other_education", EN)
_add("outcome", "labour_market_programme", "arbetsmarknadsprogram arbetsmarknadsprogrammet "
     "arbetsmarknadsinsats", SV)
_add("outcome", "labour_market_programme", "labour_market_programme labor_market_program "
     "labour-market_programme programme", EN)
_add("outcome", "job_seeking", "arbetssökande arbetssökare", SV)
_add("outcome", "job_seeking", "job_seeking job_seekers jobseekers jobseeking "
     "looking_for_work", EN)
_add("outcome", "dropout", "avbrott avbröt avbrutit avhopp hoppade_av hoppat_av", SV)
_add("outcome", "dropout", "dropout dropouts dropped_out drop-out", EN)
_add("outcome", "moved", "flyttade flyttat flytt flyttat_ut", SV)
_add("outcome", "moved", "moved moved_away relocated", EN)
_add("outcome", "illness", "sjuk sjuka sjukdom sjukskriven sjukskrivna sjukskrivning", SV)
_add("outcome", "illness", "illness ill sick sick_leave", EN)
_add("outcome", "parental_leave", "föräldraledig föräldralediga föräldraledighet", SV)
_add("outcome", "parental_leave", "parental_leave maternity_leave paternity_leave", EN)
_add("outcome", "unknown", "okänd okänt okända", SV)
_add("outcome", "unknown", "unknown", EN)
_add("outcome", "other", "annat övrigt övriga", SV)
_add("outcome", "other", "other", EN)
_add("gender", "woman", "kvinna kvinnor kvinnorna kvinnliga kvinnlig kvinnornas tjejer "
     "tjejerna damer", SV)
_add("gender", "woman", "women woman female females girls ladies", EN)
_add("gender", "man", "män männen manliga manlig killar killarna herrar", SV)
_add("gender", "man", "man men male males boys guys", EN)

# ---- time ------------------------------------------------------------------------------
_add("unit", "day", "dag dagar dagen dagarna dygn dygnet", SV)
_add("unit", "day", "day days", EN)
# Calendar units, "this"/"last" and phrases such as "i fjol" are the one period grammar's
# words (bot/text/periods.py), so a question and `/stats förra månaden` read them alike.
for _unit_name, _by_language in UNIT_WORDS.items():
    for _language, _entries in _by_language.items():
        _add("unit", _unit_name, _entries, _language)
_add("day", 0, "idag i_dag dagens", SV)
_add("day", 0, "today tonight", EN)
_add("day", -1, "igår i_går gårdagens", SV)
_add("day", -1, "yesterday", EN)
_add("day", 1, "imorgon i_morgon imorn i_morn imorrn i_morrn imorron i_morron morgondagens "
     "morgondagen", SV)
_add("day", 1, "tomorrow tmrw tmr", EN)
_add("day", -2, "förrgår i_förrgår", SV)
_add("day", -2, "day_before_yesterday the_day_before_yesterday", EN)
_add("day", 2, "övermorgon i_övermorgon", SV)
_add("day", 2, "day_after_tomorrow the_day_after_tomorrow", EN)
for _language, _entries in THIS_WORDS.items():
    _add("this", None, _entries, _language)
for _language, _entries in LAST_WORDS.items():
    _add("last", None, _entries, _language)
_add("next", None, "nästa kommande närmaste nästkommande", SV)
_add("next", None, "next coming upcoming following", EN)
_add("rolling", None, "senaste", SV)
_add("rolling", None, "past last", EN)
_add("since", None, "sedan sen fr.o.m från_och_med efter", SV)
_add("since", None, "since after", EN)
_add("from", None, "från", SV)
_add("from", None, "from", EN)
for _meaning, _by_language in CALENDAR_PHRASES.items():
    for _language, _entries in _by_language.items():
        _add("calendar", _meaning, _entries, _language)
_add("going", None, "hur_går_det hur_går_det_för_oss hur_går_det_för_projektet "
     "hur_ser_det_ut", SV)
_add("going", None, "how_is_it_going how_are_we_doing how_are_things how_is_the_project_doing",
     EN)
_add("between", None, "mellan", SV)
_add("between", None, "between", EN)
_add("until", None, "t.o.m till_och_med fram_till", SV)
_add("until", None, "until through thru", EN)
_add("ago", None, "sedan tillbaka", SV)
_add("ago", None, "ago back", EN)
_add("all_time", None, "totalt sedan_start sedan_starten någonsin alla_år hela_tiden", SV)
_add("all_time", None, "all_time ever since_the_start since_start in_total overall", EN)
_add("vague", None, "några flera ett_antal", SV)
_add("vague", None, "few a_few several some", EN)
_add("vague_duration", None, "länge ett_tag en_stund på_länge", SV)
_add("vague_duration", None, "a_while a_long_time long_time ages", EN)
_add("num", 2, "ett_par", SV)
_add("num", 2, "a_couple a_couple_of couple_of couple", EN)
_add("unit", "fortnight", "fortnight fortnights", EN)
_add("ordinal", 1, "första", SV)
_add("ordinal", 2, "andra", SV)
_add("ordinal", 3, "tredje", SV)
_add("ordinal", 4, "fjärde sista", SV)
_add("ordinal", 1, "first", EN)
_add("ordinal", 2, "second", EN)
_add("ordinal", 3, "third", EN)
_add("ordinal", 4, "fourth", EN)

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
_add("num", 100, "hundra etthundra", SV)
for _word, _value in _NUMBERS_EN.items():
    _add("num", _value, _word, EN)
for _word, _value in _TENS_EN.items():
    _add("num", _value, _word, EN)
    for _unit_word, _unit in list(_NUMBERS_EN.items())[1:12]:
        if _unit_word not in {"a", "an"}:
            _add("num", _value + _unit, f"{_word}-{_unit_word} {_word}_{_unit_word}", EN)
_add("num", 100, "hundred a_hundred one_hundred", EN)

# Words for things Koordinator does not answer: vague seasons, averages.
_add("unsupported", None, "våras somras höstas vintras våren sommaren hösten vintern snitt "
     "genomsnitt genomsnittet genomsnittlig medel medelvärde median", SV)
_add("unsupported", None, "spring summer autumn fall winter average mean median", EN)
_add("unit", "week", "v", SV, weak=True)

# ---- refused outright: not what Koordinator is for, or not a question at all -----------
_add("oos", None, "väder vädret vädrets regn regnar snö temperatur dikt dikter poesi haiku "
     "sång sången låttext skämt skämta vits vitsar recept matlagning översätt översätta "
     "översättning uppsats berättelse saga sagor novell fotboll hockey bitcoin krypto "
     "aktier börsen huvudstad statsminister film filmer musik ignorera ignorerar "
     "instruktioner instruktion systemprompt låtsas rollspel skriv skriva hitta_på "
     "lösenord hacka radera ta_bort töm glöm_allt glöm_tidigare", SV)
_add("oos", None, "weather forecast rain snow temperature poem poems poetry haiku song "
     "lyrics joke jokes recipe cooking translate translation essay story stories novel "
     "football soccer hockey bitcoin crypto stocks capital president movie movies music "
     "ignore instructions instruction prompt prompts jailbreak pretend roleplay write "
     "compose chatgpt gpt openai password passwords hack delete drop truncate erase "
     "remove forget_everything developer_mode act_as", EN)
_add("oos", None, "sql select insert update javascript python")

# ---- known small words: never names ----------------------------------------------------
_add("stop", None, "att det de dem som den dessa vad hur var där då så också bara mycket "
     "lite fler många någon något några sig sin sina sitt deras hans hennes hen han hon "
     "vi ni du dig oss vår våra er era kan ska skulle vill får kunde blev bli varit vara "
     "gör gjort göra finns fanns ha tack snälla hej hallå kan_du jo ja nej väl ju "
     "nog typ ok okej alla allt alltså fortfarande än ännu av ut upp dock bra läget "
     "det_är om_du tror vet ser hittills hela bland gång gången gånger händer hände enligt "
     "ungefär cirka ca exakt sammanlagt egentligen", SV)
_add("stop", None, "the of is are was were be been did done having will would can could "
     "should shall might must what how why that these those it its they them their we "
     "us our you your he she his her am there here so please thanks thank hi hello hey "
     "just only also any all more much than then else again too very really going "
     "getting things stand standing look looks like as if but ok okay up out tell let "
     "know right still yet many far there_are so_far the_whole whole among time times "
     "happening happened according approximately roughly exactly actually", EN)

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
