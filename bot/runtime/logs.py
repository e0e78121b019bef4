"""Logging set-up: one line per event, as text or JSON (for log collectors)."""

from __future__ import annotations

import json
import logging
from datetime import UTC
from datetime import datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str, fmt: str) -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    # httpx logs every request URL, which contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # At DEBUG these libraries log request bodies and SQL parameters (SQLAlchemy's engine
    # every statement at INFO): names, notes, entry data. LOG_LEVEL=DEBUG is for our own
    # code; personal data never reaches a log line.
    for name, floor in CHATTY_LIBRARIES.items():
        logging.getLogger(name).setLevel(max(root.level, floor))


CHATTY_LIBRARIES = {
    "telegram": logging.INFO,  # start and stop lines at INFO; request bodies at DEBUG
    "httpcore": logging.WARNING, "hpack": logging.WARNING,
    "aiosqlite": logging.WARNING, "asyncpg": logging.WARNING, "sqlalchemy": logging.WARNING,
}
