"""The emulator behaves like a PrestaShop 8 Webservice (``specs/prestashop/NOTES.md`` and the platform's code)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
import requests

from marketbridge_prestashop import xmlcodec
from marketbridge_prestashop.emulator import DEMO_KEY

KEY = (DEMO_KEY, "")


def get(server, path, **params):
    return requests.get(f"{server.url}/api/{path}", params=params, auth=KEY)


def send(server, method, path, body: bytes, **params):
    return requests.request(method, f"{server.url}/api/{path}", params=params, data=body, auth=KEY)


def error(response) -> tuple[str, str]:
    return xmlcodec.errors(xmlcodec.parse_document(response.content))[0]


def rows(response, resource: str) -> list[dict]:
    return xmlcodec.list_items(xmlcodec.parse_document(response.content), resource)


def test_xml_by_default_json_only_on_request_and_never_as_input(server):
    assert get(server, "carriers/2").headers["Content-Type"].startswith("text/xml")
    as_json = get(server, "carriers/2", output_format="JSON").json()
    assert as_json["carrier"]["id"] == 2 and as_json["carrier"]["name"] == "My carrier"
    header = requests.get(f"{server.url}/api/carriers/2", headers={"Output-Format": "JSON"}, auth=KEY)
    assert header.json()["carrier"]["id_reference"] == "2"
    assert get(server, "orders", output_format="JSON").json() == []  # an empty JSON list is []
    refused = send(server, "POST", "order_histories", json.dumps({"order_history": {"id_order": 1}}).encode())
    assert refused.status_code == 500 and error(refused)[0] == "127"


def test_translatable_fields_per_language_and_the_language_parameter(server):
    name = xmlcodec.record(xmlcodec.entity(xmlcodec.parse_document(get(server, "order_states/4").content)))["name"]
    assert name == {"1": "Shipped", "2": "Expédié"}
    assert get(server, "order_states/4", output_format="JSON", language="2").json()["order_state"]["name"] == "Expédié"


def test_lists_have_no_total_and_page_with_limit_until_a_short_page(server):
    seen, offset = [], 0
    while True:
        page = rows(get(server, "products", display="[id]", limit=f"{offset},5"), "products")
        seen += [r["id"] for r in page]
        if len(page) < 5:
            break
        offset += 5
    assert seen == [str(i) for i in range(1, 10)]
    bare = ET.fromstring(get(server, "products", limit="2").content)
    assert [(item.get("id"), len(item)) for item in bare.find("products")] == [("1", 0), ("2", 0)]


def test_filters_follow_sqlutils(server):
    def ids(**params):
        return [r["id"] for r in rows(get(server, "products", display="[id]", **params), "products")]
    assert ids(**{"filter[reference]": "[MB-MUG-BLUE|mb-mug-red]"}) == ["1", "2"]
    assert ids(**{"filter[id]": "[3,5]"}) == ["3", "4", "5"]  # an inclusive BETWEEN
    assert ids(**{"filter[reference]": "%[MUG]%"}) == ["1", "2"]
    assert ids(**{"filter[id]": "![1|2]", "limit": "2"}) == ["3", "4"]
    assert ids(**{"filter[id]": ">[7]"}) == ["8", "9"]
    assert ids(sort="[id_DESC]", limit="2") == ["9", "8"]
    dated = get(server, "orders", **{"filter[date_upd]": "[2026-01-01,2027-01-01]"})
    assert dated.status_code == 400 and error(dated)[0] == "32"  # date filters need date=1
    assert get(server, "orders", date="1", **{"filter[date_upd]": "[2026-01-01,2027-01-01]"}).status_code == 200
    unknown = get(server, "products", **{"filter[colour]": "[red|red]"})
    assert unknown.status_code == 400 and "Did you mean" in error(unknown)[1]


def test_write_rules_of_saveentityfromxml(server, shop):
    with_id = send(server, "POST", "messages", b"<prestashop><message><id>4</id><message>x</message></message>"
                                               b"</prestashop>")
    assert (with_id.status_code, error(with_id)[0]) == (400, "91")
    without_id = send(server, "PATCH", "order_carriers/1", b"<prestashop><order_carrier><tracking_number>A1"
                                                           b"</tracking_number></order_carrier></prestashop>")
    assert (without_id.status_code, error(without_id)[0]) == (400, "90")
    unknown = send(server, "PATCH", "addresses/77", b"<prestashop><address><id>77</id><city>Paris</city></address>"
                                                    b"</prestashop>")
    assert (unknown.status_code, error(unknown)) == (404, ("92", "Invalid ID"))
    missing = send(server, "POST", "messages", b"<prestashop><message><private>1</private></message></prestashop>")
    assert error(missing) == ("41", 'parameter "message" required')
    invalid = send(server, "POST", "order_histories", b"<prestashop><order_history><id_order>x</id_order>"
                                                      b"<id_order_state>4</id_order_state></order_history></prestashop>")
    assert error(invalid) == ("85", 'Validation error: "Property OrderHistory->id_order is not valid"')
    forbidden = send(server, "POST", "stock_availables", b"<prestashop><stock_available/></prestashop>")
    assert (forbidden.status_code, error(forbidden)[0]) == (405, "101")
    assert get(server, "orders/77").status_code == 404 and get(server, "orders/77").content == b""


def test_auth_by_basic_user_or_ws_key_and_the_answers_of_a_real_shop(server, shop):
    assert requests.get(f"{server.url}/api/", params={"ws_key": DEMO_KEY}).status_code == 200
    missing = requests.get(f"{server.url}/api/")
    assert missing.status_code == 401 and "WWW-Authenticate" in missing.headers
    assert "PSWS-Version" not in missing.headers
    assert get(server, "").headers["PSWS-Version"].startswith("8.")
    shop.revoke("customers")
    index = ET.fromstring(get(server, "").content).find("api")
    assert "customers" not in [child.tag for child in index] and "orders" in [child.tag for child in index]
    refused = get(server, "customers")
    assert (refused.status_code, error(refused)[0]) == (401, "26")
    shop.webservice_enabled = False
    assert error(get(server, "orders")) == ("22", "The PrestaShop webservice is disabled. Please activate it in "
                                                  "the PrestaShop Back Office")


def test_schemas_blank_and_synopsis_follow_the_documentation(server):
    synopsis = ET.fromstring(get(server, "addresses", schema="synopsis").content).find("address")
    alias = synopsis.find("alias")
    assert (alias.get("required"), alias.get("maxSize"), alias.get("format")) == ("true", "32", "isGenericName")
    blank = ET.fromstring(get(server, "orders", schema="blank").content).find("order")
    assert blank.find("associations/order_rows/order_row/product_id") is not None


def test_demo_catalogue_variants_are_combinations_with_a_summed_product_row(shop, server):
    tee = xmlcodec.record(xmlcodec.entity(xmlcodec.parse_document(get(server, "products/3").content)))
    assert [c["id"] for c in tee["associations"]["combinations"]] == ["1", "2", "3"]
    stock = rows(get(server, "stock_availables", display="full", **{"filter[id_product]": "[3|3]"}),
                 "stock_availables")
    assert {r["id_product_attribute"]: r["quantity"] for r in stock} == {"1": "35", "2": "50", "3": "3", "0": "88"}


def cart(server, rows_xml: bytes, customer: int = 1, carrier: int = 2) -> str:
    customer_xml = (b"<prestashop><customer><passwd>secret12</passwd><lastname>Doe</lastname><firstname>Jo</firstname>"
                    b"<email>jo@example.com</email></customer></prestashop>")
    created = xmlcodec.record(xmlcodec.entity(xmlcodec.parse_document(send(server, "POST", "customers",
                                                                           customer_xml).content)))
    body = (b"<prestashop><cart><id_currency>1</id_currency><id_lang>1</id_lang><id_customer>" + created["id"].encode()
            + b"</id_customer><id_address_delivery>0</id_address_delivery><secure_key>" + created["secure_key"].encode()
            + b"</secure_key><delivery_option>{\"0\":\"" + str(carrier).encode() + b",\"}</delivery_option>"
            + b"<associations><cart_rows>" + rows_xml + b"</cart_rows></associations></cart></prestashop>")
    return xmlcodec.record(xmlcodec.entity(xmlcodec.parse_document(send(server, "POST", "carts", body).content)))["id"]


def order_body(cart_id: str, total: str) -> bytes:
    return (b"<prestashop><order><id_address_delivery>0</id_address_delivery><id_address_invoice>0"
            b"</id_address_invoice><id_cart>" + cart_id.encode() + b"</id_cart><id_currency>1</id_currency>"
            b"<id_lang>1</id_lang><id_customer>1</id_customer><id_carrier>2</id_carrier><module>ps_wirepayment</module>"
            b"<payment>Bank wire</payment><total_paid>" + total.encode() + b"</total_paid><total_paid_real>0"
            b"</total_paid_real><total_products>0</total_products><total_products_wt>0</total_products_wt>"
            b"<conversion_rate>1</conversion_rate></order></prestashop>")


def row(product: int, attribute: int, quantity: int) -> bytes:
    return (f"<cart_row><id_product>{product}</id_product><id_product_attribute>{attribute}</id_product_attribute>"
            f"<quantity>{quantity}</quantity></cart_row>").encode()


def test_webservice_orders_start_in_remote_payment_accepted_or_fall_to_payment_error(shop, server):
    matching = send(server, "POST", "orders", order_body(cart(server, row(1, 0, 2)), "34.70"))
    assert matching.status_code == 201
    order = xmlcodec.record(xmlcodec.entity(xmlcodec.parse_document(matching.content)))
    assert order["current_state"] == "11" and order["reference"].isalpha() and len(order["reference"]) == 9
    wrong = xmlcodec.record(xmlcodec.entity(xmlcodec.parse_document(
        send(server, "POST", "orders", order_body(cart(server, row(1, 0, 2)), "30.00")).content)))
    assert wrong["current_state"] == "8"
    assert Decimal(wrong["total_paid"]) == Decimal("34.70")  # the order is priced from the cart, not the request


def test_carts_take_anything_and_orders_silently_drop_vanished_products_or_back_order(shop, server):
    """What the real Webservice does with bad cart rows: the reason the adapter checks products itself."""
    mixed = cart(server, row(1, 0, 1) + row(404, 0, 5) + row(9, 0, 1) + row(3, 3, 5))
    order = xmlcodec.record(xmlcodec.entity(xmlcodec.parse_document(
        send(server, "POST", "orders", order_body(mixed, "0")).content)))
    products = sorted((r["product_id"], r["product_attribute_id"]) for r in order["associations"]["order_rows"])
    assert products == [("1", "0"), ("3", "3"), ("9", "0")]  # the unknown product vanished; the disabled one is in
    assert shop.history(order["id"]) == [8]  # wrong total: Payment error, so no stock taken and no back-order
    ok = cart(server, row(3, 3, 5))
    placed = xmlcodec.record(xmlcodec.entity(xmlcodec.parse_document(
        send(server, "POST", "orders", order_body(ok, "124.90")).content)))
    assert shop.history(placed["id"]) == [11, 9]  # stock 3 < 5: "On backorder (paid)"
    again = send(server, "POST", "orders", order_body(ok, "124.90"))
    assert again.status_code == 200 and again.text.startswith("Cart cannot be loaded or an order has already")
    unknown_module = send(server, "POST", "orders", order_body(cart(server, row(1, 0, 1)), "19.80")
                          .replace(b"ps_wirepayment", b"ps_nothing"))
    assert unknown_module.status_code == 500 and "validateOrder()" in error(unknown_module)[1]


def test_merchant_actions_stamp_dates_and_write_histories_and_movements(shop, server, clock):
    placed = xmlcodec.record(xmlcodec.entity(xmlcodec.parse_document(
        send(server, "POST", "orders", order_body(cart(server, row(1, 0, 2)), "34.70")).content)))
    clock.advance(minutes=30)
    shop.ship_order(placed["id"], "1Z999AA10123456784", carrier_reference=4)
    order = shop.store.get("orders", placed["id"])
    assert order["date_upd"] == "2026-11-02 10:30:00" and order["shipping_number"] == "1Z999AA10123456784"
    assert shop.history(placed["id"]) == [11, 4]
    assert shop.store.where("order_carriers", id_order=placed["id"])[0]["id_carrier"] == "4"
    shop.set_stock("MB-TEE-M", 45)
    (movement,) = shop.store.rows("stock_movements")
    assert (movement["id_product_attribute"], movement["sign"], movement["physical_quantity"]) == ("2", "-1", "5")
    assert shop.store.where("stock_availables", id_product=3, id_product_attribute=0)[0]["quantity"] == "83"
    shop.change_order_state(placed["id"], 6)
    assert shop.store.where("stock_availables", id_product=1, id_product_attribute=0)[0]["quantity"] == "120"


@pytest.mark.parametrize("path, code", [("ordres", "27"), ("orders?id_shop=7", "999")])
def test_unknown_resources_and_shops(server, path, code):
    response = requests.get(f"{server.url}/api/{path}", auth=KEY)
    assert error(response)[0] == code
