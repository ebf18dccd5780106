"""Base for platform emulators: a Flask app with faults, a clock and a request log,
served over real HTTP on a local port.

A plugin's emulator subclasses :class:`Emulator`, adds routes to ``self.app``
in ``routes()``, keeps its data in plain attributes, and reads time from
``self.clock``::

    class ShopEmulator(Emulator):
        def routes(self, app):
            @app.get("/api/orders/<order_id>")
            def get_order(order_id):
                ...

    with ShopEmulator(clock=FakeClock()).serve() as server:
        requests.get(server.url + "/api/orders/1")

Every request and response is recorded in ``emulator.log`` (for contract
checks and for counting calls); ``emulator.faults`` makes requests fail.
"""
from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from flask import Flask, Response, g, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from marketbridge.clock import Clock, FakeClock
from marketbridge.testing.faults import FaultSwitches

_GARBLED = b'{"truncated": [1, 2, '


@dataclass
class RecordedRequest:
    """One exchange seen by an emulator."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int | None = None
    response_body: bytes = b""
    response_headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None

    def json(self) -> Any:
        import json

        return json.loads(self.body) if self.body else None

    def response_json(self) -> Any:
        import json

        return json.loads(self.response_body) if self.response_body else None


class Emulator:
    """Base class: subclass, implement :meth:`routes`, then :meth:`serve`."""

    name = "emulator"

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or FakeClock()
        self.faults = FaultSwitches()
        self.log: list[RecordedRequest] = []
        self._release = threading.Event()
        self.lock = threading.RLock()  #: hold it while changing emulator data from handlers
        self.app = Flask(f"{self.name}-{id(self)}")
        self.app.config["TESTING"] = False
        self.app.before_request(self._before)
        self.app.after_request(self._after)
        self.routes(self.app)

    def routes(self, app: Flask) -> None:
        """Register the platform's routes on ``app``."""
        raise NotImplementedError

    # -- request plumbing -------------------------------------------------
    def _before(self) -> Response | None:
        entry = RecordedRequest(
            method=request.method,
            path=request.path,
            query={k: request.args.getlist(k) for k in request.args},
            headers=dict(request.headers),
            body=request.get_data(cache=True),
        )
        with self.lock:
            self.log.append(entry)
        g.emulator_entry = entry
        fault = self.faults.take(request.method, request.path)
        g.emulator_fault = fault
        if fault is None or fault.kind in ("malformed", "after"):
            return None
        entry.fault = fault.kind
        if fault.kind == "timeout":
            self._release.wait(10)
            return Response(b"", status=504)
        if fault.kind == "drop":
            sock = request.environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            return Response(b"", status=502)
        return Response(fault.body, status=fault.status, headers=fault.headers)

    def _after(self, response: Response) -> Response:
        fault = g.get("emulator_fault")
        if fault is not None and fault.kind == "malformed":
            g.emulator_entry.fault = "malformed"
            response.set_data(_GARBLED)
            response.headers["Content-Type"] = "application/json"
        elif fault is not None and fault.kind == "after":
            g.emulator_entry.fault = "after"
            response = Response(fault.body, status=fault.status, headers=fault.headers)
        entry: RecordedRequest = g.emulator_entry
        entry.status = response.status_code
        entry.response_headers = dict(response.headers)
        if not response.direct_passthrough:
            entry.response_body = response.get_data()
        return response

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)

    # -- serving ----------------------------------------------------------
    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[EmulatorServer]:
        """Serve on a real local port (0 = any free one) until the block ends."""
        server = EmulatorServer(self, host, port)
        server.start()
        try:
            yield server
        finally:
            self._release.set()
            server.stop()
            self._release.clear()

    def calls(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests, optionally filtered by method and a path substring."""
        with self.lock:
            return [r for r in self.log
                    if (method is None or r.method == method.upper()) and (path is None or path in r.path)]


class QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request (the emulator's ``log`` records them)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class EmulatorServer:
    """A threaded WSGI server for one emulator; ``url`` is its base address."""

    def __init__(self, emulator: Emulator, host: str, port: int) -> None:
        self.emulator = emulator
        self._server: BaseWSGIServer = make_server(host, port, emulator, threaded=True, request_handler=QuietHandler)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name=f"{emulator.name}-server", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
