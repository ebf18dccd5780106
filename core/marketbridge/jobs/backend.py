"""Which task engine runs the jobs, chosen by the ``JOBS`` setting.

Huey gives one code path for all of them (why Huey and not Celery: the same
task functions run embedded on SQLite with no extra service, and on Redis or
PostgreSQL when one machine is not enough; Celery has no embedded SQLite
broker and brings a much larger operational surface for what are, here,
short "run this stream now" triggers — all real state lives in our database).

* ``sqlite`` – embedded default: a queue file in the instance folder.
* ``redis://host:port/db`` – Redis.
* ``postgresql://…`` – PostgreSQL (LISTEN/NOTIFY).
* ``immediate`` – run each task inline when enqueued (tests, one-off commands).
"""
from __future__ import annotations

from pathlib import Path

from huey import Huey, MemoryHuey, PostgresHuey, RedisHuey, SqliteHuey

from marketbridge.errors import ConfigurationError


def make_huey(spec: str, instance_path: str, name: str = "marketbridge") -> Huey:
    """Build the Huey instance for ``spec`` (see module docstring)."""
    spec = (spec or "sqlite").strip()
    if spec == "immediate":
        return MemoryHuey(name, immediate=True)
    if spec == "sqlite":
        return SqliteHuey(name, filename=str(Path(instance_path) / "jobs.sqlite"))
    if spec.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=spec)
    if spec.startswith(("postgresql://", "postgres://")):
        return PostgresHuey(name, dsn=spec.replace("postgres://", "postgresql://", 1))
    raise ConfigurationError(f"Unknown job backend {spec!r}: use sqlite, immediate, redis://… or postgresql://…")
