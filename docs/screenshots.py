"""Screenshots of the sandbox page for the user guides (docs/guide-sv.md, docs/guide-en.md).

    .venv/bin/python docs/screenshots.py

Starts the offline sandbox in this process with a fresh demo project in a temporary
directory, opens its chat page in Debian's headless Chromium (/usr/bin/chromium) at phone
size, acts as a Swedish-speaking and an English-speaking coordinator and saves a PNG per
step to docs/img/. Every picture is taken only after the bot's answer is on the page.

The participant's side (opening the invitation, giving consent, answering a follow-up)
goes straight to the emulator as a Telegram user would: the page only lets you be staff.
Nothing else is faked; the real bot answers everything.

Emoji and Tigrinya need Debian's fonts-noto-color-emoji and fonts-noto-core, or they show
as empty boxes (the script warns). Dates in the pictures are those of the day it runs.
"""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.async_api import Locator  # noqa: E402
from playwright.async_api import Page  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402

from bot.runtime.config import Settings  # noqa: E402
from bot.runtime.config import load_settings  # noqa: E402
from bot.sandbox.demo import RunningSandbox  # noqa: E402
from bot.sandbox.demo import sandbox  # noqa: E402
from bot.sandbox.emulator import ChatMessage  # noqa: E402
from bot.sandbox.emulator import FakeUser  # noqa: E402

IMG = ROOT / "docs" / "img"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
TIMEOUT = 20.0  # seconds to wait for one answer from the bot
MAX_BYTES = 150_000
BOT = '[data-testid="message"][data-from="bot"]'
USER = '[data-testid="message"][data-from="user"]'
LEAD = 1002  # Lena Ledare, project lead for the whole project


@dataclass(frozen=True)
class Script:
    """What one coordinator persona types, and the words that show the bot has answered."""

    prefix: str  # file name prefix: sv or en
    persona: int  # the coordinator's Telegram id in the demo project
    participant: FakeUser  # the newly arrived person they register and invite
    add_name: str
    municipality: str
    language_button: str  # endonym on the language button
    help: str
    add: str
    log: str
    mine: str
    find: str
    invite: str
    gender_button: str
    log_one_liner: str  # "{code}" is replaced
    log_note: str
    followup_line: str  # "{code}" and "{day}" are replaced
    # Fragments of the bot's answers (Swedish or English), to know it has answered.
    said_help: str
    said_add_name: str
    said_municipality: str
    said_gender: str
    said_language: str
    said_added: str
    said_logged: str
    said_pick: str
    said_channel: str
    said_note: str
    said_status: str
    said_caseload: str
    said_card: str
    said_invite: str
    said_joined: str
    said_booked: str
    said_answer: str
    said_preview: str
    said_find: str
    today_button: str
    channel_button: str
    no_change_button: str
    entry_button: str
    said_entry: str
    employment_button: str
    long_term_button: str
    said_saved: str


SWEDISH = Script(
    prefix="sv", persona=1004, participant=FakeUser(5001, "Amina", language_code="ar"),
    add_name="Amina H", municipality="Växjö", language_button="العربية",
    help="/hjalp", add="/ny", log="/logg", mine="/mina", find="/sok Amina",
    invite="/bjud", gender_button="kvinna",
    log_one_liner="/logg {code} telefon Pratade om praktikplatsen på Coop",
    log_note="Besökte Arbetsförmedlingen tillsammans",
    followup_line="/uppfoljning {code} {day} 10:00 möte Arbetsförmedlingen",
    said_help="/uppfoljning", said_add_name="Ny deltagare", said_municipality="Vilken kommun",
    said_gender="Kön (", said_language="Vilket språk", said_added="tillagd",
    said_logged="Avstämning sparad", said_pick="Avstämning med vem", said_channel="Hur hade ni",
    said_note="kort anteckning", said_status="status ändrats", said_caseload="Dina deltagare",
    said_card="Kommun:", said_invite="Inbjudan för", said_joined="har anslutit",
    said_booked="Uppföljning bokad", said_answer="kommer:", said_preview="På ditt språk",
    said_find="träff", today_button="Idag", channel_button="möte",
    no_change_button="Ingen ändring", entry_button="Inskrivningsuppgifter",
    said_entry="Inskrivningsuppgifter för", employment_button="Sysselsättning",
    long_term_button="långtidsarbetslös", said_saved="✅ Sparat.",
)

