"""CSRF-checked forms: every POST reads its body through `posted_form` (form_body.py reads it).

CSRF uses WTForms' session CSRF: a per-visitor secret lives in the signed session cookie and every
form carries an HMAC token derived from it, so a POST from another site cannot carry a valid one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from wtforms import Form
from wtforms.csrf.session import SessionCSRF

from web.core.i18n import N_
from web.http.form_body import read_form
from web.http.language_urls import page_language
from web.http.state import state_of


class SecureForm(Form):  # type: ignore[misc]  # WTForms ships no type hints
    """Base for every form that is POSTed: WTForms checks the CSRF token before anything else."""

    class Meta:
        csrf = True
        csrf_class = SessionCSRF
        csrf_time_limit = timedelta(hours=8)


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
