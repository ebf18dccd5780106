"""Every POST without a valid CSRF token is refused with 400, and changes nothing."""
from __future__ import annotations

import sqlalchemy as sa

from marketbridge.jobs import work
from marketbridge.models import Connection, db
from tests.web.test_auth import ids_of, sample_url


def test_every_post_route_rejects_a_missing_or_wrong_token(web, loop):
    loop.marketplace.add_order(skus=[("MB-UNKNOWN", 1)])
    work.connection_cycle(loop.host, loop.connection_id)
    loop.connection.active = False
    db.session.commit()
    ids = ids_of(loop)
    posts = [rule for rule in loop.app.url_map.iter_rules() if "POST" in rule.methods]
    assert {r.endpoint for r in posts} >= {"auth.logout", "auth.language", "shops.check", "connections.activate",
                                           "orders.retry", "orders.hold", "orders.release", "connections.new"}
    for rule in posts:
        url = sample_url(loop.app, rule, ids)
        for data in ({}, {"csrf_token": "forged"}):
            res = web.post(url, data, expect_errors=True)
            assert res.status_int == 400, f"POST {url} with {data} answered {res.status}"
            assert "The form has expired" in res.text
    db.session.expire_all()
    assert db.session.get(Connection, loop.connection_id).active is False, "activate without a token did nothing"
    assert web.get("/orders").status_int == 200, "logout without a token did not log out"
    assert db.session.execute(sa.select(Connection)).scalars().all() == [loop.connection]
