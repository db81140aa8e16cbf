"""The REST webhook for partner systems, with limits that protect the server.

Rasa's own `RestInput` with the same URL (`POST /webhooks/rest/webhook`) and the same JSON
contract, plus:

* a maximum message length (413 `message_too_long`) and body size (413 `body_too_large`),
* clean 400 JSON errors for malformed JSON, a missing / non-string / over-long `sender`,
  a missing or non-string `message` and a non-object or too deeply nested `metadata`
  (400 `too_deeply_nested`; never a stack trace),
* an optional shared-secret bearer token, taken from the environment variable
  `REST_WEBHOOK_TOKEN` when the server starts (401 `unauthorized` without it),
* a per-sender rate limit: a token bucket in memory, 30 messages per 60 s by default
  (429 `rate_limited` with a `Retry-After` header),
* when the conversation lock cannot be taken (the lock store, Redis in scale-out mode, is
  down), the reply is the apology with the firm's contacts (`utter_action_unavailable`), not
  an empty list; nothing is stored (rasa_server/stores/lock_store.py).

Registered in credentials.yml by its module path (the section's keys are the settings):

    rasa_server.channels.rest.LimitedRestInput:
      max_message_length: 2000     # characters of `message`
      rate_limit_per_minute: 30    # messages per sender; 0 switches the limit off
      max_sender_length: 128       # characters of `sender`
      max_body_bytes: 65536        # bytes of the whole request body

CORS is not handled here: `rasa run --cors` sets it for the whole server (ops/stack.py passes
`CORS_ORIGINS`, or the widget page's address). The limits live in this process's memory: with
several Rasa processes behind a load balancer each counts on its own. The rate limit is keyed
by the client-chosen `sender`, so a proxy in front should also limit per client address.
"""
from __future__ import annotations

import hmac
import json
import logging
import math
import os
import time
from asyncio import CancelledError
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Tuple, Union

import rasa.utils.endpoints
from rasa_server.channels.language import with_language
from rasa_server.stores.lock_store import handle_or_apologise
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

logger = logging.getLogger(__name__)

TOKEN_ENV = "REST_WEBHOOK_TOKEN"

DEFAULT_MAX_MESSAGE_LENGTH = 2000
DEFAULT_RATE_LIMIT_PER_MINUTE = 30
DEFAULT_RATE_LIMIT_WINDOW_SECONDS = 60.0
DEFAULT_MAX_SENDER_LENGTH = 128
DEFAULT_MAX_BODY_BYTES = 64 * 1024
DEFAULT_MAX_TRACKED_SENDERS = 50_000
# Levels of arrays and objects allowed inside `metadata`. Partners send flat objects; a
# 5,000-level array made json.loads raise RecursionError (a 500), and anything near the
# interpreter's limit (~1,000) would fail the same way later, when the event is copied or stored.
MAX_METADATA_DEPTH = 32


