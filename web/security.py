"""Security headers for every response, and CSRF-checked forms.

CSRF uses WTForms' session CSRF: a per-visitor secret lives in the signed session cookie and every
form carries an HMAC token derived from it, so a POST from another site cannot carry a valid one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from starlette.datastructures import FormData, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from wtforms import Form
from wtforms.csrf.session import SessionCSRF

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HSTS = "max-age=63072000; includeSubDomains"
BASE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, https_only: bool) -> None:
        self.app = app
        self.https_only = https_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in BASE_HEADERS.items():
                    headers.setdefault(name, value)
                # HSTS only over HTTPS (scheme set by uvicorn's --proxy-headers behind a proxy).
                if self.https_only or scope.get("scheme") == "https":
                    headers.setdefault("strict-transport-security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SecureForm(Form):
    """Base for every form that is POSTed: WTForms checks the CSRF token before anything else."""

    class Meta:
        csrf = True
        csrf_class = SessionCSRF
        csrf_time_limit = timedelta(hours=8)


MAX_FORM_BYTES = 16 * 1024


async def read_form(request: Request) -> FormData:
    """The posted fields, refusing oversized bodies before they are parsed."""
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > MAX_FORM_BYTES:
        raise HTTPException(413, "That form was too large to accept. Please shorten your note.")
    return await request.form(max_files=0, max_fields=30)


def form_meta(request: Request) -> dict:
    return {
        "csrf_secret": request.app.state.settings.secret_key.encode(),
        "csrf_context": request.session,
    }


FormT = TypeVar("FormT", bound="SecureForm")


async def posted_form(
    request: Request, form_class: type[FormT], **kwargs: object
) -> tuple[FormT, bool]:
    """Read, validate and CSRF-check a POSTed form; the bool says whether its fields are valid."""
    form = form_class(await read_form(request), meta=form_meta(request), **kwargs)
    valid = form.validate()
    require_csrf(form)
    return form, valid


def require_csrf(form: SecureForm) -> None:
    """A missing or stale token is not a field error the patient can fix: refuse the request."""
    if form.meta.csrf and form.csrf_token.errors:
        raise HTTPException(
            status_code=403,
            detail="This form has expired or did not come from this site. "
            "Please go back, reload the page and try again.",
        )
