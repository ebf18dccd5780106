"""What a merchant does in the Shopware Administration, as the emulator's Python API.

Each action changes data exactly as the Administration's own API calls do:
tracking codes are a PATCH of the delivery, a status change is a transition by
action name (history row, ``updatedAt``, ``state_enter``/``state_leave`` webhooks),
a stock or price edit is a product write (``updatedAt``, ``product.written`` webhook
with ``stock`` or ``price`` in ``updatedFields``). Polling and webhooks therefore see every change
the way they would see it on a real shop.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from marketbridge_shopware.emulator.seed import CURRENCY_EUR
from marketbridge_shopware.ids import derived_id

if TYPE_CHECKING:
    from marketbridge_shopware.emulator.server import ShopwareEmulator
    from marketbridge_shopware.emulator.states import TransitionResult

#: The id of the Administration user who acts in these methods.
ADMIN_USER_ID = derived_id("user", "admin")


class MerchantActions:
    """Mixed into :class:`~marketbridge_shopware.emulator.server.ShopwareEmulator`."""

    def _delivery(self: ShopwareEmulator, order_id: str) -> dict[str, Any]:
        deliveries = sorted(self.store.find("order_delivery", orderId=order_id), key=lambda d: d["createdAt"])
        if not deliveries:
            raise KeyError(f"order {order_id} has no delivery")
        return deliveries[0]

    def product_by_number(self: ShopwareEmulator, product_number: str) -> dict[str, Any]:
        found = self.store.first("product", productNumber=product_number)
        if found is None:
            raise KeyError(product_number)
        return found

    def marketbridge_orders(self: ShopwareEmulator) -> list[dict[str, Any]]:
        """What the order list shows of the orders Marketbridge created (oldest first): id, number,
        reference, ``createdAt`` and the technical names of the order and delivery states."""
        rows = []
        with self.lock:
            for order in self.store.all("order"):
                reference = (order.get("customFields") or {}).get("marketbridge_external_ref")
                if not reference:
                    continue
                deliveries = sorted(self.store.find("order_delivery", orderId=order["id"]), key=lambda d: d["createdAt"])
                delivery_state = self.store.get("state_machine_state", deliveries[0]["stateId"]) if deliveries else None
                rows.append({"id": order["id"], "orderNumber": order.get("orderNumber"), "reference": reference,
                             "createdAt": order["createdAt"],
                             "state": (self.store.get("state_machine_state", order["stateId"]) or {}).get("technicalName"),
                             "deliveryState": (delivery_state or {}).get("technicalName")})
        return sorted(rows, key=lambda r: (r["createdAt"], r["id"]))

    def add_tracking(self: ShopwareEmulator, order_id: str, *codes: str) -> None:
        """Type tracking codes into the order's delivery and save (``PATCH order-delivery``)."""
        with self.lock:
            delivery = self._delivery(order_id)
            delivery["trackingCodes"] = [*delivery.get("trackingCodes", []), *codes]
            delivery["updatedAt"] = self.now()

    def ship(self: ShopwareEmulator, order_id: str, *tracking_codes: str, carrier: str | None = None,
             partial: bool = False) -> TransitionResult:
        """Ship the order: optional carrier (a shipping method, created when unknown), tracking codes,
        then the delivery's ``ship`` (or ``ship_partially``) transition."""
        with self.lock:
            delivery = self._delivery(order_id)
            if carrier is not None:
                method = self.store.first("shipping_method", name=carrier)
                if method is None:
                    method = self.add_shipping_method(carrier)
                delivery["shippingMethodId"] = method["id"]
            if tracking_codes:
                delivery["trackingCodes"] = [*delivery.get("trackingCodes", []), *tracking_codes]
            delivery["updatedAt"] = self.now()
        return self.transition("order_delivery", delivery["id"], "ship_partially" if partial else "ship",
                               user_id=ADMIN_USER_ID)

    def change_order_status(self: ShopwareEmulator, order_id: str, action: str) -> TransitionResult:
        """Pick a new order status in the order detail (by action: process, complete, cancel, reopen)."""
        return self.transition("order", order_id, action, user_id=ADMIN_USER_ID)

    def change_delivery_status(self: ShopwareEmulator, order_id: str, action: str) -> TransitionResult:
        return self.transition("order_delivery", self._delivery(order_id)["id"], action, user_id=ADMIN_USER_ID)

    def change_payment_status(self: ShopwareEmulator, order_id: str, action: str) -> TransitionResult:
        transaction = self.store.find("order_transaction", orderId=order_id)[0]
        return self.transition("order_transaction", transaction["id"], action, user_id=ADMIN_USER_ID)

    def update_product(self: ShopwareEmulator, product_number: str, **fields: Any) -> dict[str, Any]:
        """Edit a product in the Administration and save (stock, active, weight, isCloseout …)."""
        with self.lock:
            product = self.product_by_number(product_number)
            record, changed = self.writer.update("product", product["id"], fields, self.now())
            self._queue_webhook("product.written", [{"entity": "product", "operation": "update",
                                                     "primaryKey": record["id"], "updatedFields": changed,
                                                     "versionId": record.get("versionId")}])
        self._flush_webhooks()
        return record

    def set_stock(self: ShopwareEmulator, product_number: str, stock: int) -> dict[str, Any]:
        """Change a product's stock in the Administration."""
        return self.update_product(product_number, stock=stock)

    def set_price(self: ShopwareEmulator, product_number: str, gross: Decimal | str | None) -> dict[str, Any]:
        """Type a gross price in the product's default-currency price field and save, as the Administration
        does: the whole ``price`` list is written (``{currencyId, gross, net, linked: true}``, net from the
        tax rate, inherited from the parent for a variant). ``None`` restores a variant's inheritance."""
        with self.lock:
            product = self.product_by_number(product_number)
            parent = self.store.get("product", product.get("parentId")) or {}
            tax = self.store.get("tax", product.get("taxId") or parent.get("taxId")) or {}
        if gross is None:
            return self.update_product(product_number, price=None)
        amount = Decimal(str(gross))
        rate = Decimal(str(tax.get("taxRate") or 0))
        net = (amount / (1 + rate / 100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return self.update_product(product_number, price=[{"currencyId": CURRENCY_EUR, "gross": float(amount),
                                                           "net": float(net), "linked": True}])

    def delete_product(self: ShopwareEmulator, product_number: str) -> None:
        """Delete a product (order line items keep their snapshot; the product id dangles)."""
        with self.lock:
            product = self.product_by_number(product_number)
            self.store.tables["product"].pop(product["id"])

    def add_shipping_method(self: ShopwareEmulator, name: str, technical_name: str | None = None,
                            tracking_url: str | None = None) -> dict[str, Any]:
        """Settings > Shipping > Add shipping method."""
        technical = technical_name or "shipping_" + "".join(c if c.isalnum() else "_" for c in name.lower())
        with self.lock:
            return self.store.put("shipping_method", {
                "id": derived_id("shipping_method", technical), "name": name, "technicalName": technical,
                "active": True, "position": 10, "trackingUrl": tracking_url,
                "deliveryTimeId": derived_id("delivery_time", "1-3 days"), "createdAt": self.now(), "updatedAt": None})

    def add_order_state(self: ShopwareEmulator, technical_name: str, name: str, *, from_state: str = "open",
                        action: str | None = None) -> dict[str, Any]:
        """Add a custom state (and a transition into it) to the order state machine."""
        with self.lock:
            machine = self.machines.machine("order")
            state = self.store.put("state_machine_state", {
                "id": derived_id("state", "order.state", technical_name), "technicalName": technical_name,
                "name": name, "stateMachineId": machine["id"], "createdAt": self.now(), "updatedAt": None})
            source = self.machines.state("order", from_state)
            assert source is not None
            self.store.put("state_machine_transition", {
                "id": derived_id("transition", "order.state", from_state, technical_name),
                "actionName": action or technical_name, "stateMachineId": machine["id"], "fromStateId": source["id"],
                "toStateId": state["id"], "createdAt": self.now(), "updatedAt": None})
            return state
