"""Click & Collect statuses (K4) with ``updateShipmentStatus``.

Operation: POST ``/orders/v0/orders/{orderId}/shipment`` (Orders v0, 5/s, burst 15;
204 on success) with ``{marketplaceId, shipmentStatus: ReadyForPickup |
PickedUp | RefusedPickup, orderItems?: [{orderItemId, quantity}]}``;
``orderItems`` limits the change to some quantities (partial pickup).
"""
from __future__ import annotations

from typing import Any

from marketbridge.adapters import StatusNotice
from marketbridge.errors import DeliveryRejected

from marketbridge_amazon.client import AmazonNotFound, AmazonRejected, SpApiClient, segment

PATH = "/orders/v0/orders/{}/shipment"
SHIPMENT_STATUSES = {"ready_for_pickup": "ReadyForPickup", "picked_up": "PickedUp",
                     "refused_pickup": "RefusedPickup"}


def pickup_body(notice: StatusNotice, marketplace_id: str) -> dict[str, Any]:
    """The ``UpdateShipmentStatusRequest`` for a pickup status notice."""
    body: dict[str, Any] = {"marketplaceId": marketplace_id, "shipmentStatus": SHIPMENT_STATUSES[notice.status]}
    if notice.lines:
        body["orderItems"] = [{"orderItemId": line.line_id, "quantity": line.quantity} for line in notice.lines]
    return body


def push_pickup_status(client: SpApiClient, notice: StatusNotice, marketplace_id: str) -> None:
    """Send one pickup status; Amazon's refusals become ``DeliveryRejected``."""
    try:
        client.call("updateShipmentStatus", "POST", PATH.format(segment(notice.marketplace_order_id)),
                    json=pickup_body(notice, marketplace_id))
    except AmazonNotFound:
        raise DeliveryRejected(f"Amazon does not know order {notice.marketplace_order_id} for this seller account.",
                               code="order_unknown") from None
    except AmazonRejected as exc:
        raise DeliveryRejected(f"Amazon refused the pickup status for order {notice.marketplace_order_id}: "
                               f"{exc.text()}", code="pickup_status_refused") from exc
