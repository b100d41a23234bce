"""Bytes compressed once (Brotli and gzip at their best levels) and served as they are: the
right representation for each request's Accept-Encoding, a strong ETag and 304 on revalidation.
Used for pages that never change after start-up and for the static files."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass

import brotli  # type: ignore[import-untyped]
from starlette.requests import Request
from starlette.responses import Response

ENCODINGS = ("br", "gzip")


@dataclass(frozen=True)
class Encoded:
    """One body in every encoding, with the headers every representation shares."""

    identity: bytes
    compressed: dict[str, bytes]  # "br" and "gzip"; empty when compression would not help
    etag: str  # strong, of the identity body; each encoding's own ETag adds a suffix
    headers: dict[str, str]
    vary: str = "Accept-Encoding"

    @classmethod
    def of(cls, body: bytes, headers: dict[str, str], *, vary: str = "") -> Encoded:
        compressed: dict[str, bytes] = {}
        if len(body) >= 256:
            compressed = {
                "br": brotli.compress(body, quality=11),
                "gzip": gzip.compress(body, compresslevel=9, mtime=0),
            }
        etag = hashlib.sha256(body).hexdigest()[:32]
        both = ", ".join(part for part in ("Accept-Encoding", vary) if part)
        return cls(identity=body, compressed=compressed, etag=etag, headers=headers, vary=both)

    def response(self, request: Request, *, cache_control: str) -> Response:
        encoding = _chosen_encoding(request.headers.get("accept-encoding", ""), self.compressed)
        etag = f'"{self.etag}-{encoding}"' if encoding else f'"{self.etag}"'
        headers = {**self.headers, "etag": etag, "cache-control": cache_control, "vary": self.vary}
        if _matches(request.headers.get("if-none-match", ""), self.etag):
            return Response(status_code=304, headers=headers)
        if encoding:
            headers["content-encoding"] = encoding
            return Response(self.compressed[encoding], headers=headers)
        return Response(self.identity, headers=headers)


def _chosen_encoding(accept: str, available: dict[str, bytes]) -> str | None:
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
        if encoding in available and offered.get(encoding, offered.get("*", 0.0)) > 0:
            return encoding
    return None


def _matches(if_none_match: str, etag: str) -> bool:
    """Any representation's ETag of this body (or *) means the client's copy is current."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip().removeprefix("W/").strip('"')
        if tag == "*" or tag == etag or tag.startswith(f"{etag}-"):
            return True
    return False
