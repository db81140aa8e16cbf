"""The website widget's socket.io channel: Rasa's own `socketio` channel with two guards.

Registered in credentials.yml instead of `socketio:` (same settings, same name "socketio", same
`/socket.io/` path and events), so the widget and the stored conversations do not change:

    rasa_server.channels.socketio.GuardedSocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true

1. **Lock store down.** When the conversation lock cannot be taken (Redis down in scale-out
   mode), Rasa raises `LockError` before the message is handled and the widget showed
   nothing. The person now reads `utter_action_unavailable` (the apology with the firm's
   contacts), and nothing is stored (rasa_server/stores/lock_store.py, `handle_or_apologise`). Any other
   failure of a message is logged with its conversation id instead of ending as an
   "exception never retrieved" of a background task.

2. **Malformed engine.io long-polling POSTs.** python-engineio has two defects in
   `AsyncServer.handle_request`, the same in 4.7.0 and 4.7.1 (contemporary with the pinned
   python-socketio 5.9.0, which needs >= 4.7.0), 4.8.0 and the locked 4.15.1, so pinning
   another version does not help:

   * A POST carrying a packet type a client may not send (OPEN "0", PING "2", NOOP "6"), or a
     body over `max_http_buffer_size`, makes engine.io raise an `EngineIOError` and call
     `disconnect(sid)`, which closes the socket with `wait=True`: it queues a CLOSE packet
     and waits for `queue.join()`, i.e. for the client's *next GET poll* to take it. A client
     with no poll open (a broken or hostile one) leaves that POST hanging, and its request
     handler with it, for as long as the client or a proxy keeps the connection.
   * A POST to a session that is closed but still in `eio.sockets` (e.g. after the client
     sent CLOSE "1") reaches `_get_socket(sid)`, which raises `KeyError('Session is
     disconnected')` outside any `try` in the POST branch: a 500. (The GET branch catches it.)

   The guard, run before engine.io sees the request: for the first, it closes the session
   without waiting (`close(wait=False)`: a poll that is open still gets the CLOSE packet) and
   forgets it; for the second, it only forgets it. Either way engine.io itself then answers
   `400 Invalid session` (a 400 is also what engine.io answers the first when a poll is open),
   which every socket.io client takes as "session over, reconnect". A payload holding such a packet
   is refused whole (engine.io would have handled the packets before it, then hung).
   Well-formed traffic is passed on untouched (the payload is decoded with engine.io's own
   Payload class, as engine.io reads it, to decide).
"""
from __future__ import annotations

import logging
import urllib.parse
from typing import Any, Awaitable, Callable, Optional, Text

from engineio import packet as eio_packet
from engineio.payload import Payload
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, Sanic
from sanic.request import Request

from rasa_server.channels.language import with_language
from rasa_server.stores.lock_store import handle_or_apologise

logger = logging.getLogger(__name__)

# Packet types engine.io's server refuses from a client (Socket.receive raises
# UnknownPacketError): OPEN and NOOP come only from the server, and in protocol 4 so does PING.
REFUSED_PACKET_TYPES = frozenset({eio_packet.OPEN, eio_packet.PING, eio_packet.NOOP})


class GuardedSocketIOInput(SocketIOInput):
    """Rasa's SocketIOInput; see the module docstring for what is guarded and why."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        app: Optional[Sanic] = None

        async def handle(message: UserMessage) -> None:
            try:
                message.metadata = with_language(message.metadata, message.text)
                await handle_or_apologise(on_new_message, message, lambda: app.ctx.agent)
            except Exception:  # noqa: BLE001 - the person's message failed; the log says why
                logger.exception("socket.io message of conversation %r failed.", message.sender_id)

        blueprint = super().blueprint(handle)

        @blueprint.listener("before_server_start")
        async def remember_app(server: Sanic, _loop: Any) -> None:
            nonlocal app
            app = server

        assert self.sio is not None
        guard_long_polling(self.sio.eio)
        return blueprint


def guard_long_polling(eio: Any) -> None:
    """Puts the guard in front of eio.handle_request (the sanic route engine.io registers when
    the blueprint is attached, which happens after this)."""
    handle_request = eio.handle_request

    async def guarded_handle_request(request: Request, *args: Any, **kwargs: Any) -> Any:
        if request.method == "POST":
            await _settle_session_before_post(eio, request)
        return await handle_request(request, *args, **kwargs)

    eio.handle_request = guarded_handle_request


async def _settle_session_before_post(eio: Any, request: Request) -> None:
    sid = (urllib.parse.parse_qs(request.query_string).get("sid") or [None])[0]
    socket = eio.sockets.get(sid) if sid else None
    if socket is None:
        return  # engine.io answers 400 "Invalid session" itself
    if socket.closed:
        eio.sockets.pop(sid, None)  # would be a 500 (KeyError in _get_socket)
        return
    if not socket.connected or socket.upgraded:
        return  # engine.io answers 400 itself, before reading the body
    why = _refused(eio, request)
    if why:
        logger.info("engine.io session %s closed: %s (answered 400, without waiting for a poll)", sid, why)
        await socket.close(wait=False)
        eio.sockets.pop(sid, None)


def _refused(eio: Any, request: Request) -> Optional[Text]:
    """Why engine.io would end this POST's session (and hang the POST meanwhile), or None."""
    # Read as engine.io reads it (Socket.handle_post_request): Content-Length bytes of the body.
    try:
        length = int(request.headers.get("content-length", "0"))
    except ValueError:
        return None  # engine.io logs it and answers 200
    if length > eio.max_http_buffer_size:
        return f"body of {length} bytes, over max_http_buffer_size"
    try:
        packets = Payload(encoded_payload=(request.body or b"")[:length].decode("utf-8")).packets
    except (UnicodeDecodeError, ValueError, IndexError, KeyError):
        return None  # engine.io logs these and answers 200; nothing hangs
    for item in packets:
        if item.packet_type in REFUSED_PACKET_TYPES:
            return f"packet type {eio_packet.packet_names[item.packet_type]} from a client"
    return None
