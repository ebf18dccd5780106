"""Status changes and shipments of Marketbridge orders since a cursor (S2, S3), and stock moves.

* Orders: ``GET /V1/orders`` (GetV1Orders) by ``updated_at`` window AND
  ``ext_order_id notnull`` (only orders Marketbridge created). Each order's
  current status is reported; the event id is the status-history entry that
  started the current status (or, when a document changed the state without a
  history entry, the last entry before it), so the same change keeps its id.
* Shipments: ``GET /V1/shipments`` (GetV1Shipments) by ``updated_at`` window;
  their orders are read with ``entity_id in …`` to keep Marketbridge's only.
  A shipment's carrier is its track's ``title`` (what the merchant chose or
  typed), tracking numbers are its tracks, lines its items.
* Notified changes (:func:`events_for`): an integrator's observer module may
  name orders and shipments that just changed (see :mod:`.notify`); they are
  read back through the same two searches by ``entity_id``, so the events are
  identical to the polled ones (same ids, recorded once).
* Stock moves: products saved (``GET /V1/products`` by ``updated_at``) and the
  products of orders and shipments in the window (sales and shipments change
  salable and source quantities without touching the product). A price or
  special price edited in the admin saves the product, so price changes (P2)
  arrive the same way; a special price that starts or ends on its date does
  not touch ``updated_at`` and is seen by the next full stock sync.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Mapping, Sequence

from marketbridge.adapters import ChangePage, Shipped, ShippedLine, ShopEvent, ShopOrderRef, StatusChanged, StockPage

from marketbridge_magento.client import MagentoClient
from marketbridge_magento.ordering import ref_of
from marketbridge_magento.polling import close_window, fetch_page, open_window
from marketbridge_magento.prices import PriceReader
from marketbridge_magento.search import Filter, magento_time, parse_magento_time, search_params
from marketbridge_magento.stock import read_stock

ORDER_STREAMS = ("orders", "shipments")
#: Most entity ids one notification may name (one search page each).
NOTIFY_LIMIT = 100
STOCK_STREAMS = ("products", "orders", "shipments")
OURS = Filter("ext_order_id", "1", "notnull")
STOCK_BATCH = 100


def changes_since(client: MagentoClient, cursor: str | None, now: datetime) -> ChangePage:
    """One page of status and shipment events (see module docstring)."""
    window = open_window(cursor, now, ORDER_STREAMS)
    if window is None:
        return ChangePage(events=(), cursor=magento_time(now))
    events: list[ShopEvent] = []
    for order in fetch_page(client, "/orders", window, "orders", [[OURS]]):
        events.append(status_event(order))
    shipments = fetch_page(client, "/shipments", window, "shipments")
    refs = our_orders(client, {int(s["order_id"]) for s in shipments})
    for shipment in shipments:
        ref = refs.get(int(shipment["order_id"]))
        if ref is not None:
            events.append(shipped_event(shipment, ref))
    next_cursor, more = close_window(window)
    return ChangePage(events=tuple(events), cursor=next_cursor, more=more)


def events_for(client: MagentoClient, order_ids: Sequence[int], shipment_ids: Sequence[int]) -> list[ShopEvent]:
    """Current status of the named Marketbridge orders, and the named shipments plus those of the named orders.

    ``GET /V1/orders`` (``entity_id in`` AND ``ext_order_id notnull``) and
    ``GET /V1/shipments`` (``entity_id in`` OR ``order_id in``). Never trusts
    anything but the ids: what is reported is what Magento answers.
    """
    orders = sorted(set(order_ids))[:NOTIFY_LIMIT]
    shipments = sorted(set(shipment_ids))[:NOTIFY_LIMIT]
    events: list[ShopEvent] = []
    if orders:
        found = client.get("/orders", search_params([[Filter("entity_id", _ids(orders), "in")], [OURS]],
                                                    page_size=len(orders)))
        events.extend(status_event(o) for o in found.get("items") or [] if isinstance(o, Mapping))
    group = ([Filter("entity_id", _ids(shipments), "in")] if shipments else []) + (
        [Filter("order_id", _ids(orders), "in")] if orders else [])
    if group:
        found = client.get("/shipments", search_params([group], sort=[("entity_id", "ASC")], page_size=NOTIFY_LIMIT))
        documents = [s for s in found.get("items") or [] if isinstance(s, Mapping)]
        refs = our_orders(client, {int(s["order_id"]) for s in documents})
        events.extend(shipped_event(s, refs[int(s["order_id"])]) for s in documents if int(s["order_id"]) in refs)
    return events


def _ids(values: Sequence[int]) -> str:
    return ",".join(str(v) for v in values)


def status_event(order: Mapping[str, Any]) -> StatusChanged:
    """The order's current status as a :class:`StatusChanged` with a stable id."""
    status = str(order.get("status") or "")
    histories = sorted((h for h in order.get("status_histories") or [] if isinstance(h, Mapping)),
                       key=lambda h: (str(h.get("created_at") or ""), int(h.get("entity_id") or 0)))
    anchor: Mapping[str, Any] | None = None
    for history in histories:
        if history.get("status") == status:
            anchor = anchor or history
        else:
            anchor = None
    if anchor is not None:
        key, when = f"h{anchor.get('entity_id')}", str(anchor.get("created_at") or order.get("updated_at"))
    else:
        last = histories[-1].get("entity_id") if histories else 0
        key, when = f"after-h{last}", str(order.get("updated_at") or order.get("created_at"))
    return StatusChanged(event_id=f"magento:status:{order['entity_id']}:{status}:{key}", order=ref_of(order),
                         status=status, changed_at=parse_magento_time(when))


