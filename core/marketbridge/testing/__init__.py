"""The testing toolkit shared by core and every plugin.

* :mod:`.emulator` – base for WSGI platform emulators served on a real local port.
* :mod:`.faults` – switches that make an emulator fail (status codes, timeouts,
  malformed bodies, dropped connections).
* :mod:`.contract` – checks requests and responses against a saved API spec.
* :mod:`.pytest_plugin` – fixtures (app, databases, clock, wired connections),
  registered automatically through the ``pytest11`` entry point.

The injectable clock is :class:`marketbridge.clock.FakeClock`; rate-limit
buckets are :class:`marketbridge.ratelimit.TokenBucket`.
"""
from marketbridge.testing.contract import ContractError, SpecContract
from marketbridge.testing.emulator import Emulator, EmulatorServer, RecordedRequest
from marketbridge.testing.faults import Fault, FaultSwitches

__all__ = ["ContractError", "Emulator", "EmulatorServer", "Fault", "FaultSwitches", "RecordedRequest", "SpecContract"]
