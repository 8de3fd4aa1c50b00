"""How every fake is served: uvicorn in a daemon thread, on a socket bound before the server
starts, so the port is known at once and nothing races for it."""

from __future__ import annotations

import socket
import threading
from typing import Self

import httpx
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


class ServedFake:
    """What every fake does with its server: start it, stop it (and the demo's timer), be a
    context manager, and on `run_in_background()` call `_tick()` every few seconds. A fake
    calls `_serve(label, host, port)` in its `__init__` and says what `_app()` and `_tick()`
    are; `_release()` lets go of requests held open by a test."""

    def _serve(self, label: str, host: str, port: int) -> None:
        self._label = label
        self._served = Served(label, host, port)
        self._background: threading.Thread | None = None
        self._stopping = threading.Event()
        self._http: httpx.Client | None = None  # for the webhooks it sends
        self.url = ""

    def _app(self) -> ASGIApp:
        raise NotImplementedError

    def _tick(self) -> None:
        raise NotImplementedError

    def _release(self) -> None:
        return None

    def start(self) -> Self:
        self._stopping.clear()
        self.url = self._served.start(self._app())
        self._http = httpx.Client(trust_env=False)
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._release()
        if self._background is not None:
            self._background.join(STOP_TIMEOUT)
            self._background = None
        self._served.stop()
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def run_in_background(self, interval: float = 1.0) -> None:
        """`_tick()` every `interval` seconds until `stop()` — for the demo, not for tests."""
        if self._background is not None:
            return

        def loop() -> None:
            while not self._stopping.wait(interval):
                self._tick()

        self._background = threading.Thread(target=loop, name=f"{self._label} timer",
                                            daemon=True)
        self._background.start()
