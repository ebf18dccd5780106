"""The shop's order statuses (``order_states``), custom ones included (S1).

States are identified by their numeric id: names are translated per shop
language and merchants rename them, ids stay (``specs/prestashop/NOTES.md``,
"Order status vocabulary"). ``GET /api/order_states?display=full`` is read once
per adapter instance.
"""
from __future__ import annotations

from dataclasses import dataclass

from marketbridge.adapters import ShopStatus
from marketbridge_prestashop.client import Webservice
from marketbridge_prestashop.settings import ShopSettings


@dataclass(frozen=True)
class OrderState:
    """An order state with the flags the plugin reads."""

    id: int
    name: str
    shipped: bool
    paid: bool
    deleted: bool


class StatusBook:
    """Order states of one shop, cached for the adapter instance."""

    def __init__(self, ws: Webservice, settings: ShopSettings) -> None:
        self.ws = ws
        self.settings = settings
        self._states: dict[int, OrderState] | None = None

    def states(self) -> dict[int, OrderState]:
        """Every state by id, deleted ones included (old histories may point at them)."""
        if self._states is None:
            lang = str(self.settings.language_id)
            states: dict[int, OrderState] = {}
            for row in self.ws.select_all("order_states", display="full", sort="[id_ASC]"):
                names = row.get("name", "")
                if isinstance(names, dict):
                    name = names.get(lang) or next((v for v in names.values() if v), "")
                else:
                    name = str(names)
                state_id = int(row["id"])
                states[state_id] = OrderState(id=state_id, name=name or f"Status {state_id}",
                                              shipped=row.get("shipped") == "1", paid=row.get("paid") == "1",
                                              deleted=row.get("deleted") == "1")
            self._states = states
        return self._states

    def get(self, state_id: int | str) -> OrderState | None:
        """The live (not deleted) state with ``state_id``, if the shop has it."""
        try:
            state = self.states().get(int(state_id))
        except ValueError:
            return None
        return state if state is not None and not state.deleted else None

    def list(self) -> list[ShopStatus]:
        """The live states as :class:`ShopStatus` (``code`` is the id as text).

        Only paid, not yet shipped states suit a new marketplace order (O3):
        "Payment accepted", "Processing in progress", "On backorder (paid)",
        "Remote payment accepted" and custom states with those flags. Awaiting
        payment, cancelled, refunded, error and shipped states are ``initial=False``.
        """
        return [ShopStatus(code=str(s.id), label=s.name, initial=s.paid and not s.shipped)
                for s in self.states().values() if not s.deleted]
