"""The catalogs: every merchant-facing string has French and German, and the committed .mo files match (M3)."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import marketbridge

PACKAGE = Path(marketbridge.__file__).parent
TRANSLATIONS = PACKAGE / "translations"
LANGUAGES = ("fr", "de")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def source_msgids() -> set[str]:
    """Every msgid the pages use, extracted from the sources now (not from the committed template)."""
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE), method_map, keywords=KEYWORDS, options_map={"web/templates/**.html": {}}):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def plain(value):
    """Plural ids and strings come as lists or tuples depending on the reader."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def catalog(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=language)


def test_sources_have_strings():
    ids = source_msgids()
    assert "Connections" in ids and "Add a shop" in ids and len(ids) > 200


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_has_a_translation(language):
    po = catalog(language)
    translated = {}
    for message in po:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert "fuzzy" not in message.flags, f"{language}: fuzzy translation of {key!r}"
        if all(s.strip() for s in strings):
            translated[key] = strings
    missing = sorted(source_msgids() - set(translated))
    assert not missing, f"{language} lacks translations for: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_translation(language):
    import re

    pattern = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)[sd]")
    for message in catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(pattern.findall(ids[-1]))
        for string in strings:
            assert set(pattern.findall(string)) == expected, f"{language}: placeholders of {ids[0]!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_the_po_file(language):
    po = catalog(language)
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        mo = read_mo(fh)
    expected = {plain(m.id): plain(m.string) for m in po if m.id and m.string and "fuzzy" not in m.flags}
    compiled = {plain(m.id): plain(m.string) for m in mo if m.id}
    assert compiled == expected, "run: pybabel compile -d core/marketbridge/translations"
