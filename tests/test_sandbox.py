"""`koordinator demo`: the seeded project, and the page's API driving the real bot over HTTP.

The sandbox runs exactly as in the demo: the PTB Application long-polls the emulator with
the real Updater; the test talks to the page's API with httpx like the browser does.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import shutil
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator
from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from bot.runtime.config import load_settings
from bot.sandbox import demo
from bot.sandbox.demo import PortUnavailable
from bot.sandbox.demo import RunningSandbox
from bot.sandbox.demo import prepare_database
from bot.sandbox.demo import run_demo
from bot.sandbox.demo import sandbox
from storage import migrate
from storage import reporting
from storage.access import Viewer
from storage.access import participant_scope
from storage.db import SessionMaker
from storage.db import create_engine
from storage.db import session_maker
from storage.db import transaction
from storage.demo_data import DEMO_PERSONAS
from storage.demo_data import DEMO_STRANGER
from storage.demo_data import DatabaseNotEmpty
from storage.demo_data import DemoPersona
from storage.demo_data import seed_demo_project
from storage.models import CheckIn
from storage.models import Gender
from storage.models import Outcome
from storage.models import OutcomeCategory
from storage.models import Participant
from storage.models import Role
from storage.models import Staff
from storage.models import Status
from tests.conftest import TEST_NOW
from tests.conftest import Database

Messages = list[dict[str, Any]]


def persona(role: Role | str, language: str) -> DemoPersona:
    return next(p for p in DEMO_PERSONAS if p.role == role and p.language == language)


SAM = persona(Role.COORDINATOR, "en")  # a coordinator who reads the bot in English


# ---- the seeded project --------------------------------------------------------------------
async def seed_demo_file(path: Path) -> None:
    """A migrated SQLite file at `path` holding the demo project as of TEST_NOW."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await migrate.upgrade(engine)
        await seed_demo_project(session_maker(engine), now=TEST_NOW)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seeded demo database per test worker; each sandbox test starts from a copy."""
    path = tmp_path_factory.mktemp("demo-template") / demo.DATABASE_FILE
    asyncio.run(seed_demo_file(path))
    return path


def copy_demo_database(template: Path, data_dir: Path) -> None:
    """Start a sandbox in `data_dir` from a copy of the seeded template (no seeding wait)."""
    for suffix in ("", "-wal", "-shm"):
        source = template.with_name(template.name + suffix)
        if source.exists():
            shutil.copy(source, data_dir / (demo.DATABASE_FILE + suffix))


@contextlib.asynccontextmanager
async def sandbox_from(template: Path, data_dir: Path) -> AsyncIterator[RunningSandbox]:
    """A sandbox running in `data_dir` on a copy of the seeded `template`."""
    copy_demo_database(template, data_dir)
    async with sandbox(load_settings(data_dir=data_dir), port=0) as started:
        yield started


async def _project_digest(sessions: SessionMaker) -> list[Any]:
    """Everything seeded that a person could see, in a backend-neutral form."""

    def utc(moment: datetime) -> str:
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()

    async with transaction(sessions) as session:
        staff = (await session.exec(select(Staff).order_by(Staff.id))).all()
        people = (await session.exec(select(Participant).order_by(Participant.id))).all()
        checkins = (await session.exec(select(CheckIn).order_by(CheckIn.id))).all()
    return [
        [(s.telegram_user_id, s.name, s.role, s.municipality, s.language) for s in staff],
        [(p.code, p.display_name, p.municipality, p.gender, p.language, p.coordinator_id,
          p.enrolled_on, p.status, p.outcome, p.ended_on, p.entry_employment, p.birth_year,
          p.education_level, p.subsidy_type, p.gained_qualification) for p in people],
        [(c.participant_id, c.author_id, utc(c.happened_at), c.channel, c.note, c.status_change)
         for c in checkins],
    ]


async def test_demo_project_has_the_stated_shape_and_is_deterministic(
    db: Database, seeded_template: Path
) -> None:
    project = await seed_demo_project(db.sessions, now=TEST_NOW)
    staff, people, checkins = await _project_digest(db.sessions)

    roles = Counter(role for _, _, role, _, _ in staff)
    assert roles == {Role.ADMIN: 1, Role.LEAD: 2, Role.COORDINATOR: 4}
    assert {p.telegram_id for p in project.personas} >= {s[0] for s in staff}
    assert DEMO_STRANGER.telegram_id not in {s[0] for s in staff}
    assert 110 <= len(people) == project.participants <= 130
    assert len(checkins) == project.checkins > 5 * len(people)
    assert {p[2] for p in people} == {"Växjö", "Alvesta", "Ljungby", "Tingsryd", "Markaryd"}
    genders = Counter(p[3] for p in people)
    assert genders[Gender.WOMAN] > len(people) / 2 > genders[Gender.MAN]
    assert len({p[4] for p in people}) >= 6

    ended = [p for p in people if p[7] == Status.ENDED]
    assert len(ended) == project.ended and 0.4 <= len(ended) / len(people) <= 0.6
    assert all(p[8] is not None and p[9] is not None and p[9] >= p[6] for p in ended)
    categories = Counter(Outcome(p[8]).category for p in ended)
    to_work = categories[OutcomeCategory.WORK] + categories[OutcomeCategory.SUBSIDISED_WORK]
    assert 0.55 <= to_work / len(ended) <= 0.65
    assert 0.08 <= categories[OutcomeCategory.STUDIES] / len(ended) <= 0.16
    assert categories[OutcomeCategory.DROPOUT] > 0
    assert all(p[6] <= TEST_NOW.date() for p in people)
    # Entry data for the funder's reports: most stated, some not; end details with ends.
    stated = [p for p in people if p[10] is not None]
    assert 0.8 <= len(stated) / len(people) < 1
    assert all(p[6].year - 60 <= p[11] <= p[6].year - 18 for p in stated)
    assert all((p[13] is not None) == (p[8] == Outcome.SUBSIDISED) for p in ended)
    assert any(p[14] for p in ended) and not any(p[14] is not None for p in people
                                                  if p[7] != Status.ENDED)
    assert max(c[2] for c in checkins) <= TEST_NOW.astimezone(UTC).isoformat()

    # The lead restricted to Alvesta sees exactly the Alvesta participants.
    alvesta_lead = next(
        p for p in DEMO_PERSONAS if p.municipality == "Alvesta" and p.role == Role.LEAD)
    async with transaction(db.sessions) as session:
        lead = (await session.exec(
            select(Staff).where(Staff.telegram_user_id == alvesta_lead.telegram_id))).one()
        seen = (await session.exec(
            select(Participant.municipality).where(participant_scope(Viewer.of(lead))))).all()
    assert seen and set(seen) == {"Alvesta"}
    assert len(seen) == sum(1 for p in people if p[2] == "Alvesta")

    # 6- and 13-month answers, so /report shows real follow-up rates in the demo.
    async with transaction(db.sessions) as session:
        admin = (await session.exec(select(Staff).where(Staff.role == Role.ADMIN))).one()
        year = reporting.ReportPeriod(date(2026, 1, 1), date(2026, 12, 31))
        rates = await reporting.outcome_rates(session, Viewer.of(admin), year)
        result = await reporting.result_indicators(session, Viewer.of(admin), year)
    assert 0 < rates.thirteen_month_working_or_studying < rates.thirteen_month_answered \
        < rates.thirteen_month_cohort
    assert 0 < result.row("employed_at_six_months").total \
        < result.row("six_month_answered").total < result.row("six_month_cohort").total

    # Same seed, same project: on this backend as in the SQLite template.
    template = create_engine(f"sqlite+aiosqlite:///{seeded_template}")
    try:
        assert await _project_digest(session_maker(template)) == [staff, people, checkins]
    finally:
        await template.dispose()

    with pytest.raises(DatabaseNotEmpty):
        await seed_demo_project(db.sessions, now=TEST_NOW)


# ---- the running sandbox -------------------------------------------------------------------
@pytest.fixture
async def running(tmp_path: Path, seeded_template: Path) -> AsyncIterator[RunningSandbox]:
    async with sandbox_from(seeded_template, tmp_path) as started:
        yield started


@pytest.fixture
async def client(running: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running.url, timeout=30) as http:
        yield http


async def wait_for(
    client: httpx.AsyncClient, user_id: int, version: int | None,
    done: Callable[[Messages], bool], *, timeout: float = 20.0,
) -> tuple[int, Messages]:
    """Long-poll the chat as the page does until `done(messages)`; returns (version, messages)."""
    deadline = time.monotonic() + timeout
    while True:
        params = {} if version is None else {"since": version}
        response = await client.get(f"/api/chats/{user_id}/messages", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        version = body["version"]
        if done(body["messages"]):
            return version, body["messages"]
        assert time.monotonic() < deadline, f"gave up waiting; chat is {body['messages']}"


def bot_says(part: str) -> Callable[[Messages], bool]:
    return lambda messages: any(m["from_bot"] and part in m["text"] for m in messages)


def last_bot_message(messages: Messages, part: str) -> dict[str, Any]:
    return [m for m in messages if m["from_bot"] and part in m["text"]][-1]


def button(message: dict[str, Any], label_part: str) -> str:
    for row in message["buttons"]:
        for key in row:
            if label_part.casefold() in key["text"].casefold() and "data" in key:
                return key["data"]
    raise LookupError(f"no button {label_part!r} in {message['buttons']!r}")


async def send(client: httpx.AsyncClient, user_id: int, text: str) -> None:
    response = await client.post(f"/api/chats/{user_id}/send", json={"text": text})
    assert response.status_code == 200, response.text


async def press(client: httpx.AsyncClient, user_id: int, message: dict[str, Any],
                label_part: str) -> None:
    response = await client.post(f"/api/chats/{user_id}/press", json={
        "message_id": message["id"], "data": button(message, label_part)})
    assert response.status_code == 200, response.text


async def test_personas_are_listed_with_role_and_language(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/personas")
    assert response.status_code == 200
    listed = {p["id"]: p for p in response.json()["personas"]}
    assert set(listed) == {p.telegram_id for p in DEMO_PERSONAS}
    assert listed[SAM.telegram_id] == {
        "id": SAM.telegram_id, "name": SAM.name, "role": "coordinator", "language": "en",
        "language_name": "English", "municipality": SAM.municipality,
        "shortcuts": ["/today", "/log", "/add", "/mine", "/help"],
    }
    swedish = next(p for p in DEMO_PERSONAS if p.role == Role.COORDINATOR and p.language == "sv")
    assert listed[swedish.telegram_id]["shortcuts"] == ["/idag", "/logg", "/ny", "/mina",
                                                        "/hjalp"], "as a Swedish reader types"
    # Each persona is offered its own role's commands: a participant never gets /add.
    for persona in listed.values():
        if persona["role"] in ("participant", "stranger"):
            assert not {"/add", "/log", "/mine"} & set(persona["shortcuts"]), persona
    assert {p["role"] for p in listed.values()} == {
        "admin", "lead", "coordinator", "participant", "stranger"}


async def test_coordinator_adds_participant_and_logs_checkin_through_the_page(
    running: RunningSandbox, client: httpx.AsyncClient
) -> None:
    user_id = SAM.telegram_id
    version, messages = await wait_for(client, user_id, None, lambda m: True)
    assert messages == []

    await send(client, user_id, "/add Amina T | Växjö | woman | ar")
    version, messages = await wait_for(client, user_id, version, bot_says("Added"))
    assert messages[0] == {**messages[0], "from_bot": False, "html": False,
                           "text": "/add Amina T | Växjö | woman | ar"}
    added = last_bot_message(messages, "Added")
    assert added["html"] and "<b>" in added["text"]
    code = re.search(r"P-\d{4}", added["text"]).group(0)  # type: ignore[union-attr]

    # The guided check-in: every step edits the message whose button was pressed.
    await press(client, user_id, added, "Log check-in")
    version, messages = await wait_for(client, user_id, version, bot_says("How did you meet"))
    asking = last_bot_message(messages, "How did you meet")
    assert asking["id"] == added["id"] and asking["edited"]
    await press(client, user_id, asking, "Phone")
    version, messages = await wait_for(client, user_id, version, bot_says("short note"))
    await send(client, user_id, "Test note")
    version, messages = await wait_for(client, user_id, version, bot_says("status changed"))
    await press(client, user_id, last_bot_message(messages, "status changed"), "No change")
    version, messages = await wait_for(client, user_id, version, bot_says("Check-in saved"))
    assert code in last_bot_message(messages, "Check-in saved")["text"]

    async with transaction(running.sessions) as session:
        stored = (await session.exec(select(Participant).where(Participant.code == code))).one()
        sam = (await session.exec(
            select(Staff).where(Staff.telegram_user_id == user_id))).one()
        [checkin] = (await session.exec(
            select(CheckIn).where(CheckIn.participant_id == stored.id))).all()
    assert (stored.display_name, stored.municipality, stored.gender, stored.language) == (
        "Amina T", "Växjö", Gender.WOMAN, "ar")
    assert stored.coordinator_id == sam.id
    assert (checkin.channel, checkin.note, checkin.author_id) == ("phone", "Test note", sam.id)


async def test_stranger_persona_gets_the_polite_explanation(client: httpx.AsyncClient) -> None:
    await send(client, DEMO_STRANGER.telegram_id, "/add Someone | Växjö | man | sv")
    _, messages = await wait_for(client, DEMO_STRANGER.telegram_id, None, bot_says("Koordinator"))
    assert str(DEMO_STRANGER.telegram_id) in last_bot_message(messages, "Koordinator")["text"]


async def test_page_api_refuses_bad_input(
    running: RunningSandbox, client: httpx.AsyncClient
) -> None:
    user_id = SAM.telegram_id
    cases: list[tuple[str, str, Any, int]] = [
        ("GET", "/api/chats/4242/messages", None, 404),
        ("POST", "/api/chats/4242/send", {"text": "/help"}, 404),
        ("GET", f"/api/chats/{user_id}/messages?since=soon", None, 400),
        ("POST", f"/api/chats/{user_id}/send", {"text": "   "}, 400),
        ("POST", f"/api/chats/{user_id}/send", {"text": "x" * 4097}, 400),
        ("POST", f"/api/chats/{user_id}/send", {"text": 42}, 400),
        ("POST", f"/api/chats/{user_id}/send", ["not", "an", "object"], 400),
        ("POST", f"/api/chats/{user_id}/press", {"message_id": 999, "data": "x"}, 404),
        ("POST", f"/api/chats/{user_id}/press", {"message_id": "1", "data": "x"}, 400),
        ("GET", "/api/files/nope", None, 404),
    ]
    for method, path, payload, status in cases:
        response = await client.request(method, path, json=payload)
        assert response.status_code == status, (method, path, payload, response.text)
        assert response.json()["error"]

    # Not JSON (what a cross-site form could send) is refused before anything happens.
    form = await client.post(f"/api/chats/{user_id}/send", content="text=/help",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415
    assert running.emulator.messages(user_id) == []

    # A button can only be pressed on a bot message that has it.
    await send(client, user_id, "/add Amina T | Växjö | woman | ar")
    _, messages = await wait_for(client, user_id, None, bot_says("Added"))
    added = last_bot_message(messages, "Added")
    forged = await client.post(f"/api/chats/{user_id}/press",
                               json={"message_id": added["id"], "data": "staff:add:admin"})
    assert forged.status_code == 400


async def test_page_is_served_locally_with_a_strict_content_policy(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert 'data-testid="persona-list"' in page.text
    assert not re.search(r"(src|href)=\"https?://", page.text)
    script = await client.get("/static/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "innerHTML" not in script.text and "https://" not in script.text
    assert (await client.get("/static/style.css")).status_code == 200
    assert (await client.get("/static/..%2Fweb.py")).status_code == 404
    assert (await client.get("/static/index.html")).status_code == 404
    # A page elsewhere that resolves its own name to 127.0.0.1 gets nothing.
    rebound = await client.get("/api/personas", headers={"Host": "attacker.example"})
    assert rebound.status_code == 400


async def test_photos_show_inline_and_documents_download(
    running: RunningSandbox, client: httpx.AsyncClient
) -> None:
    bot_api = f"/bot{demo.DEMO_TOKEN}"
    chat = {"chat_id": str(SAM.telegram_id)}
    png = b"\x89PNG\r\n\x1a\nfake"
    sent_photo = await client.post(f"{bot_api}/sendPhoto", data={**chat, "caption": "Chart"},
                                   files={"photo": ("chart.png", png, "image/png")})
    sent_document = await client.post(
        f"{bot_api}/sendDocument", data=chat,
        files={"document": ("rapport för oktober.csv", b"a;b\n1;2\n", "text/csv")})
    assert sent_photo.status_code == sent_document.status_code == 200

    _, messages = await wait_for(client, SAM.telegram_id, None, lambda m: len(m) == 2)
    photo, document = messages
    assert photo["text"] == "Chart" and photo["photo"]["url"].startswith("/api/files/")
    assert document["document"]["name"] == "rapport för oktober.csv"

    image = await client.get(photo["photo"]["url"])
    assert image.content == png and image.headers["content-type"] == "image/png"
    assert "content-disposition" not in image.headers
    download = await client.get(document["document"]["url"])
    assert download.content == b"a;b\n1;2\n"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "rapport%20f%C3%B6r%20oktober.csv" in download.headers["content-disposition"]


async def test_run_demo_prints_the_url_and_stops_cleanly(
    tmp_path: Path, seeded_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy_demo_database(seeded_template, tmp_path)
    seen: dict[str, Any] = {}

    async with httpx.AsyncClient(timeout=30) as http:

        async def look_then_stop() -> None:
            line = capsys.readouterr().out.strip()
            match = re.fullmatch(r"Koordinator sandbox: open (http://127\.0\.0\.1:\d+/) "
                                 r"\(Ctrl\+C stops it\)", line)
            assert match, line
            url = match.group(1)
            seen["personas"] = (await http.get(f"{url}api/personas")).json()["personas"]
            # The page is still long-polling an unchanged chat when the sandbox stops.
            seen["poll"] = asyncio.create_task(
                http.get(f"{url}api/chats/{SAM.telegram_id}/messages", params={"since": 0}))
            await asyncio.sleep(0.3)
            assert not seen["poll"].done()
            seen["stopping"] = time.monotonic()

        await run_demo(load_settings(data_dir=tmp_path), port=0, fresh=False,
                       stop=look_then_stop)
        stopped_in = time.monotonic() - seen["stopping"]
        poll = await seen["poll"]

    assert len(seen["personas"]) == len(DEMO_PERSONAS)
    # Parked long polls (the page's, the bot's getUpdates) are ended, not waited for.
    assert poll.status_code == 503
    assert stopped_in < 3, f"stopping took {stopped_in:.1f} s"


async def test_run_demo_says_in_one_line_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        async def never() -> None:
            raise AssertionError("the sandbox must not start")

        taken = rf"port {port} on 127\.0\.0\.1 is already in use"
        with pytest.raises(PortUnavailable, match=taken):
            await run_demo(load_settings(data_dir=tmp_path), port=port, fresh=False, stop=never)


async def test_stale_or_unreadable_demo_database_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / demo.DATABASE_FILE
    path.write_bytes(b"this is not a SQLite database")
    url = await prepare_database(path, fresh=False)
    assert not path.exists() and url.endswith(str(path.resolve()))

    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    await prepare_database(path, fresh=False)
    assert path.exists(), "a current database is kept between runs"
    await prepare_database(path, fresh=True)
    assert not path.exists(), "--fresh starts over"


def test_persona_ids_are_fixed_and_small() -> None:
    ids = [p.telegram_id for p in DEMO_PERSONAS]
    assert len(ids) == len(set(ids)) and all(1000 < i < 2100 for i in ids)


async def test_participant_persona_reads_arabic_and_answers_with_a_button(
    tmp_path: Path,
) -> None:
    """A joined participant persona with a meeting coming up answers in Arabic."""
    from bot.text.i18n import Translator
    from storage.demo_data import DEMO_PARTICIPANTS
    from storage.models import FollowUp

    amina = DEMO_PARTICIPANTS[0]
    settings = load_settings(data_dir=tmp_path)
    arabic = Translator("ar", settings.tz)
    async with sandbox(settings, port=0, now=datetime.now(settings.tz)) as running:
        async with httpx.AsyncClient(base_url=running.url, timeout=30) as http:
            await send(http, amina.telegram_id, "/nasta")
            coming = arabic._("✅ I'm coming")
            _, messages = await wait_for(http, amina.telegram_id, None, lambda ms: any(
                m["from_bot"] and m["buttons"] for m in ms))
            [card] = [m for m in messages if m["from_bot"] and m["buttons"]]
            assert "Arbetsförmedlingen" in card["text"]
            await press(http, amina.telegram_id, card, coming)
            await wait_for(http, amina.telegram_id, None, bot_says(
                arabic._("Thank you! See you then. Your coordinator has been told.")))
        async with transaction(running.sessions) as session:
            followup = (await session.exec(select(FollowUp).join(Participant).where(
                Participant.telegram_user_id == amina.telegram_id))).one()
        assert followup.response == "confirmed"


async def test_demo_participant_writes_and_sends_a_photo_and_her_coordinator_replies(
    client: httpx.AsyncClient,
) -> None:
    """Issue 18 in the sandbox: Olena writes in Ukrainian and sends a photo; her coordinator
    answers by replying to the relayed message from the page."""
    from storage.demo_data import DEMO_PARTICIPANTS

    olena = DEMO_PARTICIPANTS[1]
    await send(client, olena.telegram_id, "Привіт, я не можу прийти у понеділок")
    response = await client.post(f"/api/chats/{olena.telegram_id}/upload", json={
        "kind": "photo", "name": "letter.png", "mime": "image/png",
        "data": base64.b64encode(b"\x89PNG fake").decode()})
    assert response.status_code == 200, response.text
    assert (await client.post(f"/api/chats/{olena.telegram_id}/upload", json={
        "kind": "sticker", "name": "x", "mime": "", "data": "AA=="})).status_code == 400
    coordinator = SAM  # Olena lives in Alvesta, Sam's municipality
    _, messages = await wait_for(client, coordinator.telegram_id, None,
                                 lambda ms: any(m["photo"] for m in ms))
    relayed = [m for m in messages if m["text"] == "Привіт, я не можу прийти у понеділок"]
    assert relayed, [m["text"] for m in messages][-5:]
    reply = await client.post(f"/api/chats/{coordinator.telegram_id}/send", json={
        "text": "Ingen fara, vi tar tisdag", "reply_to": relayed[0]["id"]})
    assert reply.status_code == 200, reply.text
    await wait_for(client, olena.telegram_id, None, bot_says("Ingen fara, vi tar tisdag"))
