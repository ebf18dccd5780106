"""The SP-API emulator: a WSGI app for tests, the benchmark and the app's demo mode.

Operations (with the models' shapes, enums, pagination and error bodies):

* LWA ``POST /auth/o2/token``; Tokens ``createRestrictedDataToken``; Seller Central's consent page
* Orders 2026-01-01 ``searchOrders``, ``getOrder``; Orders v0 ``getOrders``,
  ``getOrderItems`` (naive baseline), ``confirmShipment``, ``updateShipmentStatus``
* Reports ``createReport``, ``getReport``, ``getReportDocument`` (+ download)
* Feeds ``createFeedDocument`` (+ upload), ``createFeed``, ``getFeed``, ``getFeedDocument``
* Listings Items ``patchListingsItem``
* Supply Sources ``getSupplySources``, ``createSupplySource``, ``getSupplySource``,
  ``updateSupplySource``, ``updateSupplySourceStatus``, ``archiveSupplySource``
* Sellers ``getMarketplaceParticipations``
* Shipping v2 (Buy Shipping) ``getRates``, ``purchaseShipment`` (labels, L1/L2)

Usage::

    emulator = AmazonEmulator(clock)
    emulator.add_orders(OrderGenerator(emulator.default_seller).orders(start, end, 500, now=clock.now()))
    with emulator.serve() as server:
        ...  # settings endpoint=server.url, lwa_token_url=server.url + "/auth/o2/token"
"""
from marketbridge_amazon.emulator.core import APPLICATION_ID, CLIENT_ID, CLIENT_SECRET, AmazonEmulator
from marketbridge_amazon.emulator.generator import Mix, OrderGenerator
from marketbridge_amazon.emulator.model import EmulatedOrder, Item
from marketbridge_amazon.emulator.supply_routes import add_store

__all__ = ["APPLICATION_ID", "AmazonEmulator", "CLIENT_ID", "CLIENT_SECRET", "EmulatedOrder", "Item", "Mix", "OrderGenerator",
           "add_store"]
