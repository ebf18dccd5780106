"""The browser harness itself: log in, see the connection, follow a link."""
from __future__ import annotations


def test_merchant_logs_in_and_opens_the_connection(page, loop):
    page.goto("/connections/")
    page.get_by_role("link", name=loop.connection.name).click()
    assert page.get_by_role("heading", level=1).inner_text().startswith(loop.connection.name)
    assert page.get_by_text("Active").first.is_visible()
