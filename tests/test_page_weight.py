"""The condition page's first load stays inside the 18 KB (Brotli) budget.

Runs bench/pageweight.py as a program: tests and the benchmarks do not import each other.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from web.settings import PROJECT_ROOT

BUDGET_BYTES = 18 * 1024


@pytest.mark.parametrize(
    "path", ["/conditions/hemifacial-spasm", "/en/conditions/hemifacial-spasm"]
)
def test_condition_page_first_load_is_within_budget(path: str) -> None:
    """In Ukrainian (the default) and in English."""
    result = subprocess.run(
        [sys.executable, "bench/pageweight.py", "--json", path],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sizes = json.loads(result.stdout)[path]
    assert len(sizes) == 3  # the page, the stylesheet and site.js: a page to read needs no htmx
    assert not any("htmx" in url for url in sizes)
    assert all(size > 0 for size in sizes.values())
    assert sum(sizes.values()) <= BUDGET_BYTES, sizes
