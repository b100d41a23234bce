"""uvicorn's access log without bearer secrets: a booking's manage token, the desk's calendar
feed secret and a one-time set-password link are in their URLs, and whoever reads the log must
not be able to use them."""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
# /bookings/<token>..., /en/bookings/<token>..., /coordinator/feed/<secret>.ics,
# /coordinator/set-password/<token>
SECRET_IN_PATH = re.compile(
    r"(/bookings/|/coordinator/feed/|/coordinator/set-password/)[^/?#\s]+?(?=\.ics\b|[/?#\s]|$)"
)


def mask_path(path: str) -> str:
    return SECRET_IN_PATH.sub(r"\1…", path)


class MaskSecrets(logging.Filter):
    """Rewrites the request line of each access record; uvicorn passes it as record.args[2]."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], mask_path(args[2]), *args[3:])
        return True


def mask_secrets_in_access_log() -> None:
    """Once per process (each uvicorn worker creates the app, and so calls this)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, MaskSecrets) for f in logger.filters):
        logger.addFilter(MaskSecrets())
