"""A TCP proxy the tests can cut, stall and restore, to take the database away from a running
server without touching the machine's PostgreSQL service."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from sqlalchemy.engine import make_url


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.running = True
        self.flowing = threading.Event()  # cleared: connections stay open, nothing is forwarded
        self.flowing.set()
        # Client bytes holding this pattern are held back this long (e.g. a COMMIT on its way).
        self.delayed: tuple[bytes, float] | None = None
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()  # the database is "unreachable": connections die at once
                continue
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self.flowing.wait()  # while stalled, a new connection is accepted and then held
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        with self.lock:
            self.sockets += [client, upstream]
        threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        try:
            while data := source.recv(65536):
                self.flowing.wait()
                delayed = self.delayed
                if from_client and delayed is not None and delayed[0] in data:
                    time.sleep(delayed[1])
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every open connection and refuse new ones."""
        self.up = False
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def stall(self) -> None:
        """Keep every connection open, accept new ones, forward nothing."""
        self.flowing.clear()

    def delay(self, pattern: bytes, seconds: float) -> None:
        """Hold back what the client sends when it contains `pattern` (None: stop)."""
        self.delayed = (pattern, seconds)

    def restore(self) -> None:
        self.up = True
        self.flowing.set()

    def close(self) -> None:
        self.running = False
        self.flowing.set()
        self.cut()
        self.listener.close()


def proxy_for(database_url: str) -> tuple[TcpProxy, str]:
    """A proxy in front of the database of `database_url`, and the URL that goes through it."""
    direct = make_url(database_url)
    proxy = TcpProxy(direct.host or "127.0.0.1", direct.port or 5432)
    through = direct.set(host="127.0.0.1", port=proxy.port)
    return proxy, through.render_as_string(hide_password=False)
