"""Bytes compressed once (Brotli and gzip at their best levels) and served as they are: the
right representation for each request's Accept-Encoding, a strong ETag and 304 on revalidation.
Used for pages that never change after start-up, for the static files, and for pages kept a few
seconds (the slot picker).

Everything about an answer except the choice of representation is worked out once, down to the
raw header lines, so serving one costs about what the bare ASGI server costs."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

import brotli  # type: ignore[import-untyped]
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

ENCODINGS = ("br", "gzip")
RawHeaders = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Encoded:
    """One body in every encoding, with the headers every representation shares."""

    identity: bytes
    compressed: dict[str, bytes]  # "br" and "gzip"; empty when compression would not help
    etag: str  # strong, of the identity body; each encoding's own ETag adds a suffix
    headers: dict[str, str]
    vary: str = "Accept-Encoding"
    _raw: dict[tuple[str | None, str, bool], RawHeaders] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(
        cls, body: bytes, headers: dict[str, str], *, vary: str = "", quick: bool = False
    ) -> Encoded:
        """`quick` for bytes kept a few seconds: compressed in about a millisecond, not fifty."""
        compressed: dict[str, bytes] = {}
        if len(body) >= 256:
            compressed = {
                "br": brotli.compress(body, quality=5 if quick else 11),
                "gzip": gzip.compress(body, compresslevel=6 if quick else 9, mtime=0),
            }
        etag = hashlib.sha256(body).hexdigest()[:32]
        both = ", ".join(part for part in ("Accept-Encoding", vary) if part)
        return cls(identity=body, compressed=compressed, etag=etag, headers=headers, vary=both)

    def answer(
        self, *, accept: str, if_none_match: str, cache_control: str
    ) -> tuple[int, RawHeaders, bytes]:
        """Status, raw headers and body for a request with these two header values."""
        encoding = chosen_encoding(accept) if self.compressed else None
        fresh = bool(if_none_match) and _matches(if_none_match, self.etag)
        key = (encoding, cache_control, fresh)
        headers = self._raw.get(key)
        if headers is None:
            headers = self._raw.setdefault(key, self._headers(encoding, cache_control, fresh))
        if fresh:
            return 304, headers, b""
        return 200, headers, self.compressed[encoding] if encoding else self.identity

    def _headers(self, encoding: str | None, cache_control: str, fresh: bool) -> RawHeaders:
        etag = f'"{self.etag}-{encoding}"' if encoding else f'"{self.etag}"'
        values = {**self.headers, "etag": etag, "cache-control": cache_control, "vary": self.vary}
        if not fresh:
            body = self.compressed[encoding] if encoding else self.identity
            values["content-length"] = str(len(body))
            if encoding:
                values["content-encoding"] = encoding
        return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in values.items()]

    def response(self, scope: Scope, *, cache_control: str) -> StoredResponse:
        accept, if_none_match = request_headers(scope)
        status, headers, body = self.answer(
            accept=accept, if_none_match=if_none_match, cache_control=cache_control
        )
        return StoredResponse(status, headers, body)


class StoredResponse(Response):
    """A response whose raw headers are already made: sent as they are."""

    def __init__(self, status_code: int, headers: RawHeaders, body: bytes) -> None:
        self.status_code = status_code
        self.raw_headers = list(headers)  # middleware further out may add to this copy
        self.body = body
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = {"type": "http.response.start", "status": self.status_code}
        await send({**start, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body})


def request_headers(scope: Scope) -> tuple[str, str]:
    """Accept-Encoding and If-None-Match, read straight off the ASGI scope."""
    accept = if_none_match = ""
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            accept = value.decode("latin-1")
        elif name == b"if-none-match":
            if_none_match = value.decode("latin-1")
    return accept, if_none_match


@lru_cache(maxsize=512)
def chosen_encoding(accept: str) -> str | None:
    """Brotli when the client takes it, else gzip, else none (a q=0 refuses an encoding)."""
    offered: dict[str, float] = {}
    for item in accept.lower().split(","):
        name, _, params = item.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        offered[name.strip()] = quality
    for encoding in ENCODINGS:
        if offered.get(encoding, offered.get("*", 0.0)) > 0:
            return encoding
    return None


def _matches(if_none_match: str, etag: str) -> bool:
    """Any representation's ETag of this body (or *) means the client's copy is current."""
    for candidate in if_none_match.split(","):
        tag = candidate.strip().removeprefix("W/").strip('"')
        if tag == "*" or tag == etag or tag.startswith(f"{etag}-"):
            return True
    return False
