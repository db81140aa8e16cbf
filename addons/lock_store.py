"""Rasa's Redis lock store with atomic ticket changes, for more than one Rasa server.

Rasa 3.6's RedisLockStore reads a conversation's lock (GET), changes it in Python and writes
it back (SET). Two Rasa servers issuing a ticket for the same conversation at the same moment
both get the same ticket, handle both messages at once, and the SQL tracker store then drops
one turn's events: a message the person sent disappears (tests/scaleout shows it with
`type: redis`). Here each change is one optimistic Redis transaction (WATCH/MULTI/EXEC),
retried when another server changed the lock in between.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Optional, Text, Tuple, TypeVar

import redis

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

Result = TypeVar("Result")
Change = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], Result]]
MAX_RETRIES = 1000


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        # Rasa builds custom lock stores from the endpoint configuration.
        if endpoint_config is not None:
            super().__init__(host=endpoint_config.url or "localhost", **endpoint_config.kwargs)
        else:
            super().__init__(**kwargs)

    def _change(self, conversation_id: Text, change: Change) -> Result:
        """Applies `change` to the stored lock as one transaction; returns its result."""
        key = self.key_prefix + conversation_id
        for _ in range(MAX_RETRIES):
            with self.red.pipeline() as pipe:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new, result = change(lock)
                    pipe.multi()
                    if new is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue
        raise LockError(f"Too much contention on the lock of conversation '{conversation_id}'.")

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, change)
        except LockError:
            raise
        except Exception as error:  # Rasa's contract: any failure here is a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: Text) -> None:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, change)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, change)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, change)
