"""The Nu Html Checker (vnu.jar from the npm package vnu-jar) finds no errors on any page."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import need
from tests.crawl import every_page
from web.settings import PROJECT_ROOT

VNU = PROJECT_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.mark.parametrize("language", ["en", "uk"])
def test_every_page_is_valid_html(
    client: TestClient, uk_client: TestClient, language: str, tmp_path: Path
) -> None:
    need(shutil.which("java"), "the Nu Html Checker needs Java")
    need(VNU.exists(), "vnu.jar is missing: run `npm ci`")
    pages = every_page(uk_client if language == "uk" else client)
    files = []
    for name, html in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [
        f"{m['url'].rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]
    assert errors == []
    assert len(files) == 42
