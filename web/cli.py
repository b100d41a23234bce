"""`python -m web COMMAND`: the operations an engineer runs outside the web process."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
import time
from pathlib import Path

from alembic import command
from alembic.config import Config

from web.app import make_notifier
from web.core.clinic import ClinicConfigError, load_clinic
from web.core.content import ContentError, load_conditions, unnamed_reviewers
from web.core.db import make_engine
from web.core.models import utc_now
from web.core.retention import purge_old_bookings
from web.desk.accounts import remove_coordinator as remove_coordinator_account
from web.desk.accounts import save_coordinator
from web.http.proxy_errors import write_error_pages
from web.mail.outbox import run_forever, send_due
from web.settings import PROJECT_ROOT, load_settings


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def migrate(database_url: str | None = None) -> None:
    url = database_url or load_settings().database_url
    if url.startswith("sqlite:///"):
        (PROJECT_ROOT / "var").mkdir(exist_ok=True)
    command.upgrade(alembic_config(url), "head")


def check() -> None:
    """Load the clinic profile and every content file, so a bad edit fails before deployment."""
    settings = load_settings()
    clinic = load_clinic(settings.clinic_file)
    library = load_conditions(settings.content_dir / "conditions", clinic.languages)
    slugs = library[clinic.default_language]
    print(
        f"{clinic.name}: {len(slugs)} condition page(s) in {', '.join(clinic.languages)}: "
        + ", ".join(slugs)
    )
    unreviewed = unnamed_reviewers(library)
    if unreviewed:
        rule = "!" * 78
        print(
            f"{rule}\nWARNING: no named reviewer for {', '.join(unreviewed)}.\n"
            "A real specialist must check each page and be named in its front matter\n"
            "(reviewer: name, role, date) before the site goes live. Never invent one.\n" + rule,
            file=sys.stderr,
        )


def create_coordinator(username: str) -> None:
    """Password from COORDINATOR_PASSWORD (for deployment scripts) or asked twice, without echo."""
    password = os.environ.get("COORDINATOR_PASSWORD")
    if not password:
        password = getpass.getpass(f"Password for {username}: ")
        if getpass.getpass("Again: ") != password:
            raise SystemExit("error: the passwords differ")
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        created = save_coordinator(
            engine=engine, username=username, password=password, now=utc_now()
        )
    except ValueError as error:
        raise SystemExit(f"error: {error}") from None
    finally:
        engine.dispose()
    print(f"coordinator {username!r} {'created' if created else 'password updated'}")


def remove_coordinator(username: str) -> None:
    """Delete a desk account; its desk sessions end at once."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        removed = remove_coordinator_account(engine=engine, username=username)
    finally:
        engine.dispose()
    if not removed:
        raise SystemExit(f"error: there is no coordinator {username!r}")
    print(f"coordinator {username!r} removed; their desk sessions have ended")


def send_outbox(*, once: bool, interval: float) -> None:
    settings = load_settings()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    engine = make_engine(settings.database_url)
    render = make_notifier(settings, load_clinic(settings.clinic_file)).render
    try:
        if once:
            report = send_due(engine=engine, smtp=settings.smtp, now=utc_now(), render=render)
            print(f"sent {report.sent}, failed {report.failed}, waiting {report.waiting}")
        else:
            asyncio.run(
                run_forever(
                    engine=engine,
                    smtp=settings.smtp,
                    clock=utc_now,
                    interval=interval,
                    render=render,
                )
            )
    finally:
        engine.dispose()


def purge(*, older_than: int, every_hours: float | None) -> None:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        while True:
            report = purge_old_bookings(engine=engine, now=utc_now(), older_than_days=older_than)
            print(
                f"purged {report.bookings} booking(s), {report.messages} e-mail(s), "
                f"{report.login_attempts} login attempt(s) older than {older_than} days",
                flush=True,
            )
            if every_hours is None:
                return
            time.sleep(every_hours * 3600)
    finally:
        engine.dispose()


def error_pages(directory: str) -> None:
    """nginx's own error pages (deploy/nginx.conf.template's ERROR_PAGES), from clinic.toml."""
    clinic = load_clinic(load_settings().clinic_file)
    for path in write_error_pages(clinic, Path(directory), PROJECT_ROOT / "templates"):
        print(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations (alembic upgrade head)")
    commands.add_parser("check", help="validate clinic.toml and the content files")
    create = commands.add_parser(
        "create-coordinator", help="create a desk account (or set its password)"
    )
    create.add_argument("username")
    remove = commands.add_parser(
        "remove-coordinator", help="delete a desk account and end its sessions"
    )
    remove.add_argument("username")
    sender = commands.add_parser("send-outbox", help="deliver queued e-mails (loops; --once)")
    sender.add_argument("--once", action="store_true", help="one round, then exit")
    sender.add_argument("--interval", type=float, default=30.0, help="seconds between rounds")
    purger = commands.add_parser(
        "purge-old-bookings", help="delete patient data of bookings that ended long ago"
    )
    purger.add_argument("--older-than", type=int, required=True, metavar="DAYS")
    purger.add_argument(
        "--every", type=float, metavar="HOURS", help="keep running, purging every HOURS hours"
    )
    pages = commands.add_parser(
        "error-pages", help="write nginx's own error pages (both languages) into DIRECTORY"
    )
    pages.add_argument("directory")
    args = parser.parse_args(argv)
    try:
        if args.command == "migrate":
            migrate()
        elif args.command == "check":
            check()
        elif args.command == "create-coordinator":
            create_coordinator(args.username.strip())
        elif args.command == "remove-coordinator":
            remove_coordinator(args.username.strip())
        elif args.command == "send-outbox":
            send_outbox(once=args.once, interval=args.interval)
        elif args.command == "purge-old-bookings":
            purge(older_than=args.older_than, every_hours=args.every)
        elif args.command == "error-pages":
            error_pages(args.directory)
    except (ClinicConfigError, ContentError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
