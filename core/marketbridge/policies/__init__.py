"""Core's default policies, each an ordinary plugin registered like third-party ones.

* :mod:`.import_checks` – ``order_import``: unmatched products (C5), missing weights (O4), inactive products.
* :mod:`.automation` – ``order_import``: the merchant's automation rules (O7).
* :mod:`.prime` – ``order_import``: Prime tag and pending-fulfilment status (O5).
* :mod:`.status_mapping` – ``map_status``: the connection's status mapping table (S1).
* :mod:`.stock` – ``stock_source``: shop or store quantity minus reservations (P1, K2).
* :mod:`.carriers` – ``detect_carrier``: merchant rules, then the default carrier (S4).
"""
