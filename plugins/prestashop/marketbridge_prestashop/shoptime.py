"""PrestaShop dates: naive ``YYYY-MM-DD HH:MM:SS`` strings in the shop's time zone (``PS_TIMEZONE``)."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

FORMAT = "%Y-%m-%d %H:%M:%S"
EMPTY = "0000-00-00 00:00:00"


def to_shop(moment: datetime, zone: ZoneInfo) -> str:
    """Format an aware datetime the way the shop stores it."""
    return moment.astimezone(zone).strftime(FORMAT)


def from_shop(value: str, zone: ZoneInfo) -> datetime | None:
    """Parse a shop date into aware UTC; ``None`` for PrestaShop's empty date or garbage."""
    if not value or value.startswith("0000-00-00"):
        return None
    try:
        naive = datetime.strptime(value[:19], FORMAT)
    except ValueError:
        return None
    return naive.replace(tzinfo=zone).astimezone(timezone.utc)
