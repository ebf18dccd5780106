"""Shipping labels bought through Amazon Buy Shipping, Amazon Shipping v2 (L1, L2).

Operations (``shippingV2.json``, 80/s, burst 100 each):

* ``getRates`` POST ``/shipping/v2/shipments/rates`` with
  ``{shipFrom, shipDate, packages[1], channelDetails{channelType: AMAZON,
  amazonOrderDetails{orderId}}}``; ``shipTo`` is not sent (Amazon ignores it for
  AMAZON orders and ships to the buyer's address it knows). The answer's
  ``payload{requestToken, rates[], ineligibleRates[]}`` becomes a
  :class:`~marketbridge.adapters.LabelQuote`: ``rates`` are eligible,
  ``ineligibleRates`` are refused with a plain reason per
  ``IneligibilityReasonCode`` (L1: ``LATE_DELIVERY`` is a service that cannot
  meet the buyer's delivery promise). Amazon has no must-arrive-by input: it
  enforces the order's promise itself.
* ``purchaseShipment`` POST ``/shipping/v2/shipments`` with ``{requestToken,
  rateId, requestedDocumentSpecification}`` and the host's key as
  ``x-amzn-IdempotencyKey``: a retry after a crash or a timeout gets the same
  shipment, never a second label. Within 10 minutes of the rates, else
  ``TOKEN_EXPIRED``. Amazon learns of the shipment by the purchase itself (L2):
  no ``confirmShipment`` follows.

Both send ``x-amzn-shipping-business-id`` for the marketplace's country when the
model lists one (:data:`SHIPPING_BUSINESS`); elsewhere the header is left out
and Amazon applies its documented default, ``AmazonShipping_UK``.

The purchase answer names neither carrier, service nor price, so the quote's
rates are kept in ``context.state`` (``labels:quotes``, for a day) and read back
by :meth:`LabelShipping.buy`. One parcel per label: multi-package shipments,
manifests and return labels are not offered on this route (L2).
"""
from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Mapping

from marketbridge.adapters import BoughtLabel, LabelQuote, LabelRate, LabelRequest, Money, StateStore
from marketbridge.clock import Clock
from marketbridge.errors import DeliveryRejected, TemporaryFailure

from marketbridge_amazon.client import AmazonRejected, SpApiClient

RATES_PATH = "/shipping/v2/shipments/rates"
PURCHASE_PATH = "/shipping/v2/shipments"
#: Amazon keeps the rates of a ``requestToken`` this long (purchaseShipment's description).
QUOTE_LIFETIME = timedelta(minutes=10)
#: How long a quote's rates stay in state: a retried purchase (same key) may come long after the quote expired.
KEEP_QUOTES = timedelta(days=1)
STATE_KEY = "labels:quotes"

#: ``x-amzn-shipping-business-id`` per marketplace country (the model's enum; NOTES.md → Shipping v2).
SHIPPING_BUSINESS: dict[str, str] = {
    "US": "AmazonShipping_US", "IN": "AmazonShipping_IN", "GB": "AmazonShipping_UK", "UK": "AmazonShipping_UK",
    "AE": "AmazonShipping_UAE", "SA": "AmazonShipping_SA", "EG": "AmazonShipping_EG", "IT": "AmazonShipping_IT",
    "ES": "AmazonShipping_ES", "FR": "AmazonShipping_FR", "JP": "AmazonShipping_JP",
}

#: ``IneligibilityReasonCode`` → what the merchant reads (L1).
INELIGIBLE_REASONS: dict[str, str] = {
    "LATE_DELIVERY": "This service cannot deliver by the date promised to the buyer; choose a faster one.",
    "NO_COVERAGE": "This service does not deliver to the buyer's address.",
    "PICKUP_SLOT_RESTRICTION": "This carrier has no pickup slot for the ship date; choose another service or "
                               "ship on another day.",
    "UNSUPPORTED_VAS": "This service does not offer an extra service the order needs (such as a signature "
                       "or age check).",
    "VAS_COMBINATION_RESTRICTION": "This service cannot combine the extra services the order needs.",
    "SIZE_RESTRICTIONS": "The parcel is too large for this service.",
    "WEIGHT_RESTRICTIONS": "The parcel is too heavy for this service.",
    "PROGRAM_CONSTRAINTS": "Amazon's rules for this order's program (such as Prime) do not allow this service.",
    "TERMS_AND_CONDITIONS_NOT_ACCEPTED": "Accept this carrier's terms and conditions in Seller Central "
                                         "(Settings → Shipping settings → Buy Shipping) to use it.",
    "UNKNOWN": "Amazon does not offer this service for this order.",
}

EXPIRED = "The rates have expired (Amazon keeps them 10 minutes); ask for rates again."
#: The label asked for: a 4×6 inch PDF, the label only, one file per package.
PDF_LABEL = {"format": "PDF", "size": {"width": 4, "length": 6, "unit": "INCH"}, "needFileJoining": False,
             "requestedDocumentTypes": ["LABEL"]}
