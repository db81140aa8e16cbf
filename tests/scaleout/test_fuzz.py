"""Bad input against the running scale-out stack (through nginx, as the public would reach it):
random unicode, huge payloads, wrong types and malformed JSON to the REST webhook, and
malformed socket.io traffic (engine.io long-polling and websocket frames). The rule: never a
5xx, and afterwards every Rasa server still answers "hi".

hypothesis is not installed in the project's environment (and is not added for this), so the
cases come from a seeded random generator: FUZZ_SEED=<n> reproduces or varies a run; the
seed is in every failure message.
"""
from __future__ import annotations

import asyncio
import http.client
import json
import os
import random
import time
import uuid
from typing import Any, Iterator, List, Optional, Tuple

import pytest

from ops.scaleout import ScaleOut
from tests.scaleout.conftest import SocketIOWebsocket, post, report

SEED = int(os.environ.get("FUZZ_SEED", "20240611"))
REST_CASES = 300
SOCKET_CASES = 120
GREETING = "automated assistant"

# Characters people (and attackers) send: scripts, right-to-left, combining marks, emoji,
# zero-width and control characters, lone surrogates, NUL, the replacement character.
ALPHABETS: List[Tuple[int, int]] = [
    (0x20, 0x7E), (0x00, 0x1F), (0x80, 0xFF), (0x400, 0x4FF), (0x590, 0x6FF), (0x300, 0x36F),
    (0x4E00, 0x4E80), (0x1F600, 0x1F64F), (0x200B, 0x200F), (0x202A, 0x202E), (0xD800, 0xDFFF),
    (0xFFF0, 0xFFFF), (0xE000, 0xE0FF), (0x10FFF0, 0x10FFFF),
]


def random_text(rng: random.Random, max_length: int = 300) -> str:
    length = rng.choice([0, 1, 2, 5, 20, 100, max_length])
    parts = []
    for _ in range(length):
        low, high = rng.choice(ALPHABETS)
        parts.append(chr(rng.randint(low, high)))
    return "".join(parts)


