"""Rasa's SQL tracker store, configured by one URL and able to erase a conversation.

"Delete my data" must also delete the conversation, but the action that hears it runs in
the middle of a turn: Rasa saves the tracker after the action, and would write the deleted
events back. So the action only sets `erasure_requested`, and this store, on that save,
deletes every stored event of the conversation instead of saving it.
"""
from __future__ import annotations

import logging
from typing import Any, Optional, Text

from sqlalchemy.engine import make_url

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
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
