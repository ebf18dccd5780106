"""What a merchant fills in to connect a PrestaShop shop, and its parsed, validated form."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marketbridge.adapters import FieldKind, SettingField
from marketbridge.errors import AuthenticationFailed

WEIGHT_UNITS: dict[str, Decimal] = {"kg": Decimal("1"), "g": Decimal("0.001"), "lb": Decimal("0.45359237"),
                                    "oz": Decimal("0.028349523125")}

SETTINGS_FIELDS: tuple[SettingField, ...] = (
    SettingField("url", "Shop address", FieldKind.URL,
                 help="The address of your shop, e.g. https://shop.example.com (the Webservice lives under /api/)."),
    SettingField("webservice_key", "Webservice key", FieldKind.SECRET,
                 help="Advanced Parameters > Webservice > Add new webservice key (32 characters). "
                      "The README lists the resources and methods to tick."),
    SettingField("carrier_reference", "Carrier for marketplace orders",
                 help="The carrier's reference id (Shipping > Carriers, column ID of the first version of the "
                      "carrier; it stays the same when the carrier is edited)."),
    SettingField("pickup_carrier_reference", "Carrier for Click & Collect orders", required=False,
                 help="Optional: the carrier reference id used for in-store pickup orders."),
    SettingField("payment_module", "Payment module", default="ps_wirepayment",
                 help="Technical name of an installed, enabled payment module (e.g. ps_wirepayment). "
                      "PrestaShop needs one to create orders through the Webservice."),
    SettingField("default_state_id", "Status for new orders when the connection sets none", default="2",
                 help="Order status id (Orders > Statuses); 2 is 'Payment accepted' in a default install."),
    SettingField("language_id", "Language id", default="1",
                 help="Language for imported orders and for status names (International > Translations)."),
    SettingField("shop_id", "Shop id (multistore)", required=False,
                 help="Only with multistore: the id of the shop Marketbridge works in."),
    SettingField("timezone", "Shop time zone", default="Europe/Paris",
                 help="International > Localization > Configuration > Time zone; PrestaShop dates are in it."),
    SettingField("weight_unit", "Weight unit", FieldKind.CHOICE, default="kg",
                 choices=(("kg", "kg"), ("g", "g"), ("lb", "lb"), ("oz", "oz")),
                 help="International > Localization > Weight unit."),
    SettingField("hold_out_of_stock", "Hold orders for products out of stock", FieldKind.BOOLEAN, required=False,
                 default=True,
                 help="Hold an order when a product has less stock than ordered and does not allow backorders."),
    SettingField("admin_link_secret", "Back-office link secret", FieldKind.SECRET, required=False,
                 help="Shared with the Marketbridge module in PrestaShop, which signs the back-office link and "
                      "change notices (README, section 6). Create one on the page "
                      "/prestashop/shops/<shop id>/back-office."),
)


def _text(values: Mapping[str, Any], name: str, default: str = "") -> str:
    value = values.get(name)
    return default if value is None else str(value).strip()


def _flag(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _id(values: Mapping[str, Any], name: str, label: str, default: str = "", required: bool = True) -> int | None:
    raw = _text(values, name, default)
    if not raw:
        if required:
            raise AuthenticationFailed(f"The setting '{label}' is empty. Enter it in the shop's connection settings.",
                                       code="setting_missing", setting=name)
        return None
    if not raw.isdigit() or int(raw) <= 0:
        raise AuthenticationFailed(f"The setting '{label}' must be a positive number (it is '{raw}').",
                                   code="setting_invalid", setting=name)
    return int(raw)


@dataclass(frozen=True)
class ShopSettings:
    """The merchant's settings, checked. Built once per adapter instance."""

    api_url: str  #: ends with ``/api``
    key: str
    carrier_reference: int
    pickup_carrier_reference: int | None
    payment_module: str
    default_state_id: int
    language_id: int
    shop_id: int | None
    timezone: ZoneInfo
    weight_factor: Decimal  #: multiply a shop weight by this to get kilograms
    hold_out_of_stock: bool
    admin_link_secret: str | None

    def __repr__(self) -> str:  # never show the key
        return f"ShopSettings(api_url={self.api_url!r}, shop_id={self.shop_id!r}, key=<hidden>)"

    @classmethod
    def parse(cls, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> ShopSettings:
        """Check and convert the raw settings; raises ``AuthenticationFailed`` naming what to fix."""
        url = _text(settings, "url").rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise AuthenticationFailed("The shop address must start with https:// (for example "
                                       "https://shop.example.com).", code="setting_invalid", setting="url")
        if not url.endswith("/api"):
            url += "/api"
        key = (secrets.get("webservice_key") or "").strip()
        if len(key) != 32:
            raise AuthenticationFailed(
                "The Webservice key must be the 32-character key from Advanced Parameters > Webservice; "
                "copy it again into the shop's connection settings.", code="setting_invalid",
                setting="webservice_key")
        module = _text(settings, "payment_module", "ps_wirepayment")
        if not module.replace("_", "").replace("-", "").isalnum():
            raise AuthenticationFailed(f"The payment module '{module}' is not a module's technical name "
                                       "(letters, digits, '_' and '-' only).", code="setting_invalid",
                                       setting="payment_module")
        zone_name = _text(settings, "timezone", "Europe/Paris")
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise AuthenticationFailed(f"The time zone '{zone_name}' is unknown; use the name PrestaShop shows "
                                       "(e.g. Europe/Paris).", code="setting_invalid", setting="timezone") from None
        unit = _text(settings, "weight_unit", "kg").lower()
        if unit not in WEIGHT_UNITS:
            raise AuthenticationFailed(f"The weight unit '{unit}' is not one of kg, g, lb, oz.",
                                       code="setting_invalid", setting="weight_unit")
        carrier = _id(settings, "carrier_reference", "Carrier for marketplace orders")
        assert carrier is not None
        return cls(
            api_url=url,
            key=key,
            carrier_reference=carrier,
            pickup_carrier_reference=_id(settings, "pickup_carrier_reference", "Carrier for Click & Collect orders",
                                         required=False),
            payment_module=module,
            default_state_id=_id(settings, "default_state_id", "Status for new orders", "2") or 2,
            language_id=_id(settings, "language_id", "Language id", "1") or 1,
            shop_id=_id(settings, "shop_id", "Shop id", required=False),
            timezone=zone,
            weight_factor=WEIGHT_UNITS[unit],
            hold_out_of_stock=_flag(settings.get("hold_out_of_stock"), True),
            admin_link_secret=(secrets.get("admin_link_secret") or None),
        )
