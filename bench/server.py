"""One uvicorn process for the benchmark, on a free port of 127.0.0.1 (the tests have their own)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Served:
    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """User and system CPU the server process has used so far (from /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def uvicorn_serving(
    database_url: str,
    env: dict[str, str],
    *,
    app: str = "web.app:create_app",
    ready: str = "/readyz",
) -> Iterator[Served]:
    """One uvicorn process, one worker (so its CPU is the app's); stops it afterwards."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "uvicorn", app]
    if app.endswith("create_app"):
        command.append("--factory")
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url, **env}
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(base + ready, timeout=1):
                    break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("uvicorn did not become ready")
        yield Served(base, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=15)
