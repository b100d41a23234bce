"""Settings from the environment (and an optional .env file), read once when the app is created."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from starlette.config import Config

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


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    clinic_file: Path
    content_dir: Path
    https_only: bool = False
    debug: bool = False


def normalise_database_url(url: str) -> str:
    """Let deployments give the usual postgres:// URL; SQLAlchemy wants a driver name."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_settings(env_file: Path | None = PROJECT_ROOT / ".env") -> Settings:
    config = Config(env_file if env_file and env_file.exists() else None)
    database_url = config("DATABASE_URL", default=f"sqlite:///{DEFAULT_SQLITE_PATH}")
    return Settings(
        database_url=normalise_database_url(database_url),
        secret_key=config("SECRET_KEY", default="") or _dev_secret_key(),
        clinic_file=Path(config("CLINIC_FILE", default=str(PROJECT_ROOT / "clinic.toml"))),
        content_dir=Path(config("CONTENT_DIR", default=str(PROJECT_ROOT / "content"))),
        https_only=config("HTTPS_ONLY", cast=bool, default=False),
        debug=config("DEBUG", cast=bool, default=False),
    )
