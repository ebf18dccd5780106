"""The exceptions adapters raise, and what the engine does with each.

Adapters translate every failure of their remote API into one of these, so the
engine can decide without knowing the platform:

================================  =====================================================
Exception                         Engine reaction
================================  =====================================================
:class:`TemporaryFailure`         retry later with exponential backoff and jitter
:class:`RateLimited`              retry after ``retry_after`` seconds, never sleep
:class:`AuthenticationFailed`     stop the shop/account's jobs, show what to fix
:class:`OrderRejected`            hold the order with the reason; other orders go on
:class:`DeliveryRejected`         mark the outbox message failed and show a problem
================================  =====================================================

Every exception carries a stable ``code`` (for translations, filters and tests),
an English ``message`` for logs and for merchants when no translation exists, and
``params`` used to fill translated texts. Messages must never contain secrets.
"""
from __future__ import annotations

from typing import Any


class MarketbridgeError(Exception):
    """Base class of every error Marketbridge raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.params = params

    def __str__(self) -> str:
        return self.message


class AdapterError(MarketbridgeError):
    """A remote platform answered in a way the adapter cannot turn into a result."""

    code = "adapter_error"


class TemporaryFailure(AdapterError):
    """Worth retrying: timeouts, dropped connections, 5xx answers, malformed bodies.

    ``retry_after`` (seconds) is a hint; the engine otherwise backs off exponentially.
    """

    code = "temporary_failure"

    def __init__(self, message: str, *, retry_after: float | None = None, code: str | None = None, **params: Any) -> None:
        super().__init__(message, code=code, **params)
        self.retry_after = retry_after


class RateLimited(TemporaryFailure):
    """The remote's quota is used up (HTTP 429 or the adapter's own token bucket).

    ``retry_after`` is required: the job is rescheduled for then, no worker sleeps.
    """

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float, operation: str | None = None, **params: Any) -> None:
        super().__init__(message, retry_after=retry_after, operation=operation, **params)
        self.operation = operation


class AuthenticationFailed(AdapterError):
    """Credentials are wrong, expired or revoked, or lack a permission.

    The message must tell the merchant exactly what to fix ("the API key lacks
    the *orders: write* permission"). The engine pauses the shop or account's
    jobs and shows the problem until the credentials are changed.
    """

    code = "authentication_failed"


class OrderRejected(AdapterError):
    """The shop refused this particular order (unknown product, field rejected, …).

    The order is held with this reason and retried when the merchant fixes the
    cause or releases it; it never blocks other orders.
    """

    code = "order_rejected"


class DeliveryRejected(AdapterError):
    """The marketplace refused an outgoing message for good (wrong carrier code, …).

    The outbox message is marked failed, a sync problem explains it, and the
    merchant can correct and resend it.
    """

    code = "delivery_rejected"


class ConfigurationError(MarketbridgeError):
    """The host or a plugin is set up wrongly (raised at start-up, never during sync)."""

    code = "configuration_error"
