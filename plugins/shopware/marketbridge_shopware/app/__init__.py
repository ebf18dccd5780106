"""The pure pieces of the Shopware app system (APP-SYSTEM.md): signatures, the registration
handshake, webhook verification and parsing, signed admin-module links and the short
sessions that follow them. The web layer mounts them on routes; nothing here does I/O.
"""
