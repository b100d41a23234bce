"""Liveness and readiness for the platform's health checks."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok", headers={"cache-control": "no-store"})


def readyz(request: Request) -> PlainTextResponse:
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return PlainTextResponse(
            "database unavailable", status_code=503, headers={"cache-control": "no-store"}
        )
    return PlainTextResponse("ready", headers={"cache-control": "no-store"})


routes = [
    Route("/healthz", healthz, name="healthz"),
    Route("/readyz", readyz, name="readyz"),
]
