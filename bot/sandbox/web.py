"""The sandbox's web chat page and its small JSON API, served next to the Bot API emulator.

A person picks who they are; what they type or tap goes through the emulator exactly as
from a Telegram client (`user_sends` / `user_presses`), so the bot gets it through
getUpdates like any other update. The page long-polls a chat's messages; a per-chat
version number changes whenever a message there is added, edited or deleted.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import json
import time
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.responses import JSONResponse
from starlette.responses import Response
from starlette.routing import Route

from bot.interaction.commands import command_for
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.emulator import ChatMessage
from bot.sandbox.emulator import FakeUser
from bot.text.languages import ENDONYMS
from storage.demo_data import DemoPersona

TEXT_MAX = 4096  # Telegram's own limit for one message
BODY_MAX = 16 * 1024
UPLOAD_MAX = 512 * 1024  # a photo, voice message or document sent from the page (base64)
UPLOAD_KINDS = frozenset({"photo", "voice", "video", "document"})
# What each kind of persona finds under the chat: the commands of its own role.
SHORTCUTS: dict[str, tuple[str, ...]] = {
    "coordinator": ("/today", "/log", "/add", "/mine", "/help"),
    "lead": ("/stats", "/team", "/report", "/today", "/help"),
    "admin": ("/stats", "/staff", "/team", "/today", "/help"),
    "participant": ("/next", "/language", "/help"),
    "stranger": ("/start", "/help"),
}
POLL_SECONDS = 20.0
STATIC_DIR = Path(__file__).with_name("static")
STATIC_FILES = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
# Photos a browser shows inline; anything else is downloaded, never rendered by the page.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

# The page loads nothing from elsewhere; the policy makes the browser enforce that too.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
FILE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

Handler = Callable[[Request], Awaitable[Response]]


class _ApiError(Exception):
    """Answered as `{"error": message}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _json_errors(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        try:
            return await handler(request)
        except _ApiError as error:
            return JSONResponse({"error": error.message}, status_code=error.status)

    return wrapper


def sandbox_routes(emulator: BotApiEmulator, personas: Sequence[DemoPersona]) -> list[Route]:
    """The page (`/`, `/static/…`) and its API (`/api/…`) for these personas."""
    page = _SandboxPage(emulator, personas)
    return [
        Route("/", page.index, methods=["GET"]),
        Route("/static/{name}", page.static, methods=["GET"]),
        Route("/api/personas", _json_errors(page.personas), methods=["GET"]),
        Route("/api/chats/{user_id:int}/messages", _json_errors(page.messages), methods=["GET"]),
        Route("/api/chats/{user_id:int}/send", _json_errors(page.send), methods=["POST"]),
        Route("/api/chats/{user_id:int}/press", _json_errors(page.press), methods=["POST"]),
        Route("/api/chats/{user_id:int}/upload", _json_errors(page.upload), methods=["POST"]),
        Route("/api/files/{file_id}", _json_errors(page.file), methods=["GET"]),
    ]


class _ChatVersions:
    """A number per chat that grows whenever anything in the chat changes.

    The emulator keeps messages but no history of changes, so a change is noticed by
    comparing a fingerprint of the chat (ids, texts, keyboards, edit flags).
    """

    def __init__(self) -> None:
        self._seen: dict[int, tuple[int, tuple[Any, ...]]] = {}

    def current(self, chat_id: int, messages: Sequence[ChatMessage]) -> int:
        fingerprint = tuple(_fingerprint(m) for m in messages)
        version, seen = self._seen.get(chat_id, (0, ()))
        if fingerprint != seen:
            version += 1
            self._seen[chat_id] = (version, fingerprint)
        return version


def _fingerprint(message: ChatMessage) -> tuple[Any, ...]:
    return (message.message_id, message.text, message.caption, json.dumps(message.reply_markup),
            message.photo_id, message.document_id, message.voice_id, message.video_id,
            message.edited)


class _SandboxPage:
    def __init__(self, emulator: BotApiEmulator, personas: Sequence[DemoPersona]) -> None:
        self.emulator = emulator
        self.by_id = {p.telegram_id: p for p in personas}
        self.order = [p.telegram_id for p in personas]
        self.versions = _ChatVersions()

    # ---- the page itself ---------------------------------------------------------------
    async def index(self, _request: Request) -> Response:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8",
                            headers=PAGE_HEADERS)

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_FILES:  # a fixed list: no path ever reaches the file system
            return Response("Not Found", status_code=404, media_type="text/plain")
        return FileResponse(STATIC_DIR / name, media_type=STATIC_FILES[name],
                            headers=PAGE_HEADERS)

    # ---- the API -------------------------------------------------------------------------
    async def personas(self, _request: Request) -> Response:
        return JSONResponse({"personas": [_persona_json(self.by_id[i]) for i in self.order]})

    async def messages(self, request: Request) -> Response:
        """Every message of the chat; with `since=<version>`, wait until the chat changes."""
        persona = self._persona(request)
        since = _optional_int(request.query_params.get("since"), "since")
        chat_id = persona.telegram_id
        deadline = time.monotonic() + POLL_SECONDS
        changed = self.emulator.changed
        # Checking and waiting under the condition's lock: a change made between the two
        # would otherwise notify nobody and the page would wait the whole poll for nothing.
        async with changed:
            version = self.versions.current(chat_id, self.emulator.messages(chat_id))
            while version == since and (remaining := deadline - time.monotonic()) > 0:
                try:
                    await asyncio.wait_for(changed.wait(), remaining)
                except TimeoutError:
                    break
                version = self.versions.current(chat_id, self.emulator.messages(chat_id))
            messages = [_message_json(m) for m in self.emulator.messages(chat_id)]
        return JSONResponse({"version": version, "messages": messages})

    async def send(self, request: Request) -> Response:
        persona = self._persona(request)
        body = await _json_body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "text must be a non-empty string")
        text = text.strip()  # as Telegram clients do
        if len(text) > TEXT_MAX:
            raise _ApiError(400, f"text is longer than {TEXT_MAX} characters")
        reply_to = self._replied(persona, body.get("reply_to"))
        update = self.emulator.user_sends(_fake_user(persona), text, reply_to=reply_to)
        return JSONResponse({"ok": True, "update_id": update["update_id"]})

    async def upload(self, request: Request) -> Response:
        """A photo, voice message, video or document, as a Telegram client sends one."""
        persona = self._persona(request)
        body = await _json_body(request, limit=UPLOAD_MAX)
        kind, name, mime = body.get("kind"), body.get("name"), body.get("mime")
        if kind not in UPLOAD_KINDS:
            raise _ApiError(400, "kind must be photo, voice, video or document")
        if not isinstance(name, str) or not name or len(name) > 200:
            raise _ApiError(400, "name must be a short non-empty string")
        if not isinstance(mime, str) or len(mime) > 100:
            raise _ApiError(400, "mime must be a short string")
        try:
            content = base64.b64decode(str(body.get("data", "")), validate=True)
        except (ValueError, binascii.Error):
            raise _ApiError(400, "data must be base64") from None
        if not content:
            raise _ApiError(400, "the file is empty")
        caption = body.get("caption")
        if caption is not None and (not isinstance(caption, str) or len(caption) > 1024):
            raise _ApiError(400, "caption must be a string of at most 1024 characters")
        reply_to = self._replied(persona, body.get("reply_to"))
        update = self.emulator.user_sends_media(
            _fake_user(persona), kind, content, name=name, mime=mime or "application/octet-stream",
            caption=caption or None, reply_to=reply_to)
        return JSONResponse({"ok": True, "update_id": update["update_id"]})

    async def press(self, request: Request) -> Response:
        persona = self._persona(request)
        body = await _json_body(request)
        message_id, data = body.get("message_id"), body.get("data")
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            raise _ApiError(400, "message_id must be an integer")
        if not isinstance(data, str) or not data:
            raise _ApiError(400, "data must be a non-empty string")
        message = next((m for m in self.emulator.bot_messages(persona.telegram_id)
                        if m.message_id == message_id), None)
        if message is None:
            raise _ApiError(404, "no such bot message in this chat")
        if data not in _callback_data(message):
            raise _ApiError(400, "that message has no button with this data")
        update = self.emulator.user_presses(_fake_user(persona), message, data)
        return JSONResponse({"ok": True, "update_id": update["update_id"]})

    async def file(self, request: Request) -> Response:
        file_id = request.path_params["file_id"]
        stored = self.emulator.files.get(file_id)
        if stored is None:
            raise _ApiError(404, "no such file")
        headers = dict(FILE_HEADERS)
        if not (self._is_photo(file_id) and stored.mime_type in INLINE_IMAGE_TYPES):
            headers["Content-Disposition"] = _attachment(stored.name)
        return Response(stored.content, media_type=stored.mime_type, headers=headers)

    # ---- helpers -------------------------------------------------------------------------
    def _replied(self, persona: DemoPersona, message_id: object) -> ChatMessage | None:
        """The bot's message in this chat that a person answers (None: not a reply)."""
        if message_id is None:
            return None
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            raise _ApiError(400, "reply_to must be an integer")
        message = next((m for m in self.emulator.bot_messages(persona.telegram_id)
                        if m.message_id == message_id), None)
        if message is None:
            raise _ApiError(404, "no such bot message in this chat")
        return message

    def _persona(self, request: Request) -> DemoPersona:
        persona = self.by_id.get(request.path_params["user_id"])
        if persona is None:
            raise _ApiError(404, "unknown persona")
        return persona

    def _is_photo(self, file_id: str) -> bool:
        return any(m.photo_id == file_id for chat in self.emulator.chats.values() for m in chat)


def _persona_json(persona: DemoPersona) -> dict[str, Any]:
    return {
        "id": persona.telegram_id,
        "name": persona.name,
        "role": str(persona.role),
        "language": persona.language,
        "language_name": ENDONYMS.get(persona.language, persona.language),
        "municipality": persona.municipality,
        # As the persona would type them: a Swedish reader's names are Swedish.
        "shortcuts": [command_for(persona.language, name)
                      for name in SHORTCUTS.get(str(persona.role), ("/help",))],
    }


def _fake_user(persona: DemoPersona) -> FakeUser:
    first, _, last = persona.name.partition(" ")
    return FakeUser(persona.telegram_id, first, persona.language, last_name=last or None)


def _message_json(message: ChatMessage) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": message.message_id,
        "from_bot": message.from_bot,
        "date": message.date,
        "text": message.body,
        # Only text the bot sent in HTML mode is markup; everything else is shown as typed.
        "html": message.from_bot and (message.parse_mode or "").upper() == "HTML",
        "buttons": _buttons(message.reply_markup),
        "edited": message.edited,
        "photo": None,
        "document": None,
    }
    if message.photo_id:
        data["photo"] = {"url": f"/api/files/{quote(message.photo_id)}"}
    if message.document_id:
        data["document"] = {"url": f"/api/files/{quote(message.document_id)}",
                            "name": message.document_name or "document"}
    elif message.voice_id or message.video_id:
        file_id = message.voice_id or message.video_id or ""
        data["document"] = {"url": f"/api/files/{quote(file_id)}",
                            "name": "voice message" if message.voice_id else "video",
                            "kind": "voice" if message.voice_id else "video"}
    if message.reply_to is not None:
        data["reply_to"] = message.reply_to
    return data


def _buttons(markup: dict[str, Any] | None) -> list[list[dict[str, str]]]:
    rows = (markup or {}).get("inline_keyboard", [])
    built: list[list[dict[str, str]]] = []
    for row in rows:
        buttons = []
        for button in row:
            entry = {"text": str(button.get("text", ""))}
            if "callback_data" in button:
                entry["data"] = str(button["callback_data"])
            elif "url" in button:
                entry["url"] = str(button["url"])
            buttons.append(entry)
        built.append(buttons)
    return built


def _callback_data(message: ChatMessage) -> set[str]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return {str(b["callback_data"]) for row in rows for b in row if "callback_data" in b}


def _optional_int(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise _ApiError(400, f"{name} must be an integer") from None


async def _json_body(request: Request, *, limit: int = BODY_MAX) -> dict[str, Any]:
    # Requiring JSON also keeps other web sites out: a cross-site form cannot send it,
    # and a cross-site fetch with this type needs a CORS preflight we never grant.
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise _ApiError(415, "send JSON (Content-Type: application/json)")
    body = await request.body()
    if len(body) > limit:
        raise _ApiError(413, "request body too large")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _ApiError(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise _ApiError(400, "the body must be a JSON object")
    return data


def _attachment(name: str) -> str:
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_"
                       for c in name) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
