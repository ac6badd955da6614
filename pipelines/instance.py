"""The Dagster instance of a build: the stock SQLite storages, written faster.

Measured (500 partitions, trivial work, this 2-core machine): the stock
``SqliteEventLogStorage`` creates a new SQLAlchemy engine for every event it stores, so every
statement is compiled again (its compiled cache lives on the engine) and every commit is
fsynced: about 30 ms per event, and a run over 500 partitions of 6 assets stores ~6,000
events (a planned and a materialization event per asset and partition) — 185 s of a 234 s
build. ``FastSqliteEventLogStorage`` writes the very same files and tables (the UI and the
daemon read them with the stock class) but keeps one engine and one open connection per
database file (the index and the current run's), and commits with ``synchronous=NORMAL``
(WAL mode: a crash loses at most the last events, never corrupts the file). A connection
per call also cost a WAL checkpoint and its fsyncs at every close: 812 connections and
1.6 s of a 1x build, far more on a busy machine. ``store_event_batch`` writes a batch (a
step's materializations; the planned events of a run) in three transactions.
``FastSqliteRunStorage`` does the same for ``runs.db`` (the stock class builds an engine per
call: ~7 ms). ``DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS`` (a Dagster switch) logs one
planned event per asset for a whole partition range instead of one per partition.

The connections hold no transaction between calls, so other processes (``dg dev``, the
daemon) read and write the same files meanwhile. Everything here uses the storages'
documented configuration (``run_storage`` / ``event_log_storage`` in dagster.yaml) but
overrides private methods; it is pinned to Dagster 1.13 and covered by
tests/test_definitions.py (a stock instance reads back what it stores, the batch writes
what the stock loop writes)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import event as sa_event
from sqlalchemy.pool import StaticPool

PLANNED_EVENTS_ENV = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"
BATCH_ENV = "DAGSTER_EVENT_BATCH_SIZE"


def _pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class FastSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with one engine and one open connection per shard (the index
    and the current run's) and batched writes."""

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
            if shard != INDEX_SHARD_NAME:  # runs come one after another: close the previous one's file
                for name in [n for n in self._engines if n != INDEX_SHARD_NAME]:
                    self._engines.pop(name).dispose()
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=StaticPool,  # one connection, used under self._db_lock by one thread at a time
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
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
        """A batch of asset and asset-check events of one run (Dagster sends this way the
        materializations of a partition range, and the planned events at the start of a run):
        one insert into the run's database, the index rows in one transaction, each event
        serialized once, the asset's latest-event row updated once per asset key (the stock
        loop rewrites it for every event, and the last write wins); then each check's execution
        row, as ``store_event`` does."""
        from dagster._core.events import ASSET_CHECK_EVENTS, ASSET_EVENTS
        from dagster._core.storage.event_log.schema import SqlEventLogStorageTable

        if not events or any(
            not e.is_dagster_event
            or e.dagster_event_type not in ASSET_EVENTS | ASSET_CHECK_EVENTS
            or e.run_id != events[0].run_id
            for e in events
        ):
            for e in events:
                self.store_event(e)
            return
        rows = [self._event_to_row(e) for e in events]
        insert = SqlEventLogStorageTable.insert()  # compiled once, executed per row
        with self.run_connection(events[0].run_id) as conn:
            conn.execute(insert, rows)
        assets = [i for i, e in enumerate(events) if e.dagster_event_type in ASSET_EVENTS]
        with self.index_transaction() as conn:
            ids = [conn.execute(insert, row).inserted_primary_key[0] for row in rows]
            self._store_asset_event_tags(conn, [events[i] for i in assets], [ids[i] for i in assets])
            last: dict = {}  # (asset, event type) -> position of its last event in the batch
            for i in assets:
                last[(events[i].dagster_event.asset_key, events[i].dagster_event_type)] = i
            for i in sorted(last.values()):  # same final row as storing every event in order
                self._store_asset_event(conn, events[i], ids[i])
        for event, event_id in zip(events, ids):
            if event.dagster_event_type in ASSET_CHECK_EVENTS:
                self.store_asset_check_event(event, event_id)

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        super().dispose()


class FastSqliteRunStorage(SqliteRunStorage):
    """``SqliteRunStorage`` (``runs.db``) with one engine and one connection kept open: the
    stock class creates an engine and a connection per call (~7 ms of CPU each), and each
    close of the WAL database checkpoints and syncs it."""

    def __init__(self, conn_string: str, inst_data=None):
        super().__init__(conn_string, inst_data)
        self._lock = threading.RLock()
        self._engine = None
        self._open = None  # the connection of the transaction in progress (this thread's: under _lock)

    @classmethod
    def from_config_value(cls, inst_data, config_value):  # ty: ignore[invalid-method-override]
        return cls.from_local(inst_data=inst_data, **config_value)

    @contextmanager
    def connect(self) -> Iterator:
        with self._lock:
            if self._open is not None:  # nested call: join the transaction in progress
                yield self._open
                return
            if self._engine is None:
                self._engine = create_engine(
                    self._conn_string,
                    poolclass=StaticPool,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
                )
                sa_event.listen(self._engine, "connect", _pragmas)
            with self._engine.connect() as conn, conn.begin():
                self._open = conn
                try:
                    yield conn
                finally:
                    self._open = None

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
        super().dispose()


def instance_overrides(home: Path) -> dict:
    """``dagster.yaml`` keys making an instance use the storages above (same files as the
    stock SQLite storages of ``home``)."""
    return {
        "run_storage": {
            "module": "pipelines.instance",
            "class": "FastSqliteRunStorage",
            "config": {"base_dir": str(home / "history")},
        },
        "event_log_storage": {
            "module": "pipelines.instance",
            "class": "FastSqliteEventLogStorage",
            "config": {"base_dir": str(home / "history" / "runs")},
        },
    }


def build_instance(home: Path):
    """The persistent instance in ``home`` (its dagster.yaml, plus the faster event storage)."""
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    os.environ.setdefault(PLANNED_EVENTS_ENV, "1")
    os.environ.setdefault(BATCH_ENV, "1000")
    return DagsterInstance.from_ref(InstanceRef.from_dir(str(home), overrides=instance_overrides(home)))
