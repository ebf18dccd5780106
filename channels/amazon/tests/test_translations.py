"""The plugin's own catalog: every text of the Amazon pages and account fields has French and German, and the
committed .mo files match the .po files (the host's catalog is never touched)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import marketbridge_amazon
from marketbridge_amazon.config import ACCOUNT_FIELDS

PACKAGE = Path(marketbridge_amazon.__file__).parent
TRANSLATIONS = PACKAGE / "translations"
LANGUAGES = ("fr", "de")
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "t": None}


def source_msgids() -> set[str]:
    """Every text the pages use (extracted from the sources now) plus the account fields' labels, help, choices."""
    method_map = [("web.py", "python"), ("i18n.py", "python"), ("templates/**.html", "jinja2")]
    found = {message for _f, _l, message, _c, _ctx in extract_from_dir(
        str(PACKAGE), method_map, keywords=KEYWORDS, options_map={"templates/**.html": {}})}
    for field in ACCOUNT_FIELDS:
        found |= {field.label, *([field.help] if field.help else []), *(text for _, text in field.choices)}
    return found


def catalog(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=language)


def test_the_pages_have_texts_to_translate():
    ids = source_msgids()
    assert "Connect an Amazon seller account" in ids and "Seller ID (merchant token)" in ids and len(ids) > 60


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_has_a_translation(language):
    translated = {m.id for m in catalog(language) if m.id and m.string and m.string.strip() and "fuzzy" not in m.flags}
    missing = sorted(source_msgids() - translated)
    assert not missing, f"{language} lacks translations for: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_translation(language):
    pattern = re.compile(r"%\([a-z_]+\)[sd]")
    for message in catalog(language):
        if message.id:
            assert set(pattern.findall(message.string)) == set(pattern.findall(message.id)), message.id


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_the_po_file(language):
    expected = {m.id: m.string for m in catalog(language) if m.id and m.string}
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        compiled = {m.id: m.string for m in read_mo(fh) if m.id}
    assert compiled == expected, "run pybabel compile -d translations (see marketbridge_amazon/i18n.py)"


def test_account_field_labels_reach_the_hosts_settings_pages(make_app):
    """The host translates setting labels from ``AmazonChannel.translations`` (this catalog)."""
    from flask_babel import force_locale

    from marketbridge.web.i18n import plugin_text

    from marketbridge_amazon import plugin
    from marketbridge_amazon.adapter import AmazonChannel

    app = make_app(plugins=[plugin], load_entrypoints=False)
    with app.test_request_context(), force_locale("de"):
        assert plugin_text(AmazonChannel, "Seller ID (merchant token)") == "Verkäufer-ID (Händler-Token)"
