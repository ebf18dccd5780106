"""Status changes and shipments since a cursor (S2, S3), by polling: PrestaShop has no webhooks.

Every status change (``OrderHistory::changeIdOrderState``) and every tracking
number entered in the back office (``UpdateOrderShippingDetailsHandler``
sets ``orders.shipping_number`` and saves the order) updates
``orders.date_upd``. So one page of orders changed since the cursor
(``GET /api/orders?date=1&filter[date_upd]=[since,…]&sort=[date_upd_ASC,id_ASC]``)
is read, then, for those orders only, their ``order_histories`` and
``order_carriers`` (``filter[id_order]=[1|2|…]``).

* Each history row written inside the window is a :class:`StatusChanged`
  (``event_id`` = the history row id, status = the state *id*).
* A shipment is an order whose current state has the ``shipped`` flag and
  whose order carrier has a tracking number: one :class:`Shipped` per
  order carrier, with its tracking numbers and the carrier named as in Shipping > Carriers.
"""
from __future__ import annotations

from typing import Any

from marketbridge.adapters import ChangePage, Shipped, ShopEvent, ShopOrderRef, StatusChanged
from marketbridge.clock import Clock
from marketbridge_prestashop import cursor as windows
from marketbridge_prestashop import filters
from marketbridge_prestashop.client import Webservice
from marketbridge_prestashop.lookups import ShopReferences
from marketbridge_prestashop.settings import ShopSettings
from marketbridge_prestashop.shoptime import from_shop, to_shop
from marketbridge_prestashop.statuses import StatusBook

ORDER_FIELDS = "[id,reference,current_state,id_carrier,date_upd]"


def tracking_numbers(value: str) -> tuple[str, ...]:
    """The tracking numbers in an order carrier's field (merchants separate several with commas)."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


class ChangeReader:
    """Turns order histories and order carriers into :class:`ShopEvent` values."""

    def __init__(self, ws: Webservice, settings: ShopSettings, clock: Clock, statuses: StatusBook,
                 refs: ShopReferences, page_size: int = 100) -> None:
        self.ws = ws
        self.settings = settings
        self.clock = clock
        self.statuses = statuses
        self.refs = refs
        self.page_size = page_size

    def since(self, cursor: str | None) -> ChangePage:
        """One page of events for orders changed since ``cursor`` (``None``: the last day, see ``FIRST_LOOKBACK``)."""
        zone = self.settings.timezone
        start = windows.shift(to_shop(self.clock.now(), zone), -windows.FIRST_LOOKBACK)
        window = windows.decode(cursor, ("orders",), start)["orders"]
        orders, next_window, more = windows.read_page(self.ws, "orders", window, field="date_upd",
                                                      display=ORDER_FIELDS, page_size=self.page_size,
                                                      zone=zone, now=self.clock.now())
        next_cursor = windows.encode({"orders": next_window})
        return ChangePage(events=tuple(self._events(orders, window.since)), cursor=next_cursor, more=more)

    def of_order(self, order_id: str) -> tuple[ShopEvent, ...]:
        """Recent events of one order, for a change notice from the shop's module.

        ``GET /api/orders/<id>``, then its ``order_histories`` and
        ``order_carriers``. Histories written in the last five minutes (the
        polling overlap) count, so a notice never replays an old status; the
        shipment is reported whenever the order is shipped with a tracking
        number (its event id makes a repeat harmless).
        """
        order = self.ws.get("orders", order_id)
        if order is None:
            return ()
        since = windows.shift(to_shop(self.ws.server_time or self.clock.now(), self.settings.timezone),
                              -windows.OVERLAP)
        return tuple(self._events([order], since))

    def _events(self, orders: list[dict[str, Any]], since: str) -> list[ShopEvent]:
        """Status changes written at or after ``since`` (shop time) and shipments of ``orders``."""
        if not orders:
            return []
        zone = self.settings.timezone
        by_id = {str(order["id"]): order for order in orders}
        id_filter = {"id_order": filters.any_of(list(by_id))}
        histories = self.ws.select_all("order_histories", display="full", filters=id_filter, sort="[id_ASC]")
        carriers = self.ws.select_all("order_carriers", display="full", filters=id_filter, sort="[id_ASC]")
        events: list[ShopEvent] = []
        for row in histories:
            order = by_id.get(str(row.get("id_order")))
            changed_at = from_shop(str(row.get("date_add", "")), zone)
            if order is None or changed_at is None or str(row.get("date_add", "")) < since:
                continue
            events.append(StatusChanged(event_id=f"prestashop:order_history:{row['id']}", order=self._ref(order),
                                        status=str(row.get("id_order_state")), changed_at=changed_at))
        for row in carriers:
            order = by_id.get(str(row.get("id_order")))
            if order is None:
                continue
            events.extend(self._shipments(order, row, histories))
        events.sort(key=lambda event: (event.shipped_at if isinstance(event, Shipped) else event.changed_at,
                                       event.event_id))
        return events

    @staticmethod
    def _ref(order: dict[str, Any]) -> ShopOrderRef:
        return ShopOrderRef(order_id=str(order["id"]), number=order.get("reference") or None)

    def _shipments(self, order: dict[str, Any], carrier_row: dict[str, Any],
                   histories: list[dict[str, Any]]) -> list[Shipped]:
        state = self.statuses.states().get(int(order.get("current_state") or 0))
        numbers = tracking_numbers(str(carrier_row.get("tracking_number", "")))
        if state is None or not state.shipped or not numbers:
            return []
        zone = self.settings.timezone
        shipped_rows = [h for h in histories if str(h.get("id_order")) == str(order["id"])
                        and (s := self.statuses.states().get(int(h.get("id_order_state") or 0))) is not None
                        and s.shipped]
        when = from_shop(str(shipped_rows[-1].get("date_add", "")), zone) if shipped_rows else None
        when = when or from_shop(str(carrier_row.get("date_add", "")), zone) or \
            from_shop(str(order.get("date_upd", "")), zone) or self.clock.now()
        carrier_id = int(carrier_row.get("id_carrier") or 0)
        name = self.refs.carrier_name(carrier_id) if carrier_id else None
        return [Shipped(event_id=f"prestashop:order_carrier:{carrier_row['id']}:{','.join(numbers)}",
                        order=self._ref(order), shipment_id=f"order_carrier:{carrier_row['id']}",
                        tracking_numbers=numbers, shipped_at=when, carrier=name, shipping_method=name)]
