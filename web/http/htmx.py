"""htmx's request headers read one way everywhere: full page, the usual partial or a smaller part.

render(), the error pages and the kept pages' addresses all ask part_asked_in, so they never
disagree on what a request wants.
"""

from __future__ import annotations

from urllib.parse import unquote

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import Scope

# A cache keyed on the URL alone would hand an htmx fragment to a plain visit, or the reverse.
VARY_HTMX = "HX-Request, HX-Request-Type"
# The targets a view may answer with less than its usual partial (one day's times, not the
# whole picker). Only these names count, so a made-up HX-Target adds no variants to a cache.
SMALLER_PARTS = frozenset({"slots"})


def is_partial(hx_request: str | None, hx_request_type: str | None) -> bool:
    """htmx asks for a fragment; its history restores ask for the full page (HX-Request-Type)."""
    return hx_request == "true" and hx_request_type != "full"


def target_id(hx_target: str | None) -> str | None:
    """The id of the element htmx swaps into: htmx 4 sends `tag#id`, older htmx the bare id."""
    found = unquote((hx_target or "").rpartition("#")[2])
    return found or None


def part_asked(
    hx_request: str | None, hx_request_type: str | None, hx_target: str | None
) -> str | None:
    """What a request asks for: None for the full page, "" for the page's usual partial, or one
    of SMALLER_PARTS when htmx targets that element."""
    if not is_partial(hx_request, hx_request_type):
        return None
    wanted = target_id(hx_target)
    return wanted if wanted in SMALLER_PARTS else ""


def repeated_htmx_header(scope: Scope) -> bool:
    """Whether an htmx header comes more than once. Such a request is refused (400) before
    anything reads it: readers that took the first value and readers that took the last once
    disagreed on what was asked, and a fragment was kept as the full page."""
    seen: set[bytes] = set()
    for name, _ in scope["headers"]:
        if name.startswith(b"hx-"):
            if name in seen:
                return True
            seen.add(name)
    return False


def part_asked_in(scope: Scope) -> str | None:
    """What this request asks for (see part_asked), read off its headers: the one reading that
    render(), the error pages and the kept pages' addresses share."""
    headers = Headers(scope=scope)
    return part_asked(
        headers.get("hx-request"), headers.get("hx-request-type"), headers.get("hx-target")
    )


def is_partial_request(request: Request) -> bool:
    return part_asked_in(request.scope) is not None
