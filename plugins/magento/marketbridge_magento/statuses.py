"""Magento order statuses: the shop's vocabulary (S1) and moving an order between them.

Magento's admin REST API has no endpoint listing order statuses. The book is
built from (1) the statuses every installation has
(``sales_order_status`` as installed by Magento_Sales, saved in
``emulator/data/order-statuses.json``), (2) the custom statuses the merchant
lists in the shop settings, and (3) statuses seen on recent orders
(``GET /V1/orders`` with ``status nin <known>``), so a custom status in use is
offered even before the merchant lists it.

A status belongs to a state; ``complete`` and ``closed`` follow from
invoices, shipments and credit memos and cannot be set.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Mapping

from marketbridge.adapters import ShopStatus

from marketbridge_magento.settings import CustomStatus

GROUP = "order"
#: States a newly imported order may start in (O3). ``complete``/``closed`` follow from documents; ``canceled``,
#: ``holded`` and the payment states need Magento's own actions (cancel releases reservations, hold remembers
#: the state to return to), so a new order cannot simply be written into them.
INITIAL_STATES = ("new", "processing")


@dataclass(frozen=True)
class KnownStatus:
    code: str
    label: str
    state: str


def default_statuses() -> list[KnownStatus]:
    """Magento's installed statuses with the state each belongs to by default."""
    data = json.loads(resources.files("marketbridge_magento.emulator").joinpath("data/order-statuses.json")
                      .read_text(encoding="utf-8"))
    labels = {s["status"]: s["label"] for s in data["statuses"]}
    out: list[KnownStatus] = []
    for state in data["states"]:
        for assignment in state["statuses"]:
            code = assignment["status"]
            if not any(k.code == code for k in out):
                out.append(KnownStatus(code, labels.get(code, code), state["state"]))
    return out


@dataclass
class StatusBook:
    """Every status Marketbridge knows for one store, with its state."""

    statuses: list[KnownStatus] = field(default_factory=default_statuses)

    @classmethod
    def build(cls, custom: tuple[CustomStatus, ...]) -> StatusBook:
        book = cls()
        for status in custom:
            book.add(status.code, status.label, status.state)
        return book

    def add(self, code: str, label: str, state: str) -> None:
        """Add a status (the first definition of a code wins)."""
        if self.get(code) is None:
            self.statuses.append(KnownStatus(code, label, state))

    def get(self, code: str) -> KnownStatus | None:
        return next((s for s in self.statuses if s.code == code), None)

    def state_of(self, code: str) -> str | None:
        status = self.get(code)
        return status.state if status else None

    def learn(self, orders: list[Mapping[str, Any]]) -> None:
        """Add statuses seen on orders, labelled by their code (Magento's API has no labels for them)."""
        for order in orders:
            code, state = order.get("status"), order.get("state")
            if isinstance(code, str) and code and isinstance(state, str):
                self.add(code, code.replace("_", " ").capitalize(), state)

    def shop_statuses(self) -> list[ShopStatus]:
        return [ShopStatus(code=s.code, label=s.label, group=GROUP, initial=s.state in INITIAL_STATES)
                for s in self.statuses]
