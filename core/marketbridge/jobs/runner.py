"""Running the jobs: the embedded worker (one process) and the scheduler.

Embedded mode (the default) runs a Huey consumer in threads inside the web
process plus a scheduler thread; ``marketbridge worker`` runs the same
consumer in its own process for the scale-out setup, and one of the workers
(``--beat``) runs the scheduler.
"""
from __future__ import annotations

import logging
import threading

from flask import Flask
from huey.consumer import Consumer

from marketbridge.jobs import Jobs

log = logging.getLogger(__name__)
HOUSEKEEPING_EVERY_TICKS = 720  # hourly at the default 5-second tick


class Scheduler(threading.Thread):
    """Enqueues due work every ``TICK_SECONDS`` and housekeeping every hour."""

    def __init__(self, app: Flask) -> None:
        super().__init__(name="marketbridge-scheduler", daemon=True)
        self.jobs: Jobs = app.extensions["marketbridge.jobs"]
        self.interval = float(app.config["TICK_SECONDS"])
        self._stop = threading.Event()

    def run(self) -> None:
        ticks = 0
        while not self._stop.is_set():
            try:
                self.jobs.tick()
                if ticks % HOUSEKEEPING_EVERY_TICKS == 0:
                    self.jobs.housekeeping()
            except Exception:  # noqa: BLE001 - the scheduler must survive a failing enqueue (broker restart)
                log.exception("scheduling failed; retrying at the next tick")
            ticks += 1
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()


class EmbeddedWorker:
    """A Huey consumer in threads plus the scheduler, started and stopped together."""

    def __init__(self, app: Flask, workers: int = 2, beat: bool = True) -> None:
        jobs: Jobs = app.extensions["marketbridge.jobs"]
        self.consumer = Consumer(jobs.huey, workers=workers, worker_type="thread", periodic=False,
                                 initial_delay=0.1, max_delay=1.0)
        self.scheduler = Scheduler(app) if beat else None

    def start(self) -> None:
        self.consumer.start()
        if self.scheduler is not None:
            self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        self.consumer.stop(graceful=True)
