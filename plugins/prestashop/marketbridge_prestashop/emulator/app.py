"""The PrestaShop 8 Webservice emulator: the subset of ``/api/`` the plugin uses, served over real HTTP.

Follows ``specs/prestashop/`` and the Webservice's own code
(``classes/webservice/WebserviceRequest.php``): Basic auth with the key as
user name (or ``?ws_key=``), the check order and error codes of a real shop
(webservice off 503/22, key 401/16–21, shop 403/132, resource 401/26 or
400/27, method 405/101 and 405/25), XML bodies only (a JSON body is an
"XML error", 500/127), XML answers or JSON with ``output_format=JSON``,
``display``/``filter``/``sort``/``limit``/``date=1`` listings without totals,
``?schema=blank|synopsis``, ``PSWS-Version`` and ``Content-Sha1`` headers,
404 with an empty body for a missing object, validation errors 400/41 and
400/85 in PrestaShop's wording.

Merchant actions (:meth:`PrestaShopEmulator.ship_order`, :meth:`change_order_state`,
:meth:`set_stock` …) change data the way the back office does, stamping
``date_upd`` and writing histories and stock movements, so polling sees them.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, request

from marketbridge.clock import Clock
from marketbridge.testing.emulator import Emulator
from marketbridge_prestashop import validators, xmlcodec
from marketbridge_prestashop.emulator import pricing, render
from marketbridge_prestashop.emulator.orderflow import PlainTextDie, adjust_stock, change_state, place_order
from marketbridge_prestashop.emulator.query import ApiError, apply, levenshtein, parse
from marketbridge_prestashop.emulator.seed import seed_install, seed_products
from marketbridge_prestashop.emulator.store import Record, Store
from marketbridge_prestashop.spec import ALL_METHODS, ResourceSpec, resources

DEMO_KEY = "MBDEMOKEY0PRESTASHOP000000000000"
SHIPPED = 4
EMPLOYEE_EDITION_INCREASE, EMPLOYEE_EDITION_DECREASE = 11, 12
CLASS_NAMES = {"addresses": "Address", "carriers": "Carrier", "carts": "Cart", "combinations": "Combination",
               "configurations": "Configuration", "countries": "Country", "currencies": "Currency", "customers": "Customer", "languages": "Language",
               "messages": "Message", "order_carriers": "OrderCarrier", "order_details": "OrderDetail",
               "order_histories": "OrderHistory", "order_states": "OrderState", "orders": "Order",
               "products": "Product", "shops": "Shop", "states": "State", "stock_availables": "StockAvailable",
               "stock_movements": "StockMvt"}
_WWW_AUTHENTICATE = ('Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the '
                     'login. No password required."')


@dataclass
class KeyAccount:
    """A Webservice key: enabled or not, its methods per resource, the shops it may work in."""

    active: bool = True
    permissions: dict[str, set[str]] = field(default_factory=lambda: {name: set(spec.methods)
                                                                      for name, spec in resources().items()})
    shops: set[int] = field(default_factory=lambda: {1})


class PrestaShopEmulator(Emulator):
    """A PrestaShop 8 shop behind its Webservice. ``seed_demo()`` adds the shared demo catalogue."""

    name = "prestashop"

    def __init__(self, clock: Clock | None = None, *, timezone: str = "Europe/Paris", key: str = DEMO_KEY) -> None:
        self.store = Store(lambda: self.clock.now(), ZoneInfo(timezone))
        self.keys: dict[str, KeyAccount] = {key: KeyAccount()}
        self.key = key
        self.webservice_enabled = True
        self.product_keys: dict[str, str] = {}
        super().__init__(clock)
        seed_install(self.store)

    # -- set-up and merchant actions ------------------------------------------
    def seed_demo(self) -> dict[str, str]:
        """Load :data:`~marketbridge.testing.demo_catalogue.DEMO_PRODUCTS`; return SKU → product key."""
        with self.lock:
            self.product_keys.update(seed_products(self.store))
        return dict(self.product_keys)

    def revoke(self, resource: str, method: str | None = None) -> None:
        """Untick ``method`` (or the whole resource) for the key, as in Advanced Parameters > Webservice."""
        account = self.keys[self.key]
        if method is None:
            account.permissions.pop(resource, None)
        else:
            account.permissions.get(resource, set()).discard(method.upper())

    def _product_rows(self, sku: str) -> tuple[Record, Record | None]:
        key = self.product_keys.get(sku)
        if key is None:
            raise KeyError(sku)
        product_id, _, attribute = key.partition("-")
        product = self.store.get("products", product_id)
        assert product is not None
        return product, self.store.get("combinations", attribute) if attribute else None

    def set_stock(self, sku: str, quantity: int, employee: int = 1) -> None:
        """Catalog > Stocks: set a product's or combination's quantity; writes a stock movement."""
        with self.lock:
            product, combination = self._product_rows(sku)
            attribute = int(combination["id"]) if combination else 0
            rows = self.store.where("stock_availables", id_product=product["id"], id_product_attribute=attribute)
            delta = quantity - int(rows[0]["quantity"])
            if delta == 0:
                return
            adjust_stock(self.store, int(product["id"]), attribute, delta)
            self.store.insert("stock_movements", {
                "id_product": product["id"], "id_product_attribute": str(attribute), "id_warehouse": "0",
                "id_currency": "1", "management_type": "", "id_employee": str(employee), "id_stock": "0",
                "id_stock_mvt_reason": str(EMPLOYEE_EDITION_INCREASE if delta > 0 else EMPLOYEE_EDITION_DECREASE),
                "id_order": "0", "id_supply_order": "0", "product_name": dict(product["name"]),
                "ean13": (combination or product)["ean13"], "upc": "", "reference": (combination or product)["reference"],
                "mpn": "", "physical_quantity": str(abs(delta)), "sign": "1" if delta > 0 else "-1",
                "last_wa": "0.000000", "current_wa": "0.000000", "price_te": "0.000000"})
            self.store.touch(product)

    def stock_of(self, sku: str) -> int:
        """Catalog > Stocks: the quantity of a product or combination."""
        with self.lock:
            product, combination = self._product_rows(sku)
            attribute = int(combination["id"]) if combination else 0
            rows = self.store.where("stock_availables", id_product=product["id"], id_product_attribute=attribute)
            return int(rows[0]["quantity"])

    def set_product_active(self, sku: str, active: bool) -> None:
        """Catalog > Products: enable or disable a product."""
        with self.lock:
            product, _ = self._product_rows(sku)
            product["active"] = "1" if active else "0"
            self.store.touch(product)

    def set_price(self, sku: str, price_tax_excl: Decimal | str) -> None:
        """Catalog > Products > Pricing: a product's retail price (tax excluded); saving stamps ``date_upd``."""
        with self.lock:
            product, combination = self._product_rows(sku)
            if combination is not None:
                raise ValueError(f"{sku} is a combination: use set_price_impact")
            product["price"] = f"{Decimal(str(price_tax_excl)):.6f}"
            self.store.touch(product)

    def set_price_impact(self, sku: str, impact_tax_excl: Decimal | str) -> None:
        """Catalog > Products > Combinations: a combination's price impact (tax excluded).

        ``combinations`` has no ``date_upd``, and the combination form saves the
        combination alone, so the product's ``date_upd`` does not move.
        """
        with self.lock:
            _, combination = self._product_rows(sku)
            if combination is None:
                raise ValueError(f"{sku} is not a combination")
            combination["price"] = f"{Decimal(str(impact_tax_excl)):.6f}"

    def delete_product(self, sku: str) -> None:
        """Catalog > Products > Delete (its combinations and stock rows go with it)."""
        with self.lock:
            product, _ = self._product_rows(sku)
            tables = self.store.tables
            tables["products"].pop(int(product["id"]))
            for resource in ("combinations", "stock_availables"):
                for row in self.store.where(resource, id_product=product["id"]):
                    tables[resource].pop(int(row["id"]))

    def change_order_state(self, order_id: int | str, state_id: int, employee: int = 1) -> None:
        """Orders > Orders > Update status."""
        with self.lock:
            order = self._order(order_id)
            change_state(self.store, order, state_id, employee)

    def ship_order(self, order_id: int | str, tracking_number: str, *, carrier_reference: int | None = None,
                   state_id: int = SHIPPED, employee: int = 1) -> None:
        """Orders > Orders > Edit shipping (carrier, tracking number), then status "Shipped".

        As ``UpdateOrderShippingDetailsHandler``: the order carrier gets the
        tracking number (and carrier), the order its ``shipping_number`` and a
        new ``date_upd``; then the state change writes a history row.
        """
        with self.lock:
            order = self._order(order_id)
            carriers = self.store.where("order_carriers", id_order=order["id"])
            order_carrier = carriers[0]
            if carrier_reference is not None:
                live = [c for c in self.store.where("carriers", id_reference=carrier_reference) if c["deleted"] == "0"]
                order_carrier["id_carrier"] = order["id_carrier"] = live[-1]["id"]
            order_carrier["tracking_number"] = tracking_number
            order["shipping_number"] = tracking_number
            self.store.touch(order)
            change_state(self.store, order, state_id, employee)

    def set_order_note(self, order_id: int | str, note: str) -> None:
        """Orders > Orders > order page > note."""
        with self.lock:
            order = self._order(order_id)
            order["note"] = note
            self.store.touch(order)

    def edit_carrier(self, reference: int, **changes: str) -> int:
        """Shipping > Carriers > Edit: PrestaShop saves a new carrier version (new id, same ``id_reference``)."""
        with self.lock:
            current = [c for c in self.store.where("carriers", id_reference=reference) if c["deleted"] == "0"][-1]
            current["deleted"] = "1"
            values = {k: v for k, v in current.items() if k != "id"}
            values.update(deleted="0", **changes)
            new = self.store.insert("carriers", values)
            self.store.internals.carrier_prices[int(new["id"])] = \
                self.store.internals.carrier_prices.get(int(current["id"]), Decimal(0))
            return int(new["id"])

    def add_order_state(self, name: str, *, shipped: bool = False, paid: bool = False, logable: bool = False) -> int:
        """Orders > Statuses > Add new order status."""
        with self.lock:
            flag = {True: "1", False: "0"}
            state = self.store.insert("order_states", {
                "unremovable": "0", "delivery": flag[shipped], "hidden": "0", "send_email": "0", "module_name": "",
                "invoice": "0", "color": "#32CD32", "logable": flag[logable], "shipped": flag[shipped],
                "paid": flag[paid], "pdf_delivery": "0", "pdf_invoice": "0", "deleted": "0",
                "name": {lang: name for lang in self.store.languages},
                "template": {lang: "" for lang in self.store.languages}})
            return int(state["id"])

    def _order(self, order_id: int | str) -> Record:
        order = self.store.get("orders", order_id)
        if order is None:
            raise KeyError(f"order {order_id}")
        return order

    def orders(self) -> list[Record]:
        """Every order (for assertions)."""
        return self.store.rows("orders")

    def history(self, order_id: int | str) -> list[int]:
        """The state ids an order went through, oldest first."""
        return [int(h["id_order_state"]) for h in self.store.where("order_histories", id_order=order_id)]

    # -- HTTP -----------------------------------------------------------------
    def routes(self, app: Flask) -> None:
        methods = sorted(ALL_METHODS)
        app.add_url_rule("/api/", "ps_index", self._dispatch, defaults={"path": ""}, methods=methods)
        app.add_url_rule("/api", "ps_index_bare", self._dispatch, defaults={"path": ""}, methods=methods)
        app.add_url_rule("/api/<path:path>", "ps_resource", self._dispatch, methods=methods)

    def _wants_json(self) -> bool:
        wanted = (request.args.get("output_format") or request.args.get("io_format")
                  or request.headers.get("Output-Format") or request.headers.get("Io-Format") or "")
        return wanted.upper() == "JSON"

    def _dispatch(self, path: str) -> Response:
        as_json = self._wants_json()
        try:
            with self.lock:
                return self._handle(path.strip("/"), as_json)
        except ApiError as error:
            body = render.errors([(error.code, error.message)], as_json=as_json)
            refused = error.code in (16, 17, 18, 20, 21, 22)
            response = self._respond(body, error.status, as_json, authenticated=not refused)
            if error.status == 401 and refused:
                response.headers["WWW-Authenticate"] = _WWW_AUTHENTICATE
            return response
        except PlainTextDie as died:
            return Response(str(died), status=200, content_type="text/html; charset=utf-8")

    def _respond(self, body: bytes, status: int, as_json: bool, authenticated: bool = True) -> Response:
        response = Response(body, status=status,
                            content_type="application/json" if as_json else "text/xml;charset=utf-8")
        if authenticated:  # the Webservice names its version to authenticated callers only
            response.headers["PSWS-Version"] = self.store.internals.psws_version
        response.headers["X-Powered-By"] = "PrestaShop Webservice"
        response.headers["Access-Time"] = str(int(self.clock.now().timestamp()))
        response.headers["Execution-Time"] = "0.004"
        if body and 200 <= status < 300:
            response.headers["Content-Sha1"] = hashlib.sha1(body).hexdigest()
        return response

    def _authenticate(self) -> KeyAccount:
        key: str | None = None
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            try:
                key = base64.b64decode(header[6:]).decode("utf-8").split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                key = ""
        elif "ws_key" in request.args:
            key = request.args["ws_key"]
        if key is None:
            raise ApiError(401, 16, "Please enter the authentication key as the login. No password required")
        key = key.strip()
        if not key:
            raise ApiError(401, 17, "Authentication key is empty")
        if len(key) != 32:
            raise ApiError(401, 18, "Invalid authentication key format")
        account = self.keys.get(key)
        if account is None or not account.active:
            raise ApiError(401, 20, "Authentification key is not active")
        if not account.permissions:
            raise ApiError(401, 21, "No permission for this authentication key")
        return account

    def _handle(self, path: str, as_json: bool) -> Response:
        method = request.method.upper()
        if method == "POST" and request.args.get("ps_method"):
            method = request.args["ps_method"].upper()
        if not self.webservice_enabled:
            raise ApiError(503, 22, "The PrestaShop webservice is disabled. Please activate it in the PrestaShop "
                                    "Back Office")
        account = self._authenticate()
        shop = request.args.get("id_shop")
        if shop is not None and shop != "all":
            if not shop.isdigit() or self.store.get("shops", shop) is None:
                raise ApiError(404, 999, "This shop id does not exist")
            if int(shop) not in account.shops:
                raise ApiError(403, 132, "No permission for this key on this shop")
        segments = [s for s in path.split("/") if s]
        resource = segments[0] if segments else ""
        if not resource:
            body = render.xml_index(account.permissions, base=self._base(), shop_name=self.store.internals.shop_name)
            return self._respond(body, 200, False)
        specs = resources()
        if resource not in specs:
            raise ApiError(400, 27, f'Resource of type "{resource}" does not exists'
                           + f'. Did you mean: "{min(specs, key=lambda n: levenshtein(n, resource))}"?')
        if resource not in account.permissions:
            raise ApiError(401, 26, f'Resource of type "{resource}" is not allowed with this authentication key')
        spec = specs[resource]
        if method not in spec.methods:
            raise ApiError(405, 101, f"Method {method} is not allowed for the resource {resource}")
        if method not in account.permissions[resource]:
            raise ApiError(405, 25, f"Method {method} is not allowed for the resource {resource} with this "
                                    "authentication key")
        object_id = segments[1] if len(segments) > 1 else None
        if method in ("GET", "HEAD"):
            return self._read(spec, object_id, as_json)
        if method == "DELETE":
            return self._delete(spec, object_id)
        return self._write(spec, method, object_id, as_json)

    def _base(self) -> str:
        return request.host_url + "api/"

    def _languages(self) -> list[str]:
        wanted = request.args.get("language")
        if wanted and wanted.isdigit() and wanted in self.store.languages:
            return [wanted]
        return list(self.store.languages)

    # -- reading ----------------------------------------------------------------
    def _associations(self, resource: str, record: Record) -> dict[str, list[dict[str, str]]] | None:
        store = self.store
        if resource == "orders":
            return {"order_rows": [{
                "id": d["id"], "product_id": d["product_id"], "product_attribute_id": d["product_attribute_id"],
                "product_quantity": d["product_quantity"], "product_name": d["product_name"],
                "product_reference": d["product_reference"], "product_ean13": d["product_ean13"],
                "product_isbn": "", "product_upc": "", "product_price": d["product_price"], "id_customization": "0",
                "unit_price_tax_incl": d["unit_price_tax_incl"], "unit_price_tax_excl": d["unit_price_tax_excl"]}
                for d in store.where("order_details", id_order=record["id"])]}
        if resource == "products":
            return {"combinations": [{"id": c["id"]} for c in store.where("combinations", id_product=record["id"])],
                    "stock_availables": [{"id": s["id"], "id_product_attribute": s["id_product_attribute"]}
                                         for s in store.where("stock_availables", id_product=record["id"])]}
        if resource == "carts":
            return {"cart_rows": [{**{"id_customization": "0"}, **row}
                                  for row in record.get("associations", {}).get("cart_rows", [])]}
        if resource == "customers":
            return {"groups": [{"id": record.get("id_default_group") or "3"}]}
        return None

    def _read(self, spec: ResourceSpec, object_id: str | None, as_json: bool) -> Response:
        languages = self._languages()
        schema = request.args.get("schema")
        if schema is not None:
            if schema not in ("blank", "synopsis"):
                raise ApiError(400, 28, "Please select a schema of type 'synopsis' to get the whole schema "
                                        "informations (which fields are required, which kind of content...) or "
                                        "'blank' to get an empty schema to fill before using POST request")
            return self._respond(render.xml_schema(spec, languages=languages, synopsis=schema == "synopsis"), 200,
                                 False)
        prices = pricing.aliases(request.args) if spec.name in pricing.PRICED else {}
        if object_id is not None:
            record = self.store.get(spec.name, object_id)
            if record is None:
                return self._respond(b"", 404, as_json)
            assoc = self._associations(spec.name, record)
            extra = pricing.fields(self.store, spec.name, record, prices)
            body = render.json_entity(spec, record, languages=languages, associations=assoc, extra=extra) \
                if as_json else render.xml_entity(spec, record, base=self._base(), languages=languages,
                                                  associations=assoc, extra=extra)
            return self._respond(body, 200, as_json)
        query = parse(spec, request.args, virtual=tuple(prices))
        rows = apply(query, self.store.rows(spec.name))
        assocs = [self._associations(spec.name, row) for row in rows]
        extras = [pricing.fields(self.store, spec.name, row, prices) for row in rows] if prices else None
        if as_json:
            body = render.json_list(spec, rows, languages=languages, display=query.display, associations=assocs,
                                    extras=extras)
        else:
            body = render.xml_list(spec, rows, base=self._base(), languages=languages, display=query.display,
                                   associations=assocs, extras=extras)
        return self._respond(body, 200, as_json)

    def _delete(self, spec: ResourceSpec, object_id: str | None) -> Response:
        record = self.store.get(spec.name, object_id or 0)
        if record is None:
            raise ApiError(404, 87, f"Id(s) not exists: {object_id or ''}")
        self.store.tables[spec.name].pop(int(record["id"]))
        return self._respond(b"", 200, False)

    # -- writing ----------------------------------------------------------------
    def _entity(self) -> Any:
        raw = request.get_data()
        try:
            root = xmlcodec.parse_document(raw)
        except xmlcodec.MalformedDocument:
            text = raw.decode("utf-8", "replace")
            raise ApiError(500, 127, f"XML error : String could not be parsed as XML\nXML length : {len(raw)}\n"
                                     f"Original XML : {text}") from None
        entities = list(root)
        if not entities:
            raise ApiError(400, 90, "id is required when modifying a resource")
        return entities[0]

    def _values(self, spec: ResourceSpec, method: str, entity: Any) -> tuple[Record, dict[str, list[dict[str, str]]]]:
        """The fields to save, checked as ``saveEntityFromXml`` and ``ObjectModel::validateFields`` do."""
        given = {child.tag: child for child in entity}
        values: Record = {}
        class_name = CLASS_NAMES.get(spec.name, spec.name)
        for name, field_spec in spec.fields.items():
            if method == "PATCH" and name not in given:
                continue
            if name not in given:
                if field_spec.required and not field_spec.i18n:
                    raise ApiError(400, 41, f'parameter "{name}" required')
                if method == "PUT":
                    values[name] = ""
                continue
            element = given[name]
            if field_spec.i18n:
                languages = [child for child in element if child.tag == "language"]
                values[name] = {lang.get("id", ""): xmlcodec.text(lang) for lang in languages} if languages \
                    else {lang: xmlcodec.text(element) for lang in self.store.languages}
                continue
            value = xmlcodec.text(element)
            if value == "" and field_spec.required:
                raise ApiError(400, 85, f'Validation error: "Property {class_name}->{name} is empty."')
            if value != "" and not validators.validate(field_spec.format, value):
                raise ApiError(400, 85, f'Validation error: "Property {class_name}->{name} is not valid"')
            if field_spec.max_size and len(value) > field_spec.max_size:
                raise ApiError(400, 85, f'Validation error: "Property {class_name}->{name} is too long '
                                        f'({field_spec.max_size} chars max)."')
            values[name] = value
        associations: dict[str, list[dict[str, str]]] = {}
        if "associations" in given:
            for assoc in given["associations"]:
                if assoc.tag not in spec.associations:
                    raise ApiError(400, 86, f'The association "{assoc.tag}" does not exists')
                associations[assoc.tag] = [{f.tag: xmlcodec.text(f) for f in item} for item in assoc]
        return values, associations

    def _write(self, spec: ResourceSpec, method: str, object_id: str | None, as_json: bool) -> Response:
        entity = self._entity()
        given_id = xmlcodec.text(entity.find("id")) if entity.find("id") is not None else ""
        if method == "POST" and given_id:
            raise ApiError(400, 91, "id is forbidden when adding a new resource")
        if method in ("PUT", "PATCH") and not given_id:
            raise ApiError(400, 90, "id is required when modifying a resource")
        existing = self.store.get(spec.name, given_id) if given_id else None
        if method in ("PUT", "PATCH") and existing is None:
            raise ApiError(404, 92, "Invalid ID")
        values, associations = self._values(spec, method, entity)
        if method == "POST":
            record = self._create(spec, values, associations)
            status = 201
        else:
            assert existing is not None
            record = self._update(spec, existing, values, associations)
            status = 200
        assoc = self._associations(spec.name, record)
        body = render.json_entity(spec, record, languages=self._languages(), associations=assoc) if as_json else \
            render.xml_entity(spec, record, base=self._base(), languages=self._languages(), associations=assoc)
        return self._respond(body, status, as_json)

    def _create(self, spec: ResourceSpec, values: Record, associations: dict[str, list[dict[str, str]]]) -> Record:
        store = self.store
        if spec.name == "orders":
            return place_order(store, values)
        if spec.name == "order_histories":
            order = store.get("orders", values.get("id_order", 0))
            if order is None:
                raise ApiError(500, 46, "Unable to save resource")
            return change_state(store, order, int(values["id_order_state"]), int(values.get("id_employee") or 0))
        record = store.insert(spec.name, values)
        if spec.name == "customers":
            record["secure_key"] = hashlib.md5(f"{record['id']}:{record['email']}".encode()).hexdigest()
            record["passwd"] = "$2y$10$" + hashlib.sha256(str(values.get("passwd", "")).encode()).hexdigest()[:53]
            record["id_default_group"] = "2" if record.get("is_guest") == "1" else "3"
            record["deleted"] = record.get("deleted") or "0"
            record["last_passwd_gen"] = store.now()
        if spec.name == "addresses":
            record["deleted"] = record.get("deleted") or "0"
        if spec.name == "carts" and "cart_rows" in associations:
            record["associations"] = {"cart_rows": associations["cart_rows"]}
        return record

    def _update(self, spec: ResourceSpec, record: Record, values: Record,
                associations: dict[str, list[dict[str, str]]]) -> Record:
        store = self.store
        state = values.pop("current_state", None) if spec.name == "orders" else None
        for name in ("id", "date_add", "date_upd"):
            values.pop(name, None)
        if spec.name == "orders" and "shipping_number" in values:
            for order_carrier in store.where("order_carriers", id_order=record["id"]):
                order_carrier["tracking_number"] = values["shipping_number"]
        record.update(values)
        if spec.name == "carts" and "cart_rows" in associations:
            record["associations"] = {"cart_rows": associations["cart_rows"]}
        store.touch(record)
        if state and state != record.get("current_state"):
            change_state(store, record, int(state))
        return record

