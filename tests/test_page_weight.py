"""The condition page's first load, htmx included, stays inside 24 KB (Brotli), and a second page
read after it inside 8 KB: the stylesheet and the scripts come from the browser's cache.

Runs bench/pageweight.py as a program: tests and the benchmarks do not import each other.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from web.settings import PROJECT_ROOT

FIRST_LOAD_BYTES = 24 * 1024
SECOND_PAGE_BYTES = 8 * 1024
CONDITION = "/conditions/hemifacial-spasm"


def _weights(*args: str) -> dict[str, dict[str, int]]:
    result = subprocess.run(
        [sys.executable, "bench/pageweight.py", "--json", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    weights: dict[str, dict[str, int]] = json.loads(result.stdout)
    return weights


@pytest.mark.parametrize("path", [CONDITION, f"/en{CONDITION}"])
def test_condition_page_first_load_is_within_budget(path: str) -> None:
    """In Ukrainian (the default) and in English: the page, the stylesheet, htmx and site.js."""
    sizes = _weights(path)[path]
    assert len(sizes) == 4, sizes
    assert sum("htmx" in url for url in sizes) == 1
    assert all(size > 0 for size in sizes.values())
    assert sum(sizes.values()) <= FIRST_LOAD_BYTES, sizes


@pytest.mark.parametrize("second", [f"{CONDITION}/treatment", f"/en{CONDITION}"])
def test_a_second_page_after_it_costs_its_html_only(second: str) -> None:
    """htmx, site.js and the stylesheet are cached by their hashed names (immutable)."""
    sizes = _weights("--visit", CONDITION, second)[second]
    assert list(sizes) == [second]
    assert sum(sizes.values()) <= SECOND_PAGE_BYTES, sizes