class TokenBucketLimiter:
    """Per-key token buckets: `capacity` messages at once, refilled evenly over `window`.

    Memory is bounded: past `max_keys` senders the least recently seen one is forgotten
    (which at worst gives that sender a fresh bucket).
    """

    def __init__(
        self,
        capacity: int,
        window_seconds: float = DEFAULT_RATE_LIMIT_WINDOW_SECONDS,
        max_keys: int = DEFAULT_MAX_TRACKED_SENDERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = float(capacity)
        self.rate = self.capacity / float(window_seconds)  # tokens per second
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: "OrderedDict[Text, Tuple[float, float]]" = OrderedDict()

    def acquire(self, key: Text) -> float:
        """Takes one token for key: 0 when allowed, else the seconds until one is available."""
        now = self.clock()
        tokens, last = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            tokens -= 1.0
            wait = 0.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


def error(status: int, code: Text, message: Text, **extra: Any) -> HTTPResponse:
    headers = extra.pop("headers", None)
    return response.json({"error": code, "message": message, **extra}, status=status, headers=headers)


def too_deeply_nested() -> HTTPResponse:
    return error(400, "too_deeply_nested",
                 f'"metadata" must not nest arrays or objects more than {MAX_METADATA_DEPTH} levels deep.')


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects in value nest more than limit levels (iterative: a deep
    value must not exhaust the stack here either)."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            if depth >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return False


class LimitedRestInput(RestInput):
    """`RestInput` with request validation, size limits, a bearer token and a rate limit."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        settings = credentials or {}
        return cls(
            max_message_length=int(settings.get("max_message_length", DEFAULT_MAX_MESSAGE_LENGTH)),
            rate_limit_per_minute=int(
                settings.get("rate_limit_per_minute", DEFAULT_RATE_LIMIT_PER_MINUTE)
            ),
            rate_limit_window_seconds=float(
                settings.get("rate_limit_window_seconds", DEFAULT_RATE_LIMIT_WINDOW_SECONDS)
            ),
            max_sender_length=int(settings.get("max_sender_length", DEFAULT_MAX_SENDER_LENGTH)),
            max_body_bytes=int(settings.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
            token=os.environ.get(TOKEN_ENV) or None,
        )

    def __init__(
        self,
        max_message_length: int = DEFAULT_MAX_MESSAGE_LENGTH,
        rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE,
        rate_limit_window_seconds: float = DEFAULT_RATE_LIMIT_WINDOW_SECONDS,
        max_sender_length: int = DEFAULT_MAX_SENDER_LENGTH,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        token: Optional[Text] = None,
    ) -> None:
        for setting, value in (
            ("max_message_length", max_message_length),
            ("max_sender_length", max_sender_length),
            ("max_body_bytes", max_body_bytes),
            ("rate_limit_window_seconds", rate_limit_window_seconds),
        ):
            if value <= 0:
                raise ValueError(f"{type(self).__name__}: {setting} must be positive, not {value}")
        self.max_message_length = max_message_length
        self.max_sender_length = max_sender_length
        self.max_body_bytes = max_body_bytes
        self.token = token
        self.limiter = (
            TokenBucketLimiter(rate_limit_per_minute, rate_limit_window_seconds)
            if rate_limit_per_minute > 0
            else None
        )

    # ------------------------------------------------------------------ checks

    def _authorized(self, request: Request) -> bool:
        if not self.token:
            return True
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            credential.strip().encode(), self.token.encode()
        )

    def _parse(self, request: Request) -> Union[HTTPResponse, Dict[Text, Any]]:
        """The request's JSON object after every check, or the error response to send."""
        body = request.body or b""
        if len(body) > self.max_body_bytes:
            return error(
                413, "body_too_large",
                f"The request body is larger than {self.max_body_bytes} bytes.",
                max_bytes=self.max_body_bytes,
            )
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return error(400, "invalid_json", "The request body is not valid JSON.")
        except RecursionError:
            # Python's parser gives up at about 1,000 levels; the body is JSON all the same.
            return too_deeply_nested()
        if not isinstance(payload, dict):
            return error(
                400, "invalid_request",
                'The request body must be a JSON object: {"sender": "...", "message": "..."}.',
            )

        sender = payload.get("sender")
        if not isinstance(sender, str) or not sender.strip():
            return error(400, "invalid_sender", '"sender" is required and must be a non-empty string.')
        if not sender.isprintable():
            # Control characters (NUL above all: PostgreSQL refuses it) have no place in an id.
            return error(400, "invalid_sender", '"sender" must not contain control characters.')
        if len(sender) > self.max_sender_length:
            return error(
                400, "invalid_sender",
                f'"sender" must be at most {self.max_sender_length} characters.',
                max_length=self.max_sender_length,
            )

        message = payload.get("message")
        if not isinstance(message, str):
            return error(400, "invalid_message", '"message" is required and must be a string.')
        if len(message) > self.max_message_length:
            return error(
                413, "message_too_long",
                f"The message is longer than {self.max_message_length} characters. "
                "Please shorten it or send it in parts.",
                max_length=self.max_message_length,
            )

        metadata = payload.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            return error(400, "invalid_metadata", '"metadata", when given, must be a JSON object.')
        if nested_deeper_than(metadata, MAX_METADATA_DEPTH):
            return too_deeply_nested()
        return payload

    def _rate_limited(self, sender: Text) -> Optional[HTTPResponse]:
        if self.limiter is None:
            return None
        wait = self.limiter.acquire(sender)
        if wait <= 0:
            return None
        retry_after = max(1, math.ceil(wait))
        return error(
            429, "rate_limited",
            "Too many messages from this sender. Please wait before sending another.",
            retry_after=retry_after,
            headers={"Retry-After": str(retry_after)},
        )

    # --------------------------------------------------------------- blueprint

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[None]]
    ) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        # noinspection PyUnusedLocal
        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            if not self._authorized(request):
                return error(
                    401, "unauthorized",
                    "A valid 'Authorization: Bearer <token>' header is required.",
                    headers={"WWW-Authenticate": 'Bearer realm="rest-webhook"'},
                )
            payload = self._parse(request)
            if isinstance(payload, HTTPResponse):
                return payload
            sender_id: Text = payload["sender"]
            text: Text = payload["message"]
            metadata: Optional[Dict[Text, Any]] = payload.get("metadata")
            limited = self._rate_limited(sender_id)
            if limited is not None:
                return limited

            # The channel is always this one: a client cannot claim to be another channel.
            input_channel = self.name()

            async def handle(message: UserMessage) -> None:
                # The lock store down (Redis in scale-out mode): the apology, not silence.
                message.metadata = with_language(message.metadata, message.text)
                await handle_or_apologise(on_new_message, message, lambda: request.app.ctx.agent)

            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(
                    self.stream_response(handle, text, sender_id, input_channel, metadata),
                    content_type="text/event-stream",
                )

            collector = CollectingOutputChannel()
            try:
                await handle(
                    UserMessage(
                        text, collector, sender_id, input_channel=input_channel, metadata=metadata
                    )
                )
            except CancelledError:
                logger.error("REST message from %r timed out.", sender_id)
            except Exception:  # the client gets what was collected, the log gets the trace
                # (without the message: it may hold a client's confidential account)
                logger.exception("REST message from %r failed.", sender_id)
            return response.json(collector.messages)

        return webhook
