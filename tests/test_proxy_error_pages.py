"""nginx's own error pages (web/http/proxy_errors.py): static, in both languages, with the
clinic's phone, and nothing that needs the app (no stylesheet, no script)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REAL_CLINIC
from web.core.clinic import load_clinic
from web.http.proxy_errors import render_error_pages
from web.settings import PROJECT_ROOT


def test_each_page_and_fragment_speaks_both_languages_and_gives_the_phone() -> None:
    files = render_error_pages(load_clinic(REAL_CLINIC), PROJECT_ROOT / "templates")
    assert sorted(files) == [
        "too-large.fragment.html",
        "too-large.html",
        "unavailable.fragment.html",
        "unavailable.html",
    ]
    for name, html in files.items():
        assert 'href="tel:+380441234567"' in html and "+380 44 123 45 67" in html, name
        assert 'lang="uk"' in html and 'lang="en"' in html, name
        assert "<script" not in html and "<link" not in html and "style=" not in html, name
        assert html.startswith("<!doctype html>") != name.endswith(".fragment.html"), name
    assert "Сайт зараз недоступний" in files["unavailable.html"]
    assert "The website is not available just now" in files["unavailable.html"]
    assert "Ви можете записатися телефоном" in files["unavailable.fragment.html"]
    assert "Надіслано забагато даних" in files["too-large.html"]


def test_the_command_writes_them(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "web", "error-pages", str(tmp_path / "errors")]
    subprocess.run(run, cwd=PROJECT_ROOT, check=True, capture_output=True)
    assert len(list((tmp_path / "errors").glob("*.html"))) == 4
