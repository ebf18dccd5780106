"""The plugin's own French and German texts, without touching the host's catalog.

The catalog lives in this package (``translations/<lang>/LC_MESSAGES/messages.po`` and the compiled
``.mo``) and is read through a Flask-Babel :class:`~flask_babel.Domain` bound to that folder, so it
follows the page's language (the host's locale selector) but never mixes with the host's
``marketbridge/translations``. It serves two readers:

* the Amazon pages (:mod:`marketbridge_amazon.web`): ``_``/``_l`` in Python, ``t(...)`` in templates
  (a context processor of the ``amazon`` blueprint; ``_`` stays the host's, for ``mb/base.html``);
* the host's settings pages, which translate the account fields' labels, help texts and choices
  through :attr:`AmazonChannel.translations <marketbridge_amazon.adapter.AmazonChannel.translations>`
  (:func:`marketbridge.web.i18n.plugin_text`).

Updating the catalog (from ``channels/amazon/marketbridge_amazon``)::

    pybabel extract -F babel.cfg -k _l -k t --no-location --sort-output --omit-header -o translations/messages.pot .
    pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching
    # translate the new msgstr in translations/{fr,de}/LC_MESSAGES/messages.po, then
    pybabel compile -d translations

The account fields' labels are not marked for extraction (they are plain strings of
:data:`marketbridge_amazon.config.ACCOUNT_FIELDS`); add new ones to the ``.po`` files by hand.
``tests/test_translations.py`` fails when a text lacks a translation or a ``.mo`` is stale.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask_babel import Domain

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = Domain(translation_directories=[str(TRANSLATIONS)], domain="messages")


def gettext(text: str, **variables: Any) -> str:
    """``text`` in the page's language (``%(name)s`` placeholders filled from ``variables``)."""
    return str(DOMAIN.gettext(text, **variables))


def lazy_gettext(text: str, **variables: Any) -> Any:
    """Like :func:`gettext`, evaluated when rendered (for module-level texts)."""
    return DOMAIN.lazy_gettext(text, **variables)


_ = gettext
_l = lazy_gettext
