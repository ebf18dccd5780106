"""What a merchant (or the app handshake) fills in to connect a Shopware 6 shop."""
from __future__ import annotations

from marketbridge.adapters import FieldKind, SettingField

SHOP_URL = "shop_url"
CLIENT_ID = "client_id"
CLIENT_SECRET = "client_secret"
SALES_CHANNEL = "sales_channel"
PAYMENT_METHOD = "payment_method"
SHIPPING_METHOD = "shipping_method"
PAYMENT_STATUS = "payment_status"

# Written by the Marketbridge app's registration (never typed by the merchant).
APP_SHOP_ID = "app_shop_id"  #: Shopware's ``shop-id``: how webhooks and admin links find the shop row
APP_ACTIVE = "app_active"  #: ``False`` after ``app.deactivated`` / ``app.deleted``
APP_REGISTERED_AT = "app_registered_at"  #: when the last registration was confirmed (ISO time)
APP_ROTATED_AT = "app_secret_rotated_at"  #: when the shop secret last changed (ISO time)
APP_DUAL_SIGNED = "app_dual_signed"  #: the shop signs re-registrations with its current secret
APP_SHOP_SECRET = "app_shop_secret"  #: secret: the shop secret of the app registration
APP_PREVIOUS_SECRET = "app_shop_secret_previous"  #: secret: the one before, valid 60 s after rotation

DEFAULT_PAYMENT_METHOD = "payment_prepayment"
DEFAULT_SHIPPING_METHOD = "shipping_standard"

SETTINGS_FIELDS: tuple[SettingField, ...] = (
    SettingField(SHOP_URL, "Shop address", FieldKind.URL,
                 help="The address of your Shopware shop, e.g. https://shop.example.com (the Admin API is at /api)."),
    SettingField(CLIENT_ID, "Access key ID",
                 help="Settings > System > Integrations > Add integration: the \"Access key ID\" (starts with SWIA). "
                      "Filled in automatically when you install the Marketbridge app instead."),
    SettingField(CLIENT_SECRET, "Secret access key", FieldKind.SECRET,
                 help="Shown once when you create the integration; copy it here. Stored encrypted."),
    SettingField(SALES_CHANNEL, "Sales channel for marketplace orders", required=False,
                 help="Name or id of the sales channel imported orders belong to. Empty: your first storefront."),
    SettingField(PAYMENT_METHOD, "Payment method of imported orders", required=False,
                 default=DEFAULT_PAYMENT_METHOD,
                 help="Technical name or name of a payment method, e.g. payment_prepayment (\"Paid in advance\"). "
                      "The marketplace collected the payment; this only labels the order."),
    SettingField(SHIPPING_METHOD, "Default shipping method", required=False, default=DEFAULT_SHIPPING_METHOD,
                 help="Used when no shipping method of your shop carries the marketplace's shipping service name "
                      "(e.g. \"Expedited\"). Technical name or name."),
    SettingField(PAYMENT_STATUS, "Payment status of imported orders", FieldKind.CHOICE, required=False,
                 default="paid", choices=(("paid", "Paid (the marketplace collected the money)"), ("open", "Open")),
                 help="Marketplace orders are paid to the marketplace; \"Paid\" keeps payment reminders away."),
)