ENGLISH = Script(
    prefix="en", persona=1005, participant=FakeUser(5002, "Hodan", language_code="so"),
    add_name="Hodan A", municipality="Alvesta", language_button="Soomaali",
    help="/help", add="/add", log="/log", mine="/mine", find="/find Hodan",
    invite="/invite", gender_button="woman",
    log_one_liner="/log {code} phone Talked about the internship at Coop",
    log_note="Visited Arbetsförmedlingen together",
    followup_line="/followup {code} {day} 10:00 meeting Arbetsförmedlingen",
    said_help="/followup", said_add_name="New participant", said_municipality="Which municipality",
    said_gender="Gender (", said_language="Which language", said_added="Added",
    said_logged="Check-in saved", said_pick="Check-in with whom", said_channel="How did you",
    said_note="short note", said_status="status changed", said_caseload="Your caseload",
    said_card="Municipality:", said_invite="Invitation for", said_joined="joined the bot",
    said_booked="Follow-up booked", said_answer="is coming", said_preview="In your language",
    said_find="match", today_button="Today", channel_button="meeting",
    no_change_button="No change", entry_button="Entry data", said_entry="Entry data for",
    employment_button="Employment status", long_term_button="long-term unemployed",
    said_saved="✅ Saved.",
)


async def save(page: Page, name: str) -> Path:
    """The phone screen as docs/img/<name>.png; a picture too big for the guides stops us."""
    png = await page.screenshot()
    if len(png) > MAX_BYTES:
        raise SystemExit(f"{name}.png would be {len(png)} bytes, more than {MAX_BYTES}")
    path = IMG / f"{name}.png"
    path.write_bytes(png)
    print(f"  {path.relative_to(ROOT)} ({len(png) // 1024} KB)")
    return path


