"""The widget's socket.io channel on one Rasa server (rasa_server/channels/socketio.py), over engine.io
long-polling, the transport a browser starts with: a whole exchange works, and the malformed
packets python-engineio mishandles are answered 400 at once, never hang or get a 500."""
from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
import uuid
from typing import Dict, Tuple

import pytest

from ops.stack import Stack


def polling(stack: Stack, method: str, sid: str = "", body: bytes = b"", timeout: float = 20) -> Tuple[int, str, float]:
    """One long-polling request straight to the Rasa server: (status, body, seconds it took)."""
    query = "EIO=4&transport=polling" + (f"&sid={sid}" if sid else "")
    port = urllib.parse.urlsplit(stack.rasa_url).port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request(method, f"/socket.io/?{query}", body=body if method == "POST" else None,
                           headers={"Content-Type": "text/plain;charset=UTF-8"})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace"), time.monotonic() - started
    finally:
        connection.close()


def session(stack: Stack) -> str:
    """A connected socket.io session (engine.io handshake, then socket.io CONNECT "40")."""
    status, body, _ = polling(stack, "GET")
    assert status == 200 and body.startswith("0"), (status, body)
    sid = json.loads(body[1:])["sid"]
    assert polling(stack, "POST", sid, b"40")[0] == 200
    status, body, _ = polling(stack, "GET", sid)
    assert status == 200 and body.startswith("40"), (status, body)
    return sid


def test_a_whole_exchange_over_long_polling(stack: Stack) -> None:
    sid, conversation = session(stack), uuid.uuid4().hex
    events = [f'42["session_request",{{"session_id":"{conversation}"}}]',
              f'42["user_uttered",{{"message":"is south sudan a member of interpol?","session_id":"{conversation}"}}]']
    for event in events:
        assert polling(stack, "POST", sid, event.encode())[0] == 200
    received = ""
    deadline = time.monotonic() + 60
    while "South Sudan" not in received and time.monotonic() < deadline:
        status, body, _ = polling(stack, "GET", sid, timeout=60)
        assert status == 200, body
        received += body
    assert "session_confirm" in received and "South Sudan" in received, received


@pytest.mark.parametrize("payload", [b"0", b"2", b"2probe", b"6", b'4{"a":1}\x1e6', b"4" + b"x" * 1_000_100],
                         ids=["OPEN", "PING", "PING probe", "NOOP", "message then NOOP", "over max_http_buffer_size"])
def test_a_packet_engineio_refuses_ends_the_session_at_once(stack: Stack, payload: bytes) -> None:
    """Unguarded, engine.io waits for a poll to take its CLOSE packet before answering: this
    client has none open, so the POST would hang (here until the 20 s timeout)."""
    sid = session(stack)
    status, body, seconds = polling(stack, "POST", sid, payload)
    assert (status, seconds < 5) == (400, True), (status, body, seconds)
    assert polling(stack, "GET", sid)[0] == 400  # the session is over: the client reconnects


def test_a_poll_that_is_open_gets_the_close_packet(stack: Stack) -> None:
    sid = session(stack)
    result: Dict[str, Tuple[int, str, float]] = {}
    poll = threading.Thread(target=lambda: result.setdefault("poll", polling(stack, "GET", sid, timeout=40)))
    poll.start()
    time.sleep(1)
    assert polling(stack, "POST", sid, b"6")[0] == 400
    poll.join(timeout=30)
    assert result["poll"][:2] == (200, "1"), result  # engine.io's CLOSE


def test_a_post_after_the_client_closed_its_session_is_a_400_not_a_500(stack: Stack) -> None:
    sid = session(stack)
    assert polling(stack, "POST", sid, b"1")[0] == 200  # CLOSE from the client
    status, body, _ = polling(stack, "POST", sid, b"3")
    assert status == 400, (status, body)
    # The server goes on: a new session works.
    assert session(stack)
