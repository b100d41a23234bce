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

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from web import backup as backups
from web import schema
from web.app import make_notifier, page_routes, route_paths
from web.core.clinic import ClinicConfigError, load_clinic
from web.core.content import ContentError, load_conditions, unnamed_reviewers
from web.core.db import make_engine
from web.core.models import Role, utc_now
from web.core.outbox_state import outbox_state
from web.core.reception import load_changes
from web.core.retention import purge_old_bookings
from web.desk.accounts import purge_expired_sessions, save_coordinator
from web.desk.accounts import remove_coordinator as remove_coordinator_account
from web.http.proxy_errors import write_error_pages
from web.logs import configure_logging
from web.mail.outbox import run_forever, send_due
from web.settings import PROJECT_ROOT, load_settings, refuse_placeholders

log = logging.getLogger(__name__)


def migrate(database_url: str | None = None) -> None:
    """Apply migrations, one release at a time (web/schema.py)."""
    schema.migrate(database_url or load_settings().database_url)


def check() -> None:
    """Load the clinic profile and every content file, so a bad edit fails before deployment."""
    settings = load_settings()
    clinic = load_clinic(settings.clinic_file)
    refuse_placeholders(settings, clinic)
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


def create_coordinator(username: str, role: Role | None = None) -> None:
    """Password from COORDINATOR_PASSWORD (for deployment scripts) or asked twice, without echo.
    `role` None: a new account is a coordinator, an existing one keeps its role."""
    password = os.environ.get("COORDINATOR_PASSWORD")
    if not password:
        password = getpass.getpass(f"Password for {username}: ")
        if getpass.getpass("Again: ") != password:
            raise SystemExit("error: the passwords differ")
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        created = save_coordinator(
            engine=engine, username=username, password=password, now=utc_now(), role=role
        )
    except ValueError as error:
        raise SystemExit(f"error: {error}") from None
    finally:
        engine.dispose()
    kind = "administrator" if role == Role.ADMINISTRATOR else "account"
    print(f"{kind} {username!r} {'created' if created else 'password updated'}")


def remove_coordinator(username: str) -> None:
    """Close a desk account; its desk sessions end at once, its name stays in history."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        removed = remove_coordinator_account(engine=engine, username=username, now=utc_now())
    finally:
        engine.dispose()
    if not removed:
        raise SystemExit(f"error: there is no coordinator {username!r}")
    print(f"coordinator {username!r} removed; their desk sessions have ended")


def downgrade(revision: str, *, force: bool) -> None:
    """Refused on a database holding data unless forced (web/schema.py): back up first."""
    schema.downgrade(load_settings().database_url, revision, force=force)
    print(f"downgraded to {revision}")


def backup(destination: Path) -> None:
    written = backups.backup(load_settings().database_url, destination, now=utc_now())
    print(f"backup written to {written}")


def restore(source: Path) -> None:
    report = backups.restore(load_settings().database_url, source, now=utc_now())
    print(f"restored from {source}; {report.carried_sent} e-mail(s) already sent kept as sent")
    if not report.replaced_readable:
        print(
            "note: there was no readable database in its place to tell which e-mails went out "
            "after the backup was taken. Fine for a test restore; if this replaces a lost "
            "database, those e-mails may go again (with their original Message-ID).",
            file=sys.stderr,
        )


def send_outbox(*, once: bool, interval: float) -> None:
    settings = load_settings()
    configure_logging()
    engine = make_engine(settings.database_url)
    clinic = load_clinic(settings.clinic_file)
    notifier = make_notifier(settings, clinic, paths=route_paths(page_routes()))
    notifier.current_rules = lambda: clinic.rules.with_changes(load_changes(engine))
    render = notifier.render
    try:
        if once:
            now = utc_now()
            report = send_due(engine=engine, smtp=settings.smtp, now=now, render=render)
            state = outbox_state(engine, now)
            print(
                f"sent {report.sent}, failed {report.failed}, waiting {state.waiting} "
                f"({state.failing} after a failed attempt), given up {state.failed}"
            )
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


PURGE_RETRY_SECONDS = 300.0  # after a failed round (the database down), the next try


def purge(*, older_than: int, every_hours: float | None) -> None:
    """One round, or one every `every_hours`; a failed round (the database down) is logged and
    tried again after PURGE_RETRY_SECONDS, so the process carries on through an outage."""
    settings = load_settings()
    configure_logging()
    engine = make_engine(settings.database_url)
    try:
        while True:
            try:
                purge_round(engine, older_than)
            except SQLAlchemyError:
                if every_hours is None:
                    raise
                log.exception("purge round failed; trying again later")
                time.sleep(min(PURGE_RETRY_SECONDS, every_hours * 3600))
                continue
            if every_hours is None:
                return
            time.sleep(every_hours * 3600)
    finally:
        engine.dispose()


def purge_round(engine: Engine, older_than: int) -> None:
    now = utc_now()
    report = purge_old_bookings(engine=engine, now=now, older_than_days=older_than)
    sessions = purge_expired_sessions(engine=engine, now=now)
    print(
        f"purged {report.bookings} booking(s), {report.messages} e-mail(s), "
        f"{report.login_attempts} login attempt(s) older than {older_than} days, "
        f"{sessions} expired desk session(s)",
        flush=True,
    )


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
    administrator = commands.add_parser(
        "create-administrator",
        help="create a desk administrator (the first one; or make an account one, new password)",
    )
    administrator.add_argument("username")
    remove = commands.add_parser(
        "remove-coordinator", help="close a desk account (any role) and end its sessions"
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
    down = commands.add_parser(
        "downgrade", help="undo migrations down to REVISION (refused on data unless --force)"
    )
    down.add_argument("revision")
    down.add_argument("--force", action="store_true", help="drop the data it would lose")
    saver = commands.add_parser("backup", help="write a consistent backup (a file or folder)")
    saver.add_argument("destination", type=Path)
    restorer = commands.add_parser(
        "restore", help="replace the database with a backup (stop the site first)"
    )
    restorer.add_argument("source", type=Path)
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
        elif args.command == "create-administrator":
            create_coordinator(args.username.strip(), Role.ADMINISTRATOR)
        elif args.command == "remove-coordinator":
            remove_coordinator(args.username.strip())
        elif args.command == "send-outbox":
            send_outbox(once=args.once, interval=args.interval)
        elif args.command == "purge-old-bookings":
            purge(older_than=args.older_than, every_hours=args.every)
        elif args.command == "error-pages":
            error_pages(args.directory)
        elif args.command == "downgrade":
            downgrade(args.revision, force=args.force)
        elif args.command == "backup":
            backup(args.destination)
        elif args.command == "restore":
            restore(args.source)
    except (
        ClinicConfigError,
        ContentError,
        ValueError,
        schema.DataLossRefused,
        backups.BackupError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
