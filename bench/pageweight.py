"""Print the compressed weight of a page's first load: the HTML plus every stylesheet and script.

Usage: python bench/pageweight.py [--json] [--visit] [PATH ...]   (default: the condition page)
Runs the app in-process on a throwaway SQLite database; sizes are the bytes on the wire for a
browser that takes Brotli (every current one does).
--json prints {path: {url: bytes}} for tests, which run this script rather than import it.
--visit loads the paths one after another in one browser: a later page counts only what the
browser does not hold yet (the stylesheet and scripts are cached immutable, by their hashed
names), as a patient reading a second page pays.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from starlette.testclient import TestClient  # noqa: E402

from web.app import create_app  # noqa: E402
from web.cli import migrate  # noqa: E402
from web.settings import load_settings  # noqa: E402

BUDGET_BYTES = 24 * 1024
ASSET = re.compile(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"')


def wire_size(client: TestClient, url: str) -> int:
    with client.stream("GET", url, headers={"Accept-Encoding": "br, gzip"}) as response:
        response.raise_for_status()
        return sum(len(chunk) for chunk in response.iter_raw())


def first_load(
    client: TestClient, path: str, cached: frozenset[str] = frozenset()
) -> dict[str, int]:
    """Bytes on the wire for the page and each asset it loads that is not `cached`, by URL."""
    html = client.get(path).text
    sizes = {path: wire_size(client, path)}
    for url in ASSET.findall(html):
        if url not in cached:
            sizes[url] = wire_size(client, url)
    return sizes


def measure(paths: list[str], *, visit: bool = False) -> dict[str, dict[str, int]]:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'weight.db'}"
        migrate(url)
        app = create_app(dataclasses.replace(load_settings(), database_url=url))
        weights: dict[str, dict[str, int]] = {}
        held: set[str] = set()
        with TestClient(app) as client:
            for path in paths:
                weights[path] = first_load(client, path, frozenset(held) if visit else frozenset())
                held.update(weights[path])
        return weights


def main(args: list[str]) -> int:
    as_json, visit = "--json" in args, "--visit" in args
    paths = [arg for arg in args if not arg.startswith("--")] or ["/conditions/hemifacial-spasm"]
    weights = measure(paths, visit=visit)
    if as_json:
        print(json.dumps(weights))
    else:
        for path, sizes in weights.items():
            for url, size in sizes.items():
                print(f"{size:>8,} B  {url}")
            total = sum(sizes.values())
            print(f"{total:>8,} B  first load of {path} (Brotli; budget {BUDGET_BYTES:,} B)\n")
    worst = max(sum(sizes.values()) for sizes in weights.values())
    return 0 if worst <= BUDGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
