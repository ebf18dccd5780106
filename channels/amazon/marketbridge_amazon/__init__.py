"""Marketbridge's Amazon Selling Partner API channel.

The adapter (:class:`marketbridge_amazon.adapter.AmazonChannel`) is registered
through the ``marketbridge`` entry point in :mod:`marketbridge_amazon.plugin`;
:mod:`marketbridge_amazon.emulator` is the SP-API emulator used by tests,
benchmarks and the app's demo mode.
"""
