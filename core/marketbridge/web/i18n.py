"""Which language a page speaks (M3), and small formatting helpers for templates.

The language is, in this order: the logged-in user's setting, the language a
plugin passed to :func:`~marketbridge.web.auth.login_embedded` (kept in the
session), the browser's ``Accept-Language``, English.

Catalogs live in ``marketbridge/translations`` (see its README for the
extract → translate → compile steps). Plugins can ship their own catalogs for
the labels of their settings: an adapter class with a ``translations``
attribute (a folder holding ``<lang>/LC_MESSAGES/messages.mo``) gets its
``SettingField`` labels and help texts translated from it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from flask import current_app, request, session
from flask_babel import Domain, format_datetime, get_locale, gettext
from flask_login import current_user

#: The languages the pages speak, with their names in their own language.
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "fr": "Français", "de": "Deutsch"}
SESSION_KEY = "mb_locale"

_plugin_domains: dict[str, Domain] = {}


def languages() -> tuple[str, ...]:
    """The configured languages (``LANGUAGES`` setting), limited to those with catalogs."""
    configured = current_app.config.get("LANGUAGES") or tuple(LANGUAGE_NAMES)
    return tuple(code for code in configured if code in LANGUAGE_NAMES)


def normalise(code: str | None) -> str | None:
    """``"fr-FR"`` → ``"fr"``; ``None`` for languages the pages do not speak."""
    if not code:
        return None
    short = code.replace("_", "-").split("-")[0].lower()
    return short if short in languages() else None


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    chosen = normalise(getattr(current_user, "locale", None)) if current_user else None
    if chosen:
        return chosen
    chosen = normalise(session.get(SESSION_KEY))
    if chosen:
        return chosen
    return request.accept_languages.best_match(languages()) or "en"


def current_language() -> str:
    """The two-letter code of the language of this request."""
    locale = get_locale()
    return locale.language if locale is not None else "en"


def when(value: datetime | None, style: str = "medium") -> str:
    """A timestamp in the page's language, or an empty string."""
    return format_datetime(value, style) if value is not None else ""


def plugin_text(owner: Any, text: str) -> str:
    """Translate a plugin-supplied English ``text`` (a setting label or help).

    Looks in the plugin's own catalog (``owner.translations``) first, then in
    the core catalog (common words such as "API key"), and keeps the English
    text when neither knows it.
    """
    if not text:
        return text
    folder = getattr(owner, "translations", None)
    if folder:
        domain = _plugin_domains.get(str(folder))
        if domain is None:
            domain = _plugin_domains.setdefault(str(folder), Domain(translation_directories=[str(folder)]))
        translated = domain.gettext(text)
        if translated != text:
            return str(translated)
    return str(gettext(text))


def safe_format(template: str, params: Mapping[str, Any]) -> str:
    """``template.format(**params)`` that never fails: unknown placeholders stay as they are."""

    class _Keep(dict[str, Any]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    try:
        return template.format_map(_Keep(params or {}))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template
