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
from typing import Any, Optional

from sqlalchemy import MetaData, Table, create_engine, delete, func, inspect, select, update
from sqlalchemy.engine import Engine, make_url

from firm import resolve_database_url
from intake.crypto import DataCipher, is_token

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


def conversation_events(tracker_database_url: Optional[str], conversation_id: str,
                        cipher: DataCipher) -> list[dict[str, Any]]:
    """Every stored event of one conversation, decrypted, oldest first (for the desk's transcript)."""
    if not tracker_database_url or not conversation_id:
        return []
    engine = _engine_if_present(tracker_database_url)
    if engine is None:
        return []
    try:
        events = _events_table(engine)
        if events is None:
            return []
        with engine.connect() as connection:
            rows = connection.execute(select(events.c.data).where(events.c.sender_id == conversation_id)
                                      .order_by(events.c.id)).scalars().all()
        return [json.loads(cipher.decrypt(data) if is_token(data) else data) for data in rows]
    finally:
        engine.dispose()


def transcript(events: list[dict[str, Any]]) -> list[tuple[str, str, float]]:
    """(who, text, timestamp) of each message in the events: "person" or "assistant"."""
    lines = []
    for event in events:
        if event.get("event") == "user" and event.get("text"):
            lines.append(("person", str(event["text"]), float(event.get("timestamp") or 0)))
        elif event.get("event") == "bot" and event.get("text"):
            lines.append(("assistant", str(event["text"]), float(event.get("timestamp") or 0)))
    return lines


def reencrypt_conversations(tracker_database_url: Optional[str], old: DataCipher, new: DataCipher,
                            batch: int = 500) -> int:
    """Re-encrypt every event under ``new`` (clear rows from before encryption too), in one
    transaction; returns how many rows. Raises DataKeyError, changing nothing, when ``old``
    does not open a row."""
    if not tracker_database_url:
        return 0
    engine = _engine_if_present(tracker_database_url)
    if engine is None:
        return 0
    try:
        events = _events_table(engine)
        if events is None:
            return 0
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
    finally:
        engine.dispose()
