"""Files holding patients' data are readable by their owner only (0600): the SQLite database,
its write-ahead log and shared-memory files (SQLite gives them the database file's mode) and
every backup."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

PRIVATE = 0o600


def sqlite_path(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def create_private_file(path: Path) -> None:
    """Create `path` (empty) readable by its owner only, or make an existing one so."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE))
    path.chmod(PRIVATE)


def create_private_sqlite_file(database_url: str) -> None:
    """Made 0600 before SQLite first opens it (SQLite itself would follow the umask, 0644)."""
    path = sqlite_path(database_url)
    if path is not None and not path.exists():
        create_private_file(path)
