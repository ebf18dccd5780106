"""Browser tests: Debian's chromium driven by Playwright against the app served on a real port.

Playwright cannot download its own browser here, so tests launch the system
chromium by path (``MARKETBRIDGE_CHROMIUM``, default ``/usr/bin/chromium``;
``.ci/run`` installs Debian's package). Without it the tests skip with a
clear message; under ``CI=true`` they fail. Each test leaves a screenshot of
its last page in ``test-artifacts/screenshots/``.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from marketbridge.accounts import create_or_reset_user
from marketbridge.testing.emulator import QuietHandler

CHROMIUM = os.environ.get("MARKETBRIDGE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
EMAIL, PASSWORD = "merchant@example.com", "correct horse battery"
#: The flags that keep chromium from reaching out to Google's services on a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}, and CI=true requires it", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield instance
    instance.close()
    playwright.stop()


@pytest.fixture
def live_url(loop: Any) -> Iterator[str]:
    """The loop's app served on a real local port (threaded), for the browser."""
    server = make_server("127.0.0.1", 0, loop.app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(browser: Any, live_url: str, loop: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A logged-in browser page on the live app; screenshot kept after the test."""
    create_or_reset_user(EMAIL, PASSWORD, admin=True)
    context = browser.new_context(locale="en-GB", base_url=live_url)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.goto("/login")
    tab.get_by_label("E-mail").fill(EMAIL)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(lambda url: "/login" not in url)
    yield tab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
