"""The sandbox page in a real browser: Debian's headless Chromium driven by Playwright.

Nothing is mocked: the page talks to its API, the API to the emulator, and the real bot
answers through long polling.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import segno
from playwright.async_api import Browser
from playwright.async_api import Page
from playwright.async_api import async_playwright
from playwright.async_api import expect

from bot.sandbox import demo
from bot.sandbox.demo import RunningSandbox
from storage.demo_data import DEMO_PERSONAS
from storage.models import Role
from tests.test_sandbox import sandbox_from
from tests.test_sandbox import seed_demo_file

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
REPLY_TIMEOUT_MS = 20_000

COORDINATOR = next(p for p in DEMO_PERSONAS if p.role == Role.COORDINATOR and p.language == "en")


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeded once for this module; every test starts its sandbox from a copy."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium "
                    "(apt-get install -y chromium; .ci/run does)")
    path = tmp_path_factory.mktemp("demo-browser") / "demo.sqlite3"
    asyncio.run(seed_demo_file(path))
    return path


@pytest.fixture
async def running(tmp_path: Path, demo_database: Path) -> AsyncIterator[RunningSandbox]:
    async with sandbox_from(demo_database, tmp_path) as started:
        yield started


@pytest.fixture
async def browser(running: RunningSandbox) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


async def bot_sends_files(running: RunningSandbox, chat_id: int) -> None:
    """Call the emulator's Bot API the way PTB does (multipart uploads)."""
    picture = io.BytesIO()
    segno.make("https://t.me/koordinator_bot?start=demo").save(picture, kind="png", scale=4)
    api = f"{running.url}bot{demo.DEMO_TOKEN}"
    async with httpx.AsyncClient(timeout=10) as http:
        for method, field, upload in (
            ("sendPhoto", "photo", ("invite.png", picture.getvalue(), "image/png")),
            ("sendDocument", "document", ("caseload.csv", b"code;name\n", "text/csv")),
        ):
            response = await http.post(f"{api}/{method}", data={"chat_id": str(chat_id)},
                                       files={field: upload})
            assert response.status_code == 200, response.text


async def type_and_send(page: Page, text: str) -> None:
    box = page.get_by_test_id("message-input")
    await box.fill(text)
    await box.press("Enter")


async def test_coordinator_adds_and_logs_a_participant_in_the_page(
    running: RunningSandbox, browser: Browser
) -> None:
    page = await browser.new_page(viewport=PHONE)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(running.url)

    await page.get_by_test_id(f"persona-{COORDINATOR.telegram_id}").click()
    await expect(page.get_by_test_id("chat")).to_be_visible()
    await expect(page.get_by_test_id("chat-subtitle")).to_contain_text(COORDINATOR.name)

    await type_and_send(page, "/add Amina T | Växjö | woman | ar")
    bot_messages = page.locator('[data-testid="message"][data-from="bot"]')
    added = bot_messages.filter(has_text="Added")
    await expect(added).to_have_count(1, timeout=REPLY_TIMEOUT_MS)
    match = re.search(r"P-\d{4}", await added.inner_text())
    assert match, await added.inner_text()
    code = match.group(0)
    # The bot's <b> became an element; its buttons are under the message.
    await expect(added.locator("b", has_text=code)).to_have_count(1)
    await expect(added.get_by_test_id("inline-button")).to_have_count(2)
    await expect(page.get_by_test_id("message-input")).to_have_value("")

    await type_and_send(page, f"/log {code} phone Test note")
    saved = bot_messages.filter(has_text="Check-in saved")
    await expect(saved).to_have_count(1, timeout=REPLY_TIMEOUT_MS)
    await expect(saved).to_contain_text(code)
    await expect(saved).to_contain_text("Test note")

    # What a person types is shown as text, never as markup.
    await type_and_send(page, '<img src="x" onerror="document.title=1"><b>bold?</b>')
    user_messages = page.locator('[data-testid="message"][data-from="user"]')
    typed = user_messages.filter(has_text='<img src="x"')
    await expect(typed).to_have_count(1)
    await expect(page.get_by_test_id("messages").locator("img")).to_have_count(0)
    await expect(typed.locator("b")).to_have_count(0)
    # Arabic or Dari reads right to left: each bubble takes the direction of its text.
    await type_and_send(page, "سلام، من امروز نمی‌توانم بیایم")
    rtl = user_messages.filter(has_text="سلام").locator(".bubble")
    await expect(rtl).to_have_attribute("dir", "auto")
    await expect(rtl).to_have_css("direction", "rtl")
    await expect(typed.locator(".bubble")).to_have_css("direction", "ltr")
    await expect(bot_messages.filter(has_text="didn't understand")).to_have_count(
        2, timeout=REPLY_TIMEOUT_MS)

    assert errors == []


