"""The sync engine. Follow an order through the folder:

* :mod:`.inbox` – orders **enter**: fetched from the channel, upserted with the cursor.
* :mod:`.pipeline` – an order **becomes a shop order**: policies, claim, lookup, create.
* :mod:`.shop_changes` – the merchant's statuses and shipments become outbox messages.
* :mod:`.outbox` – shipments and statuses **leave** for the marketplace.
* :mod:`.stock` / :mod:`.stock_delivery` – stock changes queued and sent in batches.

Support modules: :mod:`.leases` (one worker per stream), :mod:`.failures`
(what a failing stream does), :mod:`.retry` (backoff), :mod:`.problems` and
:mod:`.history` (what the merchant sees), :mod:`.checkpoints` (crash tests).
"""
