"""A real uvicorn process serving the app on 127.0.0.1, for concurrency and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx

from tests.conftest import DEFAULT_NOW, ENGLISH_FIRST_CLINIC
from web.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(
    database_url: str,
    *,
    workers: int = 1,
    timeout: float = 30,
    env: dict[str, str] | None = None,
    extra_args: tuple[str, ...] = (),
    log: Path | None = None,
    port: int | None = None,
) -> Iterator[str]:
    """`log`: everything the server writes goes to this file, access log included. `port`: a
    given one (a host restarted on its address), else a free one."""
    port = port or free_port()
    generous = "1000 per minute"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "live-server-test-secret",
        "RATE_LIMIT_BOOKING": generous,
        "RATE_LIMIT_MANAGE": generous,
        "RATE_LIMIT_LOGIN": generous,
        # The server's clock stands still at a known Monday morning, so the slots a test sees do
        # not depend on when it runs (at 12:05 on a Friday a day may have one slot left).
        "FIXED_NOW": DEFAULT_NOW.isoformat(),
        "CLINIC_FILE": str(ENGLISH_FIRST_CLINIC),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "web.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        *(("--log-level", "info") if log else ("--log-level", "warning", "--no-access-log")),
        *extra_args,
    ]  # fmt: skip
    output = log.open("ab") if log else None
    process = subprocess.Popen(
        command, env=env, cwd=PROJECT_ROOT, stdout=output, stderr=subprocess.STDOUT if log else None
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {process.returncode}")
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not become ready in time")
            time.sleep(0.2)
        yield base
    finally:
        stop(process)
        if output:
            output.close()


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ask the server to stop; if it has not within 15 s, end it."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
