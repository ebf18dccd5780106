"""Magento ``searchCriteria`` query strings and Magento's timestamp format.

Magento searches (``GET /V1/orders``, ``/V1/products``, ``/V1/shipments``,
``/V1/inventory/source-items`` …) take filters as bracketed query parameters::

    searchCriteria[filter_groups][0][filters][0][field]=sku
    searchCriteria[filter_groups][0][filters][0][value]=A,B
    searchCriteria[filter_groups][0][filters][0][condition_type]=in

Filters inside one group are OR'ed, groups are AND'ed (specs/magento/NOTES.md,
"searchCriteria syntax and pagination"). Dates are UTC ``YYYY-MM-DD HH:MM:SS``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

MAGENTO_TIME = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Filter:
    """One ``searchCriteria`` filter; ``condition`` is Magento's ``condition_type``."""

    field: str
    value: str
    condition: str = "eq"


def search_params(groups: Sequence[Sequence[Filter]], *, sort: Sequence[tuple[str, str]] = (),
                  page_size: int | None = None, page: int | None = None) -> dict[str, str]:
    """Build the query parameters of a search: ``groups`` AND'ed, filters inside a group OR'ed."""
    params: dict[str, str] = {}
    for g, group in enumerate(groups):
        for f, flt in enumerate(group):
            prefix = f"searchCriteria[filter_groups][{g}][filters][{f}]"
            params[f"{prefix}[field]"] = flt.field
            params[f"{prefix}[value]"] = flt.value
            params[f"{prefix}[condition_type]"] = flt.condition
    for i, (field, direction) in enumerate(sort):
        params[f"searchCriteria[sortOrders][{i}][field]"] = field
        params[f"searchCriteria[sortOrders][{i}][direction]"] = direction
    if page_size is not None:
        params["searchCriteria[pageSize]"] = str(page_size)
        params["searchCriteria[currentPage]"] = str(page or 1)
    return params


def has_more(page: int, page_size: int, total_count: int) -> bool:
    """Whether pages follow ``page``. Magento repeats the last page past the end, so
    paging must stop by ``total_count``, never "until empty"."""
    return page < math.ceil(total_count / page_size) if page_size > 0 else False


def magento_time(moment: datetime) -> str:
    """An aware datetime as Magento's UTC ``YYYY-MM-DD HH:MM:SS``."""
    return moment.astimezone(timezone.utc).strftime(MAGENTO_TIME)


def parse_magento_time(text: str) -> datetime:
    """Magento's ``YYYY-MM-DD HH:MM:SS`` (UTC) as an aware datetime; raises ``ValueError``."""
    return datetime.strptime(text[:19], MAGENTO_TIME).replace(tzinfo=timezone.utc)
