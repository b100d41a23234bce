"""Settings from the environment (and an optional .env file), read once when the app is created."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from starlette.config import Config

from web.core.clinic import Clinic, placeholders
from web.http.metrics import parse_allowed
from web.mail.smtp import SmtpSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "clinic.db"


def _dev_secret_key() -> str:
    """A per-checkout key for local runs, kept on disk so restarts keep sessions valid.

    Production sets SECRET_KEY; several workers must share it, which this file does on one host.
    """
    path = PROJECT_ROOT / "var" / "dev-secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"  # the local server, right only for development


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    clinic_file: Path
    content_dir: Path
    https_only: bool = False
    debug: bool = False
    public_url: str = DEFAULT_PUBLIC_URL
    smtp: SmtpSettings | None = None  # None: e-mails wait in the outbox
    outbox_in_web: bool = True  # false when a separate `send-outbox` worker runs
    outbox_interval: float = 30.0  # seconds between the web process's outbox rounds
    redis_url: str | None = None  # rate limits shared by every worker when set
    rate_limits: dict[str, str] = field(default_factory=dict)  # e.g. {"booking": "5 per minute"}
    rate_limit_prefix: str = "clinic"  # keeps two sites on one Redis apart
    # Days after a consultation before its patient data is deleted; the purge worker (Procfile)
    # reads the same RETENTION_DAYS, and the privacy notice tells patients this number.
    retention_days: int = 180
    # Seconds another worker's booking may take to show in this one's picker (core/availability)
    availability_ttl: float = 2.0
    # Longest wait for an answer before the site says 503 itself (web/http/deadline.py).
    request_timeout: float = 9.0
    # Who may read /metrics (web/http/metrics.py): addresses or networks, as the app sees the
    # client (behind nginx, the real client's address).
    metrics_allow: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("::1/128"),
    )
    sentry_dsn: str | None = None  # errors reported to Sentry when set
    # Seconds /readyz gives Redis (when REDIS_URL is set) to answer a PING.
    redis_ready_timeout: float = 0.5
    # Tests only: a real server under test runs at this moment, so no test depends on the hour.
    fixed_now: datetime | None = None


def normalise_database_url(url: str) -> str:
    """Let deployments give the usual postgres:// URL; SQLAlchemy wants a driver name."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _smtp(config: Config) -> SmtpSettings | None:
    host = config("SMTP_HOST", default="")
    if not host:
        return None
    security = config("SMTP_SECURITY", default="starttls").lower()
    if security not in {"starttls", "tls", "none"}:
        raise ValueError("SMTP_SECURITY must be starttls, tls or none")
    default_port = {"starttls": 587, "tls": 465, "none": 25}[security]
    return SmtpSettings(
        host=host,
        port=config("SMTP_PORT", cast=int, default=default_port),
        security=security,
        username=config("SMTP_USERNAME", default=""),
        password=config("SMTP_PASSWORD", default=""),
        sender=config("MAIL_FROM", default=f"no-reply@{host}"),
    )


def _moment(value: str) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("FIXED_NOW needs a UTC offset, like 2026-11-30T06:00:00+00:00")
    return moment


class SettingsError(ValueError):
    """A setting that makes the site unsafe or broken: the process refuses to start."""


MAKE_A_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Top-level domains that never reach the public internet (RFC 2606, RFC 6761, RFC 6762).
PRIVATE_TLDS = ("example", "test", "invalid", "localhost", "local", "internal")


def is_public_url(url: str) -> bool:
    """Whether patients could reach this address: not a loopback or private address, not a
    single-label name (a test server, a host on the LAN), not a reserved domain."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." in host and host.rpartition(".")[2] not in PRIVATE_TLDS
    return address.is_global


def refuse_placeholders(settings: Settings, clinic: Clinic) -> None:
    """A public site (or one behind TLS) must not show patients the example controller: its
    privacy notice would name a company that does not hold their data."""
    if not (settings.https_only or is_public_url(settings.public_url)):
        return
    left = placeholders(clinic)
    if left:
        why = "HTTPS_ONLY=true" if settings.https_only else f"PUBLIC_URL is {settings.public_url}"
        raise SettingsError(
            f"{why}, but {settings.clinic_file.name} still holds the example "
            f"{', '.join(left)}. The privacy notice names the clinic's legal name, address, "
            "e-mail and phone to every patient: put the real ones in before going live."
        )


def _secret_key(config: Config, *, public_url: str, https_only: bool) -> str:
    """SECRET_KEY from the environment. Only a local run may do without: a per-checkout key on
    disk is right for one host, but two hosts of a public site would each make their own (the
    other's e-mails would carry no manage link, forms posted across hosts would be refused)."""
    key: str = config("SECRET_KEY", default="")
    if key:
        return key
    if https_only or not is_loopback_url(public_url):
        raise SettingsError(
            f"SECRET_KEY is not set, and PUBLIC_URL ({public_url}) is a public site. Every host "
            f"and worker must share one key: make one with `{MAKE_A_KEY}` and set SECRET_KEY to "
            "it in each host's environment."
        )
    return _dev_secret_key()


def load_settings(env_file: Path | None = PROJECT_ROOT / ".env") -> Settings:
    config = Config(env_file if env_file and env_file.exists() else None)
    database_url = config("DATABASE_URL", default=f"sqlite:///{DEFAULT_SQLITE_PATH}")
    public_url = config("PUBLIC_URL", default=DEFAULT_PUBLIC_URL).rstrip("/")
    https_only = config("HTTPS_ONLY", cast=bool, default=False)
    return Settings(
        database_url=normalise_database_url(database_url),
        secret_key=_secret_key(config, public_url=public_url, https_only=https_only),
        clinic_file=Path(config("CLINIC_FILE", default=str(PROJECT_ROOT / "clinic.toml"))),
        content_dir=Path(config("CONTENT_DIR", default=str(PROJECT_ROOT / "content"))),
        https_only=https_only,
        debug=config("DEBUG", cast=bool, default=False),
        public_url=public_url,
        smtp=_smtp(config),
        outbox_in_web=config("OUTBOX_IN_WEB", cast=bool, default=True),
        outbox_interval=config("OUTBOX_INTERVAL", cast=float, default=30.0),
        redis_url=config("REDIS_URL", default="") or None,
        rate_limits={
            action: config(f"RATE_LIMIT_{action.upper()}", default="")
            for action in ("booking", "manage", "login")
        },
        rate_limit_prefix=config("RATE_LIMIT_PREFIX", default="clinic"),
        retention_days=config("RETENTION_DAYS", cast=int, default=180),
        availability_ttl=config("AVAILABILITY_TTL", cast=float, default=2.0),
        request_timeout=config("REQUEST_TIMEOUT", cast=float, default=9.0),
        metrics_allow=parse_allowed(config("METRICS_ALLOW", default="127.0.0.1, ::1")),
        sentry_dsn=config("SENTRY_DSN", default="") or None,
        redis_ready_timeout=config("REDIS_READY_TIMEOUT", cast=float, default=0.5),
        fixed_now=_moment(config("FIXED_NOW", default="")),
    )
