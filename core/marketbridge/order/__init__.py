"""The canonical order: the one shape every channel produces and every shop consumes.

``model`` holds the dataclasses code works with; ``schema`` holds the marshmallow
schemas that validate a channel's output and (de)serialise orders for storage.
"""
from marketbridge.order.model import (
    Address,
    Buyer,
    FulfilmentChannel,
    Money,
    Order,
    OrderFlags,
    OrderLine,
    OrderStatus,
    Promise,
    Shipping,
)
from marketbridge.order.schema import OrderSchema, load_order, dump_order, validation_summary

__all__ = [
    "Address",
    "Buyer",
    "FulfilmentChannel",
    "Money",
    "Order",
    "OrderFlags",
    "OrderLine",
    "OrderStatus",
    "Promise",
    "Shipping",
    "OrderSchema",
    "load_order",
    "dump_order",
    "validation_summary",
]
