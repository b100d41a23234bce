"""Fingerprinted static files: each file's name carries its content hash
(css/site.3f2a9c0d1e4b.css), so browsers keep it for a year and fetch it again only when it
changes. The plain name is still served, revalidated on every use.

The files are few and small, so they are read and compressed once at start-up and served from
memory (StaticFiles would open, stat and compress every file on every request)."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from web.http.encoded import Encoded

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"
# "<name>.<12 hex digits>.<extension>": the hash goes before the last extension.
HASHED = re.compile(r"(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})(?P<suffix>\.[A-Za-z0-9]+)")


def hashed_name(path: str, digest: str) -> str:
    """site.css -> site.<digest>.css (a name without an extension gets the hash at its end)."""
    stem, dot, suffix = path.rpartition(".")
    if not dot or "/" in suffix:
        return f"{path}.{digest}"
    return f"{stem}.{digest}.{suffix}"


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


def _without_hash(path: str) -> str:
    """An older hash (a page cached before a deploy) still finds the file, revalidated."""
    named = HASHED.fullmatch(path)
    return named["stem"] + named["suffix"] if named else path


class FingerprintedStatic:
    """Serves /static/<name>.<hash>.<ext> as immutable (the current hash only), and
    /static/<name>.<ext> revalidated: a page cached before a deploy still finds its files."""

    def __init__(self, directory: Path) -> None:
        self.files = _load(directory)
        self.hashes = {path: encoded.etag[:12] for path, encoded in self.files.items()}
        self.by_hashed_name = {
            hashed_name(path, digest): path for path, digest in self.hashes.items()
        }

    def url_path(self, path: str) -> str:
        return hashed_name(path, self.hashes[path])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method not in ("GET", "HEAD"):
            raise HTTPException(405, headers={"allow": "GET, HEAD"})
        path = scope["path"].removeprefix(scope.get("root_path", "")).lstrip("/")
        plain = self.by_hashed_name.get(path)
        found = self.files.get(plain or path) or self.files.get(_without_hash(path))
        if found is None:
            raise HTTPException(404)
        response = found.response(scope, cache_control=IMMUTABLE if plain else REVALIDATE)
        await response(scope, receive, send)
