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

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

from sqlalchemy import MetaData, Table, create_engine, delete, func, inspect, select, update
from sqlalchemy.engine import Engine, make_url

from firm import resolve_database_url
from intake.crypto import DataCipher, is_token

logger = logging.getLogger(__name__)

EVENTS_TABLE = "events"
T = TypeVar("T")


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


def _on_events(tracker_database_url: Optional[str], work: Callable[[Engine, Table], T], nothing: T) -> T:
    """``work(engine, events)`` on the tracker store, or ``nothing`` when there is no tracker URL,
    no database file or no ``events`` table (never an error, and nothing is created)."""
    if not tracker_database_url:
        return nothing
    engine = _engine_if_present(tracker_database_url)
    if engine is None:
        return nothing
    try:
        events = _events_table(engine)
        return nothing if events is None else work(engine, events)
    finally:
        engine.dispose()


def erase_conversation(tracker_database_url: Optional[str], conversation_id: str) -> int:
    """Delete every tracker event of one conversation; returns the number of rows deleted.

    A missing database file or a missing ``events`` table means there is nothing to
    erase (0), not an error.
    """
    def work(engine: Engine, events: Table) -> int:
        with engine.begin() as connection:
            result = connection.execute(delete(events).where(events.c.sender_id == conversation_id))
            return int(result.rowcount or 0)

    return _on_events(tracker_database_url, work, 0) if conversation_id else 0


def purge_conversations(tracker_database_url: Optional[str], older_than_days: int,
                        now: Optional[datetime] = None) -> int:
    """Delete whole conversations whose last event is older than ``older_than_days``.

    Whole conversations (by their latest event) rather than single old events, so an
    ongoing conversation is never cut in the middle. Returns rows deleted.
    """
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=older_than_days)

    def work(engine: Engine, events: Table) -> int:
        stale = (select(events.c.sender_id).group_by(events.c.sender_id)
                 .having(func.max(events.c.timestamp) < cutoff.timestamp()))
        with engine.begin() as connection:
            result = connection.execute(delete(events).where(events.c.sender_id.in_(stale)))
            return int(result.rowcount or 0)

    return _on_events(tracker_database_url, work, 0)


def conversation_events(tracker_database_url: Optional[str], conversation_id: str,
                        cipher: DataCipher) -> list[dict[str, Any]]:
    """Every stored event of one conversation, decrypted, oldest first (for the desk's transcript)."""
    def work(engine: Engine, events: Table) -> list[dict[str, Any]]:
        with engine.connect() as connection:
            rows = connection.execute(select(events.c.data).where(events.c.sender_id == conversation_id)
                                      .order_by(events.c.id)).scalars().all()
        return [json.loads(cipher.decrypt(data) if is_token(data) else data) for data in rows]

    return _on_events(tracker_database_url, work, []) if conversation_id else []


def transcript(events: list[dict[str, Any]]) -> list[tuple[str, str, float]]:
    """(who, text, timestamp) of each message in the events: "person" or "assistant"."""
    speakers = {"user": "person", "bot": "assistant"}
    return [(speakers[event["event"]], str(event["text"]), float(event.get("timestamp") or 0))
            for event in events if event.get("event") in speakers and event.get("text")]


def reencrypt_conversations(tracker_database_url: Optional[str], old: DataCipher, new: DataCipher,
                            batch: int = 500) -> int:
    """Re-encrypt every event under ``new`` (clear rows from before encryption too), in one
    transaction; returns how many rows. Raises DataKeyError, changing nothing, when ``old``
    does not open a row."""
    def work(engine: Engine, events: Table) -> int:
        count = 0
        with engine.begin() as connection:
            last_id = 0
            while True:
                rows = connection.execute(select(events.c.id, events.c.data).where(events.c.id > last_id)
                                          .order_by(events.c.id).limit(batch)).all()
                if not rows:
                    break
                for row_id, data in rows:
                    clear = old.decrypt(data) if is_token(data) else data
                    connection.execute(update(events).where(events.c.id == row_id).values(data=new.encrypt(clear)))
                    count += 1
                last_id = rows[-1][0]
        return count

    return _on_events(tracker_database_url, work, 0)
