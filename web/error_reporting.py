"""Optional error reporting: Sentry when SENTRY_DSN is set, and nothing at all otherwise.

Sentry receives no personal data: `send_default_pii` stays off (no cookies, no client address,
no form fields), request bodies are never sent, and every URL and message it gets has manage
tokens and the feed secret masked as the logs do.
"""

from __future__ import annotations

from typing import Any

from web.http.access_log import mask_path
from web.http.request_log import current_request_id


def _scrub(event: Any, hint: Any) -> Any:
    request = event.get("request") or {}
    for key in ("url", "query_string"):
        if isinstance(request.get(key), str):
            request[key] = mask_path(request[key])
    request.pop("data", None)
    request.pop("cookies", None)
    headers = request.get("headers")
    if isinstance(headers, dict):
        for name in list(headers):
            if name.lower() in {"cookie", "referer", "hx-current-url", "x-forwarded-for"}:
                del headers[name]
    if event.get("transaction"):
        event["transaction"] = mask_path(str(event["transaction"]))
    message = event.get("logentry") or {}
    if isinstance(message.get("message"), str):
        message["message"] = mask_path(message["message"])
        message["params"] = []
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


_started = False


def start_error_reporting(dsn: str | None) -> bool:
    """Once per process; True when Sentry was started."""
    global _started
    if not dsn or _started:
        return _started
    import sentry_sdk  # only loaded when a DSN is set

    sentry_sdk.init(
        dsn=dsn,
        send_default_pii=False,
        max_request_body_size="never",
        before_send=_scrub,
        traces_sample_rate=0.0,
    )
    _started = True
    return True
