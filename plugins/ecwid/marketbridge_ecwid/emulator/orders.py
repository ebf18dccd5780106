"""Order rules of the emulated store: validating ``POST``/``PUT`` bodies and searching orders.

What the real API is documented to do (``specs/ecwid/NOTES.md``,
``examples.current.json``, the 2020 "Create order" table and error examples):

* required ``subtotal``, ``total``, ``email``, ``paymentStatus``,
  ``fulfillmentStatus``; items need ``name`` and ``quantity``. A missing one is
  ``400`` with a message like ``Field OrderItem.quantity is absent``;
* a value of the wrong type is ``400 WRONG_PARAMETER`` ("Wrong parameter 'total' value");
* status values outside the vocabulary are refused the same way;
* ``productId``/``combinationId`` that do not exist: ``404 PRODUCT_NOT_FOUND`` /
  ``404 COMBINATION_NOT_FOUND``;
* the order search filters by ``keywords`` (order id, external transaction id,
  addresses, e-mail, tracking code, SKUs, item names, private admin notes),
  ``updatedFrom/To``, ``createdFrom/To`` (UNIX seconds or
  ``yyyy-MM-dd HH:mm:ss``), ``refererId``, status lists and ``ids``.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from marketbridge_ecwid.vocabulary import FULFILLMENT_STATUSES, PAYMENT_STATUSES

REQUIRED_ORDER_FIELDS = ("subtotal", "total", "email", "paymentStatus", "fulfillmentStatus")
REQUIRED_ITEM_FIELDS = ("name", "quantity")
NUMBER_FIELDS = ("subtotal", "total", "tax", "discount", "couponDiscount", "volumeDiscount")
ITEM_NUMBER_FIELDS = ("price", "productPrice", "quantity", "tax", "weight", "productId", "combinationId")
EXTRA_FIELDS_MAX_BYTES = 8 * 1024


class Refusal(Exception):
    """The emulated API refuses a request: HTTP status, Ecwid error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _wrong(name: str, expected: str) -> Refusal:
    return Refusal(400, "WRONG_PARAMETER", f"Wrong parameter '{name}' value: expected {expected}")


def check_statuses(body: Mapping[str, Any]) -> None:
    """Refuse status values outside Ecwid's vocabulary (``statuses.json``)."""
    if "paymentStatus" in body and body["paymentStatus"] not in PAYMENT_STATUSES:
        raise _wrong("paymentStatus", "one of " + ", ".join(PAYMENT_STATUSES))
    if "fulfillmentStatus" in body and body["fulfillmentStatus"] not in FULFILLMENT_STATUSES:
        raise _wrong("fulfillmentStatus", "one of " + ", ".join(FULFILLMENT_STATUSES))


def check_types(body: Mapping[str, Any]) -> None:
    """Refuse numbers sent as something else, and malformed items or extra fields."""
    for name in NUMBER_FIELDS:
        if name in body and not _is_number(body[name]):
            raise _wrong(name, "a number")
    items = body.get("items")
    if items is not None and not isinstance(items, list):
        raise _wrong("items", "a list")
    for item in items or ():
        if not isinstance(item, dict):
            raise _wrong("items", "a list of objects")
        for name in ITEM_NUMBER_FIELDS:
            if name in item and not _is_number(item[name]):
                raise _wrong(f"items.{name}", "a number")
    extra = body.get("orderExtraFields")
    if extra is not None:
        if not isinstance(extra, list) or not all(isinstance(f, dict) and f.get("id") for f in extra):
            raise _wrong("orderExtraFields", "a list of fields with an id")
        if any(len(str(f.get("value", ""))) > 255 for f in extra):
            raise _wrong("orderExtraFields.value", "at most 255 characters")
        if sum(len(str(f.get("value", ""))) + len(str(f["id"])) for f in extra) > EXTRA_FIELDS_MAX_BYTES:
            raise _wrong("orderExtraFields", "at most 8 KB in total")


def check_required(body: Mapping[str, Any]) -> None:
    """Refuse a create body without Ecwid's required fields."""
    for name in REQUIRED_ORDER_FIELDS:
        if body.get(name) is None:
            raise Refusal(400, "WRONG_PARAMETER", f"Field Order.{name} is absent")
    for item in body.get("items") or ():
        for name in REQUIRED_ITEM_FIELDS:
            if item.get(name) in (None, ""):
                raise Refusal(400, "WRONG_PARAMETER", f"Field OrderItem.{name} is absent")


def parse_time(value: str, name: str) -> int:
    """UNIX seconds or ``yyyy-MM-dd HH:mm:ss`` (optionally ``+0000``) → UNIX seconds."""
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    for fmt in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return int(parsed.timestamp())
    raise _wrong(name, "a UNIX timestamp or a date 'yyyy-MM-dd HH:mm:ss'")


def _haystack(order: Mapping[str, Any]) -> str:
    parts: list[str] = [str(order.get(k) or "") for k in
                        ("id", "externalTransactionId", "email", "trackingNumber", "privateAdminNotes")]
    for person in ("billingPerson", "shippingPerson"):
        data = order.get(person) or {}
        parts.extend(str(data.get(k) or "") for k in ("name", "companyName", "street", "city", "postalCode"))
    for item in order.get("items") or ():
        parts.extend(str(item.get(k) or "") for k in ("sku", "name"))
        parts.extend(str(o.get("value") or "") for o in item.get("selectedOptions") or ())
    return "\n".join(parts).casefold()


def search(orders: Iterable[Mapping[str, Any]], args: Mapping[str, str]) -> list[Mapping[str, Any]]:
    """Filter and order ``orders`` like ``GET /orders`` (newest first)."""
    found = list(orders)
    keywords = args.get("keywords")
    if keywords:
        needle = keywords.strip().strip('"').casefold()
        found = [o for o in found if needle in _haystack(o)]
    for arg, field_name, bound in (("updatedFrom", "updateTimestamp", min), ("updatedTo", "updateTimestamp", max),
                                   ("createdFrom", "createTimestamp", min), ("createdTo", "createTimestamp", max)):
        if args.get(arg):
            limit = parse_time(args[arg], arg)
            if bound is min:
                found = [o for o in found if o[field_name] >= limit]
            else:
                found = [o for o in found if o[field_name] <= limit]
    if args.get("refererId"):
        found = [o for o in found if o.get("refererId") == args["refererId"]]
    for arg in ("paymentStatus", "fulfillmentStatus"):
        if args.get(arg):
            wanted = {v.strip() for v in args[arg].split(",")}
            found = [o for o in found if o.get(arg) in wanted]
    if args.get("ids"):
        wanted = {v.strip() for v in args["ids"].split(",")}
        found = [o for o in found if o["id"] in wanted]
    return sorted(found, key=lambda o: (o["createTimestamp"], o["internalId"]), reverse=True)
