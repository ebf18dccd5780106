"""The shop's catalogue, stock and prices as it pushed them (C5, P1, P2).

``PUT /products`` and ``PUT /stock`` write here; the adapter's
``find_products``, ``read_stock`` and ``stock_changes_since`` read here. A
product's ``seq`` moves whenever its quantity or price changes (or it is new),
which makes the table its own stock event stream.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

import sqlalchemy as sa

from marketbridge.adapters import Money, ProductIdentifier, ShopProduct, StockLevel
from marketbridge.models import db

from marketbridge_http_api.feeds import next_seq
from marketbridge_http_api.tables import products

_COLUMNS = {ProductIdentifier.SKU: products.c.sku, ProductIdentifier.EAN: products.c.ean,
            ProductIdentifier.PRODUCT_ID: products.c.product_id}


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def existing(feed: str, product_ids: Iterable[str]) -> dict[str, Any]:
    """Rows of the given product ids, by product id."""
    ids = list(dict.fromkeys(product_ids))
    found: dict[str, Any] = {}
    for start in range(0, len(ids), 500):
        for row in db.session.execute(sa.select(products).where(products.c.feed == feed,
                                                                products.c.product_id.in_(ids[start:start + 500]))):
            found[row.product_id] = row
    return found


def upsert_products(feed: str, items: Sequence[Mapping[str, Any]], now: datetime) -> tuple[int, int, list[str]]:
    """Insert or replace products (validated items of ``PUT /products``).

    Returns (created, updated, the product ids whose stock or price is new or changed).
    """
    known = existing(feed, (item["product_id"] for item in items))
    created = updated = 0
    moved: list[str] = []
    for item in items:
        values = {"parent_id": item.get("parent_id"), "sku": item.get("sku"), "ean": item.get("ean"),
                  "name": item["name"], "weight": _text(item.get("weight")), "active": item.get("active", True),
                  "quantity": item.get("quantity"), "price": _text(item.get("price")),
                  "currency": item.get("currency"), "updated_at": now}
        row = known.get(item["product_id"])
        if row is None:
            db.session.execute(sa.insert(products).values(feed=feed, product_id=item["product_id"],
                                                          seq=next_seq(feed), **values))
            created += 1
            moved.append(item["product_id"])
            continue
        if (row.quantity, row.price, row.currency) != (values["quantity"], values["price"], values["currency"]):
            values["seq"] = next_seq(feed)
            moved.append(item["product_id"])
        db.session.execute(sa.update(products).where(products.c.id == row.id).values(**values))
        updated += 1
    return created, updated, moved


def unknown_products(feed: str, product_ids: Sequence[str]) -> list[int]:
    """Indexes of ``product_ids`` the feed does not have."""
    known = existing(feed, product_ids)
    return [i for i, product_id in enumerate(product_ids) if product_id not in known]


def set_stock(feed: str, items: Sequence[Mapping[str, Any]], now: datetime) -> list[str]:
    """Apply validated items of ``PUT /stock`` to known products; returns the ids of those that changed."""
    known = existing(feed, (item["product_id"] for item in items))
    changed: list[str] = []
    for item in items:
        row = known[item["product_id"]]
        values: dict[str, Any] = {"quantity": item["quantity"]}
        if "price" in item:
            values["price"], values["currency"] = _text(item["price"]), item.get("currency")
        before = {k: getattr(row, k) for k in values}
        if before == values:
            continue
        db.session.execute(sa.update(products).where(products.c.id == row.id)
                           .values(**values, updated_at=now, seq=next_seq(feed)))
        changed.append(item["product_id"])
    return changed


def shop_product(row: Any) -> ShopProduct:
    """A catalogue row as the engine sees it."""
    return ShopProduct(product_id=row.product_id, name=row.name, sku=row.sku, ean=row.ean, parent_id=row.parent_id,
                       active=bool(row.active), weight=Decimal(row.weight) if row.weight is not None else None,
                       stock=row.quantity)


def find_products(feed: str, identifier: ProductIdentifier, values: Sequence[str]) -> dict[str, ShopProduct]:
    """Exact matches by SKU, EAN or product id; with duplicates the oldest product wins."""
    column = _COLUMNS[identifier]
    found: dict[str, ShopProduct] = {}
    rows = db.session.execute(sa.select(products).where(products.c.feed == feed, column.in_(list(values)))
                              .order_by(products.c.id))
    for row in rows:
        key = getattr(row, column.name)
        found.setdefault(key, shop_product(row))
    return found


def level(row: Any) -> StockLevel:
    """Stock and gross price (P2) of a catalogue row; no price without a currency."""
    price = Money(Decimal(row.price), row.currency) if row.price is not None and row.currency else None
    return StockLevel(product_id=row.product_id, quantity=row.quantity, sku=row.sku, price=price)


def read_stock(feed: str, product_ids: Sequence[str]) -> list[StockLevel]:
    """Levels of the known ones among ``product_ids``, in the order asked."""
    known = existing(feed, product_ids)
    return [level(known[p]) for p in dict.fromkeys(product_ids) if p in known]


def stock_page(feed: str, after: int, limit: int) -> tuple[list[StockLevel], int, bool]:
    """Products whose stock or price changed after sequence ``after``: levels, next cursor, more."""
    rows = list(db.session.execute(sa.select(products).where(products.c.feed == feed, products.c.seq > after)
                                   .order_by(products.c.seq).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return [level(r) for r in rows], (int(rows[-1].seq) if rows else after), more
