"""How a PrestaShop product or combination is named to Marketbridge.

A simple product is ``"<id_product>"``; a combination (variant) is
``"<id_product>-<id_product_attribute>"``, the notation PrestaShop's own
product exports and feed modules use.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class ProductKey:
    """A product (``attribute == 0``) or one of its combinations."""

    product: int
    attribute: int = 0

    def __str__(self) -> str:
        return str(self.product) if self.attribute == 0 else f"{self.product}-{self.attribute}"

    @property
    def is_combination(self) -> bool:
        return self.attribute != 0

    @classmethod
    def parse(cls, value: str) -> ProductKey | None:
        """Read ``"12"`` or ``"12-3"``; ``None`` for anything else."""
        head, separator, tail = value.strip().partition("-")
        if not head.isdigit() or (separator and not tail.isdigit()) or int(head) == 0:
            return None
        return cls(int(head), int(tail) if tail else 0)
