"""Jobs: polling, import, delivery, stock and housekeeping, on a pluggable task engine.

Code that wants work done soon calls :func:`enqueue_connection`,
:func:`enqueue_delivery`; the scheduler
(:mod:`.runner`) enqueues due work every few seconds. The functions that do
the work live in :mod:`.work` and take the host, so tests call them directly
with a fake clock and never wait for a worker.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import Flask, current_app
from huey import Huey

from marketbridge.jobs.backend import make_huey


@dataclass
class Jobs:
    """The app's task engine and its registered tasks."""

    huey: Huey
    connection_cycle: Callable[[int], Any]
    deliver: Callable[[int], Any]
    shop_cycle: Callable[[int], Any]
    housekeeping: Callable[[], Any]
    tick: Callable[[], Any]


def init_app(app: Flask) -> None:
    """Create the task engine from the ``JOBS`` setting and register the tasks."""
    huey = make_huey(str(app.config.get("JOBS", "sqlite")), app.instance_path, str(app.config["JOBS_QUEUE"]))

    def in_app(fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            from marketbridge.host import current_host

            with app.app_context():
                return fn(current_host(), *args)

        run.__name__ = fn.__name__
        return run

    from marketbridge.jobs import work

    def tick(host: Any) -> tuple[int, int]:
        connections, shops = work.due_work(host)
        for connection_id in connections:
            jobs.connection_cycle(connection_id)
        for shop_id in shops:
            jobs.shop_cycle(shop_id)
        return len(connections), len(shops)

    retention = int(app.config["PII_RETENTION_DAYS"])
    jobs = Jobs(
        huey=huey,
        connection_cycle=huey.task(name="connection_cycle")(in_app(work.connection_cycle)),
        deliver=huey.task(name="deliver")(in_app(work.deliver)),
        shop_cycle=huey.task(name="shop_cycle")(in_app(work.shop_cycle)),
        housekeeping=huey.task(name="housekeeping")(in_app(lambda host: work.housekeeping_cycle(host, retention))),
        tick=huey.task(name="tick")(in_app(tick)),
    )
    app.extensions["marketbridge.jobs"] = jobs


def current_jobs() -> Jobs:
    """The :class:`Jobs` of the current app."""
    jobs: Jobs = current_app.extensions["marketbridge.jobs"]
    return jobs


def enqueue_connection(connection_id: int, *, fetch_now: bool = False) -> None:
    """Run a connection cycle (fetch, import, deliver) soon.

    ``fetch_now`` fetches orders without waiting for the poll interval: call
    it from a channel's webhook endpoint when the marketplace announces a change.
    """
    current_jobs().connection_cycle(connection_id, fetch_now)


def enqueue_delivery(connection_id: int) -> None:
    """Deliver a connection's outbox soon (webhook endpoints call this after recording events)."""
    current_jobs().deliver(connection_id)
