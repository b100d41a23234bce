"""The Procfile's web line, started as a platform starts it: a fresh process tree, first request
first. In-process tests warm what a new worker does not have (mappers, caches); these do not."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.live_server import free_port, stop
from web.settings import PROJECT_ROOT


def procfile_line(name: str) -> str:
    for line in (PROJECT_ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{name}:"):
            return line.partition(":")[2].strip()
    raise AssertionError(f"the Procfile has no {name} line")


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Listening, without sending a request: the first HTTP request is the test's own."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web process exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the web process did not start listening")


@contextmanager
def procfile_web(env: dict[str, str], *, log: Path | None = None) -> Iterator[str]:
    """The web line under bash, as a Procfile runner runs it, on a free port of 127.0.0.1."""
    port = free_port()
    # The line binds 0.0.0.0; the tests only ever talk to 127.0.0.1.
    full_env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "PORT": str(port),
        **env,
    }
    output = log.open("wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        ["bash", "-c", "exec " + procfile_line("web")],
        env=full_env,
        cwd=PROJECT_ROOT,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)
        if log:
            output.close()  # type: ignore[union-attr]