def random_value(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON value, of the wrong type as often as not."""
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**63, -2**64, 10**400])
    if kind == 3:
        return rng.choice([0.5, -1e308, 1e-308])
    if kind in (4, 5):
        return random_text(rng)
    if kind in (6, 7):
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {random_text(rng, 10): random_value(rng, depth + 1) for _ in range(rng.randrange(4))}


def rest_bodies(rng: random.Random) -> Iterator[Tuple[str, bytes]]:
    """(what it is, the raw request body) for the REST webhook."""
    fixed: List[Tuple[str, bytes]] = [
        ("empty", b""),
        ("null", b"null"),
        ("array", b"[]"),
        ("string", b'"hi"'),
        ("number", b"42"),
        ("truncated", b'{"sender": "x", "message": "hi'),
        ("trailing comma", b'{"sender": "x", "message": "hi",}'),
        ("single quotes", b"{'sender': 'x', 'message': 'hi'}"),
        ("NaN", b'{"sender": "x", "message": NaN}'),
        ("Infinity", b'{"sender": "x", "message": Infinity}'),
        ("invalid utf-8", b'{"sender": "x", "message": "\xff\xfe\xfa"}'),
        ("utf-16", json.dumps({"sender": "x", "message": "hi"}).encode("utf-16")),
        ("lone surrogate", b'{"sender": "fz-sur", "message": "\\ud800 hi \\udfff"}'),
        ("NUL", b'{"sender": "fz-nul", "message": "hi\\u0000there"}'),
        ("NUL in sender", b'{"sender": "fz\\u0000nul", "message": "hi"}'),
        ("huge integer", b'{"sender": "x", "message": ' + b"9" * 5000 + b"}"),
        ("deep nesting", b"[" * 50_000 + b"]" * 50_000),
        ("deep nesting in metadata", b'{"sender": "fz-deep", "message": "hi", "metadata": '
                                     + b'{"a":' * 20_000 + b"1" + b"}" * 20_001),
        ("duplicate keys", b'{"sender": "x", "sender": 5, "message": "hi"}'),
        ("just over 64 KiB", json.dumps({"sender": "x", "message": "a" * 65_536}).encode()),
        ("over nginx's 1 MiB", b'{"sender": "x", "message": "' + b"a" * 1_100_000 + b'"}'),
        ("2001 characters", json.dumps({"sender": "fz-long", "message": "é" * 2001}).encode()),
        ("129-character sender", json.dumps({"sender": "s" * 129, "message": "hi"}).encode()),
        ("whitespace sender", json.dumps({"sender": " \t\n", "message": "hi"}).encode()),
        ("payload as message", json.dumps({"sender": "fz-p", "message": '/inform{"problem_type": [1, {"a": null}]}'}).encode()),
        ("unknown intent payload", json.dumps({"sender": "fz-p", "message": "/no_such_intent"}).encode()),
        ("broken payload", json.dumps({"sender": "fz-p", "message": '/inform{"language":'}).encode()),
        ("metadata list", json.dumps({"sender": "x", "message": "hi", "metadata": [1, 2]}).encode()),
        ("input_channel claim", json.dumps({"sender": "fz-ch", "message": "hi", "input_channel": "slack"}).encode()),
    ]
    yield from fixed
    for index in range(REST_CASES - len(fixed)):
        shape = rng.randrange(6)
        if shape == 0:  # well-formed, random unicode message
            body: Any = {"sender": f"fz-{index}", "message": random_text(rng, 1500)}
        elif shape == 1:  # random unicode sender too
            body = {"sender": random_text(rng, 120) or "x", "message": random_text(rng, 200)}
        elif shape == 2:  # wrong types anywhere
            body = {"sender": random_value(rng), "message": random_value(rng), "metadata": random_value(rng)}
        elif shape == 3:  # any JSON at all
            body = random_value(rng)
        elif shape == 4:  # a valid request with random bytes spliced in
            raw = bytearray(json.dumps({"sender": f"fz-{index}", "message": random_text(rng)}).encode())
            for _ in range(rng.randint(1, 5)):
                raw.insert(rng.randrange(len(raw) + 1), rng.randrange(256))
            yield f"random #{index}: spliced bytes", bytes(raw)
            continue
        else:  # random bytes
            yield f"random #{index}: bytes", bytes(rng.randrange(256) for _ in range(rng.choice([1, 50, 3000])))
            continue
        try:
            yield f"random #{index}: json", json.dumps(body).encode()
        except (ValueError, OverflowError):
            continue


@pytest.fixture(autouse=True)
def restart_dead_servers(scaleout: ScaleOut) -> Iterator[None]:
    """A Rasa server that an input killed is started again, so the tests after this one still
    have the whole stack (the failure itself is reported by the test)."""
    yield
    for index in range(len(scaleout.rasa)):
        if not scaleout.rasa_running(index):
            scaleout.restart_rasa(index)


def dead_servers(scaleout: ScaleOut) -> List[int]:
    return [index + 1 for index in range(len(scaleout.rasa)) if not scaleout.rasa_running(index)]


def why_it_died(scaleout: ScaleOut) -> str:
    """The last error lines of the dead servers' logs (a server can die a while after the
    input that killed it, so the log names the cause better than the input sent last)."""
    notes = []
    for number in dead_servers(scaleout):
        lines = scaleout.rasa_log(number - 1).read_text(errors="replace").splitlines()
        errors = [line for line in lines if "Exiting" in line or "Error:" in line or "SystemExit" in line]
        notes.append(f"rasa-{number}: " + " | ".join(line[:300] for line in errors[-3:]))
    return "\n".join(notes)


def raw_request(port: int, method: str, path: str, body: Optional[bytes] = None,
                headers: Optional[dict] = None, timeout: float = 60) -> Tuple[int, bytes]:
    """An HTTP request with exactly these bytes (urllib would re-encode or refuse some)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def answers_hi(base_url: str) -> bool:
    reply = post(f"{base_url}/webhooks/rest/webhook", {"sender": f"fz-after-{uuid.uuid4().hex[:8]}", "message": "hi"})
    return reply.status == 200 and GREETING in reply.text


