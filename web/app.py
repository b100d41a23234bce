"""The application factory: settings, clinic profile and content are loaded once, here."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount, Router

from web import desk, patient
from web.core.availability import Availability
from web.core.bookings import Ledger
from web.core.clinic import Clinic, load_clinic
from web.core.content import Library, load_conditions, unnamed_reviewers
from web.core.db import make_engine
from web.core.errors import DomainError
from web.core.models import utc_now
from web.core.reception import CurrentRules
from web.core.timers import Timers
from web.error_reporting import start_error_reporting
from web.http import health, metrics
from web.http.access_log import mask_secrets_in_access_log
from web.http.assets import FingerprintedStatic
from web.http.dynamic import DynamicOnly
from web.http.error_pages import database_unavailable, domain_error, http_error, server_error
from web.http.language_urls import LanguagePrefix
from web.http.page_cache import PageCache
from web.http.ratelimit import make_rate_limits, warn_if_counted_per_worker
from web.http.request_log import NoteRoute, RequestLog
from web.http.security import SecurityHeadersMiddleware
from web.http.state import Notifies, SiteSettings
from web.http.stored_pages import ServeStoredPages, StoredPages
from web.http.templating import make_templates
from web.logs import configure_logging
from web.mail.notifications import Notifier, Paths, warn_if_links_lead_nowhere
from web.mail.outbox import run_forever
from web.schema import schema_head
from web.settings import (
    DEFAULT_PUBLIC_URL,
    PROJECT_ROOT,
    Settings,
    load_settings,
    refuse_placeholders,
)

TEMPLATES = PROJECT_ROOT / "templates"


def warn_if_unreviewed(library: Library) -> None:
    """Medical pages that no named specialist has checked must not go live unnoticed."""
    unreviewed = unnamed_reviewers(library)
    if unreviewed:
        logging.getLogger("web").warning(
            "NO NAMED MEDICAL REVIEWER for %s: a real specialist must check each page and be "
            "named in its front matter (reviewer: name, role, date) before the site goes live.",
            ", ".join(unreviewed),
        )


def _fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    timers: Timers | None = None,
) -> Starlette:
    """`clock` is the app's idea of now; tests pass one, or set FIXED_NOW for a real server.
    `timers` measure the rate-limit windows, the availability TTL and the answer deadline;
    tests pass ones they move by hand."""
    settings = settings or load_settings()
    timers = timers or Timers()
    if clock is None:
        clock = _fixed(settings.fixed_now) if settings.fixed_now else utc_now
    configure_logging()
    mask_secrets_in_access_log()
    start_error_reporting(settings.sentry_dsn)
    clinic = load_clinic(settings.clinic_file)
    refuse_placeholders(settings, clinic)
    static = FingerprintedStatic(PROJECT_ROOT / "static")
    templates = make_templates(
        clinic, directory=TEMPLATES, static_url=lambda path: "/static/" + static.url_path(path)
    )
    templates.env.globals["desk_menu"] = desk.menu  # desk_base.html: each desk page's entries

    page_cache = PageCache()
    stored_pages = StoredPages()

    def forget_pages() -> None:  # in this order: a page rendered meanwhile is not kept stale
        page_cache.clear()
        stored_pages.clear()

    app = Starlette(
        debug=settings.debug,
        routes=[
            *patient.routes,
            *desk.routes,
            *health.routes,
            *metrics.routes,
            Mount("/static", app=static, name="static"),
        ],
        middleware=[
            Middleware(RequestLog),
            Middleware(ServeStoredPages, cache=stored_pages, https_only=settings.https_only),
            Middleware(LanguagePrefix, languages=clinic.languages),
            Middleware(SecurityHeadersMiddleware, https_only=settings.https_only),
            Middleware(
                DynamicOnly,
                secret_key=settings.secret_key,
                https_only=settings.https_only,
                request_timeout=settings.request_timeout,
                wait=timers.wait,
            ),
            Middleware(NoteRoute),
        ],
        exception_handlers={
            HTTPException: http_error,
            DomainError: domain_error,
            OperationalError: database_unavailable,
            InterfaceError: database_unavailable,
            PoolTimeout: database_unavailable,  # every pooled connection busy (or stuck)
            500: server_error,
        },
        lifespan=lifespan,
    )
    site_settings: SiteSettings = settings  # mypy proves Settings is what the web layers read
    app.state.settings = site_settings
    app.state.clinic = clinic
    app.state.conditions = load_conditions(settings.content_dir / "conditions", clinic.languages)
    warn_if_unreviewed(app.state.conditions)
    app.state.templates = templates
    app.state.page_cache = page_cache
    app.state.stored_pages = stored_pages
    app.state.engine = make_engine(settings.database_url)
    app.state.ledger = Ledger(app.state.engine, clinic.rules, settings.secret_key.encode())
    app.state.availability = Availability(
        app.state.engine, ttl=settings.availability_ttl, ticks=timers.ticks
    )
    app.state.rules = CurrentRules(
        app.state.engine, clinic.rules, app.state.availability, on_change=forget_pages
    )
    app.state.clock = clock
    app.state.schema_head = schema_head()
    notifier = make_notifier(settings, clinic, paths=route_paths(app))
    notifier.current_rules = lambda: app.state.rules.now(clock())
    notifies: Notifies = notifier  # mypy proves the Notifier has what the pages call
    app.state.notifier = notifies
    warn_if_links_lead_nowhere(
        settings.public_url, sending=settings.smtp is not None, local_default=DEFAULT_PUBLIC_URL
    )
    warn_if_counted_per_worker(settings.redis_url, os.environ.get("WEB_CONCURRENCY"))
    app.state.rate_limits = make_rate_limits(
        redis_url=settings.redis_url,
        overrides=settings.rate_limits,
        prefix=settings.rate_limit_prefix,
        ticks=timers.ticks,
    )
    return app


def make_notifier(settings: Settings, clinic: Clinic, *, paths: Paths) -> Notifier:
    """The one Notifier of a process: the web app's, or `python -m web send-outbox`'s."""
    return Notifier(
        clinic,
        settings.public_url,
        templates=TEMPLATES / "email",
        secret_key=settings.secret_key,
        paths=paths,
    )


def route_paths(router: Starlette | Router) -> Paths:
    """Paths of named routes for links made outside a request (the e-mails): the route table
    is their one source, so renaming a route's path changes them too."""
    return lambda name, params: str(router.url_path_for(name, **params))


def page_routes() -> Router:
    """The site's pages without an app, for a process that only sends mail (send-outbox)."""
    return Router(routes=[*patient.routes, *desk.routes])


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Sends the outbox from the web process unless a separate worker does (OUTBOX_IN_WEB)."""
    settings: Settings = app.state.settings
    task = None
    if settings.outbox_in_web:
        task = asyncio.create_task(
            run_forever(
                engine=app.state.engine,
                smtp=settings.smtp,
                clock=app.state.clock,
                interval=settings.outbox_interval,
                render=app.state.notifier.render,
            )
        )
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        app.state.engine.dispose()
