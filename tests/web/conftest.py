"""Fixtures of the page tests: the example plugins' app behind WebTest, with a logged-in merchant.

Each WebTest request runs in an app context of its own (as under a real
server), so nothing cached on ``g`` (the logged-in user, the language) leaks
from one request into the next or from the test into a request. The test's
own database session is separate: call ``db.session.expire_all()`` before
reading rows a request changed.
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest
import webtest

from marketbridge.testing.web import web_client

from marketbridge.accounts import create_or_reset_user
from marketbridge.models import db

PASSWORD = "correct horse battery"
EMAIL = "merchant@example.com"


def client(app: Any) -> webtest.TestApp:
    """A WebTest client for ``app`` (English unless a test asks otherwise)."""
    return web_client(app)


def login(browser: webtest.TestApp, email: str = EMAIL, password: str = PASSWORD) -> webtest.TestResponse:
    """Log in through the login form (CSRF token scraped from the page)."""
    page = browser.get("/login")
    form = page.forms["login-form"]
    form["email"], form["password"] = email, password
    return form.submit().follow()


@pytest.fixture
def site(loop: Any) -> webtest.TestApp:
    """An anonymous browser on the ``loop`` app (one user exists)."""
    create_or_reset_user(EMAIL, PASSWORD, admin=True)
    return client(loop.app)


@pytest.fixture
def web(site: webtest.TestApp) -> Iterator[webtest.TestApp]:
    """A browser logged in as the merchant."""
    login(site)
    yield site
    db.session.rollback()


def csrf_token(browser: webtest.TestApp, path: str = "/connections/") -> str:
    """A valid CSRF token of this browser's session (from any page's language form)."""
    page = browser.get(path)
    return str(page.html.find("input", {"name": "csrf_token"})["value"])
