"""Logs as one JSON object per line (python-json-logger): timestamp, level, logger, message, the
request's id while one runs, and the fields a line adds (route, status, duration_ms).

Every line passes through `Redact` first: manage tokens and the feed secret in any text are
masked as in the access log, and the engine hides SQL parameters (`hide_parameters`), so no
patient value reaches a line. uvicorn is started with `--log-config deploy/logging.json` (the
Procfile and the systemd units do), so its own lines are JSON too; `configure_logging()` sets up
the same for the app and the commands when nothing else has configured logging.
"""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from web.http.access_log import mask_path
from web.http.request_log import current_request_id

FIELDS = "%(levelname)s %(name)s %(message)s"


class Redact(logging.Filter):
    """Masks bearer secrets in the message and the traceback, and adds the request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_path(record.getMessage())
        record.args = None
        record.__dict__.pop("color_message", None)  # uvicorn's copy of the message, coloured
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            # The formatter writes exc_text when exc_info is gone: the masked text, never the
            # exception's own (its message can quote a path).
            record.exc_text = mask_path(record.exc_text)
            record.exc_info = None
        request_id = current_request_id()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


class JsonLines(JsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", FIELDS)
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)  # ISO 8601 in UTC, from the record's time
        super().__init__(*args, **kwargs)


LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "web.logs.Redact"}},
    "formatters": {"json": {"()": "web.logs.JsonLines"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "json",
            "filters": ["redact"],
        }
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        # The app's request line (web.request) replaces uvicorn's access line.
        "uvicorn": {"level": "INFO", "handlers": [], "propagate": True},
        "uvicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        "sqlalchemy": {"level": "WARNING"},
        "alembic": {"level": "INFO"},
        "alembic.runtime.plugins": {"level": "WARNING"},  # a line per plugin at every start
    },
}


def is_configured() -> bool:
    return any(isinstance(handler.formatter, JsonLines) for handler in logging.getLogger().handlers)


def configure_logging() -> None:
    """JSON lines on stderr, unless logging was set up already (uvicorn's --log-config, a test
    runner capturing logs)."""
    if not is_configured() and not logging.getLogger().handlers:
        logging.config.dictConfig(LOGGING)
