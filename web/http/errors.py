"""Friendly error pages: the patient always gets a way forward and the clinic's phone number.

Every exception the core raises is turned into a response here, once; handlers do not catch
"not found" themselves.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from web.core import errors
from web.http.security import BASE_HEADERS

log = logging.getLogger(__name__)

TITLES = {
    400: "Something in that request was not right",
    403: "That form could not be accepted",
    404: "Page not found",
    405: "That action is not allowed here",
    409: "That could not be done",
    413: "That was too much to send",
    422: "Please check the form",
    429: "Too many attempts",
    500: "Something went wrong on our side",
    503: "The booking system is unavailable",
}

# The most specific class listed wins (looked up along the exception's MRO).
DOMAIN_ERRORS: dict[type[errors.DomainError], tuple[int, str]] = {
    errors.BookingNotFound: (
        404,
        "We could not find a booking at this address. Please check the link, or call us.",
    ),
    errors.BlockNotFound: (404, "That block no longer exists."),
    errors.FeedNotFound: (
        404,
        "This calendar address is not valid (it may have been replaced).",
    ),
    errors.ConditionNotFound: (
        404,
        "We have no page about that condition, or it has no such section.",
    ),
    errors.NotFound: (404, "We could not find that."),
    errors.InvalidDay: (400, "That date could not be read. Please pick a day from the list."),
    errors.InvalidSlot: (
        400,
        "That is not one of our consultation times. Please choose a time from the list.",
    ),
    errors.InvalidInput: (400, "That request could not be read."),
    errors.SlotUnavailable: (
        409,
        "Sorry, that time is no longer free. Please choose another.",
    ),
    errors.BookingNotActive: (
        409,
        "This booking is no longer active, so it cannot be changed. Please book a new time.",
    ),
}


def domain_status(exc: errors.DomainError) -> tuple[int, str]:
    for kind in type(exc).__mro__:
        if kind in DOMAIN_ERRORS:
            return DOMAIN_ERRORS[kind]
    return 400, "That request could not be carried out."


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
    response = error_page(request, 500, "Please try again in a few minutes, or call us.")
    for name, value in BASE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """The database is down or unreachable: say so kindly and offer the phone; never a 500."""
    log.warning(
        "database unavailable (%s) for %s %s", type(exc).__name__, request.method, request.url.path
    )
    return error_page(
        request,
        503,
        "We cannot reach our booking system just now. Nothing was saved. Please try again in a "
        "few minutes, or call us and we will book you by phone.",
        {"Retry-After": "30"},
    )


def error_page(
    request: Request,
    status_code: int,
    detail: str | None,
    headers: dict[str, str] | None = None,
) -> Response:
    templates = getattr(request.app.state, "templates", None)
    title = TITLES.get(status_code, "Something went wrong")
    if detail == HTTPStatus(status_code).phrase:
        detail = None  # Starlette's default wording adds nothing to the title
    if templates is None or request.headers.get("accept", "").startswith("text/calendar"):
        return PlainTextResponse(detail or title, status_code=status_code, headers=headers)
    context = {"title": title, "detail": detail, "status_code": status_code}
    response: Response = templates.TemplateResponse(
        request, "error.html", context, status_code=status_code, headers=headers
    )
    response.headers["cache-control"] = "no-store"
    return response
