"""SandboxServer: the fake Uphance API on a loopback port, in a background thread."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import SandboxApp
from .state import SandboxState


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (benchmarks make hundreds of thousands of them)."""

    verbose = False

    def log_request(self, code="-", size="-") -> None:
        if self.verbose:
            super().log_request(code, size)


class _VerboseHandler(_QuietHandler):
    verbose = True


class SandboxServer:
    """`SandboxServer(orders=2000).start()` ... `.url` ... `.stop()`; also a context manager."""

    def __init__(
        self,
        *,
        orders: int = 200,
        seed: int = 1,
        latency_ms: float = 0,
        fault_rate: float = 0.0,
        malformed_rate: float = 0.0,
        time_speed: float = 1.0,
        port: int = 0,
        host: str = "127.0.0.1",
        clock_start: datetime | None = None,
        new_order_hours: float = 6.0,
        access_log: bool = False,
        revoke_used_refresh_tokens: bool = False,
    ):
        self.host = host
        self.port = port
        self.access_log = access_log
        self.state = SandboxState(
            orders=orders,
            seed=seed,
            latency_ms=latency_ms,
            fault_rate=fault_rate,
            malformed_rate=malformed_rate,
            time_speed=time_speed,
            clock_start=clock_start,
            new_order_hours=new_order_hours,
            revoke_used_refresh_tokens=revoke_used_refresh_tokens,
        )
        self.app = SandboxApp(self.state)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _bind(self) -> None:
        if self._server is not None:
            return
        try:
            self._server = make_server(
                self.host,
                self.port,
                self.app,
                threaded=True,
                request_handler=_VerboseHandler if self.access_log else _QuietHandler,
            )
        except SystemExit:  # werkzeug exits on a busy port; a library should raise
            raise OSError(f"cannot listen on {self.host}:{self.port}") from None
        self.port = self._server.port
        self.state.base_url = self.url

    def start(self) -> Self:
        """Listen and serve in a daemon thread; returns self."""
        self._bind()
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"uphance-sandbox:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until stop() is called from another one."""
        self._bind()
        self._server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
