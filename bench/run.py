"""Benchmark each endpoint against the floor of the stack, the booking POST against a bare
insert, and the slot list at several horizons.

Usage: python bench/run.py [--duration 5] [--database-url URL]   (needs wrk: apt-get install wrk)

The floor (bench/floor.py) is a raw ASGI app under the same uvicorn that answers with the very
bytes and headers the real app sent for that request, from memory; the bare insert is a raw ASGI
handler that inserts one row and commits in the same database. Every server runs alone, one
worker, no access log; wrk runs beside it on the same machine. CPU per request is the server
process's own user+system time (from /proc) over the requests wrk completed. Each run draws a
fresh random seed, so booking keys and slots never repeat an earlier run's.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bench.server import Served, uvicorn_serving  # noqa: E402
from web.cli import migrate  # noqa: E402
from web.core.db import make_engine  # noqa: E402
from web.core.models import Booking, BookingStatus  # noqa: E402
from web.desk.accounts import save_coordinator  # noqa: E402

LUA = Path(__file__).with_name("wrk_report.lua")
GET_CONNECTIONS = 16
POST_CONNECTIONS = 50
HX = {"HX-Request": "true"}
DAYS_TIMES = {**HX, "HX-Target": "section#slots"}  # a day chosen in the strip
BROWSER = {"Accept-Encoding": "br, gzip"}
KEPT = ("content-type", "content-encoding", "vary", "cache-control", "etag", "content-language")


@dataclass(frozen=True)
class Result:
    rps: float
    p50: float
    p95: float
    p99: float
    cpu_ms: float  # server CPU per completed request
    bad: int  # socket errors and unexpected statuses


def clinic_profile(directory: Path, *, horizon_days: int) -> Path:
    """The real profile with room for every benchmark booking and the horizon asked for."""
    text = (ROOT / "clinic.toml").read_text(encoding="utf-8")
    reception = tomllib.loads(text)["reception"]
    text = text.replace(
        f"consultations_per_slot = {reception['consultations_per_slot']}",
        "consultations_per_slot = 1000000",
    ).replace(f"horizon_days = {reception['horizon_days']}", f"horizon_days = {horizon_days}")
    path = directory / f"clinic-{horizon_days}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def wrk(served: Served, path: str, *, connections: int, duration: int, env: dict) -> Result:
    command = [
        "wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
        "-s", str(LUA), served.base + path,
    ]  # fmt: skip
    before = served.cpu_seconds()
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **env}, check=True
    )
    used = served.cpu_seconds() - before
    report = json.loads(next(ln for ln in done.stdout.splitlines() if ln.startswith("{")))
    requests = max(report["requests"], 1)
    return Result(
        rps=report["rps"],
        p50=report["p50"] / 1000,
        p95=report["p95"] / 1000,
        p99=report["p99"] / 1000,
        cpu_ms=used / requests * 1000,
        bad=report["errors"] + report["non2xx3xx"],
    )


def capture(base: str, path: str, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """The bytes on the wire (still compressed) and the headers that describe them."""
    with httpx.Client(base_url=base) as client, client.stream("GET", path, headers=headers) as r:
        r.raise_for_status()
        body = b"".join(r.iter_raw())
        return body, {name: r.headers[name] for name in KEPT if name in r.headers}


def free_starts(base: str, skip_days: int = 1) -> list[str]:
    """Every offered slot start after today (today's could pass the notice mid-run)."""
    with httpx.Client(base_url=base) as client:
        days = re.findall(r"/consultation/slots\?day=([0-9-]+)", client.get("/consultation").text)
        return [
            start
            for day in sorted(set(days))[skip_days:]
            for start in re.findall(
                r'name="start" value="([^"]+)"', client.get(f"/consultation/slots?day={day}").text
            )
        ]


def booking_env(base: str, starts: list[str], seed: int) -> dict[str, str]:
    """One visitor's cookie and CSRF token and the slots to spread bookings over, for wrk."""
    with httpx.Client(base_url=base) as visitor:
        form = visitor.get(f"/consultation/book?start={starts[-1]}").text
        csrf = re.search(r'name="csrf_token" [^>]*value="([^"]+)"', form).group(1)
        cookie = "; ".join(f"{name}={value}" for name, value in visitor.cookies.items())
    fields = {
        "csrf_token": csrf, "name": "Bench Patient", "phone": "+380671234567",
        "email": "bench@example.com", "channel": "Zoom", "consent": "y",
    }  # fmt: skip
    return {
        "BENCH_BODY_PREFIX": urlencode(fields),
        "BENCH_COOKIE": cookie,
        "BENCH_STARTS": ",".join(starts),
        "BENCH_SEED": str(seed),
    }


def add_bookings(url: str, count: int, starts: list[str], rng: random.Random) -> None:
    """`count` active bookings spread over the horizon's slots, written directly."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    rows = []
    for number in range(count):
        start = datetime.strptime(rng.choice(starts), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        rows.append(
            {
                "starts_at": start, "ends_at": start + timedelta(minutes=30), "seat": number,
                "status": BookingStatus.CONFIRMED.value, "patient_name": "Bench",
                "phone": "+380671234567", "channel": "Zoom", "language": "uk",
                "consent_at": now, "token_hash": secrets.token_hex(32),
                "uid": secrets.token_hex(16), "sequence": 0, "created_at": now, "updated_at": now,
            }
        )  # fmt: skip
    if rows:
        with engine.begin() as connection:
            connection.execute(insert(Booking), rows)
    engine.dispose()


DESK_BOOKINGS = 100_000
DESK_PASSWORD = "a long benchmark password"  # noqa: S105  (a throwaway benchmark account)
FIRST_NAMES = ["Олена", "Ганна", "Петро", "Ярина", "Остап", "Iryna", "Taras", "Mykola", "Софія"]
LAST_NAMES = ["Коваленко", "Шевчук", "Бондар", "Ткаченко", "Kovalchuk", "Melnyk", "Мороз"]


def add_desk_history(url: str, count: int, rng: random.Random, now: datetime) -> None:
    """`count` bookings as the clinic would hold them (one per slot, weekdays 09:30-15:00 Kyiv):
    every slot of the next three weeks booked, and the rest spread over the years before, as
    far back as it takes; varied names, phones and outcomes."""
    engine = make_engine(url)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    slots_of = [(7, 30), (8, 0), (8, 30), (9, 0), (9, 30), (10, 0), (10, 30), (11, 0), (11, 30),
                (12, 0), (12, 30)]  # UTC in winter; near enough for a benchmark  # fmt: skip
    starts: list[datetime] = []
    day = today + timedelta(days=21)
    while len(starts) < count:
        if day.weekday() < 5:
            starts += [day.replace(hour=h, minute=m) for h, m in slots_of]
        day -= timedelta(days=1)
    statuses = [BookingStatus.DONE.value] * 8 + [BookingStatus.CANCELLED.value, "no_show"]
    rows = []
    for start in starts[:count]:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        status = rng.choice(statuses) if start < now else BookingStatus.CONFIRMED.value
        rows.append(
            {
                "starts_at": start, "ends_at": start + timedelta(minutes=30), "seat": 0,
                "status": status, "patient_name": name, "name_folded": name.casefold(),
                "phone": f"+38067{rng.randrange(10**7):07d}", "channel": "Zoom", "language": "uk",
                "consent_at": now, "token_hash": secrets.token_hex(32),
                "uid": secrets.token_hex(16), "sequence": 0, "created_at": now, "updated_at": now,
            }
        )  # fmt: skip
    with engine.begin() as connection:
        for chunk in range(0, len(rows), 5000):
            connection.execute(insert(Booking), rows[chunk : chunk + 5000])
    save_coordinator(engine=engine, username="bench", password=DESK_PASSWORD, now=now)
    engine.dispose()


def desk_cookie(base: str) -> str:
    with httpx.Client(base_url=base) as desk:
        page = desk.get("/coordinator/login").text
        csrf = re.search(r'name="csrf_token" [^>]*value="([^"]+)"', page).group(1)
        signed = desk.post(
            "/coordinator/login",
            data={"csrf_token": csrf, "username": "bench", "password": DESK_PASSWORD},
        )
        assert signed.status_code == 303, signed.status_code
        return "; ".join(f"{name}={value}" for name, value in desk.cookies.items())


def _desk_views(url: str, env: dict, load: dict, rng: random.Random) -> list:
    """One coordinator (one connection) on a database holding DESK_BOOKINGS bookings."""
    add_desk_history(url, DESK_BOOKINGS, rng, datetime.now(UTC))
    targets = {
        "day view": "/coordinator/",
        "week view": "/coordinator/week",
        "search by a part of a name": "/coordinator/bookings?q=%D0%BA%D0%BE%D0%B2%D0%B0%D0%BB",
        "search by a phone number": "/coordinator/bookings?q=067+123+45+67",
    }
    with uvicorn_serving(url, env) as app:
        cookie = {"BENCH_COOKIE": desk_cookie(app.base)}
        return [
            (name, wrk(app, path, connections=1, env=cookie, **load))
            for name, path in targets.items()
        ]


def fresh_sqlite(directory: Path, name: str) -> str:
    url = f"sqlite:///{directory / f'{name}.db'}"
    migrate(url)
    return url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument(
        "--database-url", help="an empty PostgreSQL database to use instead of SQLite"
    )
    parser.add_argument(
        "--only",
        choices=("pages", "booking", "horizons", "desk"),
        help="run one part (while working on it; the README's table comes from a whole run)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    seed = secrets.randbits(31)
    rng = random.Random(seed)  # noqa: S311  (which slots the bookings take; no secret)
    load = {"duration": args.duration}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        url = args.database_url or fresh_sqlite(directory, "bench")
        if args.database_url:
            migrate(url)
        env = {
            "CLINIC_FILE": str(clinic_profile(directory, horizon_days=21)),
            "OUTBOX_IN_WEB": "false",
            "WEB_CONCURRENCY": "1",
        }
        wanted = {args.only} if args.only else {"pages", "booking", "horizons", "desk"}
        rows, horizon, desk = [], [], []
        if "pages" in wanted:
            rows += _compare_pages(url, env, directory, load)
        if "booking" in wanted:
            rows.append(_compare_booking(url, env, directory, load, seed))
        if "horizons" in wanted:
            horizon = _horizons(directory, env, load, rng)
        if "desk" in wanted:
            desk_url = fresh_sqlite(directory, "desk") if not args.database_url else url
            desk = _desk_views(desk_url, env, load, rng)
    print_report(rows, horizon, args, seed, url.split(":", 1)[0])
    if desk:
        _print_desk(desk)
    return 0


def _second_day(base: str) -> str:
    """Tomorrow in the strip: a day whose slots stay put while wrk runs."""
    page = httpx.get(base + "/consultation").text
    return sorted(set(re.findall(r"slots\?day=([0-9-]+)", page)))[1]


def _compare_pages(url: str, env: dict, directory: Path, load: dict) -> list:
    floor_dir = directory / "floor"
    floor_dir.mkdir()
    rows = []
    with uvicorn_serving(url, env) as app:
        day = _second_day(app.base)
        targets = {
            "condition page, uk": ("/conditions/hemifacial-spasm", {}),
            "section partial (htmx), uk": ("/conditions/hemifacial-spasm/treatment", HX),
            "picker, uk": ("/consultation", {}),
            "day's slot list (htmx), uk": (f"/consultation/slots?day={day}", DAYS_TIMES),
        }
        captured = {}
        for number, (name, (path, headers)) in enumerate(targets.items()):
            body, kept = capture(app.base, path, {**BROWSER, **headers})
            (floor_dir / f"{number}.body").write_bytes(body)
            (floor_dir / f"{number}.json").write_text(json.dumps(kept), encoding="utf-8")
            captured[name] = body
        measured = {
            name: wrk(app, path, connections=GET_CONNECTIONS, env=_wrk_env(headers), **load)
            for name, (path, headers) in targets.items()
        }
    floor_env = {"BENCH_FLOOR_DIR": str(floor_dir)}
    with uvicorn_serving(url, floor_env, app="bench.floor:app", ready="/page/0") as floor:
        for number, (name, (_, headers)) in enumerate(targets.items()):
            base = wrk(
                floor, f"/page/{number}", connections=GET_CONNECTIONS, env=_wrk_env(headers), **load
            )
            rows.append((name, len(captured[name]), measured[name], base))
    return rows


def _wrk_env(headers: dict[str, str]) -> dict[str, str]:
    """What the wrk script sends besides Accept-Encoding: the htmx headers, if any."""
    if not headers:
        return {}
    return {"BENCH_HX": "1", "BENCH_HX_TARGET": headers.get("HX-Target", "")}


def _compare_booking(url: str, env: dict, directory: Path, load: dict, seed: int) -> tuple:
    with uvicorn_serving(url, env) as app:
        starts = free_starts(app.base)
        booking = booking_env(app.base, starts, seed)
        measured = wrk(app, "/consultation/book", connections=POST_CONNECTIONS, env=booking, **load)
    floor_env = {"BENCH_FLOOR_DIR": str(directory / "floor")}
    with uvicorn_serving(url, floor_env, app="bench.floor:app", ready="/page/none") as floor:
        base = wrk(floor, "/insert", connections=POST_CONNECTIONS, env=booking, **load)
    return ("booking POST, 50 connections", 0, measured, base)


def _horizons(directory: Path, env: dict, load: dict, rng: random.Random) -> list:
    rows = []
    for days in (21, 60, 180):
        for bookings in (0, 1000):
            url = fresh_sqlite(directory, f"horizon-{days}-{bookings}")
            horizon_env = {
                **env,
                "CLINIC_FILE": str(clinic_profile(directory, horizon_days=days)),
                "AVAILABILITY_TTL": "0",  # the work itself, not a kept answer
            }
            with uvicorn_serving(url, horizon_env) as app:
                starts = free_starts(app.base, skip_days=0)
                add_bookings(url, bookings, starts, rng)
                result = wrk(
                    app, f"/consultation/slots?day={_second_day(app.base)}",
                    connections=GET_CONNECTIONS, env=_wrk_env(DAYS_TIMES), **load,
                )  # fmt: skip
            rows.append((days, bookings, result))
    return rows


GOALS = {
    "condition page, uk": 0.5,
    "section partial (htmx), uk": 0.5,
    "picker, uk": 0.25,
    "day's slot list (htmx), uk": 0.25,
    "booking POST, 50 connections": 0.25,
}
BOOKING_CPU_GOAL_MS = 3.0


def print_report(rows: list, horizon: list, args: argparse.Namespace, seed: int, db: str) -> None:
    print(
        f"`python bench/run.py --duration {args.duration}`; {db}; seed {seed}; one uvicorn worker "
        f"per server; wrk -t2, {GET_CONNECTIONS} connections for GETs and {POST_CONNECTIONS} for "
        "POSTs, beside the server on the same machine\n"
    )
    print(
        "| endpoint | bytes sent | app req/s | floor req/s | ratio | goal | met "
        "| app CPU ms/req | floor CPU ms/req | CPU vs floor | app p50 / p95 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, size, app, floor in rows:
        ratio = app.rps / floor.rps
        goal = GOALS[name]
        met = ratio >= goal
        if name.startswith("booking"):
            met = met and app.cpu_ms <= BOOKING_CPU_GOAL_MS
        goal_text = f"≥ {goal}" + (
            f", ≤ {BOOKING_CPU_GOAL_MS:g} ms CPU" if name.startswith("booking") else ""
        )
        print(
            f"| {name} | {size:,} | {app.rps:,.0f} | {floor.rps:,.0f} | {ratio:.2f} | {goal_text} "
            f"| {'yes' if met else 'no'} | {app.cpu_ms:.2f} | {floor.cpu_ms:.2f} "
            f"| {app.cpu_ms / max(floor.cpu_ms, 1e-6):.1f}x | {app.p50:.1f} / {app.p95:.1f} |"
        )
        if app.bad or floor.bad:
            print(f"| ↳ {app.bad} bad answers from the app, {floor.bad} from the floor | |||||||||")
    if horizon:
        _print_horizons(horizon)


def _print_horizons(horizon: list) -> None:
    print(
        "\nThe day's slot list (htmx) by horizon and bookings already made, worked out afresh "
        "for every request (AVAILABILITY_TTL=0: nothing kept, no stored answer):\n"
    )
    print("| horizon (days) | bookings | req/s | CPU ms/req | CPU µs per day of horizon |")
    print("|---|---|---|---|---|")
    for days, bookings, result in horizon:
        per_day = result.cpu_ms * 1000 / days
        print(
            f"| {days} | {bookings:,} | {result.rps:,.0f} | {result.cpu_ms:.2f} | {per_day:.0f} |"
        )
    short = next(r.cpu_ms for d, b, r in horizon if d == 21 and b == 0)
    long = next(r.cpu_ms for d, b, r in horizon if d == 180 and b == 0)
    print(
        f"\nCPU at 180 days / at 21 days: {long / short:.2f} (linear would be at most "
        f"{180 / 21:.2f}): {'linear' if long / short <= 180 / 21 else 'worse than linear'}"
    )


DESK_GOAL_MS = 20.0


def _print_desk(desk: list) -> None:
    print(
        f"\nThe desk for one coordinator (one connection) with {DESK_BOOKINGS:,} bookings stored "
        f"(goal: at most {DESK_GOAL_MS:g} ms a request):\n"
    )
    print("| view | req/s | mean ms | p50 / p95 / p99 ms | CPU ms/req | met |")
    print("|---|---|---|---|---|---|")
    for name, result in desk:
        mean = 1000 / result.rps if result.rps else float("inf")
        print(
            f"| {name} | {result.rps:,.0f} | {mean:.1f} | {result.p50:.1f} / {result.p95:.1f} / "
            f"{result.p99:.1f} | {result.cpu_ms:.2f} | {'yes' if mean <= DESK_GOAL_MS else 'no'} |"
        )
        if result.bad:
            print(f"| ↳ {result.bad} bad answers | |||||")


if __name__ == "__main__":
    sys.exit(main())
