"""The SQLAlchemy handle and column types shared by every model."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, registry


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as an aware datetime.

    SQLite has no time zones and returns naive values; PostgreSQL returns
    aware ones. This type makes both look the same to the code.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use an aware datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING),
        type_annotation_map={
            datetime: UTCDateTime(),
            dict[str, Any]: sa.JSON(),
            list[Any]: sa.JSON(),
        },
    )


#: ``expire_on_commit=False``: the engine commits after every order so that a crash
#: loses nothing, and expiring every loaded row at each commit made the next
#: row access reload it from the database (a batch of N orders cost N² loads).
#: Work is serialised per stream by leases, and rows that must be current are
#: refreshed explicitly.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