MEDIA_TYPES = {"PDF": "application/pdf", "PNG": "image/png", "ZPL": "text/plain"}
_ADDRESS_FIELDS = (("name", "name"), ("line1", "street"), ("city", "city"), ("postal_code", "postal code"),
                   ("region", "state or region"), ("country_code", "country"))


def business_id(country_code: str | None) -> str | None:
    """The ``x-amzn-shipping-business-id`` for a marketplace country, ``None`` where the model lists none."""
    return SHIPPING_BUSINESS.get((country_code or "").upper())


def ship_from_address(ship_from: Mapping[str, str], order_id: str) -> dict[str, str]:
    """The Shipping v2 ``Address`` of the sender; ``DeliveryRejected`` naming missing fields."""
    missing = [label for key, label in _ADDRESS_FIELDS if not str(ship_from.get(key) or "").strip()]
    if missing:
        raise DeliveryRejected(f"Order {order_id}: the ship-from address lacks {', '.join(missing)}. Amazon needs "
                               "them to buy a shipping label; complete the address and ask for rates again.",
                               code="label_address_incomplete")
    address = {"name": ship_from["name"][:50], "addressLine1": ship_from["line1"][:60], "city": ship_from["city"],
               "postalCode": ship_from["postal_code"], "stateOrRegion": ship_from["region"],
               "countryCode": ship_from["country_code"].upper()}
    if str(ship_from.get("line2") or "").strip():
        address["addressLine2"] = ship_from["line2"][:60]
    if str(ship_from.get("phone") or "").strip():
        address["phoneNumber"] = ship_from["phone"][:20]
    if str(ship_from.get("email") or "").strip():
        address["email"] = ship_from["email"][:64]
    return address


def rates_body(request: LabelRequest) -> dict[str, Any]:
    """The ``GetRatesRequest`` for ``request``: always exactly one package holding every line (L2)."""
    order = request.marketplace_order_id
    if not request.lines or any(line.quantity < 1 for line in request.lines):
        raise DeliveryRejected(f"Order {order}: a shipping label needs the order's lines with their quantities.",
                               code="label_no_lines")
    parcel = request.parcel
    if parcel.weight_grams <= 0 or min(parcel.length_cm, parcel.width_cm, parcel.height_cm) <= 0:
        raise DeliveryRejected(f"Order {order}: enter the parcel's weight and its length, width and height "
                               "before asking Amazon for rates.", code="label_parcel_incomplete")
    package = {
        "dimensions": {"length": float(parcel.length_cm), "width": float(parcel.width_cm),
                       "height": float(parcel.height_cm), "unit": "CENTIMETER"},
        "weight": {"value": parcel.weight_grams, "unit": "GRAM"},
        "insuredValue": {"value": float(request.value.amount), "unit": request.value.currency},
        "packageClientReferenceId": f"{order}-1",
        # The model's Item has no orderItemId field: the client's item identifier carries Amazon's OrderItemId.
        "items": [{"quantity": line.quantity, "itemIdentifier": line.line_id} for line in request.lines],
    }
    return {
        "shipFrom": ship_from_address(request.ship_from, order),
        "shipDate": _iso(request.ship_date),
        "packages": [package],
        "channelDetails": {"channelType": "AMAZON", "amazonOrderDetails": {"orderId": order}},
    }


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _money(value: Any) -> Money | None:
    if not isinstance(value, dict) or value.get("value") is None or not value.get("unit"):
        return None
    return Money(Decimal(str(value["value"])), str(value["unit"]))


def ineligible_reason(reasons: Any) -> str:
    """One plain sentence per distinct reason code (Amazon's own message for codes Marketbridge does not know)."""
    sentences: list[str] = []
    for reason in reasons or ():
        if not isinstance(reason, dict):
            continue
        text = INELIGIBLE_REASONS.get(str(reason.get("code", ""))) or str(reason.get("message") or "")
        if text and text not in sentences:
            sentences.append(text)
    return " ".join(sentences) or INELIGIBLE_REASONS["UNKNOWN"]


def document_spec(supported: Any) -> dict[str, Any]:
    """A 4×6 PDF label when the rate offers PDF (or says nothing), else the first format it supports."""
    specs = [s for s in supported or () if isinstance(s, dict) and s.get("format") in MEDIA_TYPES]
    if not specs or any(s["format"] == "PDF" for s in specs):
        return dict(PDF_LABEL)
    first = specs[0]
    return {"format": first["format"], "size": first["size"], "needFileJoining": False,
            "requestedDocumentTypes": ["LABEL"]}