def shipped_event(shipment: Mapping[str, Any], ref: ShopOrderRef) -> Shipped:
    """A shipment document as :class:`Shipped` (id changes when tracks are added)."""
    tracks = [t for t in shipment.get("tracks") or [] if isinstance(t, Mapping) and t.get("track_number")]
    track_ids = ",".join(str(t.get("entity_id")) for t in tracks)
    lines = tuple(
        ShippedLine(quantity=int(Decimal(str(item.get("qty") or 0))), sku=item.get("sku"),
                    product_id=str(item["product_id"]) if item.get("product_id") is not None else None)
        for item in shipment.get("items") or [] if Decimal(str(item.get("qty") or 0)) > 0
    )
    carrier = next((str(t.get("title") or t.get("carrier_code")) for t in tracks), None)
    return Shipped(
        event_id=f"magento:shipment:{shipment['entity_id']}:{track_ids}",
        order=ref,
        shipment_id=str(shipment["entity_id"]),
        tracking_numbers=tuple(str(t["track_number"]) for t in tracks),
        shipped_at=parse_magento_time(str(shipment.get("created_at"))),
        carrier=carrier,
        lines=lines,
    )


def our_orders(client: MagentoClient, order_ids: set[int]) -> dict[int, ShopOrderRef]:
    """Of ``order_ids``, the Marketbridge orders (``ext_order_id`` set), by entity id."""
    if not order_ids:
        return {}
    ids = sorted(order_ids)
    found = client.get("/orders", search_params([[Filter("entity_id", ",".join(map(str, ids)), "in")], [OURS]],
                                                page_size=len(ids)))
    return {int(o["entity_id"]): ref_of(o) for o in found.get("items") or [] if o.get("ext_order_id")}


def stock_changes_since(client: MagentoClient, cursor: str | None, now: datetime, prices: PriceReader) -> StockPage:
    """Stock levels (with prices, P2) of products whose stock or price may have moved in the window (module docstring)."""
    window = open_window(cursor, now, STOCK_STREAMS)
    if window is None:
        return StockPage(levels=(), cursor=magento_time(now))
    product_ids: dict[str, None] = {}
    for product in fetch_page(client, "/products", window, "products"):
        product_ids[str(product["id"])] = None
    for order in fetch_page(client, "/orders", window, "orders"):
        for item in order.get("items") or []:
            if item.get("product_id") is not None:
                product_ids[str(item["product_id"])] = None
    for shipment in fetch_page(client, "/shipments", window, "shipments"):
        for item in shipment.get("items") or []:
            if item.get("product_id") is not None:
                product_ids[str(item["product_id"])] = None
    levels = []
    ids: Sequence[str] = list(product_ids)
    for start in range(0, len(ids), STOCK_BATCH):
        levels.extend(read_stock(client, ids[start:start + STOCK_BATCH], prices))
    next_cursor, more = close_window(window)
    return StockPage(levels=tuple(levels), cursor=next_cursor, more=more)
