"""The Dagster instance of a build: the stock SQLite storage, written faster.

Measured (500 partitions, trivial work, this 2-core machine): the stock
``SqliteEventLogStorage`` creates a new SQLAlchemy engine for every event it stores, so every
statement is compiled again (its compiled cache lives on the engine) and every commit is
fsynced: about 30 ms per event, and a run over 500 partitions of 6 assets stores ~6,000
events (a planned and a materialization event per asset and partition) — 185 s of a 234 s
build. ``FastSqliteEventLogStorage`` writes the very same files and tables (the UI and the
daemon read them with the stock class) but keeps one engine per database file and commits
with ``synchronous=NORMAL`` (WAL mode: a crash loses at most the last events, never
corrupts the file); ``store_event_batch`` writes a step's batch of materializations in two
transactions. ``DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS`` (a Dagster switch) logs one
planned event per asset for a whole partition range instead of one per partition.

Everything here uses the storage class's documented configuration (``event_log_storage`` in
dagster.yaml) but overrides two of its private methods; it is pinned to Dagster 1.13 and
covered by tests/test_definitions.py (the materializations it stores are read back)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import event as sa_event
from sqlalchemy.pool import NullPool

PLANNED_EVENTS_ENV = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"
BATCH_ENV = "DAGSTER_EVENT_BATCH_SIZE"


def _pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class FastSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with one cached engine per shard and batched writes."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: dict[str, object] = {}
        self._tables: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    def has_table(self, table_name: str) -> bool:
        """Asked before every tag write and partition lookup (the stock class opens a new
        engine each time); a table, once there, stays."""
        if table_name in self._tables:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables.add(table_name)
        return found

    @classmethod
    def from_config_value(cls, inst_data, config_value):  # ty: ignore[invalid-method-override]
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str):
        engine = self._engines.get(shard)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=NullPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            )
            sa_event.listen(engine, "connect", _pragmas)
            self._engines[shard] = engine
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def store_event_batch(self, events: Sequence) -> None:
        """A batch of asset events of one run (Dagster sends the materializations of a partition
        range this way): one insert into the run's database, then the index rows; each event is
        serialized once, and the asset's latest-event row is updated once per asset key (the
        stock loop rewrites it for every event, and the last write wins)."""
        from dagster._core.events import ASSET_EVENTS
        from dagster._core.storage.event_log.schema import SqlEventLogStorageTable

        if not events or any(
            not e.is_dagster_event or e.dagster_event_type not in ASSET_EVENTS or e.run_id != events[0].run_id
            for e in events
        ):
            for e in events:
                self.store_event(e)
            return
        rows = [self._event_to_row(e) for e in events]
        with self.run_connection(events[0].run_id) as conn:
            conn.execute(SqlEventLogStorageTable.insert(), rows)
        with self.index_transaction() as conn:
            ids = [conn.execute(SqlEventLogStorageTable.insert().values(**row)).inserted_primary_key[0] for row in rows]
            self._store_asset_event_tags(conn, list(events), ids)
            last: dict = {}  # (asset, event type) -> position of its last event in the batch
            for i, e in enumerate(events):
                last[(e.dagster_event.asset_key, e.dagster_event_type)] = i
            for i in sorted(last.values()):  # same final row as storing every event in order
                self._store_asset_event(conn, events[i], ids[i])

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        super().dispose()


def instance_overrides(home: Path) -> dict:
    """``dagster.yaml`` keys making an instance use ``FastSqliteEventLogStorage``."""
    return {
        "event_log_storage": {
            "module": "pipelines.instance",
            "class": "FastSqliteEventLogStorage",
            "config": {"base_dir": str(home / "history" / "runs")},
        }
    }


def build_instance(home: Path):
    """The persistent instance in ``home`` (its dagster.yaml, plus the faster event storage)."""
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    os.environ.setdefault(PLANNED_EVENTS_ENV, "1")
    os.environ.setdefault(BATCH_ENV, "1000")
    return DagsterInstance.from_ref(InstanceRef.from_dir(str(home), overrides=instance_overrides(home)))
