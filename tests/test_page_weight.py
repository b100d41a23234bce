"""The condition page's first load stays inside the 30 KB (compressed) budget."""

from __future__ import annotations

from bench.pageweight import BUDGET_BYTES, first_load


def test_condition_page_first_load_is_within_budget(site_client):
    sizes = first_load(site_client, "/conditions/hemifacial-spasm")
    assert len(sizes) == 4  # the page, the stylesheet, htmx and site.js
    assert all(size > 0 for size in sizes.values())
    assert sum(sizes.values()) <= BUDGET_BYTES, sizes
