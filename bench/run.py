"""Benchmark the hot pages against static files of the same size from the same server.

Usage: python bench/run.py [--duration 10] [--connections 16]   (needs `wrk`: apt-get install wrk)

It starts uvicorn with production settings (one worker, no access log, no debug) on 127.0.0.1,
drives it with wrk from a separate process, and prints a Markdown table: requests/s and
p50/p95/p99 latency for each page next to a static file with the same body, and the ratio.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from bench.pageweight import first_load  # noqa: E402
from bench.server import uvicorn_serving  # noqa: E402
from web.app import create_app  # noqa: E402
from web.cli import migrate  # noqa: E402
from web.settings import load_settings  # noqa: E402

STATIC_DIR = ROOT / "static" / "bench"
LUA = Path(__file__).with_name("wrk_report.lua")


def bench_clinic(directory: Path) -> Path:
    """The real profile with room for every benchmark booking in one slot."""
    text = (ROOT / "clinic.toml").read_text(encoding="utf-8")
    consultations = int(tomllib.loads(text)["reception"]["consultations_per_slot"])
    text = text.replace(
        f"consultations_per_slot = {consultations}", "consultations_per_slot = 1000000"
    )
    path = directory / "clinic.toml"
    path.write_text(text, encoding="utf-8")
    return path


def wrk(url: str, *, duration: int, connections: int, env: dict[str, str] | None = None) -> dict:
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
        "-s", str(LUA), url,
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=True
    )
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("{"))
    return json.loads(line)


def booking_env(base: str) -> dict[str, str]:
    """One session's cookie and CSRF token, and every free slot start, for wrk's POSTs."""
    with httpx.Client(base_url=base) as session:
        days = re.findall(
            r'href="/consultation/slots\?day=([0-9-]+)"', session.get("/consultation").text
        )
        starts = [
            start
            for day in days
            for start in re.findall(
                r'name="start" value="([^"]+)"', session.get(f"/consultation/slots?day={day}").text
            )
        ]
        form = session.get(f"/consultation/book?start={starts[-1]}").text
        csrf = re.search(r'name="csrf_token" [^>]*value="([^"]+)"', form).group(1)
        cookie = "; ".join(f"{name}={value}" for name, value in session.cookies.items())
    fields = {
        "csrf_token": csrf, "name": "Bench Patient", "phone": "+380671234567",
        "email": "bench@example.com", "channel": "Zoom", "consent": "y",
    }  # fmt: skip
    return {
        "BENCH_BODY_PREFIX": urlencode(fields),
        "BENCH_COOKIE": cookie,
        "BENCH_STARTS": ",".join(starts[8:]),  # not today's: they could pass the notice mid-run
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        database_url = f"sqlite:///{directory / 'bench.db'}"
        migrate(database_url)
        clinic_file = bench_clinic(directory)
        settings = dataclasses.replace(
            load_settings(), database_url=database_url, clinic_file=clinic_file
        )

        # Render each page once in-process; its body becomes the static file it is compared with.
        with TestClient(create_app(settings)) as client:
            day = re.search(r'value="(\d{4}-\d\d-\d\d)T', client.get("/consultation").text).group(1)
            # Ukrainian at the plain URLs (the default), English under /en/.
            targets = {
                "condition page, uk": "/conditions/hemifacial-spasm",
                "condition page, en": "/en/conditions/hemifacial-spasm",
                "section partial (htmx), uk": "/conditions/hemifacial-spasm/treatment",
                "picker, uk": "/consultation",
                "picker, en": "/en/consultation",
                "day's slot list (htmx), uk": f"/consultation/slots?day={day}",
            }
            partial = {"section partial (htmx), uk", "day's slot list (htmx), uk"}
            STATIC_DIR.mkdir(exist_ok=True)
            bodies = {}
            for name, path in targets.items():
                headers = {"HX-Request": "true"} if name in partial else {}
                bodies[name] = client.get(path, headers=headers).content
            weight = first_load(client, "/conditions/hemifacial-spasm")
        for index, body in enumerate(bodies.values()):
            (STATIC_DIR / f"page-{index}.html").write_bytes(body)
        (STATIC_DIR / "redirect.txt").write_bytes(b"")

        env = {
            "CLINIC_FILE": str(clinic_file),
            "OUTBOX_IN_WEB": "false",
            "RATE_LIMIT_BOOKING": "100000000 per minute",
        }
        rows = []
        load = {"duration": args.duration, "connections": args.connections}
        try:
            with uvicorn_serving(database_url, env) as base:
                for index, (name, path) in enumerate(targets.items()):
                    hx = {"BENCH_HX": "1"} if name in partial else {}
                    dynamic = wrk(base + path, env=hx, **load)
                    static = wrk(f"{base}/static/bench/page-{index}.html", **load)
                    rows.append((name, len(bodies[name]), dynamic, static))
                dynamic = wrk(base + "/consultation/book", env=booking_env(base), **load)
                static = wrk(f"{base}/static/bench/redirect.txt", **load)
                rows.append(("booking POST (303)", 0, dynamic, static))
        finally:
            shutil.rmtree(STATIC_DIR, ignore_errors=True)

    print_report(rows, weight, args)
    return 0


def _ms(microseconds: int) -> str:
    return f"{microseconds / 1000:.1f}"


def print_report(rows: list, weight: dict[str, int], args: argparse.Namespace) -> None:
    print(
        f"wrk, {args.connections} connections, {args.duration} s per run, "
        "one uvicorn worker; wrk shares the machine's 2 cores\n"
    )
    print(
        "| endpoint | body | req/s | p50 / p95 / p99 ms "
        "| static req/s | static p50 / p95 / p99 ms | dynamic/static req/s |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, size, d, s in rows:
        latency = f"{_ms(d['p50'])} / {_ms(d['p95'])} / {_ms(d['p99'])}"
        static_latency = f"{_ms(s['p50'])} / {_ms(s['p95'])} / {_ms(s['p99'])}"
        print(
            f"| {name} | {size:,} B | {d['rps']:,.0f} | {latency} "
            f"| {s['rps']:,.0f} | {static_latency} | {d['rps'] / s['rps']:.2f} |"
        )
        if d["errors"] or d["non2xx3xx"]:
            print(f"| ↳ {d['errors']} socket errors, {d['non2xx3xx']} bad statuses | | | | | | |")
    total = sum(weight.values())
    print(
        f"\nFirst load of the condition page (HTML + CSS + JS, gzip): {total:,} B (budget 30,720 B)"
    )


if __name__ == "__main__":
    sys.exit(main())
