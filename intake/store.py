"""Durable storage of consultation requests, their notification outbox and an audit log.

``open_store()`` gives one ``SqlIntakeStore``: the request store (``intake.request_store``)
and the outbox store (``intake.outbox_store``) on one engine, so that submit writes a
request and its outbox rows in one transaction. Its interface is
``intake.store_interface.IntakeStore``; the tables are in ``intake.schema``.

Parameterised SQLAlchemy Core queries only: names with apostrophes, SQL fragments,
HTML, emoji and right-to-left text are stored verbatim.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from sqlalchemy.exc import SQLAlchemyError

from firm import Settings, get_settings
from intake.database import create_store_engine
from intake.outbox_store import SqlOutboxStore
from intake.request_store import SqlRequestStore
from intake.spool import Spool

logger = logging.getLogger(__name__)


class SqlIntakeStore(SqlRequestStore, SqlOutboxStore):
    """IntakeStore on any SQLAlchemy database (SQLite file or PostgreSQL): requests and outbox on one engine."""


def open_store(database_url: Optional[str] = None, settings: Optional[Settings] = None,
               spool_dir: Optional[Any] = None) -> SqlIntakeStore:
    """Open the intake store (default: the settings' database_url and spool_dir).

    Tables are created on first use, not here, so that the assistant starts (and
    spools requests) even while the database is still down.
    """
    settings = settings or get_settings()
    engine = create_store_engine(database_url or settings.intake.database_url)
    spool = Spool(spool_dir if spool_dir is not None else settings.intake.spool_dir)
    store = SqlIntakeStore(engine, settings, spool)
    try:
        store.ensure_schema()
    except SQLAlchemyError as error:
        logger.error("Intake database not reachable yet (%s); requests will be spooled until it is.",
                     type(error).__name__)
    return store
