"""Rasa's Redis lock store with atomic ticket changes, for more than one Rasa server.

Rasa 3.6's RedisLockStore reads a conversation's lock (GET), changes it in Python and writes
it back (SET). Two Rasa servers issuing a ticket for the same conversation at the same moment
both get the same ticket, handle both messages at once, and the SQL tracker store then drops
one turn's events: a message the person sent disappears (tests/scaleout shows it with
`type: redis`). Here each change is one optimistic Redis transaction (WATCH/MULTI/EXEC),
retried when another server changed the lock in between.

When the lock cannot be taken (Redis down, or the lock lost while waiting for it), Rasa 3.6
raises `LockError` out of `Agent.handle_message` before the message touches the conversation,
and no channel of Rasa's turns it into a reply: the person got an empty one (REST: `[]`). Here every failure before
the turn is a `LockError`, a failure to release the lock after a finished turn is only logged
(the turn's replies are already out), and `handle_or_apologise` (used by our REST and socket.io
channels) answers a message that could not be handled with `utter_action_unavailable`, the same
apology with the firm's contacts as when the action server is down, without writing anything to
the conversation. The lock never "fails open": without it no message is handled.
"""
from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Awaitable, Callable, Optional, Text, Tuple, TypeVar

import redis

from rasa.core.actions.action import create_bot_utterance
from rasa.core.channels.channel import UserMessage
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from addons.resilient_actions import APOLOGY_RESPONSE
from firm import response_variables

logger = logging.getLogger(__name__)

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

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's `LockStore.lock`, with failures sorted by when they happen.

        Before the turn (taking a ticket, or waiting for it: Redis down or restarted) every
        failure is a LockError, and the message is not handled. After the turn, failing to
        release the ticket is logged, not raised: the turn is stored and answered, and the
        ticket expires by itself after `lock_lifetime`; raising would also hide the turn's own
        error when the turn failed.
        """
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            acquired = await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        except BaseException as error:
            self._release(conversation_id, ticket)
            if isinstance(error, Exception) and not isinstance(error, LockError):
                raise LockError(f"Error while waiting for the lock. Error:\n{error}") from error
            raise
        try:
            yield acquired
        finally:
            self._release(conversation_id, ticket)

    def _release(self, conversation_id: Text, ticket: int) -> None:
        try:
            self.cleanup(conversation_id, ticket)
        except Exception as error:  # noqa: BLE001 - logged; the ticket expires on its own
            logger.error("Could not release ticket %s of conversation %r in the lock store "
                         "(it expires by itself): %s", ticket, conversation_id, describe(error))

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


def describe(error: BaseException) -> Text:
    """'module.Class: message' of an error and of the errors it was raised from."""
    parts = []
    seen = set()
    current: Optional[BaseException] = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        cls = type(current)
        module = "" if cls.__module__ == "builtins" else cls.__module__ + "."
        parts.append(f"{module}{cls.__qualname__}: {' '.join(str(current).split())}")
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)


async def handle_or_apologise(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    message: UserMessage,
    agent: Callable[[], Any],
) -> None:
    """Handles message; when its conversation's lock cannot be taken, sends the apology instead.

    A LockError out of Rasa's handler means the message was never handled: the lock comes
    first, so nothing was read from or written to the conversation. The apology goes only to
    the output channel (it is not stored either), and the person can simply send the message
    again once the lock store is back. `agent` returns the server's Agent, whose domain and
    response generator render the apology as for any other reply.
    """
    try:
        await on_new_message(message)
    except LockError as error:
        logger.error("The lock store is unavailable: the message of conversation %r was not handled "
                     "and nothing was stored; answering with %s. %s",
                     message.sender_id, APOLOGY_RESPONSE, describe(error))
        await send_apology(agent, message)


async def send_apology(agent: Callable[[], Any], message: UserMessage) -> None:
    """Sends utter_action_unavailable to message's output channel, without storing it."""
    try:
        server_agent = agent()
        domain = server_agent.domain
        tracker = DialogueStateTracker(message.sender_id, domain.slots if domain else [])
        response = await server_agent.nlg.generate(
            APOLOGY_RESPONSE, tracker, message.output_channel.name(), **response_variables()
        )
        if response is None:
            logger.error("No %s response in the domain: the person got no reply.", APOLOGY_RESPONSE)
            return
        utterance = create_bot_utterance({**response, "utter_action": APOLOGY_RESPONSE})
        await message.output_channel.send_response(message.sender_id, utterance.message())
    except Exception:  # noqa: BLE001 - never let the apology hide the original failure
        logger.exception("Could not send %s to conversation %r.", APOLOGY_RESPONSE, message.sender_id)
