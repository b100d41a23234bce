"""The Jinja2 environment for pages, and render(): same URL, full page or partial (htmx.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.core import get_global
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from web.core import formats, i18n
from web.core.clinic import Clinic
from web.core.next_steps import chat_url, contact_plan
from web.core.schedule import SlotRules, local_today
from web.http.csrf import SecureForm, form_meta
from web.http.htmx import VARY_HTMX, part_asked_in
from web.http.language_urls import absolute, localized_path, page_language, same_page_in
from web.http.state import state_of

# Channels named by a common noun, written in lower case inside a sentence (brands keep theirs).
GENERIC_CHANNELS = frozenset({"Phone call"})


@pass_context
def _url_path(context: Context, name: str, /, **path_params: Any) -> str:
    """Links as paths in the page's language: right behind any proxy and shorter to send."""
    return localized_path(context["request"], name, **path_params)


@pass_context
def _csrf_field(context: Context) -> Markup:
    """The hidden CSRF input for forms that post nothing else (confirm, sign out, rotate)."""
    request = context["request"]
    field = SecureForm(meta=form_meta(request)).csrf_token
    return Markup(field(id=False))  # noqa: S704  (WTForms escapes; no id: a page may hold several)


@pass_context
def _gettext(context: Context, message: str) -> str:
    return i18n.translate(context["lang"], message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    return i18n.translate_plural(context["lang"], singular, plural, count)


@cache
def language_name(code: str) -> str:
    """A language named in itself (Українська, English), as a reader looks for their own."""
    return (Locale.parse(code).get_display_name(code) or code).capitalize()


@cache
def og_locale(code: str) -> str:
    """Open Graph wants language_TERRITORY: uk -> uk_UA, en -> en_US (Babel's likely subtags)."""
    likely = str(get_global("likely_subtags").get(code, code))
    parts = likely.split("_")
    return f"{parts[0]}_{parts[-1]}" if len(parts) > 1 else code


def _language_filters(zone: ZoneInfo) -> dict[str, Callable[..., str]]:
    """Date filters in the page's language (the context carries `lang`)."""

    @pass_context
    def long_date(context: Context, day: date) -> str:
        return formats.long_date(day, context["lang"])

    @pass_context
    def long_date_year(context: Context, day: date) -> str:
        return formats.long_date_year(day, context["lang"])

    @pass_context
    def short_date(context: Context, day: date) -> str:
        return formats.short_date(day, context["lang"])

    @pass_context
    def weekday_name(context: Context, iso_weekday: int) -> str:
        """Monday ... Sunday (ISO numbers), in the page's language."""
        return formats.weekday_name(iso_weekday, context["lang"])

    @pass_context
    def calendar_date(context: Context, day: date) -> str:
        """A document's date, with no weekday: 20 November 2026 / 20 листопада 2026 р."""
        return formats.calendar_date(day, context["lang"])

    @pass_context
    def notice_date(context: Context, version: str) -> str:
        """A privacy notice's version (its ISO date) as a date people read."""
        try:
            return formats.calendar_date(date.fromisoformat(version), context["lang"])
        except ValueError:
            return version

    @pass_context
    def channel_list(context: Context, channels: list[str]) -> str:
        """The ways to talk inside a sentence: "phone call, Viber, Telegram, WhatsApp or Zoom"."""
        return formats.channel_list(
            [i18n.translate(context["lang"], channel) for channel in channels],
            generic=[channel in GENERIC_CHANNELS for channel in channels],
            language=context["lang"],
        )

    @pass_context
    def when(context: Context, moment: datetime) -> str:
        return formats.day_and_time(moment, zone, context["lang"])

    return {
        "translated": _gettext,  # for lists: channels | map("translated")
        "long_date": long_date,
        "long_date_year": long_date_year,
        "short_date": short_date,
        "calendar_date": calendar_date,
        "notice_date": notice_date,
        "weekday_name": weekday_name,
        "when": when,
        "channel_list": channel_list,
    }


def make_templates(
    clinic: Clinic, *, directory: Path, static_url: Callable[[str], str]
) -> Jinja2Templates:
    zone = clinic.rules.time_zone
    templates = Jinja2Templates(directory=directory)
    env = templates.env
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True  # {% trans %} text as one line, as babel.cfg extracts
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
    env.globals.update(
        static_url=static_url,
        url_for=_url_path,
        csrf_field=_csrf_field,
        language_name=language_name,
        og_locale=og_locale,
        contact_plan=contact_plan,
        chat_url=chat_url,
    )
    env.filters.update(
        _language_filters(zone),
        iso_date=lambda day: day.isoformat(),
        utc_iso=formats.format_start,
        clinic_day=lambda moment: formats.local_day(moment, zone),
        clinic_clock=lambda moment: formats.clock(moment, zone),
        phone=formats.readable_phone,
    )
    return templates


def clinic_as_told(request: Request) -> Clinic:
    """The clinic with the reception hours in force today: those this request read (see
    picker.rules_of), or for a page kept for the life of the process those last read."""
    clinic: Clinic = state_of(request).clinic
    rules: SlotRules = getattr(request.state, "rules", None) or state_of(request).rules.known()
    return clinic.as_of(rules, local_today(rules, state_of(request).clock()))


def page_context(request: Request, context: dict[str, Any]) -> dict[str, Any]:
    """What every page needs besides its own data: its language, the clinic in that language,
    and the same page in the other languages (language switch and hreflang)."""
    clinic = clinic_as_told(request)
    lang = page_language(request)
    page = context.get("same_page")  # set by views that answer a POST with a page
    paths = {code: same_page_in(request, code, page) for code in clinic.languages}
    alternates = {code: absolute(request, path) for code, path in paths.items()}
    return {
        "lang": lang,
        "clinic": clinic.localized(lang),
        "other_languages": {code: path for code, path in paths.items() if code != lang},
        "alternates": alternates,
        "canonical": alternates[lang],  # a view whose URL has a view-only query gives its own
        **context,
    }


def render(
    request: Request,
    page: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status_code: int = 200,
    cache_control: str = "no-store",
    headers: dict[str, str] | None = None,
    parts: dict[str, str] | None = None,
) -> Response:
    """Render `page`, or `partial` for an htmx request (the page includes the partial), or a
    smaller part of it when htmx targets one of `parts` (by element id, see SMALLER_PARTS).

    Private by default: only pages that are the same for everyone pass a public cache_control.
    """
    templates: Jinja2Templates = state_of(request).templates
    asked = part_asked_in(request.scope)
    name = page if partial is None or asked is None else (parts or {}).get(asked, partial)
    full = page_context(request, context)
    response = templates.TemplateResponse(
        request, name, full, status_code=status_code, headers=headers
    )
    response.headers["cache-control"] = cache_control
    response.headers["content-language"] = full["lang"]
    if partial:
        response.headers["vary"] = VARY_HTMX + (", HX-Target" if parts else "")
    return response
