"""How every fake is served: uvicorn in a daemon thread, on a socket bound before the server
starts, so the port is known at once and nothing races for it."""

from __future__ import annotations

import socket
import threading

import uvicorn
from starlette.types import ASGIApp

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


class Served:
    """One app on one port; `start()` returns once it listens, `stop()` once it has ended."""

    def __init__(self, name: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.name, self.host, self.port = name, host, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    def start(self, app: ASGIApp) -> str:
        """Serve `app`; its base URL."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(128)
        self._sock = sock
        server = self._server = uvicorn.Server(uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="off",
            timeout_graceful_shutdown=2))
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                        name=self.name, daemon=True)
        self._thread.start()
        ready = threading.Event()  # polled on an Event: no sleep
        for _ in range(int(START_TIMEOUT / 0.01)):
            if server.started or not self._thread.is_alive():
                break
            ready.wait(0.01)
        if not server.started:
            self.stop()
            raise RuntimeError(f"the {self.name} server did not start")
        return f"http://{self.host}:{sock.getsockname()[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._server = None
