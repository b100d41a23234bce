"""The application's state, typed: `state_of(request)` is the one way a handler or middleware
reaches what app.py keeps on `app.state`, so mypy checks every name and type it reads.

`app.state` stays the storage (tests replace `client.app.state.clock` and the like); this
module only describes it. web/app.py sets each attribute listed in `AppState`, and annotates
the settings and notifier with the protocols below so mypy proves the real ones fit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, cast

from sqlalchemy import Connection, Engine
from starlette.requests import HTTPConnection
from starlette.templating import Jinja2Templates

from web.core.availability import Availability
from web.core.bookings import Ledger
from web.core.clinic import Clinic
from web.core.content import Library
from web.core.models import Booking
from web.core.reception import CurrentRules

if TYPE_CHECKING:  # these modules read the state themselves
    from web.http.page_cache import PageCache
    from web.http.ratelimit import RateLimits
    from web.http.stored_pages import StoredPages


class SiteSettings(Protocol):
    """What the web layers read of web.settings.Settings (http may not import web.settings)."""

    @property
    def secret_key(self) -> str: ...
    @property
    def https_only(self) -> bool: ...
    @property
    def public_url(self) -> str: ...
    @property
    def retention_days(self) -> int: ...
    @property
    def redis_url(self) -> str | None: ...
    @property
    def redis_ready_timeout(self) -> float: ...
    @property
    def metrics_allow(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]: ...


class Notifies(Protocol):
    """The booking events the patient and desk pages report (web.mail's Notifier writes the
    e-mails; http may not import web.mail)."""

    def booked(self, connection: Connection, booking: Booking, *, now: datetime) -> None: ...
    def rescheduled(
        self,
        connection: Connection,
        booking: Booking,
        *,
        now: datetime,
        previous_start: datetime,
        by_clinic: bool = False,
        message: str | None = None,
    ) -> None: ...
    def cancelled(
        self, connection: Connection, booking: Booking, *, by_clinic: bool, now: datetime
    ) -> None: ...
    def closed(self, connection: Connection, booking: Booking) -> None: ...
    def reopened(self, connection: Connection, booking: Booking, *, now: datetime) -> None: ...
    def answered(
        self,
        connection: Connection,
        booking: Booking,
        *,
        answers: list[tuple[str, str]],
        changed: bool,
        now: datetime,
    ) -> None: ...


class AppState(Protocol):
    """Every attribute web/app.py keeps on `app.state`."""

    settings: SiteSettings
    clinic: Clinic
    conditions: Library
    templates: Jinja2Templates
    page_cache: PageCache
    stored_pages: StoredPages
    engine: Engine
    ledger: Ledger
    availability: Availability
    rules: CurrentRules
    clock: Callable[[], datetime]
    schema_head: str | None
    notifier: Notifies
    rate_limits: RateLimits


def state_of(connection: HTTPConnection) -> AppState:
    """The app's state of this request (or websocket), typed."""
    return cast(AppState, connection.app.state)