class LabelShipping:
    """Rates and purchases of one connection (see the module docstring)."""

    def __init__(self, client: SpApiClient, state: StateStore, clock: Clock, country_code: str | None,
                 carrier_codes: frozenset[str]) -> None:
        self.client = client
        self.state = state
        self.clock = clock
        self.business = business_id(country_code)
        self.carrier_codes = carrier_codes

    def _headers(self, key: str | None = None) -> dict[str, str]:
        headers = {"x-amzn-shipping-business-id": self.business} if self.business else {}
        if key:
            headers["x-amzn-IdempotencyKey"] = key
        return headers

    def rates(self, request: LabelRequest) -> LabelQuote:
        """getRates for one parcel of ``request``'s order; eligible and refused rates, the token for 10 minutes."""
        body = rates_body(request)
        order = request.marketplace_order_id
        try:
            answer = self.client.call("getRates", "POST", RATES_PATH, json=body, headers=self._headers())
        except AmazonRejected as exc:
            raise DeliveryRejected(f"Amazon will not quote shipping labels for order {order}: {exc.text() or exc}",
                                   code="label_rates_refused") from exc
        result = (answer.body or {}).get("payload") if isinstance(answer.body, dict) else None
        if not isinstance(result, dict) or not result.get("requestToken"):
            raise TemporaryFailure(f"Amazon sent rates for order {order} without a request token",
                                   code="malformed_response")
        token = str(result["requestToken"])
        rates: list[LabelRate] = []
        kept: dict[str, dict[str, Any]] = {}
        for rate in result.get("rates") or ():
            window = (rate.get("promise") or {}).get("deliveryWindow") or {}
            rates.append(LabelRate(rate_id=str(rate["rateId"]), carrier=str(rate.get("carrierName", "")),
                                   service=str(rate.get("serviceName", "")), price=_money(rate.get("totalCharge")),
                                   delivery_by=_time(window.get("end"))))
            kept[str(rate["rateId"])] = {"carrierId": rate.get("carrierId"), "carrierName": rate.get("carrierName"),
                                         "serviceName": rate.get("serviceName"),
                                         "totalCharge": rate.get("totalCharge"),
                                         "documents": rate.get("supportedDocumentSpecifications") or []}
        for index, refused in enumerate(result.get("ineligibleRates") or ()):
            rates.append(LabelRate(rate_id=f"ineligible:{refused.get('serviceId') or index}",
                                   carrier=str(refused.get("carrierName", "")),
                                   service=str(refused.get("serviceName", "")), price=None, delivery_by=None,
                                   eligible=False, reason=ineligible_reason(refused.get("ineligibilityReasons"))))
        now = self.clock.now()
        self._remember(token, {"order": order, "at": now.timestamp(), "rates": kept})
        return LabelQuote(token=token, rates=tuple(rates), expires_at=now + QUOTE_LIFETIME)

    def _remember(self, token: str, quote: dict[str, Any]) -> None:
        oldest = (self.clock.now() - KEEP_QUOTES).timestamp()
        quotes = {t: q for t, q in (self.state.get(STATE_KEY) or {}).items() if float(q.get("at", 0)) >= oldest}
        quotes[token] = quote
        self.state.set(STATE_KEY, quotes)

    def buy(self, token: str, rate_id: str, key: str) -> BoughtLabel:
        """purchaseShipment of ``rate_id`` with ``key`` as ``x-amzn-IdempotencyKey``; the label and its tracking."""
        if rate_id.startswith("ineligible:"):
            raise DeliveryRejected("Amazon refused this service for the order; choose one of the eligible rates.",
                                   code="label_rate_ineligible")
        quote = (self.state.get(STATE_KEY) or {}).get(token) or {}
        rate = (quote.get("rates") or {}).get(rate_id) or {}
        spec = document_spec(rate.get("documents"))
        body = {"requestToken": token, "rateId": rate_id, "requestedDocumentSpecification": spec}
        try:
            answer = self.client.call("purchaseShipment", "POST", PURCHASE_PATH, json=body,
                                      headers=self._headers(key))
        except AmazonRejected as exc:
            if any(error.code == "TOKEN_EXPIRED" for error in exc.errors):
                raise DeliveryRejected(EXPIRED, code="label_quote_expired") from exc
            raise DeliveryRejected(f"Amazon refused to sell this label: {exc.text() or exc}",
                                   code="label_refused") from exc
        result = (answer.body or {}).get("payload") if isinstance(answer.body, dict) else None
        details = (result or {}).get("packageDocumentDetails") or []
        if not isinstance(result, dict) or not result.get("shipmentId") or not details:
            raise TemporaryFailure("Amazon sent a purchase answer without a shipment or label; asking again with "
                                   "the same key returns the same shipment", code="malformed_response")
        package = details[0]
        documents = [d for d in package.get("packageDocuments") or () if d.get("type") == "LABEL"]
        if not documents:
            raise TemporaryFailure("Amazon's purchase answer holds no label document", code="malformed_response")
        try:
            content = base64.b64decode(documents[0]["contents"], validate=True)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise TemporaryFailure("Amazon sent a label that is not valid base64", code="malformed_response") from exc
        carrier = str(rate.get("carrierName") or rate.get("carrierId") or "")
        return BoughtLabel(label_id=str(result["shipmentId"]), tracking_number=str(package.get("trackingId") or ""),
                           carrier=carrier, service=str(rate.get("serviceName") or ""), document=content,
                           media_type=MEDIA_TYPES.get(str(documents[0].get("format")), "application/octet-stream"),
                           carrier_code=carrier if carrier in self.carrier_codes else None,
                           price=_money(rate.get("totalCharge")))
