"""Prometheus metrics (prometheus_client) at /metrics, answered only to the addresses in
METRICS_ALLOW: request counts and latency per route, bookings made, and the outbox read from the
database at each scrape (backlog, failed e-mails, the oldest waiting message's age), so every
worker and host reports the same figures for them.

With several uvicorn workers, set PROMETHEUS_MULTIPROC_DIR to an empty folder of each host's own:
prometheus_client then adds up the request counters of every worker of the host.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Iterator
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from web.core.outbox_state import outbox_state
from web.http.state import state_of

REQUESTS = Counter(
    "clinic_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "clinic_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BOOKINGS = Counter("clinic_bookings_made_total", "Bookings made", ["by"])

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(route).observe(seconds)


def booking_made(by: str) -> None:
    """`by`: "patient" online or "desk" for a caller booked by a coordinator."""
    BOOKINGS.labels(by).inc()


def parse_allowed(text: str) -> tuple[Network, ...]:
    """METRICS_ALLOW: addresses or networks, comma-separated ("127.0.0.1, 10.0.0.0/24")."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


def is_allowed(host: str | None, allowed: Iterable[Network]) -> bool:
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in allowed)


class OutboxCollector(Collector):
    """The outbox as the database holds it now, read once per scrape."""

    def __init__(self, engine: Engine, clock: object) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        now: datetime = self.clock()  # type: ignore[operator]
        state = outbox_state(self.engine, now)
        yield GaugeMetricFamily(
            "clinic_outbox_waiting", "E-mails due and not yet sent", value=state.waiting
        )
        yield GaugeMetricFamily(
            "clinic_outbox_failing",
            "E-mails waiting after at least one failed attempt",
            value=state.failing,
        )
        yield GaugeMetricFamily(
            "clinic_outbox_failed", "E-mails the server refused for good", value=state.failed
        )
        yield GaugeMetricFamily(
            "clinic_outbox_oldest_waiting_seconds",
            "Age of the oldest e-mail due and not yet sent",
            value=state.oldest_waiting_seconds,
        )


def _registry(request: Request) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
        registry.register(BOOKINGS)
    registry.register(OutboxCollector(state_of(request).engine, state_of(request).clock))
    return registry


def metrics(request: Request) -> Response:
    host = request.client.host if request.client else None
    if not is_allowed(host, state_of(request).settings.metrics_allow):
        return PlainTextResponse(
            "forbidden", status_code=403, headers={"cache-control": "no-store"}
        )
    return Response(
        generate_latest(_registry(request)),
        media_type=CONTENT_TYPE_LATEST,
        headers={"cache-control": "no-store"},
    )


routes = [Route("/metrics", metrics, name="metrics")]
