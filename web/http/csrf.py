"""CSRF-checked forms: every POST reads its body through `posted_form`.

CSRF uses WTForms' session CSRF: a per-visitor secret lives in the signed session cookie and every
form carries an HMAC token derived from it, so a POST from another site cannot carry a valid one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from wtforms import Form
from wtforms.csrf.session import SessionCSRF

from web.core.i18n import N_
from web.http.i18n import page_language
from web.http.state import state_of


class SecureForm(Form):  # type: ignore[misc]  # WTForms ships no type hints
    """Base for every form that is POSTed: WTForms checks the CSRF token before anything else."""

    class Meta:
        csrf = True
        csrf_class = SessionCSRF
        csrf_time_limit = timedelta(hours=8)


MAX_FORM_BYTES = 16 * 1024


async def read_form(request: Request) -> FormData:
    """The posted fields, refusing oversized bodies before they are parsed."""
    length = request.headers.get("content-length") or ""
    if not (length.isascii() and length.isdigit()):  # no body at all, or a length unread
        raise HTTPException(
            400, N_("The form arrived empty. Please go back, reload the page and try again.")
        )
    if int(length) > MAX_FORM_BYTES:
        raise HTTPException(413, N_("That form was too large to accept. Please shorten your note."))
    return await request.form(max_files=0, max_fields=30)


def form_meta(request: Request) -> dict[str, Any]:
    """CSRF from the session; WTForms' own messages (a bad date, say) in the page's language."""
    return {
        "csrf_secret": state_of(request).settings.secret_key.encode(),
        "csrf_context": request.session,
        "locales": [page_language(request), "en"],
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
            detail=N_(
                "This form has expired or did not come from this site. "
                "Please go back, reload the page and try again."
            ),
        )