# ---- waiting for the bot --------------------------------------------------------------------
async def until(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the bot did not answer in {TIMEOUT:.0f} s: waited for {what}")
        await asyncio.sleep(0.1)


class Chat:
    """The sandbox page as one staff persona, at phone size."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def bot_says(self, part: str) -> Locator:
        return self.page.locator(BOT).filter(has_text=part)

    async def answer(self, action: Callable[[], object], part: str) -> None:
        """Do `action`, then wait until one more bot message on the page contains `part`."""
        before = await self.bot_says(part).count()
        result = action()
        if asyncio.iscoroutine(result):
            await result

        async def more() -> bool:
            return await self.bot_says(part).count() > before

        await until(more, repr(part))

    async def send(self, text: str, expect: str) -> None:
        box = self.page.get_by_test_id("message-input")

        async def type_it() -> None:
            await box.fill(text)
            await box.press("Enter")

        await self.answer(type_it, expect)

    async def press(self, label: str, expect: str) -> None:
        """Tap the newest inline button whose label is exactly `label`."""
        exact = re.compile(rf"^\s*{re.escape(label)}\s*$")
        key = self.page.get_by_test_id("inline-button").filter(has_text=exact).last
        await self.answer(key.click, expect)

    async def last_code(self, part: str) -> str:
        text = await self.bot_says(part).last.inner_text()
        match = re.search(r"P-\d{4}", text)
        assert match, text
        return match.group(0)

    async def shot(self, name: str, top: Locator | None = None) -> Path:
        """Save the phone screen: the newest messages, or from `top` down if they overflow."""
        await until(self._images_loaded, "pictures to load")
        messages = self.page.get_by_test_id("messages")
        top_handle = await top.element_handle() if top is not None else None
        await messages.evaluate(
            """(list, top) => {
                const end = list.scrollHeight - list.clientHeight;
                list.scrollTop = top ? Math.min(end, top.offsetTop - list.offsetTop - 8) : end;
            }""", top_handle)
        await self.page.mouse.move(1, 1)  # no button left looking hovered
        await asyncio.sleep(0.3)  # let the page paint after scrolling
        return await save(self.page, name)

    async def _images_loaded(self) -> bool:
        return await self.page.evaluate(
            "() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")

    def user_message(self, text: str) -> Locator:
        return self.page.locator(USER).filter(has_text=text).last


# ---- the participant, straight through the emulator -------------------------------------------
class Participant:
    """A newly arrived person on their own phone: what they send reaches the real bot."""

    def __init__(self, running: RunningSandbox, user: FakeUser) -> None:
        self.emulator = running.emulator
        self.user = user

    def _newest_with(self, data_prefix: str) -> ChatMessage | None:
        for message in reversed(self.emulator.bot_messages(self.user.id)):
            if any(data.startswith(data_prefix) for _, data in message.buttons):
                return message
        return None

    async def send(self, text: str, *, expect_buttons: str) -> None:
        before = len(self.emulator.bot_messages(self.user.id))
        self.emulator.user_sends(self.user, text)
        await until(lambda: len(self.emulator.bot_messages(self.user.id)) > before
                    and self._newest_with(expect_buttons) is not None, f"buttons {expect_buttons}")

    async def press(self, data_prefix: str, *, then: str | None = None) -> None:
        message = self._newest_with(data_prefix)
        assert message is not None, f"no button {data_prefix!r} for {self.user.first_name}"
        data = next(d for _, d in message.buttons if d.startswith(data_prefix))
        before = message.body
        self.emulator.user_presses(self.user, message, data)
        await until(lambda: message.body != before
                    and (then is None or self._newest_with(then) is not None),
                    f"an answer to {data}")


# ---- the guides' pictures ---------------------------------------------------------------------
async def open_as(page: Page, running: RunningSandbox, persona: int) -> Chat:
    await page.goto(f"{running.url}#{persona}")
    await page.get_by_test_id("chat").wait_for(state="visible")
    return Chat(page)


async def persona_picker(page: Page, running: RunningSandbox) -> None:
    await page.goto(running.url)
    await until(lambda: page.get_by_test_id("persona-list").locator("button").count(),
                "the list of personas")
    await asyncio.sleep(0.3)
    await save(page, "personas")


async def coordinator_day(page: Page, running: RunningSandbox, s: Script, tz: tzinfo) -> None:
    """Help, register, log, caseload, card, invite, follow-up, answer, preview."""
    chat = await open_as(page, running, s.persona)
    p = s.prefix

    await chat.send(s.help, s.said_help)
    await chat.shot(f"{p}-help", top=chat.user_message(s.help))

    # Register a participant, guided: name, then buttons.
    await chat.send(s.add, s.said_add_name)
    await chat.send(s.add_name, s.said_municipality)
    await chat.press(s.municipality, s.said_gender)
    await chat.press(s.gender_button, s.said_language)
    await chat.shot(f"{p}-add-buttons", top=chat.user_message(s.add))
    await chat.press(s.language_button, s.today_button)
    await chat.press(s.today_button, s.said_added)
    code = await chat.last_code(s.said_added)
    await chat.shot(f"{p}-add-done", top=chat.user_message(s.add))

    # A check-in in one line, then the same with buttons.
    await chat.send(s.log_one_liner.format(code=code), s.said_logged)
    await chat.shot(f"{p}-log")
    await chat.send(s.log, s.said_pick)
    await chat.press(f"{code} {s.add_name}", s.said_channel)
    await chat.press(s.channel_button, s.said_note)
    await chat.send(s.log_note, s.said_status)
    await chat.shot(f"{p}-log-buttons", top=chat.user_message(s.log))
    await chat.press(s.no_change_button, s.said_logged)

    # Caseload, search and a participant's card.
    await chat.send(s.mine, s.said_caseload)
    await chat.shot(f"{p}-mine", top=chat.user_message(s.mine))
    await chat.send(s.find, s.said_find)
    await chat.press(f"{code} {s.add_name}", s.said_card)
    await chat.shot(f"{p}-card", top=chat.user_message(s.find))
    # Entry data for the funder, from the card: a field, then its value, saved at once.
    await chat.press(s.entry_button, s.said_entry)
    await chat.press(s.employment_button, f"{code}?")
    await chat.press(s.long_term_button, s.said_saved)
    await chat.shot(f"{p}-entry")

    # The invitation; the participant opens it, agrees and keeps their language.
    invite_line = f"{s.invite} {code}"
    await chat.send(invite_line, s.said_invite)
    caption = await chat.bot_says(s.said_invite).last.inner_text()
    token = re.search(r"start=([\w-]+)", caption)
    assert token, caption
    person = Participant(running, s.participant)
    await person.send(f"/start {token.group(1)}", expect_buttons="ob:yes")
    # Consent: the coordinator is told at once; then the participant picks a language.
    await chat.answer(lambda: person.press("ob:yes", then="pl:"), s.said_joined)
    await person.press(f"pl:{s.participant.language_code}")
    await chat.shot(f"{p}-invite", top=chat.user_message(invite_line))

    # A follow-up tomorrow at 10:00; the participant answers "I'm coming" (/next).
    tomorrow = (datetime.now(tz) + timedelta(days=1)).date()
    booking = s.followup_line.format(code=code, day=tomorrow.isoformat())
    await chat.send(booking, s.said_booked)
    await chat.shot(f"{p}-followup", top=chat.user_message(booking))
    await person.send("/next", expect_buttons="fu:r:")
    await chat.answer(lambda: person.press("fu:r:", then=None), s.said_answer)
    await chat.shot(f"{p}-answer", top=chat.user_message(booking))

    # What the participant reads, with a gloss in the coordinator's language.
    preview = f"/preview {code}"
    await chat.send(preview, s.said_preview)
    await chat.shot(f"{p}-preview", top=chat.user_message(preview))


async def lead_statistics(page: Page, running: RunningSandbox) -> None:
    """The project lead's figures: /statistik in Swedish, then /stats in English."""
    chat = await open_as(page, running, LEAD)
    await chat.send("/statistik", "Till arbete eller studier")
    await chat.shot("sv-stats", top=chat.user_message("/statistik"))
    await chat.send("/language en", "I will write to you in English")
    await chat.send("/stats", "To work or studies")
    await chat.shot("en-stats", top=chat.user_message("/stats"))


def check_fonts() -> None:
    """Emoji and Tigrinya show as empty boxes without these Debian font packages."""
    try:
        families = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True,
                                  check=False).stdout
    except OSError:
        return
    missing = [package for family, package in (("Noto Color Emoji", "fonts-noto-color-emoji"),
                                               ("Noto Sans Ethiopic", "fonts-noto-core"))
               if family not in families]
    if missing:
        print("warning: emoji or Tigrinya will show as boxes; install them with "
              f"apt-get install -y {' '.join(missing)}")


async def take_screenshots(settings: Settings) -> None:
    print("starting the sandbox (creating the demo project takes a few seconds)")
    async with sandbox(settings, port=0) as running, async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = await browser.new_context(
                viewport=PHONE, locale="sv-SE", timezone_id=str(settings.tz))
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await persona_picker(page, running)
            for script in (SWEDISH, ENGLISH):
                print(f"as persona {script.persona} ({script.prefix})")
                await coordinator_day(page, running, script, settings.tz)
            print(f"as persona {LEAD} (project lead)")
            await lead_statistics(page, running)
            if errors:
                raise SystemExit(f"the page reported errors: {errors}")
        finally:
            await browser.close()


def main() -> None:
    if not CHROMIUM.exists():
        raise SystemExit("Debian's Chromium is needed at /usr/bin/chromium "
                         "(apt-get install -y chromium)")
    logging.basicConfig(level=logging.WARNING)
    check_fonts()
    IMG.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="koordinator-shots-") as tmp:
        asyncio.run(take_screenshots(load_settings(data_dir=Path(tmp))))
    print(f"done: {IMG.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
