"""Example plugins: a tiny shop platform and a tiny marketplace, each an emulator plus its adapter.

They are real plugins (adapters speaking HTTP to emulators on a local port,
registered through hooks) and serve three purposes: the host's own tests run
the whole engine with them (like datasette's ``tests/plugins/``); a shop
plugin's end-to-end tests use the example marketplace as the other end of a
connection (fixture ``engine_loop``); and the plugin guide walks through
them as the smallest complete shop and channel.
"""
