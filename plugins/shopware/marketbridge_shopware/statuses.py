"""Order statuses: listing them (S1) and moving an order (automation rules, cancellations).

Shopware has three state machines per order: ``order.state``, ``order_delivery.state``
and ``order_transaction.state`` (``state-machines.json``). A status code is
``<entity>.<technical name>`` (``order.in_progress``, ``order_delivery.shipped``,
``order_transaction.paid``); its group is the entity.

Moving goes by **action name** (``POST /api/_action/{entity}/{id}/state/{action}``,
operations ``orderStateTransition``, ``orderDeliveryStateTransition``,
``orderTransactionStateTransition``). The target may be several actions away
(open → completed is ``process`` then ``complete``): the shortest path is found
in the shop's own transitions (``POST /api/search/state-machine-transition``), so
custom states and transitions work too.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from marketbridge.adapters import ShopOrderRef, ShopStatus
from marketbridge.errors import AdapterError, OrderRejected

from marketbridge_shopware import errors as sw_errors
from marketbridge_shopware.client import AdminApi
from marketbridge_shopware.lookups import MACHINES, Lookups
from marketbridge_shopware.queries import equals

GROUP_LABELS = {"order": "Order status", "order_delivery": "Delivery status", "order_transaction": "Payment status"}


#: Order states a new marketplace order must not start in (O3): it is neither finished nor cancelled.
NOT_INITIAL = frozenset({"cancelled", "completed"})


def list_statuses(lookups: Lookups) -> list[ShopStatus]:
    """Every state of the three machines as the shop has them, custom ones included.

    Only ``order.*`` states can be the status of a newly imported order (the delivery
    and payment start ``open``/``paid`` by themselves), and not the final ones.
    """
    return [ShopStatus(code=s.code, label=s.name, group=s.entity,
                       initial=s.entity == "order" and s.technical_name not in NOT_INITIAL)
            for s in lookups.states()]


def _path(api: AdminApi, entity: str, from_id: str, to_id: str) -> list[str] | None:
    rows = api.search("state-machine-transition", {
        "limit": 500, "filter": [equals("stateMachine.technicalName", MACHINES[entity])],
        "sort": [{"field": "actionName", "order": "ASC"}],
    }, "searchStateMachineTransition")
    edges: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        edges.setdefault(str(row.get("fromStateId")), []).append((str(row.get("actionName")), str(row.get("toStateId"))))
    queue: deque[tuple[str, list[str]]] = deque([(from_id, [])])
    seen = {from_id}
    while queue:
        state, actions = queue.popleft()
        if state == to_id:
            return actions
        for action, target in edges.get(state, []):
            if target not in seen:
                seen.add(target)
                queue.append((target, [*actions, action]))
    return None


def _targets(api: AdminApi, entity: str, order: ShopOrderRef) -> list[dict[str, Any]]:
    """The order itself, or its deliveries / transactions, with their current state ids."""
    if entity == "order":
        rows = api.search("order", {"ids": [order.order_id], "limit": 1}, "searchOrder")
    else:
        rows = api.search(entity.replace("_", "-"), {"limit": 50, "filter": [equals("orderId", order.order_id)]},
                          f"search{entity.title().replace('_', '')}")
    if not rows:
        raise OrderRejected(f"Shopware has no order {order.number or order.order_id} any more (or it has no "
                            f"{entity.replace('_', ' ')}).", code="order_not_found")
    return rows


def set_status(api: AdminApi, lookups: Lookups, order: ShopOrderRef, status: str) -> None:
    """Move ``order`` to ``status``; a no-op when it is there already."""
    entity, _, technical = status.partition(".")
    if entity not in MACHINES or not technical:
        entity, technical = "order", status
    target = lookups.state(entity, technical)
    if target is None:
        raise OrderRejected(f"Shopware has no {GROUP_LABELS[entity].lower()} \"{technical}\". Check the status "
                            "mapping of the connection.", code="unknown_status", status=status)
    for record in _targets(api, entity, order):
        current = lookups.state_by_id(record.get("stateId"))
        if record.get("stateId") == target.id:
            continue
        actions = _path(api, entity, str(record.get("stateId")), target.id)
        if actions is None:
            raise OrderRejected(
                f"Shopware cannot move order {order.number or order.order_id} from "
                f"\"{current.name if current else record.get('stateId')}\" to \"{target.name}\": no sequence of "
                "transitions in the shop leads there.", code="transition_impossible")
        for action in actions:
            _transition(api, entity, str(record["id"]), action, order)


def _transition(api: AdminApi, entity: str, record_id: str, action: str, order: ShopOrderRef) -> None:
    operation = {"order": "orderStateTransition", "order_delivery": "orderDeliveryStateTransition",
                 "order_transaction": "orderTransactionStateTransition"}[entity]
    response = api.call("POST", f"/_action/{entity}/{record_id}/state/{action}", operation, json={"sendMail": False})
    if response.status_code < 300:
        return
    problems = sw_errors.parse_errors(response)
    illegal = next((p for p in problems if p.code == "SYSTEM__ILLEGAL_STATE_TRANSITION"), None)
    if illegal is not None:
        possible = illegal.parameters.get("possibleTransitions") or []
        raise OrderRejected(
            f"Shopware refused \"{action}\" for order {order.number or order.order_id}; from its current status "
            f"only these are allowed: {', '.join(map(str, possible)) or 'none'}.", code="transition_refused")
    raise AdapterError(f"{api.what} refused the status change: {sw_errors.summary(problems)}",
                       code="transition_failed")
