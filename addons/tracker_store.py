"""Rasa's SQL tracker store, configured by one URL and able to erase a conversation.

"Delete my data" must also delete the conversation, but the action that hears it runs in
the middle of a turn: Rasa saves the tracker after the action, and would write the deleted
events back. So the action only sets `erasure_requested`, and this store, on that save,
deletes every stored event of the conversation instead of saving it.
"""
from __future__ import annotations

import contextlib
import logging
from typing import Any, Iterator, Optional, Text

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from rasa.core.brokers.broker import EventBroker
from rasa.core.constants import POSTGRESQL_SCHEMA
from rasa.core.tracker_store import SQLTrackerStore, ensure_schema_exists
from rasa.shared.utils.cli import print_error_and_exit
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

ERASURE_SLOT = "erasure_requested"


class ErasableSQLTrackerStore(SQLTrackerStore):
    """`url` (endpoints.yml, from TRACKER_DATABASE_URL) is any SQLAlchemy URL:
    sqlite:///.run/tracker.db on one machine, postgresql://... when scaled out."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
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

    async def save(self, tracker: DialogueStateTracker) -> None:
        if tracker.get_slot(ERASURE_SLOT):
            self.erase(tracker.sender_id)
            return
        await super().save(tracker)

    def erase(self, sender_id: Text) -> int:
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
