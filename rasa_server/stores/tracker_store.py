"""Rasa's SQL tracker store, configured by one URL, able to erase a conversation, and cheap
however long the conversation gets.

Erasure: "delete my data" must also delete the conversation, but the action that hears it
runs in the middle of a turn: Rasa saves the tracker after the action, and would write the
deleted events back. So the action only sets `erasure_requested`, and this store, on that
save, deletes every stored event of the conversation instead of saving it.

Cost: Rasa's store reads and replays every event of the session on each message, and counts
them again before each save, so message 50 costs several times message 1. Here the tracker
a message leaves behind stays in memory (rasa_server/stores/tracker_cache.py) and the next message of
that conversation gets it back after one indexed query that proves the database holds
nothing newer (another Rasa server, an erasure or the staff tool may have written since).
Only the new events are inserted. The database stays the record: a restarted server, or one
that never saw the conversation, reads it from there as Rasa does.

Encryption at rest: every event's JSON (`data`: the messages, the form's slots) is stored as a
Fernet token under INTAKE_DATA_KEY (intake/crypto.py); rows written before encryption (clear
JSON) are still read. The server stops at start-up, with a clear message, when the key is
missing or does not open the newest stored event.
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from typing import Any, Dict, Iterator, Optional, Text

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from rasa.core.brokers.broker import EventBroker
from rasa.core.constants import POSTGRESQL_SCHEMA
from rasa.core.tracker_store import SQLTrackerStore, ensure_schema_exists
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.shared.utils.cli import print_error_and_exit

from intake.crypto import DataCipher, DataKeyError, cipher_from_environment, is_token
from rasa_server.stores.tracker_cache import Entry, TrackerCache

logger = logging.getLogger(__name__)

ERASURE_SLOT = "erasure_requested"
DEFAULT_CACHE_EVENTS = 60_000
# How many of a tracker's events are in the database, set on the trackers this store hands
# out (Rasa's tracker has no place for it, and is unhashable, so no side table can key it).
STORED_EVENTS_ATTRIBUTE = "_stored_events"


def sqlite_engine(url: Any) -> Engine:
    """One pooled connection with write-ahead logging instead of a new connection per query.

    WAL with synchronous=NORMAL commits without waiting for the disk: a committed turn
    survives the server process dying (what the fault tests kill), only a power cut can lose
    the last turns. Consultation requests are stored elsewhere (intake/), fully synchronous.
    """
    engine = sa.create_engine(
        url, poolclass=sa.pool.QueuePool, pool_size=1, max_overflow=4,
        connect_args={"check_same_thread": False},
    )

    @sa.event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


class ErasableSQLTrackerStore(SQLTrackerStore):
    """`url` (endpoints.yml, from TRACKER_DATABASE_URL) is any SQLAlchemy URL:
    sqlite:///.run/tracker.db on one machine, postgresql://... when scaled out.
    `cache_events`: how many events (of all conversations) stay in memory between messages;
    0 switches the memory off."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        cache_events: int = DEFAULT_CACHE_EVENTS,
        **kwargs: Any,
    ) -> None:
        url = make_url(host or kwargs.pop("url", None) or "sqlite:///rasa.db")
        super().__init__(
            domain=domain,
            dialect=url.get_backend_name(),
            host=url.host,
            port=url.port,
            db=url.database,
            username=url.username,
            password=url.password,
            event_broker=event_broker,
            query=dict(url.query) or None,
            **kwargs,
        )
        if url.get_backend_name() == "sqlite":
            self.engine.dispose()
            self.engine = sqlite_engine(self.engine.url)
            self.sessionmaker = sessionmaker(bind=self.engine)
        self.cache: TrackerCache[DialogueStateTracker] = TrackerCache(int(cache_events))
        try:
            self.cipher: DataCipher = cipher_from_environment()
            self.check_key()
        except DataKeyError as error:
            print_error_and_exit(f"Cannot open the conversations in the tracker store: {error}")

    def check_key(self) -> None:
        """DataKeyError unless the data key opens the newest encrypted event (if any)."""
        table = self.SQLEvent.__table__
        with self.engine.connect() as connection:
            if not sa.inspect(connection).has_table(table.name):
                return
            latest = connection.execute(
                sa.select(table.c.data).where(table.c.data.like("gAAAAA%"))
                .order_by(table.c.id.desc()).limit(1)
            ).scalar()
        if latest is not None:
            self.cipher.decrypt(latest)

    def _event_data(self, data: Text) -> Dict[Text, Any]:
        """The event dict of a stored row (encrypted, or clear JSON from before encryption)."""
        return json.loads(self.cipher.decrypt(data) if is_token(data) else data)

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        """Rasa's, reading encrypted rows."""
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).all()
            events = [self._event_data(row.data) for row in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    @contextlib.contextmanager
    def session_scope(self) -> Iterator[Session]:
        """Rasa's version ends the whole process on *any* ValueError inside the scope, taking
        it for a missing PostgreSQL schema; psycopg2 also raises ValueError for a NUL character
        in a conversation id, so one odd sender would stop the server for everybody. Only the
        schema check itself may end the process here."""
        session = self.sessionmaker()
        try:
            try:
                ensure_schema_exists(session)
            except ValueError as error:
                print_error_and_exit(
                    f"Requested PostgreSQL schema '{error}' was not found in the database. "
                    f"Create it, or unset {POSTGRESQL_SCHEMA}. Exiting application."
                )
            yield session
        finally:
            session.close()

    def _latest_event_id(self, connection: Connection, sender_id: Text) -> Optional[int]:
        table = self.SQLEvent.__table__
        return connection.execute(
            sa.select(sa.func.max(table.c.id)).where(table.c.sender_id == sender_id)
        ).scalar()

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The conversation's latest session: from memory when the database holds nothing
        newer than what this server stored, otherwise read and replayed as Rasa does.

        The database work runs in a worker thread (the memory is only touched here, on the
        event loop): measured on SQLite, a busy machine, medians, it blocked the loop 0.55 ms
        for the check behind a remembered tracker and 16 ms for reading and replaying 55
        events, which every other conversation waited for (on PostgreSQL a network round trip
        each)."""
        entry = self.cache.take(sender_id)
        if entry is not None and len(entry.tracker.events) == entry.stored_events:
            latest = await asyncio.to_thread(self._latest_event_id_of, sender_id)
            if latest == entry.latest_event_id:
                return entry.tracker
        return await asyncio.to_thread(self._read, sender_id)

    def _latest_event_id_of(self, sender_id: Text) -> Optional[int]:
        with self.engine.connect() as connection:
            return self._latest_event_id(connection, sender_id)

    def _read(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
        if not rows or not self.domain:
            return None
        tracker = DialogueStateTracker.from_dict(
            sender_id, [self._event_data(row.data) for row in rows], self.domain.slots
        )
        setattr(tracker, STORED_EVENTS_ATTRIBUTE, len(tracker.events))
        return tracker

    def _keep(self, tracker: DialogueStateTracker, latest_event_id: Optional[int]) -> None:
        """Keeps the tracker for the next message, unless it holds more than the latest
        session (a session that started during this message): what the database would give
        back then is shorter, so the next message reads it from there."""
        starts = [i for i, event in enumerate(tracker.events) if isinstance(event, SessionStarted)]
        if starts and starts[-1] > 0:
            self.cache.forget(tracker.sender_id)
            return
        stored = getattr(tracker, STORED_EVENTS_ATTRIBUTE)
        self.cache.put(tracker.sender_id, Entry(tracker, stored, latest_event_id))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Inserts the events the database does not have yet, in one transaction, in a
        worker thread (measured as for `retrieve`: 1.1 ms of the loop's time per turn)."""
        if tracker.get_slot(ERASURE_SLOT):
            self.cache.forget(tracker.sender_id)
            await asyncio.to_thread(self._delete_events, tracker.sender_id)
            return
        await self.stream_events(tracker)
        latest = await asyncio.to_thread(self._insert_new_events, tracker)
        setattr(tracker, STORED_EVENTS_ATTRIBUTE, len(tracker.events))
        self._keep(tracker, latest)

    def _insert_new_events(self, tracker: DialogueStateTracker) -> Optional[int]:
        """Inserts the events after the stored ones; returns the latest event id stored."""
        stored = getattr(tracker, STORED_EVENTS_ATTRIBUTE, None)
        if stored is None or stored > len(tracker.events):
            with self.session_scope() as session:
                stored = self._event_query(
                    session, tracker.sender_id, fetch_events_from_all_sessions=False
                ).count()
        rows = [self._row(tracker.sender_id, event, self.cipher)
                for event in itertools.islice(tracker.events, stored, None)]
        # SQLAlchemy Core, not the ORM: a third of the cost, for the same rows.
        with self.engine.begin() as connection:
            if rows:
                connection.execute(self.SQLEvent.__table__.insert(), rows)
            return self._latest_event_id(connection, tracker.sender_id)

    @staticmethod
    def _row(sender_id: Text, event: Event, cipher: Optional[DataCipher] = None) -> Dict[Text, Any]:
        """The row Rasa's SQLTrackerStore writes for an event (same columns), its JSON encrypted."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": cipher.encrypt(json.dumps(data)) if cipher is not None else json.dumps(data),
        }

    def _delete_events(self, sender_id: Text) -> int:
        """Deletes every stored event of one conversation; returns how many."""
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        logger.info("Erased a conversation on request (%d events).", deleted)
        return deleted
