"""Shipment confirmations (S3) with a read-back that catches confirmations Amazon dropped.

Operation: ``confirmShipment`` POST ``/orders/v0/orders/{orderId}/shipmentConfirmation``
(Orders v0, not deprecated; 2/s, burst 10; success is 204 without a body):
``{marketplaceId, packageDetail{packageReferenceId, carrierCode, carrierName?,
shippingMethod?, trackingNumber, shipDate, shipFromSupplySourceId?,
orderItems[{orderItemId, quantity}]}}``.

Read-back: ``getOrder`` (Orders 2026-01-01) with ``includedData=FULFILLMENT,PACKAGES``;
the confirmation counts as delivered when a package carries our
``packageReferenceId`` or tracking number.

A 204 whose package does not show up is handled in three steps, each visible
to the merchant through the engine's retry/problem display:

1. right after the 204 the read-back fails → ``TemporaryFailure`` with code
   ``confirmation_unverified`` (retry in 15 minutes; Amazon may still be
   processing). The attempt is remembered in ``context.state``.
2. on the retry the package is read back first; if it is there, done. If not
   and the grace period is over, the confirmation is sent once more.
3. if it is still missing after the second 204 and its grace period,
   ``DeliveryRejected`` with code ``confirmation_dropped`` tells the merchant to
   check the order in Seller Central – never a silent success.
"""
from __future__ import annotations

from datetime import timezone
from typing import Any

from marketbridge.adapters import ShipmentNotice, StateStore
from marketbridge.clock import Clock
from marketbridge.errors import DeliveryRejected, TemporaryFailure

from marketbridge_amazon.client import AmazonNotFound, AmazonRejected, SpApiClient, segment
from marketbridge_amazon.orders_import import OrderReader
from marketbridge_amazon.supply_sources import SupplySources

PATH = "/orders/v0/orders/{}/shipmentConfirmation"
GRACE_SECONDS = 900.0
MAX_SENDS = 2
READ_BACK_DATA = ("FULFILLMENT", "PACKAGES")


def confirmation_body(notice: ShipmentNotice, marketplace_id: str, supply_source_id: str | None) -> dict[str, Any]:
    """The ``ConfirmShipmentRequest`` for ``notice``."""
    detail: dict[str, Any] = {
        "packageReferenceId": notice.package_ref,
        "carrierCode": notice.carrier_code,
        "trackingNumber": notice.tracking_number,
        "shipDate": notice.shipped_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "orderItems": [{"orderItemId": line.line_id, "quantity": line.quantity} for line in notice.lines],
    }
    if notice.carrier_name:
        detail["carrierName"] = notice.carrier_name
    if notice.shipping_method:
        detail["shippingMethod"] = notice.shipping_method
    if supply_source_id:
        detail["shipFromSupplySourceId"] = supply_source_id
    return {"marketplaceId": marketplace_id, "packageDetail": detail}


class Shipments:
    """Sends shipment confirmations and verifies them by reading the order back."""

    def __init__(self, client: SpApiClient, reader: OrderReader, state: StateStore, clock: Clock,
                 marketplace_id: str, carrier_codes: frozenset[str], supply: SupplySources) -> None:
        self.client = client
        self.reader = reader
        self.state = state
        self.clock = clock
        self.marketplace_id = marketplace_id
        self.carrier_codes = carrier_codes
        self.supply = supply

    def _key(self, notice: ShipmentNotice) -> str:
        return f"confirmation:{notice.key}"

    def validate(self, notice: ShipmentNotice) -> None:
        """Refuse what Amazon would refuse, with the fix in plain words."""
        order = notice.marketplace_order_id
        if notice.carrier_code not in self.carrier_codes:
            raise DeliveryRejected(
                f"Amazon does not accept the carrier code {notice.carrier_code!r} (order {order}). Map the shop's "
                "carrier to a code from Amazon's carrier list, or to 'Other' with the carrier's name.",
                code="unknown_carrier_code")
        if notice.carrier_code == "Other" and not notice.carrier_name:
            raise DeliveryRejected(f"Order {order}: with the carrier code 'Other' Amazon needs the carrier's "
                                   "name. Set a carrier name in the carrier rule.", code="carrier_name_missing")
        if not notice.tracking_number.strip():
            raise DeliveryRejected(f"Order {order}: Amazon needs a tracking number for every shipment "
                                   "confirmation.", code="tracking_missing")
        if not notice.package_ref.isdigit() or int(notice.package_ref) < 1:
            raise DeliveryRejected(f"Order {order}: the package reference {notice.package_ref!r} must be a "
                                   "positive number.", code="bad_package_reference")
        if not notice.lines:
            raise DeliveryRejected(f"Order {order}: a shipment confirmation needs at least one line.",
                                   code="no_lines")

    def visible(self, notice: ShipmentNotice) -> bool:
        """Whether the order read back from Amazon carries this package (getOrder FULFILLMENT,PACKAGES)."""
        order = self.reader.get(notice.marketplace_order_id, READ_BACK_DATA)
        if order is None:
            return False
        for package in order.get("packages") or ():
            if (str(package.get("packageReferenceId")) == notice.package_ref
                    or package.get("trackingNumber") == notice.tracking_number):
                return True
        return False

    def confirm(self, notice: ShipmentNotice) -> None:
        """Send (or verify) the confirmation; see the module docstring for the retry steps."""
        key = self._key(notice)
        record = self.state.get(key)
        now = self.clock.now().timestamp()
        if record:
            if self.visible(notice):
                self.state.delete(key)
                return
            waited = now - float(record["sent_at"])
            if waited < GRACE_SECONDS:
                raise TemporaryFailure(f"Amazon has not yet shown the shipment of order "
                                       f"{notice.marketplace_order_id}; checking again later",
                                       code="confirmation_unverified", retry_after=GRACE_SECONDS - waited)
            if int(record["sends"]) >= MAX_SENDS:
                self.state.delete(key)
                raise DeliveryRejected(
                    f"Amazon accepted the shipment confirmation for order {notice.marketplace_order_id} "
                    f"{record['sends']} times but does not show it on the order. Check the order in Seller Central "
                    "(Orders → Manage Orders) and confirm the shipment there, or resend it.",
                    code="confirmation_dropped")
        self.validate(notice)
        supply_source_id = self.supply.id_for_code(notice.ship_from_store) if notice.ship_from_store else None
        body = confirmation_body(notice, self.marketplace_id, supply_source_id)
        try:
            self.client.call("confirmShipment", "POST", PATH.format(segment(notice.marketplace_order_id)), json=body)
        except AmazonNotFound:
            raise DeliveryRejected(f"Amazon does not know order {notice.marketplace_order_id} for this seller "
                                   "account, so its shipment cannot be confirmed.", code="order_unknown") from None
        except AmazonRejected as exc:
            raise DeliveryRejected(f"Amazon refused the shipment confirmation for order "
                                   f"{notice.marketplace_order_id}: {exc.text()}", code="confirmation_refused") from exc
        sends = (int(record["sends"]) if record else 0) + 1
        self.state.set(key, {"sent_at": now, "sends": sends})
        if self.visible(notice):
            self.state.delete(key)
            return
        raise TemporaryFailure(f"Amazon accepted the shipment of order {notice.marketplace_order_id} but does not "
                               "show it yet; checking again later", code="confirmation_unverified",
                               retry_after=GRACE_SECONDS)
