"""Stock (and prices) from the shop to every marketplace listing of the product (P1, P2, K2).

The shop reports which products' stock changed since a cursor; for each
listing of those products on the shop's connections, the ``stock_source``
policy decides the quantity to offer and, where the connection syncs prices
and the channel can send them, the connection's selling policy
(:mod:`marketbridge.pricing`) the price. A stock message is queued only if
either differs from what the marketplace already has (deltas only). A newer
figure replaces a not-yet-sent one for the same listing, so a burst of
changes costs one marketplace update.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Iterable

import sqlalchemy as sa

from marketbridge.adapters import Money, StockLevel
from marketbridge.decisions import ListingFacts
from marketbridge.engine import problems
from marketbridge.engine.failures import handle_stream_failure
from marketbridge.engine.leases import cursor_row, is_due, lease
from marketbridge.errors import AdapterError
from marketbridge.host import Host
from marketbridge.models import (
    Connection,
    Listing,
    Order,
    OrderLine,
    OrderState,
    OutboxMessage,
    OutboxState,
    Shop,
    Store,
    StoreStock,
    db,
)
from marketbridge.plugins import PolicyError, call_policy
from marketbridge.pricing import PriceNotOffered, SellingPolicy

#: Stock moves faster than statuses: an oversold unit costs more than a late status. One small
#: request per shop every 10 seconds.
DEFAULT_POLL_SECONDS = 10
#: New listings read per stock poll; the rest follow at the next polls.
UNSENT_PER_RUN = 500
FULL_READ_EVERY = timedelta(days=1)
#: Why a shop price was not offered, by :class:`~marketbridge.pricing.PriceNotOffered` code (M2).
PRICE_PROBLEMS = {
    "price_currency": "The price of {sku} was not sent: the shop's price is in {shop_currency}, the marketplace "
                      "sells in {currency}. Enter the product's price in {currency} in the shop or switch price "
                      "sync off.",
    "price_not_positive": "The price of {sku} was not sent: the shop's price {shop_price} gives {offer} after the "
                          "connection's price rules, and an offer needs a price above zero. Check the product's "
                          "price in the shop and the price adjustment.",
}


def poll_stock(host: Host, shop_id: int, *, owner: str | None = None, force: bool = False) -> int:
    """Read the shop's stock changes since the cursor and queue updates; returns messages queued."""
    shop = db.session.get(Shop, shop_id)
    if shop is None or shop.auth_problem:
        return 0
    queued = 0
    with lease("shop", shop_id, "stock", host.clock, owner=owner) as cursor:
        if not force and not is_due(cursor, host.clock.now()):
            return 0
        adapter = host.shop_adapter(shop)
        for _ in range(50):
            try:
                page = adapter.stock_changes_since(cursor.value)
            except AdapterError as exc:
                handle_stream_failure(cursor, exc, host.clock.now(), shop=shop, what="reading stock from the shop")
                db.session.commit()
                return queued
            queued += apply_levels(host, shop, page.levels)
            cursor.value = page.cursor
            cursor.failures, cursor.last_error, cursor.last_success_at = 0, None, host.clock.now()
            db.session.commit()
            if not page.more:
                break
        queued += _read_listings(host, shop, full=_full_read_due(shop.id, host.clock.now()))
        cursor.not_before = host.clock.now() + timedelta(
            seconds=int((shop.settings or {}).get("stock_poll_seconds", DEFAULT_POLL_SECONDS)))
        db.session.commit()
    return queued


def read_all_listings_soon(shop_id: int) -> None:
    """Make the shop's next stock poll read every listing (after the merchant changed how prices or stock are
    computed); joins the current transaction."""
    cursor_row("shop", shop_id, "stock_full").not_before = None


def _full_read_due(shop_id: int, now: datetime) -> bool:
    """Once a day every listing is read in full (a safety net for changes a shop did not report)."""
    row = cursor_row("shop", shop_id, "stock_full")
    if row.not_before is not None and row.not_before > now:
        return False
    row.not_before, row.last_success_at = now + FULL_READ_EVERY, now
    db.session.commit()
    return True


