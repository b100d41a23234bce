"""The floor of the stack: a raw ASGI app under the same uvicorn, with no framework at all.

GET /page/<n> answers with the bytes and headers of page n exactly as the real app sent them
(read from BENCH_FLOOR_DIR at start-up, served from memory); POST /insert reads the form, inserts
one row into bench_row and commits, through the same engine settings the app uses. Whatever the
real app costs beyond these is the price of the framework, the templates and our own code.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Column, Integer, MetaData, String, Table, insert  # noqa: E402
from starlette.concurrency import run_in_threadpool  # noqa: E402

from web.core.db import make_engine  # noqa: E402

Scope = dict[str, Any]
metadata = MetaData()
bench_row = Table(
    "bench_row",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("payload", String(2000), nullable=False),
)


def _pages(directory: Path) -> dict[str, tuple[bytes, list[tuple[bytes, bytes]]]]:
    pages = {}
    for meta in sorted(directory.glob("*.json")):
        headers = json.loads(meta.read_text(encoding="utf-8"))
        body = meta.with_suffix(".body").read_bytes()
        pairs = [(name.encode(), value.encode()) for name, value in headers.items()]
        pairs.append((b"content-length", str(len(body)).encode()))
        pages[f"/page/{meta.stem}"] = (body, pairs)
    return pages


PAGES = _pages(Path(os.environ.get("BENCH_FLOOR_DIR", ".")))
ENGINE = make_engine(os.environ["DATABASE_URL"]) if "DATABASE_URL" in os.environ else None
if ENGINE is not None:
    metadata.create_all(ENGINE)


def _insert(payload: str) -> None:
    assert ENGINE is not None
    with ENGINE.begin() as connection:
        connection.execute(insert(bench_row).values(payload=payload))


async def app(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["method"] == "POST" and scope["path"] == "/insert":
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await run_in_threadpool(_insert, body.decode("utf-8", "replace")[:2000])
        headers = [(b"location", b"/done"), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    page = PAGES.get(scope["path"])
    if page is None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    body, headers = page
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
