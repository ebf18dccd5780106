"""The app manifest (``manifest.xml``) for this Marketbridge server, as Shopware installs it.

Elements follow ``manifest-3.0.xsd`` using only what 2.0 has as well, so Shopware
6.5 to 6.7 accept it: ``<meta>``, ``<setup>`` (registration URL and, for a private app,
the app secret), ``<admin>`` (a module under Orders and the main module, both opening
the embedded Marketbridge pages), ``<permissions>`` (exactly what the adapter needs,
:mod:`marketbridge_shopware.permissions`) and one ``<webhook>`` per event in
:data:`~marketbridge_shopware.permissions.WEBHOOK_EVENTS`. The folder holding the
manifest must be named like ``<meta><name>``.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from marketbridge_shopware.permissions import CREATE, READ, UPDATE, WEBHOOK_EVENTS

SCHEMA = ("https://raw.githubusercontent.com/shopware/shopware/trunk/src/Core/Framework/App/Manifest/Schema/"
          "manifest-3.0.xsd")
XSI = "http://www.w3.org/2001/XMLSchema-instance"
MODULE_NAME = "marketplaces"
LABELS = {"": "Marketplaces (Marketbridge)", "de-DE": "Marktplätze (Marketbridge)",
          "fr-FR": "Places de marché (Marketbridge)"}


@dataclass(frozen=True)
class ManifestUrls:
    """Where the shop reaches this server."""

    registration: str
    webhook: str
    admin: str


def webhook_name(event: str) -> str:
    """``state_enter.order_delivery.state.shipped`` → ``stateEnterOrderDeliveryStateShipped`` (unique per event)."""
    words = [w for w in re.split(r"[^0-9A-Za-z]+", event) if w]
    return words[0].lower() + "".join(w[:1].upper() + w[1:] for w in words[1:])


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = text
    return element


def build_manifest(*, name: str, urls: ManifestUrls, secret: str | None, version: str = "1.0.0") -> bytes:
    """The manifest XML; ``secret`` is included for a private app (omit it for a store app)."""
    ET.register_namespace("xsi", XSI)
    root = ET.Element("manifest", {f"{{{XSI}}}noNamespaceSchemaLocation": SCHEMA})
    meta = ET.SubElement(root, "meta")
    _text(meta, "name", name)
    for lang, label in LABELS.items():
        _text(meta, "label", label, **({"lang": lang} if lang else {}))
    _text(meta, "description", "Marketplace orders into Shopware; shipments, statuses and stock back to the "
                               "marketplaces.")
    _text(meta, "author", "Marketbridge")
    _text(meta, "copyright", "(c) Marketbridge contributors")
    _text(meta, "version", version)
    _text(meta, "license", "Apache-2.0")
    setup = ET.SubElement(root, "setup")
    _text(setup, "registrationUrl", urls.registration)
    if secret:
        _text(setup, "secret", secret)
    admin = ET.SubElement(root, "admin")
    module = ET.SubElement(admin, "module", {"name": MODULE_NAME, "parent": "sw-order", "position": "50",
                                             "source": urls.admin})
    for lang, label in LABELS.items():
        _text(module, "label", label, **({"lang": lang} if lang else {}))
    ET.SubElement(admin, "main-module", {"source": urls.admin})
    permissions = ET.SubElement(root, "permissions")
    for tag, entities in (("read", READ), ("create", CREATE), ("update", UPDATE)):
        for entity in entities:
            _text(permissions, tag, entity)
    webhooks = ET.SubElement(root, "webhooks")
    for event in WEBHOOK_EVENTS:
        attrs = {"name": webhook_name(event), "url": urls.webhook, "event": event}
        if event.endswith(".written"):
            attrs["onlyLiveVersion"] = "true"
        ET.SubElement(webhooks, "webhook", attrs)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"
