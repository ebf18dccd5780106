"""``marketbridge run`` (the README's ``make run``): a port already taken stops it before anything starts."""
from __future__ import annotations

import socket

from marketbridge.cli import cli


def test_a_taken_port_is_said_plainly_and_nothing_starts(loop, monkeypatch):
    started: list[str] = []
    monkeypatch.setattr("marketbridge.jobs.runner.EmbeddedWorker.start", lambda self: started.append("worker"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = loop.app.test_cli_runner().invoke(cli, ["run", "--port", str(port)])
    assert result.exit_code == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.output and "--port" in result.output
    assert "is running on" not in result.output and started == []
