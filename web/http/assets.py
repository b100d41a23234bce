"""Fingerprinted static files: URLs carry the file's hash, so browsers may cache them forever."""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"


def fingerprints(directory: Path) -> dict[str, str]:
    """Short content hashes of every static file, keyed by its path relative to the folder."""
    return {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


class FingerprintedStatic(StaticFiles):
    """Serves /static/<path>?v=<hash>: immutable caching only when the hash is the current one."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory)
        self.hashes = fingerprints(directory)

    def url_path(self, path: str) -> str:
        return f"{path}?v={self.hashes[path]}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"].removeprefix(scope.get("root_path", "")).lstrip("/")
        query = scope.get("query_string", b"").decode("latin-1")
        current = self.hashes.get(path)
        fresh = current is not None and query == f"v={current}"

        async def send_with_cache(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message["headers"] if k != b"cache-control"]
                headers.append((b"cache-control", (IMMUTABLE if fresh else REVALIDATE).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await super().__call__(scope, receive, send_with_cache)
