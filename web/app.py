"""The application factory: settings, clinic profile and content are loaded once, here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount

from web import booking, conditions, coordinator, health
from web.assets import FingerprintedStatic
from web.clinic import load_clinic
from web.content import load_conditions
from web.db import make_engine
from web.errors import http_error, server_error
from web.models import utc_now
from web.security import SecurityHeadersMiddleware
from web.settings import PROJECT_ROOT, Settings, load_settings
from web.templating import make_templates


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> Starlette:
    settings = settings or load_settings()
    clinic = load_clinic(settings.clinic_file)
    static = FingerprintedStatic(PROJECT_ROOT / "static")
    templates = make_templates(clinic, static_url=lambda path: "/static/" + static.url_path(path))

    app = Starlette(
        debug=settings.debug,
        routes=[
            *conditions.routes,
            *booking.routes,
            *coordinator.routes,
            *health.routes,
            Mount("/static", app=static, name="static"),
        ],
        middleware=[
            Middleware(SecurityHeadersMiddleware, https_only=settings.https_only),
            Middleware(GZipMiddleware, minimum_size=500),
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie="clinic_session",
                max_age=8 * 3600,
                same_site="lax",
                https_only=settings.https_only,
            ),
        ],
        exception_handlers={HTTPException: http_error, 500: server_error},
    )
    app.state.settings = settings
    app.state.clinic = clinic
    app.state.conditions = load_conditions(settings.content_dir / "conditions")
    app.state.templates = templates
    app.state.engine = make_engine(settings.database_url)
    app.state.clock = clock
    return app
