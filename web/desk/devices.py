"""Browsers the coordinator has signed in from: a signed cookie that names the account and a
random id for the browser. With it, sign-in is limited per browser instead of by the account-wide
slowdown (accounts.PER_DEVICE), so guessing from many addresses cannot keep the coordinator out;
a new browser still meets every limit. The cookie proves only that this browser once knew the
password: it opens nothing by itself.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from web.http.state import state_of

DEVICE_COOKIE = "desk_device"
LIFETIME = timedelta(days=180)
COOKIE_PATH = "/coordinator/login"  # only the sign-in needs it


def _serializer(request: Request) -> URLSafeTimedSerializer:
    secret: str = state_of(request).settings.secret_key
    return URLSafeTimedSerializer(secret, salt="desk-device")


def trusted_device(request: Request, username: str) -> str | None:
    """The browser's device id when its cookie is genuine, current and for this account."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        value = _serializer(request).loads(raw, max_age=int(LIFETIME.total_seconds()))
    except BadSignature:
        return None
    if not isinstance(value, dict) or value.get("account") != username:
        return None
    device = value.get("device")
    return device if isinstance(device, str) and len(device) == 32 else None


def remember_device(
    response: Response, request: Request, *, username: str, device: str | None
) -> None:
    """After a right password: this browser is trusted for this account (for 180 days)."""
    value = {"account": username, "device": device or secrets.token_hex(16)}
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer(request).dumps(value),
        max_age=int(LIFETIME.total_seconds()),
        path=COOKIE_PATH,
        secure=state_of(request).settings.https_only,
        httponly=True,
        samesite="strict",
    )
