"""The intake database: an engine that connects lazily and tables created on first use.

Shared by the request store and the outbox store, which work on the same engine.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import create_engine, event, insert, inspect, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError

from firm import resolve_database_url
from intake.crypto import KEY_CHECK_TEXT, DataCipher, DataKeyError, cipher_from_environment
from intake.schema import key_check_table, metadata

logger = logging.getLogger(__name__)


class SqlDatabase:
    """An SQLAlchemy engine (SQLite file or PostgreSQL) whose tables are created once, when first needed."""

    def __init__(self, engine: Engine, cipher: Optional[DataCipher] = None) -> None:
        self.engine = engine
        # The data key is required up front: a store that cannot encrypt must not start.
        self.cipher = cipher or cipher_from_environment()
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def _upgrade(self) -> None:
        """Bring a database created before encryption up to date: the columns added since, and
        (PostgreSQL) the personal columns widened to text for their tokens."""
        added = {"intake_requests": {"email_hash": "VARCHAR(64)", "assigned_to": "VARCHAR(64)",
                                     "chat_language": "VARCHAR(8)"},
                 "intake_audit_log": {"actor": "VARCHAR(64)", "target": "VARCHAR(32)"}}
        with self.engine.begin() as connection:
            inspector = inspect(connection)
            for table, columns in added.items():
                present = {column["name"] for column in inspector.get_columns(table)}
                for name, kind in columns.items():
                    if name not in present:
                        connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {kind}"))
                        logger.warning("Intake database upgraded: added %s.%s", table, name)
            if connection.dialect.name == "postgresql":
                for column in inspector.get_columns("intake_requests"):
                    if column["name"] in ("full_name", "email", "phone", "current_country", "issuing_country") \
                            and getattr(column["type"], "length", None):
                        connection.execute(text(f"ALTER TABLE intake_requests ALTER COLUMN {column['name']} TYPE text"))

    def check_key(self) -> None:
        """Raise DataKeyError unless the data key is the one this database was written with.

        The first process to use a new database stores a token of a known text under its key.
        """
        with self.engine.begin() as connection:
            row = connection.execute(select(key_check_table).where(key_check_table.c.id == 1)).mappings().first()
            if row is None:
                connection.execute(insert(key_check_table).values(
                    id=1, token=self.cipher.encrypt(KEY_CHECK_TEXT), fingerprint=self.cipher.fingerprint))
                return
        if not self.cipher.opens(row["token"]):
            raise DataKeyError(
                f"INTAKE_DATA_KEY (fingerprint {self.cipher.fingerprint}) is not the key this intake database "
                f"was encrypted with (fingerprint {row['fingerprint']}). Nothing was changed; start again with "
                "the right key (after `python -m intake.admin rotate-key`, the new one).")

    def ensure_schema(self) -> None:
        """Create missing tables and check the data key (once per process); retried after a failure."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            try:
                metadata.create_all(self.engine)
            except IntegrityError:
                # Another process created the same tables at the same moment (PostgreSQL).
                metadata.create_all(self.engine)
            self._upgrade()
            try:
                self.check_key()
            except IntegrityError:
                # Another process stored the key check at the same moment.
                self.check_key()
            self._schema_ready = True

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()

    def _begin(self) -> Any:
        self.ensure_schema()
        return self.engine.begin()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on, wait (not fail) on a locked file, WAL so readers do not block the writer."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    # Deleted rows (erasure, purge, the clear text replaced by rotate-key) are overwritten, not
    # left in free pages of the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def compact_sqlite(database_url: Optional[str]) -> None:
    """VACUUM an SQLite database (no-op for others): rewrites the file without free pages, so
    nothing replaced or deleted (clear text from before encryption) stays readable in it."""
    if not database_url:
        return
    url = make_url(resolve_database_url(database_url))
    if url.get_backend_name() != "sqlite" or not url.database or not Path(url.database).exists():
        return
    engine = create_engine(url, future=True, connect_args={"timeout": 30})
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.exec_driver_sql("VACUUM")
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def create_store_engine(database_url: str) -> Engine:
    """An engine suited to the intake store on SQLite or PostgreSQL; connects lazily.

    Why lazily: creating the engine must not fail while the database is down, so that
    requests can still be spooled.
    """
    url = make_url(resolve_database_url(database_url))
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database and url.database != ":memory:":
            try:
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                logger.error("Cannot create the folder of the intake database %s: %s", url.database, error)
        engine = create_engine(url, future=True, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {"connect_timeout": 5} if backend == "postgresql" else {}
    return create_engine(url, future=True, pool_pre_ping=True, connect_args=connect_args)

