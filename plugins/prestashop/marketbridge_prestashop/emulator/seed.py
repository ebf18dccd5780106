"""What a fresh PrestaShop 8 install has (languages, currencies, countries, carriers, the 13 default
order states), and the shared demo catalogue as PrestaShop models it.

Ids follow a default install where it matters to merchants: country 1 is
Germany and 8 France, carrier 2 is "My carrier", order states 1–13 as in
``order-states.json``. Demo variants (``parent_sku``) become combinations of
their parent product, whose product-level ``stock_available`` row holds the
sum of its combinations, as PrestaShop keeps it.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from marketbridge.testing.demo_catalogue import DEMO_PRODUCTS, DemoProduct
from marketbridge_prestashop.emulator.store import Store
from marketbridge_prestashop.spec import default_order_states

#: French names of the default states (PrestaShop's ``install-dev/langs/fr/data/order_state.xml``).
FRENCH_STATE_NAMES = {
    1: "En attente du paiement par chèque", 2: "Paiement accepté", 3: "En cours de préparation", 4: "Expédié",
    5: "Livré", 6: "Annulé", 7: "Remboursé", 8: "Erreur de paiement",
    9: "En attente de réapprovisionnement (payé)", 10: "En attente de virement bancaire",
    11: "Paiement à distance accepté", 12: "En attente de réapprovisionnement (non payé)",
    13: "En attente de validation du paiement à la livraison",
}
COUNTRIES = ((1, "DE", "Germany", False), (2, "AT", "Austria", False), (3, "BE", "Belgium", False),
             (6, "ES", "Spain", False), (8, "FR", "France", False), (10, "IT", "Italy", True),
             (13, "NL", "Netherlands", False), (17, "GB", "United Kingdom", False), (21, "US", "United States", True))
STATES = ((5, 21, "CA", "California"), (32, 21, "NY", "New York"), (126, 10, "MI", "Milano"),
          (151, 10, "RM", "Roma"))
CURRENCIES = ((1, "EUR", "978", "1.000000", "€"), (2, "USD", "840", "1.080000", "$"),
              (3, "GBP", "826", "0.860000", "£"))
#: id, name, price tax incl., tracking URL, delay
CARRIERS = ((1, "0", "0.00", "", "Pick up in-store"),
            (2, "My carrier", "4.90", "", "Delivery next day!"),
            (3, "DHL Paket", "5.90", "https://www.dhl.de/de/privatkunden/dhl-sendungsverfolgung.html?piececode=@",
             "2-3 days"),
            (4, "UPS Standard", "7.90", "https://www.ups.com/track?tracknum=@", "1-2 days"))
#: id_tax_rules_group → rate at the shop's country (PS_COUNTRY_DEFAULT, Germany): "DE Standard Rate (19%)",
#: "DE Reduced Rate (7%)" as a German install's tax rules give them.
TAX_GROUPS = {1: Decimal("19"), 2: Decimal("7")}
#: ``configurations`` rows of a fresh install that the emulated Webservice reads (shop-wide values).
CONFIGURATION = (("PS_LANG_DEFAULT", "1"), ("PS_CURRENCY_DEFAULT", "1"), ("PS_COUNTRY_DEFAULT", "1"),
                 ("PS_CUSTOMER_GROUP", "3"), ("PS_TAX", "1"), ("PS_PRICE_ROUND_MODE", "2"),
                 ("PS_USE_ECOTAX", "0"), ("PS_STOCK_MANAGEMENT", "1"))
_SIX = Decimal("0.000001")


def _langs(store: Store, english: str, french: str | None = None) -> dict[str, str]:
    return {"1": english, "2": french if french is not None else english}


def seed_install(store: Store) -> None:
    """The data of a fresh install (everything but products and orders)."""
    store.insert("languages", {"name": "English (English)", "iso_code": "en", "locale": "en-US",
                               "language_code": "en-us", "active": "1", "is_rtl": "0",
                               "date_format_lite": "m/d/Y", "date_format_full": "m/d/Y H:i:s"}, 1)
    store.insert("languages", {"name": "Français (French)", "iso_code": "fr", "locale": "fr-FR",
                               "language_code": "fr", "active": "1", "is_rtl": "0",
                               "date_format_lite": "d/m/Y", "date_format_full": "d/m/Y H:i:s"}, 2)
    store.insert("shops", {"id_shop_group": "1", "id_category": "2", "active": "1", "deleted": "0",
                           "name": store.internals.shop_name, "color": "", "theme_name": "classic"}, 1)
    for country_id, iso, name, has_states in COUNTRIES:
        store.insert("countries", {"id_zone": "1", "id_currency": "0", "call_prefix": "0", "iso_code": iso,
                                   "active": "1", "contains_states": "1" if has_states else "0",
                                   "need_identification_number": "0", "need_zip_code": "1",
                                   "zip_code_format": "", "display_tax_label": "1",
                                   "name": _langs(store, name)}, country_id)
    for state_id, country_id, iso, name in STATES:
        store.insert("states", {"id_zone": "2", "id_country": str(country_id), "iso_code": iso, "name": name,
                                "active": "1"}, state_id)
    for currency_id, iso, numeric, rate, symbol in CURRENCIES:
        store.insert("currencies", {"names": _langs(store, iso), "name": iso, "symbol": _langs(store, symbol),
                                    "iso_code": iso, "numeric_iso_code": numeric, "precision": "2",
                                    "conversion_rate": rate, "deleted": "0", "active": "1", "unofficial": "0",
                                    "modified": "0", "pattern": _langs(store, "")}, currency_id)
    for carrier_id, name, price, url, delay in CARRIERS:
        store.insert("carriers", {"deleted": "0", "is_module": "0", "id_tax_rules_group": "1",
                                  "id_reference": str(carrier_id), "name": name, "active": "1",
                                  "is_free": "1" if price == "0.00" else "0", "url": url, "shipping_handling": "0",
                                  "shipping_external": "0", "range_behavior": "0", "shipping_method": "2",
                                  "max_width": "0", "max_height": "0", "max_depth": "0", "max_weight": "0",
                                  "grade": "0", "external_module_name": "", "need_range": "0",
                                  "position": str(carrier_id - 1), "delay": _langs(store, delay)}, carrier_id)
        store.internals.carrier_prices[carrier_id] = Decimal(price)
    for state in default_order_states():
        flags = {name: str(state.get(name, 0)) for name in ("unremovable", "delivery", "hidden", "send_email",
                                                            "invoice", "logable", "shipped", "paid",
                                                            "pdf_delivery", "pdf_invoice")}
        store.insert("order_states", {**flags, "module_name": state.get("module_name", ""),
                                      "color": state.get("color", ""), "deleted": "0",
                                      "name": _langs(store, state["name_en"], FRENCH_STATE_NAMES.get(state["id"])),
                                      "template": _langs(store, state.get("template_en", ""))}, state["id"])
    store.internals.tax_rates.update(TAX_GROUPS)
    for name, value in CONFIGURATION:
        store.insert("configurations", {"name": name, "value": value, "id_shop_group": "", "id_shop": ""})


def _tax_group(rate: Decimal) -> int:
    for group, value in TAX_GROUPS.items():
        if value == rate:
            return group
    raise ValueError(f"no tax rules group for {rate}%")


def _stock_row(store: Store, product_id: int, attribute: int, quantity: int) -> None:
    store.insert("stock_availables", {"id_product": str(product_id), "id_product_attribute": str(attribute),
                                      "id_shop": "1", "id_shop_group": "0", "quantity": str(quantity),
                                      "depends_on_stock": "0", "out_of_stock": "2", "location": ""})


def seed_products(store: Store, products: tuple[DemoProduct, ...] = DEMO_PRODUCTS) -> dict[str, str]:
    """Add ``products`` (variants as combinations); return SKU → product key (``"12"`` or ``"12-3"``)."""
    keys: dict[str, str] = {}
    parents: dict[str, int] = {}
    for demo in (p for p in products if p.parent_sku is None):
        rate = demo.tax_rate
        net = (demo.price / (1 + rate / 100)).quantize(_SIX, rounding=ROUND_HALF_UP)
        record = store.insert("products", {
            "id_manufacturer": "0", "id_supplier": "0", "id_category_default": "2", "new": "0",
            "id_tax_rules_group": str(_tax_group(rate)), "type": "simple", "id_shop_default": "1",
            "reference": demo.sku, "ean13": demo.ean, "weight": str(demo.weight or Decimal("0")),
            "price": str(net), "wholesale_price": "0.000000", "active": "1" if demo.active else "0",
            "available_for_order": "1", "show_price": "1", "state": "1", "minimal_quantity": "1",
            "visibility": "both", "condition": "new", "redirect_type": "default",
            "name": _langs(store, demo.name), "link_rewrite": _langs(store, demo.sku.lower()),
        })
        parents[demo.sku] = int(record["id"])
        keys[demo.sku] = record["id"]
    for demo in (p for p in products if p.parent_sku is not None):
        parent_id = parents[demo.parent_sku or ""]
        parent = store.get("products", parent_id)
        assert parent is not None
        impact = (demo.weight or Decimal("0")) - Decimal(parent["weight"])
        combination = store.insert("combinations", {
            "id_product": str(parent_id), "location": "", "ean13": demo.ean, "reference": demo.sku,
            "supplier_reference": "", "wholesale_price": "0.000000", "price": "0.000000", "ecotax": "0.000000",
            "weight": str(impact), "unit_price_impact": "0.000000", "minimal_quantity": "1",
            "default_on": "1" if not store.where("combinations", id_product=parent_id) else "0",
        })
        parent["type"] = "combinations"
        keys[demo.sku] = f"{parent_id}-{combination['id']}"
        _stock_row(store, parent_id, int(combination["id"]), demo.stock)
    for demo in (p for p in products if p.parent_sku is None):
        product_id = parents[demo.sku]
        variants = [p for p in products if p.parent_sku == demo.sku]
        _stock_row(store, product_id, 0, sum(v.stock for v in variants) if variants else demo.stock)
    return keys