async def test_inline_buttons_and_quick_commands_work_in_the_page(
    running: RunningSandbox, browser: Browser
) -> None:
    page = await browser.new_page(viewport=PHONE)
    await page.goto(f"{running.url}#{COORDINATOR.telegram_id}")  # a reload keeps the persona
    await expect(page.get_by_test_id("chat")).to_be_visible()

    await page.get_by_test_id("quick-mine").click()
    caseload = page.locator('[data-testid="message"][data-from="bot"]').filter(
        has_text="Your caseload")
    await expect(caseload).to_have_count(1, timeout=REPLY_TIMEOUT_MS)
    first_code = caseload.get_by_test_id("inline-button").first
    code = (await first_code.inner_text()).strip()
    await first_code.click()
    card = page.locator('[data-testid="message"][data-from="bot"]').filter(
        has_text="Municipality:").filter(has_text=code)
    await expect(card).to_have_count(1, timeout=REPLY_TIMEOUT_MS)

    # What the bot sends as files: a picture shown inline, a document to download.
    await bot_sends_files(running, COORDINATOR.telegram_id)
    photo = page.get_by_test_id("message-photo")
    await expect(photo).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    assert await photo.evaluate("img => img.complete && img.naturalWidth > 0")
    document = page.get_by_test_id("message-document")
    await expect(document).to_have_attribute("download", "caseload.csv")
    async with page.expect_download() as download_info:
        await document.click()
    download = await download_info.value
    assert download.suggested_filename == "caseload.csv"

    await page.get_by_test_id("switch-persona").click()
    await expect(page.get_by_test_id("persona-list")).to_be_visible()
    await expect(page.get_by_test_id("persona-list").locator("button")).to_have_count(
        len(DEMO_PERSONAS))


async def test_participant_page_greets_offers_her_commands_and_answers_by_tapping(
    running: RunningSandbox, browser: Browser
) -> None:
    """Issue 18: a participant persona opens with a greeting and her own shortcuts (never
    /add or /log); a coordinator taps a relayed message to reply to it."""
    participant = next(p for p in DEMO_PERSONAS if p.role == "participant" and p.language == "uk")
    page = await browser.new_page(viewport=PHONE)
    await page.goto(f"{running.url}#{participant.telegram_id}")
    await expect(page.get_by_test_id("greeting")).to_contain_text("participant")
    await expect(page.get_by_test_id("quick-next")).to_be_visible()
    await expect(page.get_by_test_id("quick-add")).to_have_count(0)
    await type_and_send(page, "Можна перенести зустріч?")
    await page.goto(f"{running.url}#{COORDINATOR.telegram_id}")
    relayed = page.locator('[data-testid="message"][data-from="bot"]').filter(
        has_text="Можна перенести зустріч?")
    await expect(relayed).to_have_count(1, timeout=REPLY_TIMEOUT_MS)
    await relayed.locator(".bubble").click()
    await expect(page.get_by_test_id("reply-banner")).to_be_visible()
    await type_and_send(page, "Yes, Tuesday works")
    await expect(page.locator('[data-testid="message"][data-from="bot"]').filter(
        has_text="Sent to")).to_have_count(1, timeout=REPLY_TIMEOUT_MS)
