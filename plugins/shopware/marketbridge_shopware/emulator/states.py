"""State transitions as ``StateMachineRegistry::transition`` performs them.

The URL names the **action**; the allowed actions depend on the current state.
A forbidden one answers 400 ``SYSTEM__ILLEGAL_STATE_TRANSITION`` listing the
possible ones; an action leading to the state the entity already has is a no-op
(``UnnecessaryTransitionException``). Each real transition writes a
``state_machine_history`` row and stamps the entity's ``updatedAt``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketbridge_shopware.emulator import errors
from marketbridge_shopware.emulator.seed import LIVE_VERSION
from marketbridge_shopware.emulator.store import EntityStore
from marketbridge_shopware.ids import random_id

#: entity name → technical name of its state machine
MACHINES = {"order": "order.state", "order_delivery": "order_delivery.state",
            "order_transaction": "order_transaction.state"}


@dataclass(frozen=True)
class TransitionResult:
    entity: str
    record: dict[str, Any]
    from_state: dict[str, Any]
    to_state: dict[str, Any]
    history: dict[str, Any] | None  #: ``None`` when nothing changed

    @property
    def machine(self) -> str:
        return MACHINES[self.entity]


class StateMachines:
    """Reads the seeded machines and moves entities between states."""

    def __init__(self, store: EntityStore) -> None:
        self.store = store

    def machine(self, entity: str) -> dict[str, Any]:
        technical = MACHINES.get(entity)
        found = self.store.first("state_machine", technicalName=technical) if technical else None
        if found is None:
            raise errors.single(400, "SYSTEM__STATE_MACHINE_INVALID_STATE_FIELD",
                                'Field "stateId" does not exists or isn\'t of type StateMachineStateField.',
                                parameters={"fieldName": "stateId"})
        return found

    def state(self, entity: str, technical_name: str) -> dict[str, Any] | None:
        machine = self.machine(entity)
        return self.store.first("state_machine_state", stateMachineId=machine["id"], technicalName=technical_name)

    def available(self, entity: str, record_id: str) -> list[dict[str, Any]]:
        """Transitions leaving the entity's current state (``getAvailableTransitions``)."""
        record = self._record(entity, record_id)
        machine = self.machine(entity)
        out = [t for t in self.store.find("state_machine_transition", stateMachineId=machine["id"],
                                          fromStateId=record["stateId"])]
        return sorted(out, key=lambda t: t["actionName"])

    def _record(self, entity: str, record_id: str) -> dict[str, Any]:
        record = self.store.get(entity, record_id)
        if record is None:
            raise errors.single(400, "SYSTEM__STATE_MACHINE_INVALID_ENTITY_ID",
                                f'Unable to read entity "{entity}" with id "{record_id}".',
                                parameters={"entityName": entity, "entityId": record_id})
        return record

    def transition(self, entity: str, record_id: str, action: str, now: str, *, integration_id: str | None,
                   user_id: str | None = None, comment: str | None = None) -> TransitionResult:
        """Apply ``action`` to the entity or raise the platform's 400."""
        record = self._record(entity, record_id)
        machine = self.machine(entity)
        current = self.store.get("state_machine_state", record["stateId"])
        assert current is not None
        candidates = self.store.find("state_machine_transition", stateMachineId=machine["id"], actionName=action)
        for transition in candidates:
            if transition["toStateId"] == current["id"]:
                return TransitionResult(entity, record, current, current, None)
        chosen = next((t for t in candidates if t["fromStateId"] == current["id"]), None)
        if chosen is None:
            possible = [t["actionName"] for t in self.available(entity, record_id)]
            raise errors.single(400, "SYSTEM__ILLEGAL_STATE_TRANSITION",
                                f'Illegal transition "{action}" from state "{current["id"]}". '
                                f'Possible transitions are: {", ".join(possible)}',
                                parameters={"transition": action, "currentState": current["id"],
                                            "possibleTransitionsString": ", ".join(possible),
                                            "possibleTransitions": possible})
        target = self.store.get("state_machine_state", chosen["toStateId"])
        assert target is not None
        history = {
            "id": random_id(), "stateMachineId": machine["id"], "entityName": entity, "fromStateId": current["id"],
            "toStateId": target["id"], "transitionActionName": action, "referencedId": record_id,
            "referencedVersionId": LIVE_VERSION, "userId": user_id, "integrationId": integration_id,
            "internalComment": comment, "createdAt": now, "updatedAt": None,
        }
        self.store.put("state_machine_history", history)
        record["stateId"] = target["id"]
        record["updatedAt"] = now
        return TransitionResult(entity, record, current, target, history)