def _read_listings(host: Host, shop: Shop, *, full: bool) -> int:
    """Read the stock of listings never sent yet (new listings get their first quantity), or of all of them."""
    query = (sa.select(Listing.product_id).join(Connection, Connection.id == Listing.connection_id)
             .where(Connection.shop_id == shop.id, Connection.active.is_(True), Listing.active.is_(True)))
    if not full:
        query = query.where(Listing.last_sent_quantity.is_(None)).limit(UNSENT_PER_RUN)
    product_ids = list(dict.fromkeys(db.session.execute(query).scalars()))
    return refresh_products(host, shop, product_ids)


def apply_levels(host: Host, shop: Shop, levels: Iterable[StockLevel]) -> int:
    """Queue stock messages for every listing of these products on the shop's active connections."""
    by_product = {level.product_id: level for level in levels}
    if not by_product:
        return 0
    rows = db.session.execute(
        sa.select(Listing, Connection).join(Connection, Connection.id == Listing.connection_id)
        .where(Connection.shop_id == shop.id, Connection.active.is_(True), Listing.active.is_(True),
               Listing.product_id.in_(list(by_product)))).all()
    sold = _sold_not_in_shop(shop.id, {listing.sku for listing, _ in rows})
    own = _store_figures({listing.connection_id for listing, _ in rows}, {listing.sku for listing, _ in rows})
    infos: dict[int, object] = {}
    queued = 0
    now = host.clock.now()
    pending = _unconfirmed(listing for listing, _ in rows)
    policies: dict[int, SellingPolicy | None] = {}
    priced: dict[int, set[str]] = {}  #: connection → SKUs whose price could be offered
    for listing, connection in rows:
        info = infos.get(connection.id) or infos.setdefault(connection.id, host.connection_info(connection))
        if connection.id not in policies:
            policies[connection.id] = _selling_policy(host, connection)
        reserved = sum(q for (cid, sku), q in sold.items() if sku == listing.sku and cid != connection.id)
        facts = ListingFacts(listing.sku, listing.product_id, reserved,
                             own.get((connection.id, listing.store_code, listing.sku)))
        try:
            quantity = call_policy(host.pm, "stock_source", connection=info, listing=facts,
                                   level=by_product[listing.product_id], store_code=listing.store_code or None)
        except PolicyError as exc:
            problems.report(now, code="plugin_error", connection_id=connection.id, subject=listing.sku,
                            plugin=exc.plugin, message="The plugin {plugin} failed while computing stock: {error}",
                            params={"plugin": exc.plugin, "error": str(exc.error)})
            continue
        price = _offer_price(now, listing, connection, policies[connection.id], by_product[listing.product_id])
        if price is not None:
            priced.setdefault(connection.id, set()).add(listing.sku)
        if quantity is not None and queue_stock(now, listing, int(quantity), pending, price=price):
            queued += 1
    for connection_id, skus in priced.items():
        problems.resolve(now, connection_id=connection_id, subjects=skus, codes=tuple(PRICE_PROBLEMS))
    return queued


def _selling_policy(host: Host, connection: Connection) -> SellingPolicy | None:
    """The connection's selling policy when it sends prices (P2): switched on, and the channel can."""
    policy = SellingPolicy.from_settings(connection.settings or {})
    channel = host.registry.channels.get(connection.account.kind)
    if not policy.enabled or channel is None or not channel.syncs_prices:
        return None
    return policy


def _offer_price(now: datetime, listing: Listing, connection: Connection, policy: SellingPolicy | None,
                 level: StockLevel) -> Money | None:
    """The price to offer for a shop-wide listing, or ``None`` (not synced, not known, or refused: see problems)."""
    if policy is None or listing.store_code or level.price is None:
        return None
    try:
        return policy.offer(level.price)
    except PriceNotOffered as exc:
        problems.report(now, code=exc.code, connection_id=connection.id, subject=listing.sku,
                        message=PRICE_PROBLEMS[exc.code], params={"sku": listing.sku, **exc.params})
        return None


