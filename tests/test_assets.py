"""The vendored htmx is the pinned release, byte for byte; nothing is loaded from elsewhere."""

from __future__ import annotations

import hashlib

from web.settings import PROJECT_ROOT

HTMX = PROJECT_ROOT / "static" / "vendor" / "htmx-4.0.1.min.js"
HTMX_SHA256 = "a0abb04f2f45a1f89d1d4844023245537e5e6014c87b144553e0607b4cc32130"


def test_vendored_htmx_is_the_pinned_release() -> None:
    assert hashlib.sha256(HTMX.read_bytes()).hexdigest() == HTMX_SHA256
    notes = (PROJECT_ROOT / "static" / "vendor" / "README.md").read_text(encoding="utf-8")
    assert HTMX_SHA256 in notes and "4.0.1" in notes


def test_templates_load_nothing_from_other_hosts() -> None:
    for template in (PROJECT_ROOT / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert 'src="http' not in text and 'href="//' not in text, template.name
        assert "<script>" not in text, f"inline script in {template.name}"
