"""Reading and writing the Webservice's XML documents.

Every body, in both directions, is ``<prestashop xmlns:xlink=…>`` around one
entity (``<order>…</order>``), a list (``<orders><order …/></orders>``), the
resource index (``<api>``) or ``<errors>``. Values sit in ``<![CDATA[…]]>``,
references carry ``xlink:href``, translatable fields hold one
``<language id="…">`` per language, and associations nest under
``<associations>`` (see ``specs/prestashop/NOTES.md``). Parsing uses the
standard library's expat parser, which neither resolves external entities nor
expands entity bombs (expat ≥ 2.4.1).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Iterable, Mapping, Sequence
from xml.sax.saxutils import quoteattr

XLINK = "http://www.w3.org/1999/xlink"
HREF = f"{{{XLINK}}}href"
PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n'

#: A field value: plain text, or a translatable field as ``{language id: text}``.
FieldValue = str | Mapping[str, str]
#: Associations to write: name → (item node, rows of item fields).
Associations = Mapping[str, tuple[str, Sequence[Mapping[str, str]]]]


class MalformedDocument(ValueError):
    """The body is not a PrestaShop Webservice XML document."""


def cdata(value: str) -> str:
    """Wrap ``value`` in CDATA, splitting any ``]]>`` it contains."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _attrs(attrs: Mapping[str, str] | None) -> str:
    if not attrs:
        return ""
    return "".join(f" {name}={quoteattr(value)}" for name, value in attrs.items())


class XmlWriter:
    """Builds one ``<prestashop>`` document; values are always CDATA, never pretty-printed."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def start(self, tag: str, attrs: Mapping[str, str] | None = None) -> XmlWriter:
        self._parts.append(f"<{tag}{_attrs(attrs)}>")
        return self

    def end(self, tag: str) -> XmlWriter:
        self._parts.append(f"</{tag}>")
        return self

    def empty(self, tag: str, attrs: Mapping[str, str] | None = None) -> XmlWriter:
        self._parts.append(f"<{tag}{_attrs(attrs)}/>")
        return self

    def leaf(self, tag: str, value: str, attrs: Mapping[str, str] | None = None) -> XmlWriter:
        body = cdata(value) if value != "" else ""
        self._parts.append(f"<{tag}{_attrs(attrs)}>{body}</{tag}>")
        return self

    def field(self, tag: str, value: FieldValue, attrs: Mapping[str, str] | None = None,
              language_href: str | None = None) -> XmlWriter:
        """A plain field, or a translatable one with one ``<language>`` per entry."""
        if isinstance(value, str):
            return self.leaf(tag, value, attrs)
        self.start(tag, attrs)
        for lang_id, text in value.items():
            lang_attrs = {"id": str(lang_id)}
            if language_href:
                lang_attrs["xlink:href"] = f"{language_href}/{lang_id}"
            self.leaf("language", text, lang_attrs)
        return self.end(tag)

    def raw(self, fragment: str) -> XmlWriter:
        self._parts.append(fragment)
        return self

    def document(self) -> bytes:
        body = "".join(self._parts)
        return (f'{PROLOG}<prestashop xmlns:xlink="{XLINK}">{body}</prestashop>').encode("utf-8")


def entity_document(node: str, fields: Mapping[str, FieldValue],
                    associations: Associations | None = None) -> bytes:
    """The request body for POST/PUT/PATCH of one ``node`` (e.g. ``order``)."""
    writer = XmlWriter().start(node)
    for name, value in fields.items():
        writer.field(name, value)
    if associations:
        writer.start("associations")
        for name, (item, rows) in associations.items():
            writer.start(name)
            for row in rows:
                writer.start(item)
                for key, value in row.items():
                    writer.leaf(key, value)
                writer.end(item)
            writer.end(name)
        writer.end("associations")
    return writer.end(node).document()


def parse_document(body: bytes | str) -> ET.Element:
    """Parse a body and return its ``<prestashop>`` root; raise :class:`MalformedDocument` otherwise."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise MalformedDocument(f"not XML ({exc})") from None
    if root.tag != "prestashop":
        raise MalformedDocument(f"root element is <{root.tag}>, not <prestashop>")
    return root


def text(element: ET.Element) -> str:
    """The text of a value element (CDATA included), without surrounding whitespace."""
    return "".join(element.itertext()).strip()


def record(element: ET.Element) -> dict[str, Any]:
    """One entity as a dict: text fields as ``str``, translatable fields as ``{lang id: text}``,
    associations as ``{"associations": {name: [row, …]}}``. A list item without
    ``display`` (``<order id="1" xlink:href=…/>``) yields ``{"id": "1"}``."""
    result: dict[str, Any] = {}
    if element.get("id") is not None and len(element) == 0:
        result["id"] = element.get("id", "")
    for child in element:
        if child.tag == "associations":
            result["associations"] = {assoc.tag: [record(item) for item in assoc] for assoc in child}
        elif len(child) and all(grand.tag == "language" for grand in child):
            result[child.tag] = {lang.get("id", ""): text(lang) for lang in child}
        else:
            result[child.tag] = text(child)
    return result


def entity(root: ET.Element) -> ET.Element:
    """The single entity element inside ``<prestashop>`` (raises :class:`MalformedDocument`)."""
    children = list(root)
    if len(children) != 1:
        raise MalformedDocument(f"expected one element inside <prestashop>, found {len(children)}")
    return children[0]


def list_items(root: ET.Element, plural: str) -> list[dict[str, Any]]:
    """The rows of a list answer ``<plural><item/>…</plural>`` (an empty list may be ``<plural/>``)."""
    wrapper = root.find(plural)
    if wrapper is None:
        raise MalformedDocument(f"expected <{plural}> inside <prestashop>")
    return [record(item) for item in wrapper]


def errors(root: ET.Element) -> list[tuple[str, str]]:
    """``(code, message)`` pairs of an ``<errors>`` answer (empty when there is none)."""
    found = root.find("errors")
    if found is None:
        return []
    pairs = []
    for err in found.findall("error"):
        code, message = err.find("code"), err.find("message")
        pairs.append((text(code) if code is not None else "", text(message) if message is not None else ""))
    return pairs


def error_document(items: Iterable[tuple[int | str, str]]) -> bytes:
    """An ``<errors>`` body as the Webservice writes it (``examples/error.xml``)."""
    writer = XmlWriter().start("errors")
    for code, message in items:
        writer.start("error").leaf("code", str(code)).leaf("message", message).end("error")
    return writer.end("errors").document()
