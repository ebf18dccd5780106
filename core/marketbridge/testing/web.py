"""Testing a plugin's pages: a WebTest client that behaves like separate HTTP requests.

Tests usually hold an app context (``make_app`` pushes one). Flask keeps
``g`` — where Flask-WTF caches the CSRF token and Flask-Login the user — on
that context, so requests made through it would share state a real browser
never shares. :func:`web_client` wraps the app so every request gets its own
app context::

    client = web_client(app)
    page = client.get("/login")
    form = page.forms["login-form"]
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import webtest


class FreshContext:
    """WSGI middleware: push a new app context around every request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self.app.app_context():
            return list(self.app.wsgi_app(environ, start_response))


def web_client(app: Any, language: str = "en") -> webtest.TestApp:
    """A WebTest client for ``app`` whose requests each get their own app context."""
    return webtest.TestApp(FreshContext(app), extra_environ={"HTTP_ACCEPT_LANGUAGE": language})
