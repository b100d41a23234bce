"""One uvicorn process for the benchmark, on a free port of 127.0.0.1 (the tests have their own)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def uvicorn_serving(database_url: str, env: dict[str, str]) -> Iterator[str]:
    """Yields the base URL once /readyz answers; stops the server afterwards."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "uvicorn", "--factory", "web.app:create_app"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url, **env}
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("uvicorn did not become ready")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)
