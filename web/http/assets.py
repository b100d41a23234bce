"""Fingerprinted static files: URLs carry the file's hash, so browsers may cache them forever.

The files are few and small, so they are read and compressed once at start-up and served from
memory (StaticFiles would open, stat and compress every file on every request)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from web.http.encoded import Encoded

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"


def _content_type(path: Path) -> str:
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    text = guessed.startswith("text/") or guessed in {"application/javascript", "image/svg+xml"}
    return f"{guessed}; charset=utf-8" if text else guessed


def _load(directory: Path) -> dict[str, Encoded]:
    return {
        path.relative_to(directory).as_posix(): Encoded.of(
            path.read_bytes(), {"content-type": _content_type(path)}
        )
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


class FingerprintedStatic:
    """Serves /static/<path>?v=<hash>: immutable caching only when the hash is the current one."""

    def __init__(self, directory: Path) -> None:
        self.files = _load(directory)
        self.hashes = {path: encoded.etag[:12] for path, encoded in self.files.items()}

    def url_path(self, path: str) -> str:
        return f"{path}?v={self.hashes[path]}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method not in ("GET", "HEAD"):
            raise HTTPException(405, headers={"allow": "GET, HEAD"})
        path = scope["path"].removeprefix(scope.get("root_path", "")).lstrip("/")
        found = self.files.get(path)
        if found is None:
            raise HTTPException(404)
        fresh = request.url.query == f"v={self.hashes[path]}"
        response = found.response(scope, cache_control=IMMUTABLE if fresh else REVALIDATE)
        await response(scope, receive, send)
