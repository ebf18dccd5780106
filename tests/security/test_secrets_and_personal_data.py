"""D1 and D2: credentials encrypted at rest and never logged; buyer data erased after retention."""
from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from marketbridge.crypto import REDACTED, SecretBox, load_keys
from marketbridge.errors import ConfigurationError
from marketbridge.jobs import housekeeping, work
from marketbridge.models import MarketplaceAccount, Order, Shop, SyncProblem, db
from marketbridge.order import load_order


def test_credentials_are_encrypted_in_the_database(loop):
    raw = db.session.execute(sa.text("select secrets from shops")).scalar_one()
    assert loop.shop.api_key not in raw
    assert loop.host.open(raw) == {"api_key": loop.shop.api_key}
    account_raw = db.session.execute(sa.text("select secrets from marketplace_accounts")).scalar_one()
    assert loop.marketplace.token not in account_raw


def test_adapter_state_is_encrypted(loop):
    from marketbridge.host import DbState

    state = DbState(loop.host.box, "account", loop.connection.account_id)
    state.set("access_token", {"token": "Atza|secret-token-value", "expires": 123})
    db.session.commit()
    stored = db.session.execute(sa.text("select value from adapter_state")).scalar_one()
    assert "secret-token-value" not in stored
    assert state.get("access_token")["token"] == "Atza|secret-token-value"


def test_secrets_never_reach_the_logs(loop, caplog):
    """Whatever a plugin logs — message, arguments, exception — the secret is masked."""
    from marketbridge.logging_setup import RedactingFilter

    caplog.handler.addFilter(RedactingFilter())
    loop.host.shop_adapter(loop.connection.shop)  # decrypting registers the secret for redaction
    log = logging.getLogger("marketbridge.adapter.example")
    with caplog.at_level(logging.INFO):
        log.info("calling with key %s", loop.shop.api_key)
        try:
            raise RuntimeError(f"upstream said: bad key {loop.shop.api_key}")
        except RuntimeError:
            log.exception("failed")
    text = caplog.text
    assert loop.shop.api_key not in text
    assert REDACTED in text


def test_wrong_encryption_key_refuses_instead_of_returning_garbage(tmp_path):
    box = SecretBox(load_keys(None, str(tmp_path / "a")))
    token = box.encrypt({"k": "v"})
    other = SecretBox(load_keys(None, str(tmp_path / "b")))
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        other.decrypt(token)


def test_key_rotation_keeps_old_secrets_readable(tmp_path):
    old_key = load_keys(None, str(tmp_path))[0]
    token = SecretBox([old_key]).encrypt({"k": "v"})
    new_key = Fernet.generate_key()
    rotated = SecretBox([new_key, old_key])
    assert rotated.decrypt(token) == {"k": "v"}
    assert SecretBox([new_key]).decrypt(rotated.rotate(token)) == {"k": "v"}, "re-encrypted under the new key"


def test_instance_key_file_is_private(tmp_path):
    load_keys(None, str(tmp_path))
    assert (tmp_path / "encryption.key").stat().st_mode & 0o077 == 0


def test_buyer_data_is_erased_after_retention_but_tax_facts_stay(loop):
    """D1: 30 days after shipment the buyer's name, address and phone are erased."""
    oid = loop.marketplace.add_order(skus=[("MB-MUG-BLUE", 2)])
    work.connection_cycle(loop.host, loop.connection_id)
    loop.shop.ship(next(iter(loop.shop.orders)), "123456789", carrier="DHL")
    work.shop_cycle(loop.host, loop.connection.shop_id)
    loop.clock.advance(days=29)
    assert housekeeping.purge_personal_data(loop.host, 30) == 0
    loop.clock.advance(days=2)
    assert housekeeping.purge_personal_data(loop.host, 30) == 1
    order = db.session.execute(sa.select(Order).filter_by(marketplace_order_id=oid)).scalar_one()
    assert "Anna" not in str(order.payload) and "Hauptstr" not in str(order.payload)
    canonical = load_order(order.payload)
    assert canonical.shipping_address.country_code == "DE"
    assert canonical.total.amount == Decimal("34.70") and canonical.lines[0].quantity == 2
    assert order.personal_data_purged_at is not None


def test_expiring_and_expired_grants_are_shown_not_deleted(loop):
    """C8: reminders from a month before expiry; an expired grant pauses the account but keeps it."""
    account = db.session.get(MarketplaceAccount, loop.connection.account_id)
    account.expires_at = loop.clock.now() + timedelta(days=20)
    db.session.commit()
    assert housekeeping.remind_expiring_grants(loop.host) == 1
    assert db.session.execute(sa.select(SyncProblem.code)).scalar_one() == "grant_expiring"
    loop.clock.advance(days=21)
    housekeeping.remind_expiring_grants(loop.host)
    db.session.refresh(account)
    assert account.auth_problem and "Renew" in account.auth_problem
    assert db.session.get(Shop, loop.connection.shop_id) is not None