def _coalesce_key(listing: Listing) -> str:
    """One listing's stock messages share this key: a newer figure replaces a waiting one."""
    return f"stock:{listing.sku}:{listing.store_code}"


def _unconfirmed(listings: Iterable[Listing]) -> dict[tuple[int, str], OutboxMessage]:
    """The latest stock message not confirmed yet of each of these listings: one query per batch.

    A waiting message (``pending``) is the one a newer figure replaces; one
    on its way (``sending``, or ``submitted`` in a feed still processing) is
    what the marketplace is about to have, so the same figure is not queued
    again behind it. Only the batch's own listings are read, however many
    messages other listings have in flight.
    """
    keys = {(listing.connection_id, _coalesce_key(listing)) for listing in listings}
    if not keys:
        return {}
    rows = db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.connection_id.in_({cid for cid, _ in keys}), OutboxMessage.kind == "stock",
        OutboxMessage.coalesce_key.in_({key for _, key in keys}), OutboxMessage.state.in_(_UNCONFIRMED))
        .order_by(OutboxMessage.id)).scalars()
    found: dict[tuple[int, str], OutboxMessage] = {}
    for message in rows:
        key = (message.connection_id, message.coalesce_key or "")
        if key in keys and (message.state == OutboxState.PENDING or key not in found
                            or found[key].state != OutboxState.PENDING):
            found[key] = message
    return found


_UNCONFIRMED = (OutboxState.PENDING, OutboxState.SENDING, OutboxState.SUBMITTED)


def ingest_stock_levels(host: Host, shop_id: int, levels: Iterable[StockLevel]) -> set[int]:
    """Queue stock levels a plugin received by webhook and commit; returns the connections to deliver for.

    The stock counterpart of :func:`~marketbridge.engine.shop_changes.ingest_shop_events`:
    call :func:`marketbridge.jobs.enqueue_delivery` for each returned connection.
    """
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        return set()
    levels = list(levels)
    apply_levels(host, shop, levels)
    db.session.commit()
    return set(db.session.execute(
        sa.select(OutboxMessage.connection_id).join(Connection, Connection.id == OutboxMessage.connection_id)
        .where(Connection.shop_id == shop_id, OutboxMessage.kind == "stock",
               OutboxMessage.state == OutboxState.PENDING)).scalars())


def refresh_after_sales(host: Host, connection_id: int, skus: set[str]) -> int:
    """A sale on one marketplace lowers the quantity offered on the others at once (P1).

    Recomputes every *other* active connection's listings of the sold SKUs;
    the units sold but not yet in the shop are reserved. Returns how many
    stock messages changed.
    """
    connection = db.session.get(Connection, connection_id)
    if connection is None or not skus:
        return 0
    product_ids = db.session.execute(
        sa.select(Listing.product_id).join(Connection, Connection.id == Listing.connection_id)
        .where(Connection.shop_id == connection.shop_id, Connection.active.is_(True),
               Connection.id != connection_id, Listing.sku.in_(list(skus))).distinct()).scalars().all()
    return refresh_products(host, connection.shop, list(product_ids))


def refresh_products(host: Host, shop: Shop, product_ids: list[str]) -> int:
    """Read these products' stock from the shop now and queue what changed for every listing; commits.

    Used after a sale elsewhere and when the merchant lists a product (K3).
    A shop that cannot be read leaves things as they are: its next stock
    change brings the listings up to date. Returns how many messages changed.
    """
    if not product_ids or shop.auth_problem:
        return 0
    adapter = host.shop_adapter(shop)
    levels: list[StockLevel] = []
    size = max(1, adapter.batch_size)
    try:
        for start in range(0, len(product_ids), size):
            levels.extend(adapter.read_stock(product_ids[start:start + size]))
    except AdapterError:
        return 0
    queued = apply_levels(host, shop, levels)
    db.session.commit()
    return queued