def test_rest_webhook_never_answers_5xx(scaleout: ScaleOut) -> None:
    rng = random.Random(SEED)
    statuses: dict = {}
    failures = []
    recent: List[str] = []  # the last inputs sent, to name the culprit when a server dies
    content_types = ["application/json", "text/plain", "application/x-www-form-urlencoded", "", "application/json; charset=latin-1"]
    for what, body in rest_bodies(rng):
        headers = {"Content-Type": rng.choice(content_types)} if rng.random() < 0.3 else {"Content-Type": "application/json"}
        recent = (recent + [f"{what}: {body[:100]!r}"])[-4:]
        try:
            status, answer = raw_request(scaleout.port, "POST", "/webhooks/rest/webhook", body, headers)
        except (OSError, http.client.HTTPException) as error:
            status, answer = 599, repr(error).encode()
        statuses[status] = statuses.get(status, 0) + 1
        if status >= 500:
            failures.append(f"{what}: {status} {answer[:200]!r}")
        if dead_servers(scaleout):  # everything after this would only be 502s
            failures.append(f"Rasa server(s) {dead_servers(scaleout)} DIED; last inputs {recent}; "
                            f"log:\n{why_it_died(scaleout)}")
            break
    # Wrong methods and paths around the webhook.
    for method, path in [("GET", "/webhooks/rest/webhook"), ("PUT", "/webhooks/rest/webhook"),
                         ("DELETE", "/webhooks/rest/"), ("POST", "/webhooks/rest/webhook?stream=maybe"),
                         ("POST", "/webhooks/nope/webhook"), ("GET", "/webhooks/rest/webhook/../../etc/passwd"),
                         ("POST", "/model/parse"), ("GET", "/conversations/x/tracker")]:
        status, answer = raw_request(scaleout.port, method, path, b'{"sender":"fz","message":"hi"}',
                                     {"Content-Type": "application/json"})
        statuses[status] = statuses.get(status, 0) + 1
        if status >= 500:
            failures.append(f"{method} {path}: {status} {answer[:200]!r}")
    report(f"fuzz: REST webhook statuses (seed {SEED})", {str(k): v for k, v in sorted(statuses.items())})
    assert not failures, f"seed {SEED}: {len(failures)} 5xx:\n" + "\n".join(failures[:10])
    for index, url in enumerate(scaleout.rasa_urls):
        assert scaleout.rasa_running(index) and answers_hi(url), f"seed {SEED}: Rasa server {index + 1} after the fuzz"
    assert answers_hi(scaleout.url)


def socket_packets(rng: random.Random, session: str) -> Iterator[str]:
    """Malformed and hostile socket.io packets (engine.io "4" = message, socket.io "2" = event)."""
    fixed = [
        "", "4", "9", "42", "42[", "42[]", "42{}", '42["user_uttered"]', '42["user_uttered", 5]',
        '42["user_uttered", "hi"]', '42["user_uttered", null]', '42["user_uttered", {"message": "hi"}]',
        f'42["user_uttered", {{"message": 5, "session_id": "{session}"}}]',
        f'42["user_uttered", {{"message": ["hi"], "session_id": "{session}"}}]',
        '42["user_uttered", {"message": "hi", "session_id": {"a": 1}}]',
        f'42["user_uttered", {{"message": "hi", "session_id": "{session}", "customData": "not json"}}]',
        f'42["user_uttered", {{"message": "hi", "session_id": "{session}", "customData": [1]}}]',
        '42["session_request", {"session_id": "fz-sio\\u0000nul"}]',
        '42["user_uttered", {"message": "hi", "session_id": "fz-sio\\u0000nul"}]',
        '42["user_uttered", {"message": "hi", "session_id": "fz-sio\\ud800"}]',
        '42["session_request", "not a dict"]', '42["session_request", {"session_id": {"a": 1}}]',
        '42["session_request", {"session_id": ["x"]}]', '42["no_such_event", {}]', "41", "40/nope,",
        '42/nope,["user_uttered", {}]', "43[]", "44", "45-[]", '451-["x",{"_placeholder":true,"num":9}]',
        "6", "5", "1", "3", "0", "42" + '["user_uttered", {"message": "' + "x" * 100_000 + '"}]',
        "4" + "x" * 1_000_100,  # over engine.io's max_http_buffer_size (10^6), under nginx's 1 MiB
    ]
    yield from fixed
    for _ in range(SOCKET_CASES - len(fixed)):
        shape = rng.randrange(3)
        if shape == 0:
            yield "42" + json.dumps(["user_uttered", {"message": random_value(rng), "session_id": session,
                                                       "customData": random_value(rng)}])
        elif shape == 1:
            yield "42" + json.dumps([random_text(rng, 20), random_value(rng)])
        else:
            yield rng.choice(["4", "42", "2", ""]) + random_text(rng, 200)


def polling_call(port: int, method: str, query: str, body: Optional[bytes] = None) -> Tuple[int, bytes]:
    return raw_request(port, method, f"/socket.io/?{query}", body,
                       {"Content-Type": "text/plain;charset=UTF-8"}, timeout=40)


