"""An offline Telegram Bot API emulator (the subset Koordinator uses).

The real PTB `Application` talks to it over HTTP through `TELEGRAM_API_BASE_URL`, so the
same code path runs in tests, in `koordinator demo` and in production. People are
simulated through `user_sends` / `user_presses`; what the bot sent is kept per chat.
A `fault` hook lets tests answer any call with an error (429, 5xx, 403, a slow reply).
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import logging
import re
import time
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.responses import Response
from starlette.routing import Route

log = logging.getLogger(__name__)

# Parameters PTB sends JSON-encoded inside form fields; everything else stays a string.
# Telegram marks a command only as far as its name is `[A-Za-z0-9_]` (and an @bot after it):
# `/hjälp` arrives with `/hj` marked, `/översikt` with nothing marked.
_BOT_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_])")
_JSON_FIELDS = frozenset({
    "reply_markup", "commands", "scope", "entities", "caption_entities", "allowed_updates",
    "link_preview_options", "reply_parameters", "media", "menu_button",
})
_INT_FIELDS = frozenset({
    "chat_id", "message_id", "offset", "limit", "timeout", "user_id", "cache_time",
    "max_connections",
})


@dataclass(frozen=True, slots=True)
class Fault:
    """An error answer: `status` 429 with `retry_after`, 403, 5xx, or a `delay` before answering."""

    status: int = 500
    description: str = "Internal Server Error"
    retry_after: int | None = None
    delay: float = 0.0


FaultHook = Callable[[str, dict[str, Any]], Fault | None]


@dataclass(slots=True)
class ChatMessage:
    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str | None = None
    caption: str | None = None
    reply_markup: dict[str, Any] | None = None
    photo_id: str | None = None
    document_id: str | None = None
    document_name: str | None = None
    voice_id: str | None = None
    video_id: str | None = None
    reply_to: int | None = None
    """The message id this one answers (Telegram's reply_to_message)."""
    silent: bool = False
    """Sent with disable_notification (no sound on the phone)."""
    edited: bool = False
    parse_mode: str | None = None
    monotonic: float = field(default_factory=time.monotonic)
    """When the emulator stored it (for pacing checks)."""

    @property
    def body(self) -> str:
        return self.text if self.text is not None else (self.caption or "")

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", b.get("url", ""))) for row in rows for b in row]

    def button_data(self, label_part: str) -> str:
        """The callback data of the button labelled `label_part` (exact first, then contained)."""
        wanted = label_part.casefold()
        for label, data in self.buttons:
            if label.casefold() == wanted:
                return data
        for label, data in self.buttons:
            if wanted in label.casefold():
                return data
        raise LookupError(f"no button containing {label_part!r} in {self.buttons!r}")


@dataclass(slots=True)
class FakeUser:
    id: int
    first_name: str
    language_code: str | None = "sv"
    last_name: str | None = None
    username: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value:
                data[key] = value
        return data


@dataclass(slots=True)
class StoredFile:
    file_id: str
    name: str
    content: bytes
    mime_type: str


@dataclass
class BotApiEmulator:
    token: str
    username: str = "koordinator_bot"
    first_name: str = "Koordinator"
    bot_id: int = 7_000_000_001
    fault: FaultHook | None = None
    chats: dict[int, list[ChatMessage]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    files: dict[str, StoredFile] = field(default_factory=dict)
    blocked_by: set[int] = field(default_factory=set)
    webhook_url: str | None = None
    webhook_secret: str | None = None
    on_bot_message: Callable[[ChatMessage], Awaitable[None] | None] | None = None

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._changed: asyncio.Condition | None = None
        self._messages_by_id: dict[tuple[int, int], ChatMessage] = {}
        self._users: dict[int, FakeUser] = {}

    # ---- the HTTP side -------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            Route("/bot{token}/{method}", self._handle_call, methods=["GET", "POST"]),
            Route("/file/bot{token}/{file_id:path}", self._handle_file, methods=["GET"]),
        ]

    def asgi_app(self) -> Starlette:
        return Starlette(routes=self.routes())

    @property
    def changed(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def _handle_call(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        params, uploads = await _read_params(request)
        self.calls.append((method, params))
        if self.fault is not None and (fault := self.fault(method, params)) is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status != 200:
                extra = {"retry_after": fault.retry_after} if fault.retry_after else None
                return _error(fault.status, fault.description, extra)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, f"Not Found: method {method} not emulated")
        try:
            result = await handler(params, uploads)
        except _ApiError as exc:
            return _error(exc.status, exc.description)
        await self._notify()
        return JSONResponse({"ok": True, "result": result})

    async def _handle_file(self, request: Request) -> Response:
        stored = self.files.get(request.path_params["file_id"])
        if stored is None or request.path_params["token"] != self.token:
            return Response(status_code=404)
        return Response(stored.content, media_type=stored.mime_type)

    # ---- Bot API methods -----------------------------------------------------------
    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id, "is_bot": True, "first_name": self.first_name,
            "username": self.username, "can_join_groups": False,
            "can_read_all_group_messages": False, "supports_inline_queries": False,
        }

    async def _api_getMe(self, _p: dict[str, Any], _u: dict[str, Any]) -> dict[str, Any]:
        return self._bot_user()

    async def _api_getFile(self, p: dict[str, Any], _u: dict[str, Any]) -> dict[str, Any]:
        stored = self.files.get(str(p.get("file_id", "")))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_id,
                "file_size": len(stored.content), "file_path": stored.file_id}

    async def _api_getUpdates(self, p: dict[str, Any], _u: dict[str, Any]) -> list[dict]:
        offset = int(p.get("offset") or 0)
        limit = int(p.get("limit") or 100)
        timeout = float(p.get("timeout") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while not self._updates and time.monotonic() < deadline:
            async with self.changed:
                try:
                    await asyncio.wait_for(self.changed.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
        return self._updates[:limit]

    async def _api_deleteWebhook(self, _p: dict[str, Any], _u: dict[str, Any]) -> bool:
        self.webhook_url = None
        self.webhook_secret = None
        return True

    async def _api_setWebhook(self, p: dict[str, Any], _u: dict[str, Any]) -> bool:
        self.webhook_url = p.get("url") or None
        self.webhook_secret = p.get("secret_token") or None
        return True

    async def _api_getWebhookInfo(self, _p: dict[str, Any], _u: dict[str, Any]) -> dict:
        return {"url": self.webhook_url or "", "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    async def _accept_only(self, _p: dict[str, Any], _u: dict[str, Any]) -> bool:
        return True

    async def _accept_language_scoped(self, p: dict[str, Any], _u: dict[str, Any]) -> bool:
        code = p.get("language_code")
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise _ApiError(400, "Bad Request: invalid language code specified")
        return True

    _api_setMyCommands = _accept_language_scoped
    _api_deleteMyCommands = _accept_language_scoped
    _api_setMyDescription = _accept_language_scoped
    _api_setMyShortDescription = _accept_language_scoped
    _api_setChatMenuButton = _accept_only
    _api_sendChatAction = _accept_only
    _api_answerCallbackQuery = _accept_only
    _api_close = _accept_only
    _api_logOut = _accept_only

    async def _api_getMyCommands(self, _p: dict[str, Any], _u: dict[str, Any]) -> list:
        return []

    def _check_recipient(self, chat_id: int) -> None:
        if chat_id in self.blocked_by:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")

    async def _api_sendMessage(self, p: dict[str, Any], _u: dict[str, Any]) -> dict:
        chat_id = int(p["chat_id"])
        self._check_recipient(chat_id)
        text = str(p.get("text", ""))
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        _check_html(text, p.get("parse_mode"))
        if _telegram_length(text, p.get("parse_mode")) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        message = self._store_bot_message(
            chat_id, text=text, reply_markup=p.get("reply_markup"), parse_mode=p.get("parse_mode"),
            silent=_flag(p.get("disable_notification")),
        )
        return await self._sent(message)

    async def _api_copyMessage(self, p: dict[str, Any], _u: dict[str, Any]) -> dict:
        """A copy of a message without a link to the original (Telegram's copyMessage)."""
        chat_id = int(p["chat_id"])
        self._check_recipient(chat_id)
        source = self._messages_by_id.get((int(p["from_chat_id"]), int(p["message_id"])))
        if source is None:
            raise _ApiError(400, "Bad Request: message to copy not found")
        caption = p.get("caption", source.caption)
        if caption is not None:
            _check_html(str(caption), p.get("parse_mode"))
        message = self._store_bot_message(
            chat_id, text=source.text,
            caption=caption if source.text is None else None,
            photo_id=source.photo_id, document_id=source.document_id,
            document_name=source.document_name, voice_id=source.voice_id,
            video_id=source.video_id, reply_markup=p.get("reply_markup"),
            parse_mode=p.get("parse_mode"), silent=_flag(p.get("disable_notification")),
            reply_to=int(p["reply_to_message_id"]) if p.get("reply_to_message_id") else None,
        )
        if self.on_bot_message is not None:
            outcome = self.on_bot_message(message)
            if outcome is not None:
                await outcome
        return {"message_id": message.message_id}

    async def _api_sendPhoto(self, p: dict[str, Any], u: dict[str, Any]) -> dict:
        chat_id = int(p["chat_id"])
        self._check_recipient(chat_id)
        stored = self._store_file(u.get("photo"), default_name="photo.png", mime="image/png")
        message = self._store_bot_message(
            chat_id, caption=p.get("caption"), reply_markup=p.get("reply_markup"),
            photo_id=stored.file_id, parse_mode=p.get("parse_mode"),
        )
        return await self._sent(message)

    async def _api_sendDocument(self, p: dict[str, Any], u: dict[str, Any]) -> dict:
        chat_id = int(p["chat_id"])
        self._check_recipient(chat_id)
        stored = self._store_file(
            u.get("document"), default_name="document", mime="application/octet-stream"
        )
        message = self._store_bot_message(
            chat_id, caption=p.get("caption"), reply_markup=p.get("reply_markup"),
            document_id=stored.file_id, document_name=stored.name, parse_mode=p.get("parse_mode"),
        )
        return await self._sent(message)

    async def _api_editMessageText(self, p: dict[str, Any], _u: dict[str, Any]) -> dict:
        message = self._existing(p)
        text = str(p.get("text", ""))
        _check_html(text, p.get("parse_mode"))
        if text == message.text and p.get("reply_markup") == message.reply_markup:
            raise _ApiError(400, "Bad Request: message is not modified")
        message.text = text
        message.reply_markup = p.get("reply_markup")
        message.parse_mode = p.get("parse_mode")
        message.edited = True
        return await self._sent(message)

    async def _api_editMessageReplyMarkup(self, p: dict[str, Any], _u: dict[str, Any]) -> dict:
        message = self._existing(p)
        message.reply_markup = p.get("reply_markup")
        message.edited = True
        return await self._sent(message)

    async def _api_deleteMessage(self, p: dict[str, Any], _u: dict[str, Any]) -> bool:
        message = self._existing(p)
        self.chats[message.chat_id].remove(message)
        del self._messages_by_id[(message.chat_id, message.message_id)]
        return True

    def _existing(self, p: dict[str, Any]) -> ChatMessage:
        key = (int(p["chat_id"]), int(p["message_id"]))
        message = self._messages_by_id.get(key)
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return message

    async def _sent(self, message: ChatMessage) -> dict[str, Any]:
        if self.on_bot_message is not None:
            outcome = self.on_bot_message(message)
            if outcome is not None:
                await outcome
        return self._message_json(message)

    # ---- storage of chats and files ------------------------------------------------
    def _store_file(self, upload: Any, *, default_name: str, mime: str) -> StoredFile:
        if upload is None:
            raise _ApiError(400, "Bad Request: there is no file in the request")
        name, content, content_type = upload
        file_id = f"file{next(self._file_ids)}"
        stored = StoredFile(file_id, name or default_name, content, content_type or mime)
        self.files[file_id] = stored
        return stored

    def _store_bot_message(self, chat_id: int, **fields: Any) -> ChatMessage:
        message = ChatMessage(
            message_id=next(self._message_ids), chat_id=chat_id, from_bot=True,
            date=int(time.time()), **fields,
        )
        self._append(message)
        return message

    def _append(self, message: ChatMessage) -> None:
        self.chats.setdefault(message.chat_id, []).append(message)
        self._messages_by_id[(message.chat_id, message.message_id)] = message

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        user = self._users.get(chat_id)
        data: dict[str, Any] = {"id": chat_id, "type": "private"}
        if user is not None:
            data["first_name"] = user.first_name
        return data

    def _message_json(self, message: ChatMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": message.message_id, "date": message.date,
            "chat": self._chat_json(message.chat_id),
        }
        if message.from_bot:
            data["from"] = self._bot_user()
        elif (user := self._users.get(message.chat_id)) is not None:
            data["from"] = user.as_json()
        if message.text is not None:
            data["text"] = message.text
        if message.caption:
            data["caption"] = message.caption
        if message.reply_markup:
            data["reply_markup"] = message.reply_markup
        if message.photo_id:
            size = len(self.files[message.photo_id].content)
            data["photo"] = [{"file_id": message.photo_id, "file_unique_id": message.photo_id,
                              "width": 800, "height": 600, "file_size": size}]
        if message.document_id:
            stored = self.files[message.document_id]
            data["document"] = {"file_id": stored.file_id, "file_unique_id": stored.file_id,
                                "file_name": stored.name, "mime_type": stored.mime_type,
                                "file_size": len(stored.content)}
        if message.voice_id:
            stored = self.files[message.voice_id]
            data["voice"] = {"file_id": stored.file_id, "file_unique_id": stored.file_id,
                             "duration": 3, "mime_type": stored.mime_type,
                             "file_size": len(stored.content)}
        if message.video_id:
            stored = self.files[message.video_id]
            data["video"] = {"file_id": stored.file_id, "file_unique_id": stored.file_id,
                             "width": 640, "height": 480, "duration": 3,
                             "mime_type": stored.mime_type, "file_size": len(stored.content)}
        if message.reply_to is not None and (replied := self._messages_by_id.get(
                (message.chat_id, message.reply_to))) is not None and replied.reply_to is None:
            data["reply_to_message"] = self._message_json(replied)
        if message.edited:
            data["edit_date"] = int(time.time())
        return data

    # ---- the people's side ---------------------------------------------------------
    def user_sends(self, user: FakeUser, text: str, *,
                   reply_to: ChatMessage | None = None) -> dict[str, Any]:
        """A person types `text` in their private chat (perhaps as a reply to one of the
        bot's messages); returns the update (also queued)."""
        self._users[user.id] = user
        message = ChatMessage(
            message_id=next(self._message_ids), chat_id=user.id, from_bot=False,
            date=int(time.time()), text=text,
            reply_to=reply_to.message_id if reply_to is not None else None,
        )
        self._append(message)
        payload = self._message_json(message)
        command = _BOT_COMMAND.match(text)
        if command is not None:
            payload["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": command.end()}]
        return self._queue({"message": payload})

    def user_sends_media(self, user: FakeUser, kind: str, content: bytes, *,
                         name: str = "file", mime: str = "application/octet-stream",
                         caption: str | None = None,
                         reply_to: ChatMessage | None = None) -> dict[str, Any]:
        """A person sends a photo, voice message, video or document (`kind`)."""
        if kind not in {"photo", "voice", "video", "document"}:
            raise ValueError(kind)
        self._users[user.id] = user
        stored = self._store_file((name, content, mime), default_name=name, mime=mime)
        media = {"photo_id" if kind == "photo" else f"{kind}_id": stored.file_id}
        if kind == "document":
            media["document_name"] = stored.name
        message = ChatMessage(
            message_id=next(self._message_ids), chat_id=user.id, from_bot=False,
            date=int(time.time()), caption=caption,
            reply_to=reply_to.message_id if reply_to is not None else None, **media,
        )
        self._append(message)
        return self._queue({"message": self._message_json(message)})

    def user_presses(self, user: FakeUser, message: ChatMessage, data: str) -> dict[str, Any]:
        """A person taps an inline button whose callback data is `data`."""
        self._users[user.id] = user
        query = {
            "id": str(next(self._callback_ids)), "from": user.as_json(),
            "message": self._message_json(message), "chat_instance": str(message.chat_id),
            "data": data,
        }
        return self._queue({"callback_query": query})

    def _queue(self, body: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **body}
        if self.webhook_url:
            asyncio.get_running_loop().create_task(self._post_webhook(update))
        else:
            self._updates.append(update)
            asyncio.get_running_loop().create_task(self._notify())
        return update

    async def _post_webhook(self, update: dict[str, Any]) -> None:
        headers = {}
        if self.webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
        assert self.webhook_url is not None
        async with httpx.AsyncClient(timeout=10) as client:
            try:
                await client.post(self.webhook_url, json=update, headers=headers)
            except httpx.HTTPError as exc:
                log.warning("webhook delivery failed: %s", exc)

    def messages(self, chat_id: int) -> list[ChatMessage]:
        return list(self.chats.get(chat_id, []))

    def bot_messages(self, chat_id: int) -> list[ChatMessage]:
        return [m for m in self.chats.get(chat_id, []) if m.from_bot]

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    async def wait_for_bot_messages(
        self, chat_id: int, count: int, *, timeout: float = 10.0
    ) -> list[ChatMessage]:
        """Wait until the bot has sent at least `count` messages to `chat_id` in all."""
        deadline = time.monotonic() + timeout
        while len(self.bot_messages(chat_id)) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"bot sent {len(self.bot_messages(chat_id))} of {count} messages to {chat_id}"
                )
            async with self.changed:
                try:
                    await asyncio.wait_for(self.changed.wait(), remaining)
                except TimeoutError:
                    pass
        return self.bot_messages(chat_id)


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)


