"""The settings a merchant fills in to connect a Magento store, and their parsed form."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlparse

from marketbridge.adapters import FieldKind, SettingField

AUTH_OAUTH1 = "oauth1"
AUTH_BEARER = "bearer"
INVENTORY_MSI = "msi"
INVENTORY_LEGACY = "legacy"

SETTINGS_FIELDS: tuple[SettingField, ...] = (
    SettingField("url", "Shop URL", FieldKind.URL,
                 help="The address of your Magento store, e.g. https://shop.example.com (without /rest)."),
    SettingField("store_code", "Store view code", default="default",
                 help="Orders are created in this store view (/rest/<code>/V1/…). Its base currency must be the "
                      "marketplace's currency."),
    SettingField("auth_mode", "Authentication", FieldKind.CHOICE, default=AUTH_OAUTH1,
                 choices=((AUTH_OAUTH1, "OAuth 1.0a signed requests (recommended)"),
                          (AUTH_BEARER, "Access token as bearer token")),
                 help="Bearer tokens only work when 'Allow OAuth Access Tokens to be used as standalone Bearer "
                      "tokens' is enabled in Stores > Configuration > Services > OAuth."),
    SettingField("consumer_key", "Consumer key", FieldKind.SECRET, required=False,
                 help="System > Extensions > Integrations > Marketbridge > Integration Details."),
    SettingField("consumer_secret", "Consumer secret", FieldKind.SECRET, required=False),
    SettingField("access_token", "Access token", FieldKind.SECRET),
    SettingField("access_token_secret", "Access token secret", FieldKind.SECRET, required=False),
    SettingField("inventory_mode", "Inventory", FieldKind.CHOICE, default=INVENTORY_MSI,
                 choices=((INVENTORY_MSI, "Multi-Source Inventory (Magento 2.3+ default)"),
                          (INVENTORY_LEGACY, "Legacy single stock (Inventory modules disabled)"))),
    SettingField("stock_id", "MSI stock id", default="1",
                 help="The stock assigned to the website of the store view (1 = Default Stock)."),
    SettingField("shipping_method", "Shipping method for imported orders", default="flatrate_flatrate",
                 help="carrier_method code Magento checks the order with, e.g. flatrate_flatrate. It must be "
                      "enabled for the buyers' countries. The marketplace's shipping price is kept."),
    SettingField("payment_method", "Payment method for imported orders", default="checkmo",
                 help="An enabled offline payment method; the marketplace has already been paid."),
    SettingField("email_domain", "Domain of order e-mail addresses", required=False,
                 help="Imported orders get the address <marketplace>-<order id>@<this domain> (marketplaces do "
                      "not share buyer e-mails). Default: your shop's domain."),
    SettingField("ean_attribute", "EAN attribute code", default="ean", required=False,
                 help="Magento has no EAN field of its own: the code of the product attribute holding it."),
    SettingField("phone_placeholder", "Phone number when the marketplace gives none", required=False,
                 help="Magento requires a telephone number unless you made it optional in Stores > "
                      "Configuration > Customers > Customer Configuration > Name and Address Options."),
    SettingField("prices_include_tax", "Catalogue prices include tax", FieldKind.BOOLEAN, required=False, default=True,
                 help="As set in Stores > Configuration > Sales > Tax > Calculation Settings > Catalog Prices "
                      "(Including Tax in most EU stores). Prices are sent to the marketplaces only when they include "
                      "tax; otherwise Marketbridge does not know the tax to add and sends none."),
    SettingField("custom_statuses", "Custom order statuses", required=False,
                 help="Magento's REST API cannot list statuses. Add yours, one per line: code | Label | state, "
                      "e.g. 'ready_pickup | Ready for pickup | processing'."),
    SettingField("admin_link_secret", "Admin link secret", FieldKind.SECRET, required=False,
                 help="Signs the link that opens Marketbridge from the Magento admin (see the plugin README)."),
    SettingField("notify_secret", "Change notification secret", FieldKind.SECRET, required=False,
                 help="Only with the optional Magento observer module that tells Marketbridge about changed orders "
                      "and shipments at once (see the plugin README). Leave empty otherwise: Marketbridge then "
                      "polls Magento every minute."),
)


@dataclass(frozen=True)
class CustomStatus:
    code: str
    label: str
    state: str


@dataclass(frozen=True)
class MagentoSettings:
    """Parsed, validated settings of one Magento store."""

    url: str
    store_code: str
    auth_mode: str
    inventory_mode: str
    stock_id: int
    carrier_code: str
    method_code: str
    payment_method: str
    email_domain: str
    ean_attribute: str
    phone_placeholder: str
    custom_statuses: tuple[CustomStatus, ...]
    prices_include_tax: bool = True

    @property
    def api_base(self) -> str:
        """``https://host/rest/<store_code>/V1``."""
        return f"{self.url}/rest/{self.store_code}/V1"

    @property
    def host(self) -> str:
        return urlparse(self.url).hostname or "localhost"

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> MagentoSettings:
        """Read the merchant's settings; missing optional ones take their defaults."""
        url = str(values.get("url") or "").strip().rstrip("/")
        if url.endswith("/rest"):
            url = url[: -len("/rest")]
        method = str(values.get("shipping_method") or "flatrate_flatrate").strip()
        carrier, _, method_code = method.partition("_")
        host = urlparse(url).hostname or "localhost"
        return cls(
            url=url,
            store_code=str(values.get("store_code") or "default").strip(),
            auth_mode=str(values.get("auth_mode") or AUTH_OAUTH1),
            inventory_mode=str(values.get("inventory_mode") or INVENTORY_MSI),
            stock_id=_positive_int(values.get("stock_id"), default=1),
            carrier_code=carrier,
            method_code=method_code or carrier,
            payment_method=str(values.get("payment_method") or "checkmo").strip(),
            email_domain=str(values.get("email_domain") or host).strip().lstrip("@"),
            ean_attribute=str(values.get("ean_attribute") or "ean").strip(),
            phone_placeholder=str(values.get("phone_placeholder") or "").strip(),
            custom_statuses=parse_custom_statuses(str(values.get("custom_statuses") or "")),
            prices_include_tax=_flag(values.get("prices_include_tax"), default=True),
        )


def _positive_int(value: Any, *, default: int) -> int:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else default


def _flag(value: Any, *, default: bool) -> bool:
    """A boolean setting: the form stores a bool; older or hand-written values may be text."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def parse_custom_statuses(text: str) -> tuple[CustomStatus, ...]:
    """Parse ``code | Label | state`` lines; lines without a state default to ``processing``."""
    statuses = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if not parts or not parts[0]:
            continue
        label = parts[1] if len(parts) > 1 and parts[1] else parts[0]
        state = parts[2] if len(parts) > 2 and parts[2] else "processing"
        statuses.append(CustomStatus(parts[0], label, state))
    return tuple(statuses)