def test_socketio_malformed_traffic_never_answers_5xx(scaleout: ScaleOut) -> None:
    """Bare engine.io packets a client may not send (OPEN "0", PING "2", NOOP "6") and bodies over
    engine.io's max_http_buffer_size left python-engineio's POST waiting for a poll that never
    came (599 here), and a POST after CLOSE "1" got a 500: rasa_server/channels/socketio.py answers
    both with engine.io's own 400 "Invalid session"."""
    rng = random.Random(SEED + 1)
    session = f"fz-sio-{uuid.uuid4().hex[:8]}"
    failures: List[str] = []
    statuses: dict = {}

    def record(what: str, status: int, answer: bytes) -> None:
        statuses[status] = statuses.get(status, 0) + 1
        if status >= 500:
            failures.append(f"{what}: {status} {answer[:200]!r}")

    # Handshakes and queries that make no sense.
    for query in ["", "EIO=99&transport=polling", "EIO=4&transport=carrier-pigeon", "EIO=4",
                  "EIO=4&transport=polling&sid=does-not-exist", "EIO=3&transport=polling",
                  "EIO=4&transport=polling&j=1", "EIO=4&transport=polling&b64=1",
                  "EIO=4&transport=websocket", "EIO=" + "9" * 5000 + "&transport=polling"]:
        status, answer = polling_call(scaleout.port, "GET", query)
        record(f"GET ?{query[:40]}", status, answer)
    status, answer = polling_call(scaleout.port, "POST", "EIO=4&transport=polling&sid=nope", b"42[]")
    record("POST to an unknown sid", status, answer)

    # Long-polling sessions fed bad packets: each bad packet may close the session, so a
    # session is opened for each.
    sid = ""
    recent: List[str] = []  # the last packets sent, to name the culprit when a server dies
    for packet in socket_packets(rng, session):
        recent = (recent + [packet[:120]])[-4:]
        if not sid:
            status, answer = polling_call(scaleout.port, "GET", "EIO=4&transport=polling")
            record("handshake", status, answer)
            assert status == 200, answer
            sid = json.loads(answer.decode()[1:])["sid"]
            polling_call(scaleout.port, "POST", f"EIO=4&transport=polling&sid={sid}", b"40")
        try:
            status, answer = polling_call(scaleout.port, "POST", f"EIO=4&transport=polling&sid={sid}",
                                          packet.encode("utf-8", "surrogatepass"))
        except (OSError, http.client.HTTPException) as error:
            status, answer = 599, repr(error).encode()
        record(f"packet {packet[:60]!r}", status, answer)
        if status != 200:
            sid = ""
        if "user_uttered" in packet:
            time.sleep(0.2)  # the message is handled after the POST is answered
        if dead_servers(scaleout):
            failures.append(f"Rasa server(s) {dead_servers(scaleout)} DIED; last packets {recent!r}; "
                            f"log:\n{why_it_died(scaleout)}")
            break

    # The same over websockets, frames as text and as binary. After the upgrade there is no
    # HTTP status any more: the server may only close the socket (counted, not a failure).
    closed = 0

    async def websocket_frames() -> None:
        import aiohttp

        nonlocal closed
        packets = list(socket_packets(random.Random(SEED + 2), session))[:60]
        client: Optional[SocketIOWebsocket] = None
        for packet in packets:
            if dead_servers(scaleout):
                break  # already reported; nothing more to learn until it is fixed
            try:
                if client is None:
                    client = await SocketIOWebsocket(scaleout.url).__aenter__()
                    record("websocket upgrade", 101, b"")
                raw = packet.encode("utf-8", "surrogatepass")
                if rng.random() < 0.2:
                    await client.ws.send_bytes(raw)
                else:
                    await client.ws.send_str(raw.decode("utf-8", "replace"))
                await asyncio.sleep(0.02)
                if client.ws.closed:
                    closed += 1
                    await client.__aexit__()
                    client = None
            except aiohttp.WSServerHandshakeError as error:
                record("websocket upgrade", error.status, str(error).encode())
                client = None
            except (ConnectionError, TimeoutError, OSError, aiohttp.ClientError):
                closed += 1
                if client is not None:
                    await client.__aexit__()
                client = None
        if client is not None:
            await client.__aexit__()

    asyncio.run(asyncio.wait_for(websocket_frames(), 180))
    report(f"fuzz: socket.io statuses (seed {SEED})",
           {**{str(k): v for k, v in sorted(statuses.items())}, "websockets closed by the server": closed})
    assert not failures, f"seed {SEED}: {len(failures)} 5xx:\n" + "\n".join(failures[:10])

    # Afterwards: every server still answers, over REST and over socket.io.
    for index, url in enumerate(scaleout.rasa_urls):
        assert scaleout.rasa_running(index) and answers_hi(url), f"seed {SEED}: Rasa server {index + 1} after the fuzz"

    async def greeting() -> str:
        async with SocketIOWebsocket(scaleout.url) as client:
            fresh = uuid.uuid4().hex
            await client.emit("session_request", {"session_id": fresh})
            await client.wait_for("session_confirm", 20)
            await client.emit("user_uttered", {"message": "hi", "session_id": fresh})
            return str((await client.wait_for("bot_uttered", 60)).get("text", ""))

    assert GREETING in asyncio.run(asyncio.wait_for(greeting(), 120))
