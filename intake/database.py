"""The intake database: an engine that connects lazily and tables created on first use.

Shared by the request store and the outbox store, which work on the same engine.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError

from firm import resolve_database_url
from intake.schema import metadata

logger = logging.getLogger(__name__)


class SqlDatabase:
    """An SQLAlchemy engine (SQLite file or PostgreSQL) whose tables are created once, when first needed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def ensure_schema(self) -> None:
        """Create missing tables (once per process); retried after a failure."""
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
    cursor.close()


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

