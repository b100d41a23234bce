"""Friendly error pages: the patient always gets a way forward and the clinic's phone number.

Every exception the core raises is turned into a response here, once; handlers do not catch
"not found" themselves.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from web.core import errors
from web.core.i18n import N_
from web.http.access_log import mask_path
from web.http.htmx import is_partial_request, target_id
from web.http.request_log import current_request_id
from web.http.security import BASE_HEADERS, HSTS, wants_hsts
from web.http.state import state_of
from web.http.templating import render

log = logging.getLogger(__name__)
SAFE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")

TITLES = {
    400: N_("Something in that request was not right"),
    403: N_("That form could not be accepted"),
    404: N_("Page not found"),
    405: N_("That action is not allowed here"),
    409: N_("That could not be done"),
    413: N_("That was too much to send"),
    422: N_("Please check the form"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong on our side"),
    503: N_("The booking system is unavailable"),
}

# The most specific class listed wins (looked up along the exception's MRO).
DOMAIN_ERRORS: dict[type[errors.DomainError], tuple[int, str]] = {
    errors.BookingNotFound: (
        404,
        N_("We could not find a booking at this address. Please check the link, or call us."),
    ),
    errors.BlockNotFound: (404, N_("That block no longer exists.")),
    errors.BlockInPast: (400, N_("A block must begin later than now: the past cannot be blocked.")),
    errors.HoursInPast: (
        400,
        N_("Reception hours can only be changed from tomorrow on: today has begun."),
    ),
    errors.FeedNotFound: (
        404,
        N_("This calendar address is not valid (it may have been replaced)."),
    ),
    errors.ConditionNotFound: (
        404,
        N_("We have no page about that condition, or it has no such section."),
    ),
    errors.NotFound: (404, N_("We could not find that.")),
    errors.InvalidDay: (
        400,
        N_("That date could not be read. Please pick a day from the list."),
    ),
    errors.InvalidSlot: (
        400,
        N_("That is not one of our consultation times. Please choose a time from the list."),
    ),
    errors.InvalidInput: (400, N_("That request could not be read.")),
    errors.SlotUnavailable: (409, N_("Sorry, that time is no longer free. Please choose another.")),
    errors.BookingNotActive: (
        409,
        N_("This booking is no longer active, so it cannot be changed. Please book a new time."),
    ),
    errors.AnswersClosed: (
        409,
        N_(
            "The consultation has begun or was cancelled, so the answers can no longer be "
            "changed online. Tell the specialist during the consultation, or call us."
        ),
    ),
    errors.OutcomeTooEarly: (
        409,
        N_(
            "A consultation gets its outcome once it has begun. Until then it stays confirmed; "
            "to call it off, cancel it."
        ),
    ),
    errors.StatusChangeNotAllowed: (
        409,
        N_(
            "That status does not follow from the booking’s current one. Please reload the "
            "booking to see the changes it allows."
        ),
    ),
}


def domain_status(exc: errors.DomainError) -> tuple[int, str]:
    for kind in type(exc).__mro__:
        if kind in DOMAIN_ERRORS:
            return DOMAIN_ERRORS[kind]
    return 400, N_("That request could not be carried out.")


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.DomainError)
    status_code, detail = domain_status(exc)
    return error_page(request, status_code, detail)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers) if exc.headers else None
    return error_page(request, exc.status_code, exc.detail, headers)


async def server_error(request: Request, exc: Exception) -> Response:
    # Starlette answers a crash outside the middleware stack, so the headers are set here too.
    response = error_page(request, 500, N_("Please try again in a few minutes, or call us."))
    for name, value in BASE_HEADERS.items():
        response.headers.setdefault(name, value)
    if wants_hsts(request.scope, https_only=state_of(request).settings.https_only):
        response.headers.setdefault("strict-transport-security", HSTS)
    return response


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """The database is down or unreachable: say so kindly and offer the phone; never a 500."""
    log.warning(
        "database unavailable (%s) for %s %s",
        type(exc).__name__,
        request.method,
        mask_path(request.url.path),
    )
    return error_page(
        request,
        503,
        N_(
            "We cannot reach our booking system just now. Nothing was saved. Please try again "
            "in a few minutes, or call us and we will book you by phone."
        ),
        {"Retry-After": "30"},
    )


def error_page(
    request: Request,
    status_code: int,
    detail: str | None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error page in the request's language (title and detail are catalog messages)."""
    title = TITLES.get(status_code, N_("Something went wrong"))
    if detail == HTTPStatus(status_code).phrase:
        detail = None  # Starlette's default wording adds nothing to the title
    ready = hasattr(state_of(request), "templates")
    if not ready or request.headers.get("accept", "").startswith("text/calendar"):
        return PlainTextResponse(detail or title, status_code=status_code, headers=headers)
    context: dict[str, object] = {
        "title": title,
        "detail": detail,
        "status_code": status_code,
        "request_id": current_request_id(),
        "retry_minutes": retry_minutes(headers),
    }
    if is_partial_request(request):
        return _htmx_error(request, status_code, context, headers)
    return render(request, "error.html", context, status_code=status_code, headers=headers)


def retry_minutes(headers: dict[str, str] | None) -> int | None:
    """Retry-After (seconds) as whole minutes to tell a person, rounded up; None without one."""
    seconds = (headers or {}).get("Retry-After", "")
    return max(1, -(-int(seconds) // 60)) if seconds.isdigit() else None


def _same_site_path(url: str) -> str:
    path = urlsplit(url).path
    return path if path.startswith("/") and not path.startswith("//") else "/"


def _htmx_error(
    request: Request,
    status_code: int,
    context: dict[str, object],
    headers: dict[str, str] | None,
) -> Response:
    """htmx swaps error answers too: give it a fragment that fits where the content was going,
    and keep the failed address out of the browser's history (HX-Push-Url: false)."""
    target = target_id(request.headers.get("hx-target"))  # one value: see repeated_htmx_header
    passing = status_code == 503 and request.method == "GET"
    context |= {
        "target_id": target if target and SAFE_ID.fullmatch(target) else None,
        "retry_url": request.url.path + ("?" + request.url.query if request.url.query else "")
        if passing
        else None,
        "reload_url": _same_site_path(request.headers.get("hx-current-url", "")),
    }
    return render(
        request,
        "_error_fragment.html",
        context,
        status_code=status_code,
        headers={**(headers or {}), "HX-Push-Url": "false"},
    )
