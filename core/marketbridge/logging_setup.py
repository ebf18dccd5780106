"""Logging that never shows a secret (D2).

:class:`RedactingFilter` replaces every known secret value in log messages
and arguments with a fixed mask. The host registers each secret it decrypts
with :func:`remember_secret`; the filter sits on the root handlers, so
plugin loggers are covered too.
"""
from __future__ import annotations

import logging
import threading


from marketbridge.crypto import REDACTED

_secrets: set[str] = set()
_lock = threading.Lock()
_MIN_LENGTH = 6  # shorter values would mask ordinary words


def remember_secret(value: str | None) -> None:
    """Mask ``value`` in every future log record."""
    if value and len(value) >= _MIN_LENGTH:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with every remembered secret masked."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """Rewrite a record's final message with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


def install(level: int = logging.INFO) -> None:
    """Configure root logging once, with the redacting filter on every handler."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


