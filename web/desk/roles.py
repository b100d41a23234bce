"""Who may do what on the desk: the one check an administrator-only page or action calls.

    def some_admin_page(request):            # a sync handler (run in a thread by Starlette)
        require_administrator(request)
        ...

    async def some_admin_action(request):    # check the form's CSRF token first, then the role
        form, valid = await posted_form(request, SomeForm)
        await run_in_threadpool(require_administrator, request)
        ...

A coordinator's attempt is refused with 403 and written to the audit log ("refused", with the
method and path), so that an administrator can see who tried what.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from web.core.audit import record
from web.core.db import session_scope
from web.core.i18n import N_
from web.http.state import state_of

REFUSED = "refused"
ONLY_ADMINISTRATORS = N_(
    "Only an administrator of the desk may do this. Please ask one if it needs doing."
)


def require_administrator(request: Request) -> None:
    """Returns for an administrator's desk session; otherwise audits the try and raises 403.
    Runs a database write: call it in a thread (run_in_threadpool) from an async handler."""
    signed_in = request.state.coordinator
    if signed_in.is_administrator:
        return
    with session_scope(state_of(request).engine) as session:
        record(
            session,
            coordinator=signed_in.username,
            action=REFUSED,
            now=state_of(request).clock(),
            detail=f"{request.method} {request.url.path}",
        )
    raise HTTPException(403, ONLY_ADMINISTRATORS)
