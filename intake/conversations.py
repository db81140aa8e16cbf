"""Erase or purge conversations in Rasa's SQL tracker store.

Why: a consultation conversation holds the same personal data as the request (the
form's slots, every message). Erasing a request without its conversation would keep
what the person asked us to delete. Rasa's SQLTrackerStore keeps one row per event in
table ``events`` keyed by ``sender_id`` (the conversation id), with a float Unix
``timestamp``.

Note: do not call ``erase_conversation`` from inside a Rasa action for the *current*
conversation: Rasa saves the in-memory tracker after the action, re-inserting every
event. The tracker store itself erases on save instead (rasa_server/stores/tracker_store.py); these
functions are for the admin CLI (erase on request, retention purge).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

from sqlalchemy import MetaData, Table, create_engine, delete, func, inspect, select
from sqlalchemy.engine import Engine, make_url

from firm import resolve_database_url

logger = logging.getLogger(__name__)

EVENTS_TABLE = "events"


def _engine_if_present(tracker_database_url: str) -> Optional[Engine]:
    """An engine for the tracker DB, or None when an SQLite file does not exist.

    Why: erasing must never create an empty tracker database as a side effect.
    """
    url = make_url(resolve_database_url(tracker_database_url))
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:" or not Path(url.database).exists():
            return None
        return create_engine(url, future=True, connect_args={"timeout": 30})
    return create_engine(url, future=True, pool_pre_ping=True, connect_args={"connect_timeout": 10}
                         if url.get_backend_name() == "postgresql" else {})


def _events_table(engine: Engine) -> Optional[Table]:
    if not inspect(engine).has_table(EVENTS_TABLE):
        return None
    return Table(EVENTS_TABLE, MetaData(), autoload_with=engine)


def erase_conversation(tracker_database_url: Optional[str], conversation_id: str) -> int:
    """Delete every tracker event of one conversation; returns the number of rows deleted.

    A missing database file or a missing ``events`` table means there is nothing to
    erase (0), not an error.
    """
    if not tracker_database_url or not conversation_id:
        return 0
    engine = _engine_if_present(tracker_database_url)
    if engine is None:
        return 0
    try:
        events = _events_table(engine)
        if events is None:
            return 0
        with engine.begin() as connection:
            result = connection.execute(delete(events).where(events.c.sender_id == conversation_id))
            return int(result.rowcount or 0)
    finally:
        engine.dispose()


def purge_conversations(tracker_database_url: Optional[str], older_than_days: int,
                        now: Optional[datetime] = None) -> int:
    """Delete whole conversations whose last event is older than ``older_than_days``.

    Whole conversations (by their latest event) rather than single old events, so an
    ongoing conversation is never cut in the middle. Returns rows deleted.
    """
    if not tracker_database_url:
        return 0
    engine = _engine_if_present(tracker_database_url)
    if engine is None:
        return 0
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=older_than_days)
    try:
        events = _events_table(engine)
        if events is None:
            return 0
        stale = (select(events.c.sender_id).group_by(events.c.sender_id)
                 .having(func.max(events.c.timestamp) < cutoff.timestamp()))
        with engine.begin() as connection:
            result = connection.execute(delete(events).where(events.c.sender_id.in_(stale)))
            return int(result.rowcount or 0)
    finally:
        engine.dispose()