def _sold_not_in_shop(shop_id: int, skus: set[str]) -> dict[tuple[int, str], int]:
    """Units per (selling connection, SKU) in orders received but not yet created in the shop."""
    if not skus:
        return {}
    rows = db.session.execute(
        sa.select(Order.connection_id, OrderLine.sku, sa.func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id).join(Connection, Connection.id == Order.connection_id)
        .where(Connection.shop_id == shop_id, Order.is_test.is_(False), OrderLine.sku.in_(list(skus)),
               Order.state.in_((OrderState.NEW, OrderState.WAITING, OrderState.HELD, OrderState.CREATING)))
        .group_by(Order.connection_id, OrderLine.sku)).all()
    return {(cid, sku): int(total) for cid, sku, total in rows}


def _store_figures(connection_ids: set[int], skus: set[str]) -> dict[tuple[int, str, str], int]:
    """The stores' own stock figures (K2) per (connection, store code, SKU), for stores that keep them."""
    if not connection_ids or not skus:
        return {}
    rows = db.session.execute(
        sa.select(Store.connection_id, Store.code, StoreStock.sku, StoreStock.quantity)
        .join(StoreStock, StoreStock.store_id == Store.id)
        .where(Store.connection_id.in_(list(connection_ids)), Store.stock_mode == "own",
               StoreStock.sku.in_(list(skus)))).all()
    return {(cid, code, sku): quantity for cid, code, sku, quantity in rows}


def queue_stock(now: datetime, listing: Listing, quantity: int,
                known: dict[tuple[int, str], OutboxMessage] | None = None, *, price: Money | None = None) -> bool:
    """Queue ``quantity`` (and ``price``, P2) for ``listing`` unless the marketplace has or is getting them.

    Returns whether a message changed. ``known`` is the batch's unconfirmed
    messages (from :func:`_unconfirmed`); without it this listing's are
    looked up. A ``price`` of ``None`` leaves the price as it is (also one
    already waiting to be sent).
    """
    coalesce = _coalesce_key(listing)
    if known is None:
        known = _unconfirmed([listing])
    latest = known.get((listing.connection_id, coalesce))
    pending = latest if latest is not None and latest.state == OutboxState.PENDING else None
    # what the marketplace has once the message on its way is through
    has_quantity, has_price = listing.last_sent_quantity, listing.last_sent_price
    if latest is not None and pending is None:
        has_quantity = int(latest.payload["quantity"])
        if latest.payload.get("price"):
            has_price = Decimal(latest.payload["price"]["amount"])
    price_due = price is not None and price.amount != has_price
    if pending is not None:
        wanted = {**pending.payload, "quantity": quantity}
        if price is not None:
            wanted.pop("price", None)
            if price_due:
                wanted["price"] = _price_payload(price)
        if wanted == pending.payload:
            return False
        if quantity == has_quantity and "price" not in wanted:
            pending.state = OutboxState.SUPERSEDED
            del known[(listing.connection_id, coalesce)]
            return True
        pending.payload = wanted
        return True
    if quantity == has_quantity and not price_due:
        return False
    payload = {"sku": listing.sku, "quantity": quantity, "store_code": listing.store_code}
    if price_due and price is not None:
        payload["price"] = _price_payload(price)
    message = OutboxMessage(
        connection_id=listing.connection_id, kind="stock", coalesce_key=coalesce,
        idempotency_key=f"stock:{listing.connection_id}:{listing.sku}:{listing.store_code}:{uuid.uuid4().hex}",
        payload=payload, state=OutboxState.PENDING, attempts=0, next_attempt_at=now, created_at=now)
    db.session.add(message)
    known[(listing.connection_id, coalesce)] = message
    return True


def _price_payload(price: Money) -> dict[str, str]:
    return {"amount": str(price.amount), "currency": price.currency}