_ALLOWED_TAGS = ("b", "i", "u", "s", "code", "pre", "a", "tg-spoiler", "blockquote")


def _flag(value: Any) -> bool:
    return value in (True, "true", "True", "1", 1)


def _telegram_length(text: str, parse_mode: object) -> int:
    """What Telegram measures against its 4,096 limit: the text as shown (markup parsed
    away), in UTF-16 code units (an emoji outside the BMP counts two)."""
    if parse_mode == "HTML":
        text = html.unescape(re.sub(r"<[^>]*>", "", text))
    return len(text.encode("utf-16-le")) // 2


def _check_html(text: str, parse_mode: str | None) -> None:
    """Refuse what Telegram refuses: unknown tags in HTML mode (catches unescaped user text)."""
    if (parse_mode or "").upper() != "HTML":
        return
    opened: list[str] = []
    for match in re.finditer(r"<\s*(/?)\s*([a-zA-Z][\w-]*)", text):
        tag = match.group(2)
        if tag.lower() not in _ALLOWED_TAGS:
            raise _ApiError(400, f"Bad Request: can't parse entities: unsupported tag {tag}")
        if not match.group(1):
            opened.append(tag.lower())
        elif not opened or opened.pop() != tag.lower():
            raise _ApiError(400, "Bad Request: can't parse entities: unmatched end tag "
                                 f"{tag}")
    if opened:  # as Telegram: a text cut inside <pre> without its </pre> is refused
        raise _ApiError(400, "Bad Request: can't parse entities: can't find end tag "
                             f"corresponding to start tag {opened[-1]}")


async def _read_params(request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    params: dict[str, Any] = dict(request.query_params)
    uploads: dict[str, Any] = {}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        body = await request.body()
        params.update(json.loads(body) if body else {})
        return params, uploads
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        for key, value in form.multi_items():
            if hasattr(value, "read"):
                uploads[key] = (value.filename, await value.read(), value.content_type)
            else:
                params[key] = value
    for key, value in list(params.items()):
        if key in _JSON_FIELDS and isinstance(value, str):
            params[key] = json.loads(value)
        elif key in _INT_FIELDS and isinstance(value, str) and value.lstrip("-").isdigit():
            params[key] = int(value)
    # A multipart file may also be referenced as attach://name in a field.
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            uploads[key] = uploads.get(value.removeprefix("attach://"))
    return params, uploads
