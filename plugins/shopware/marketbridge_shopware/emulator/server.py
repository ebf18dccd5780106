"""The Shopware 6 Admin API emulator: a WSGI app served on a real local port.

Implements the subset of ``admin-api.openapi.subset.json`` the adapter uses, with
the platform's behaviours (NOTES.md): OAuth2 ``client_credentials`` tokens (600 s),
ACL privileges, the ``oauth`` rate limiter, search criteria, JSON vs JSON:API by
``Accept``, creates answering 204 + ``Location`` unless ``?_response``, nested order
writes with NotBlank/primary/foreign-key failures, state transitions by action
name with history rows, stock moved by order line items, and app-system webhooks.

Fields whose value is ``null`` are left out of answers: the saved schema declares
them non-nullable, and the adapter treats an absent field and ``null`` alike.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request

from marketbridge.clock import Clock
from marketbridge.testing.emulator import Emulator
from marketbridge.testing.faults import FaultSwitches

from marketbridge_shopware.emulator import errors, render
from marketbridge_shopware.emulator.app_system import AppHost
from marketbridge_shopware.emulator.auth import TOKEN_LIFETIME, AuthRegistry, Integration
from marketbridge_shopware.emulator.criteria import CriteriaError, apply_includes, search
from marketbridge_shopware.emulator.merchant import MerchantActions
from marketbridge_shopware.emulator.seed import SHOPWARE_VERSION, seed_demo_products, seed_platform
from marketbridge_shopware.emulator.states import MACHINES, StateMachines, TransitionResult
from marketbridge_shopware.emulator.store import ASSOCIATIONS, KNOWN_ENTITIES, EntityStore, snake
from marketbridge_shopware.emulator.writes import Writer, shopware_time


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _association_entities(entity: str, associations: dict[str, Any] | None) -> set[str]:
    found: set[str] = set()
    for name, sub in (associations or {}).items():
        assoc = ASSOCIATIONS.get(entity, {}).get(name)
        if assoc is not None:
            found.add(assoc.entity)
            found |= _association_entities(assoc.entity, (sub or {}).get("associations") if isinstance(sub, dict) else None)
    return found


def _payload_entities(entity: str, payload: Any) -> set[str]:
    found = {entity}
    if isinstance(payload, dict):
        for key, value in payload.items():
            assoc = ASSOCIATIONS.get(entity, {}).get(key)
            if assoc is None or value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                found |= _payload_entities(assoc.entity, item)
    return found


class ShopwareEmulator(MerchantActions, Emulator):
    """A Shopware 6.7 shop: seed it, add an integration, serve it, point the adapter at it."""

    name = "shopware"

    def __init__(self, clock: Clock | None = None, *, shop_id: str = "sWeMuLaToR0001") -> None:
        self.store = EntityStore()
        self.auth = AuthRegistry()
        self.writer = Writer(self.store)
        self.machines = StateMachines(self.store)
        self._outbox: list[tuple[str, Any]] = []
        #: Faults (any kind) whose request runs and commits, after which the answer is held back until
        #: the client gives up: a create that "timed out" although the shop saved it.
        self.hang_after = FaultSwitches()
        super().__init__(clock)
        self.apps = AppHost(self.auth, shop_id, lambda: int(self.clock.now().timestamp()))
        seed_platform(self.store, self.now())

    # -- set-up helpers -------------------------------------------------------
    def now(self) -> str:
        return shopware_time(self.clock.now())

    def seed_demo(self) -> None:
        """Load :data:`marketbridge.testing.demo_catalogue.DEMO_PRODUCTS` (variants with ``parentId``)."""
        with self.lock:
            seed_demo_products(self.store, self.now())

    def add_integration(self, label: str = "Marketbridge", *, admin: bool = True,
                        privileges: frozenset[str] = frozenset()) -> Integration:
        """Settings > System > Integrations > Add integration."""
        return self.auth.add_integration(label, admin=admin, privileges=privileges)

    def serialize(self, entity: str, record: dict[str, Any], associations: dict[str, Any] | None = None,
                  inherit: bool = False) -> dict[str, Any]:
        return _drop_nulls(self.store.serialize(entity, record, associations, inherit))

    # -- side effects shared by API calls and merchant actions ------------------
    def _queue_webhook(self, event: str, payload: Any) -> None:
        self._outbox.append((event, payload))

    def _flush_webhooks(self) -> None:
        with self.lock:
            pending, self._outbox = self._outbox, []
        for event, payload in pending:
            self.apps.dispatch(event, payload)

    def _alter_stock(self, order_id: str, sign: int) -> None:
        """``OrderStockSubscriber`` + ``StockStorage::alter``: product lines move stock, stamp ``updatedAt``."""
        for line in self.store.find("order_line_item", orderId=order_id, type="product"):
            product = self.store.get("product", line.get("productId"))
            if product is None:
                continue
            product["stock"] = (product.get("stock") or 0) + sign * int(line.get("quantity") or 0)
            product["sales"] = (product.get("sales") or 0) - sign * int(line.get("quantity") or 0)
            product["availableStock"] = product["stock"]
            product["updatedAt"] = self.now()

    def _order_for(self, entity: str, record: dict[str, Any]) -> dict[str, Any]:
        return record if entity == "order" else self.store.get("order", record["orderId"]) or {}

    def _webhook_order(self, order: dict[str, Any]) -> dict[str, Any]:
        return self.serialize("order", order, {"lineItems": {}, "deliveries": {}, "transactions": {},
                                               "stateMachineState": {}})

    def _after_transition(self, result: TransitionResult) -> None:
        if result.history is None:
            return
        if result.entity == "order":
            if result.to_state["technicalName"] == "cancelled":
                self._alter_stock(result.record["id"], +1)
            elif result.from_state["technicalName"] == "cancelled":
                self._alter_stock(result.record["id"], -1)
        order = self._order_for(result.entity, result.record)
        payload = {"order": self._webhook_order(order)}
        self._queue_webhook(f"state_leave.{result.machine}.{result.from_state['technicalName']}", payload)
        self._queue_webhook(f"state_enter.{result.machine}.{result.to_state['technicalName']}", payload)

    def transition(self, entity: str, record_id: str, action: str, *, integration_id: str | None = None,
                   user_id: str | None = None) -> TransitionResult:
        """Move an order, delivery or transaction by ``action`` (API and merchant alike)."""
        with self.lock:
            result = self.machines.transition(entity, record_id, action, self.now(), integration_id=integration_id,
                                              user_id=user_id)
            self._after_transition(result)
        self._flush_webhooks()
        return result

    # -- routes --------------------------------------------------------------
    def routes(self, app: Flask) -> None:
        @app.after_request
        def hang(response: Response) -> Response:
            if self.hang_after.take(request.method, request.path) is not None:
                self._release.wait(10)  # the client times out; serve() releases us when it ends
            return response

        app.register_error_handler(errors.ApiError, lambda exc: exc.response())
        app.register_error_handler(CriteriaError, lambda exc: errors.single(
            400, "FRAMEWORK__INVALID_CRITERIA_PARAMETERS", str(exc), pointer=exc.pointer).response())

        def caller(*privileges: str) -> Integration:
            integration = self.auth.authenticate(request.headers.get("Authorization"), self.clock.now())
            self.auth.require(integration, *privileges)
            return integration

        def body() -> Any:
            data = request.get_json(silent=True)
            if data is None and request.get_data():
                raise errors.single(400, "FRAMEWORK__INVALID_REQUEST_BODY", "The JSON payload is malformed.")
            return data if data is not None else {}

        def known(name: str) -> str:
            entity = snake(name)
            if entity not in KNOWN_ENTITIES:
                raise errors.single(400, "FRAMEWORK__DEFINITION_NOT_FOUND", f'Definition for entity "{entity}" does not exist.')
            return entity

        @app.post("/api/oauth/token")
        def token() -> Response:
            data = request.get_json(silent=True) or request.form.to_dict()
            if data.get("grant_type") != "client_credentials":
                raise errors.ApiError(400, [{"code": "2", "status": "400",
                                             "title": "The authorization grant type is not supported by the authorization server.",
                                             "detail": "Check that all required parameters have been provided"}])
            if not data.get("client_id") or not data.get("client_secret"):
                raise errors.ApiError(400, [{"code": "3", "status": "400",
                                             "title": "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.",
                                             "detail": 'Check the `client_id` parameter'}])
            with self.lock:
                issued = self.auth.issue(str(data["client_id"]), str(data["client_secret"]), self.clock.now())
            return jsonify({"token_type": "Bearer", "expires_in": TOKEN_LIFETIME, "access_token": issued.value})

        @app.get("/api/_info/version")
        def version() -> Response:
            caller()
            return jsonify({"version": SHOPWARE_VERSION})

        @app.post("/api/search/<name>")
        def search_entity(name: str) -> Response:
            entity = known(name)
            criteria = body()
            assocs = criteria.get("associations") if isinstance(criteria, dict) else None
            caller(*sorted(f"{e}:read" for e in {entity} | _association_entities(entity, assocs)))
            inherit = request.headers.get("sw-inheritance") in ("1", "true")
            with self.lock:
                records, total = search(self.store, entity, criteria, inherit)
                items = [apply_includes(entity, self.serialize(entity, r, assocs, inherit), criteria.get("includes"))
                         for r in records]
            return render.listing(entity, items, total, page=criteria.get("page") or 1, limit=criteria.get("limit"))

        @app.get("/api/<name>")
        def list_entity(name: str) -> Response:
            entity = known(name)
            caller(f"{entity}:read")
            limit = request.args.get("limit", type=int) or 25
            page = request.args.get("page", type=int) or 1
            with self.lock:
                records, total = search(self.store, entity, {"limit": limit, "page": page, "total-count-mode": "exact"},
                                        False)
                items = [self.serialize(entity, r) for r in records]
            return render.listing(entity, items, total, page=page, limit=limit)

        @app.get("/api/<name>/<record_id>")
        def read_entity(name: str, record_id: str) -> Response:
            entity = known(name)
            caller(f"{entity}:read")
            with self.lock:
                record = self.store.get(entity, record_id)
                if record is None:
                    raise errors.not_found(entity, record_id)
                item = self.serialize(entity, record, inherit=request.headers.get("sw-inheritance") in ("1", "true"))
            return render.detail(entity, item)

        @app.post("/api/<name>")
        def create_entity(name: str) -> Response:
            entity = known(name)
            payload = body()
            caller(*sorted(f"{e}:create" for e in _payload_entities(entity, payload)))
            with self.lock:
                record = self.writer.insert(entity, payload, self.now())
                if entity == "order":
                    state = self.store.get("state_machine_state", record["stateId"]) or {}
                    if state.get("technicalName") != "cancelled":
                        self._alter_stock(record["id"], -1)
                    self._queue_webhook("order.written", [{"entity": "order", "operation": "insert",
                                                           "primaryKey": record["id"], "updatedFields": sorted(payload),
                                                           "versionId": record["versionId"]}])
                elif entity == "product":
                    self._queue_webhook("product.written", [{"entity": "product", "operation": "insert",
                                                             "primaryKey": record["id"], "updatedFields": sorted(payload)}])
                answer = (render.detail(entity, self.serialize(entity, record)) if "_response" in request.args
                          else render.created(entity, record["id"]))
            self._flush_webhooks()
            return answer

        @app.patch("/api/<name>/<record_id>")
        def update_entity(name: str, record_id: str) -> Response:
            entity = known(name)
            caller(f"{entity}:update")
            with self.lock:
                record, changed = self.writer.update(entity, record_id, body(), self.now())
                if entity in ("product", "order"):
                    self._queue_webhook(f"{entity}.written", [{"entity": entity, "operation": "update",
                                                               "primaryKey": record_id, "updatedFields": changed}])
                answer = (render.detail(entity, self.serialize(entity, record)) if "_response" in request.args
                          else render.created(entity, record_id))
            self._flush_webhooks()
            return answer

        def run_transition(entity: str, record_id: str, action: str) -> Response:
            if entity not in MACHINES:
                raise errors.single(400, "SYSTEM__STATE_MACHINE_INVALID_STATE_FIELD",
                                    'Field "stateId" does not exists or isn\'t of type StateMachineStateField.',
                                    parameters={"fieldName": "stateId"})
            integration = caller(f"{entity}:update", "state_machine_history:create")
            body()
            result = self.transition(entity, record_id, action, integration_id=integration.id)
            with self.lock:
                item = self.serialize("state_machine_state", result.to_state)
            return render.detail("state_machine_state", item)

        @app.post("/api/_action/order/<record_id>/state/<action>")
        def order_state(record_id: str, action: str) -> Response:
            return run_transition("order", record_id, action)

        @app.post("/api/_action/order_delivery/<record_id>/state/<action>")
        def delivery_state(record_id: str, action: str) -> Response:
            return run_transition("order_delivery", record_id, action)

        @app.post("/api/_action/order_transaction/<record_id>/state/<action>")
        def transaction_state(record_id: str, action: str) -> Response:
            return run_transition("order_transaction", record_id, action)

        @app.post("/api/_action/state-machine/<entity>/<record_id>/state/<action>")
        def generic_state(entity: str, record_id: str, action: str) -> Response:
            return run_transition(entity, record_id, action)

        @app.get("/api/_action/state-machine/<entity>/<record_id>/state")
        def available_transitions(entity: str, record_id: str) -> Response:
            caller(f"{entity}:read")
            with self.lock:
                rows = []
                for t in self.machines.available(entity, record_id):
                    to_state = self.store.get("state_machine_state", t["toStateId"]) or {}
                    from_state = self.store.get("state_machine_state", t["fromStateId"]) or {}
                    rows.append({"name": to_state.get("name"), "technicalName": to_state.get("technicalName"),
                                 "actionName": t["actionName"], "fromStateName": from_state.get("technicalName"),
                                 "toStateName": to_state.get("technicalName"),
                                 "url": f"/api/_action/state-machine/{entity}/{record_id}/state/{t['actionName']}"})
            return jsonify({"transitions": rows})
