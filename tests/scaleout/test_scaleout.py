"""The scale-out mode (ops/scaleout.py): conversations spread over several Rasa servers behind
nginx stay correct, and each part can fail without losing or corrupting a conversation.

Every fault test puts the part it broke back (also when it fails), because the stack is
shared by the whole folder.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
import redis

from firm import load_settings, response_variables
from intake.spool import Spool
from intake.store import SqlIntakeStore, open_store
from ops.scaleout import ScaleOut
from tests.e2e.test_consultation import REFERENCE, STEPS, fill
from tests.scaleout.conftest import (Conversation, Reply, SocketIOWebsocket, post, report, tracker_events,
                                     tracker_problems, user_texts)

ROUNDS = 10  # conversations in the concurrency test (a race shows in ~1 of 4)
FAULTS: Dict[str, str] = {}  # what a person reads during each outage (tests/artifacts/faults.json)


@pytest.fixture(scope="module")
def store(scaleout: ScaleOut, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlIntakeStore]:
    """The intake database, read the way the lawyers' tools read it (own spool folder: this
    process must never move the action servers' spooled requests)."""
    opened = open_store(scaleout.intake_url, spool_dir=tmp_path_factory.mktemp("reader-spool"))
    yield opened
    opened.close()


@pytest.fixture(scope="module", autouse=True)
def faults_artifact() -> Iterator[None]:
    yield
    if FAULTS:
        report("scale-out faults: what the person read", FAULTS, "faults.json")


def stored_for(store: SqlIntakeStore, conversation_id: str) -> list:
    return [row for row in store.list(limit=None) if row.conversation_id == conversation_id]


def assert_consistent(scaleout: ScaleOut, *conversations: Conversation) -> None:
    events = tracker_events(scaleout.tracker_url, [c.sender for c in conversations])
    for conversation in conversations:
        assert events[conversation.sender], f"{conversation.sender}: no events stored"
        assert tracker_problems(events[conversation.sender]) == [], conversation.sender


def wait_for(check, timeout: float, interval: float = 1.0):  # type: ignore[no-untyped-def]
    """check() until truthy or timeout (bounded: every wait in these tests has an end)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


# ----------------------------------------------------------------------------- spreading


def test_one_conversation_moves_between_servers_and_stays_correct(
    scaleout: ScaleOut, store: SqlIntakeStore
) -> None:
    """REST is spread over the Rasa servers message by message: the form still goes step by
    step, because every server reads the conversation from PostgreSQL."""
    chat = Conversation(scaleout.url)
    reference = REFERENCE.search(fill(chat)).group(0)
    servers = {scaleout.rasa_index(upstream) for upstream in chat.upstreams}
    assert servers == {0, 1}, chat.upstreams
    rows = stored_for(store, chat.sender)
    assert [row.reference for row in rows] == [reference]
    assert rows[0].full_name == "Maria Ivanova" and rows[0].issuing_country == "Russia"
    # A follow-up question needs the previous answer's context, from the other server.
    follow = Conversation(scaleout.url)
    assert "South Sudan" in follow.text("is south sudan a member of interpol?")
    assert "Serbia" in follow.text("and Serbia?")
    assert "interpol.int" in follow.text("source?")
    assert len({scaleout.rasa_index(upstream) for upstream in follow.upstreams}) == 2
    assert_consistent(scaleout, chat, follow)


def test_messages_of_one_conversation_at_two_servers_at_once_are_taken_in_turn(scaleout: ScaleOut) -> None:
    """Six messages of one conversation sent at the same instant reach both servers; the Redis
    lock must make each wait for the previous turn, or two turns run at once and the SQL
    tracker store (which appends "the events after the ones already stored") drops one turn's
    events. Five conversations, because a race shows only sometimes."""
    questions = ["is france a member of interpol?", "what is a red notice?", "what is a yellow notice?",
                 "is south sudan a member of interpol?", "what crimes does interpol deal with?",
                 "how many countries are members of interpol?"]
    client = redis.Redis(host="127.0.0.1", port=scaleout.redis_port)
    commands_before = int(client.info("stats")["total_commands_processed"])
    servers: set = set()
    broken: Dict[str, str] = {}
    for _ in range(ROUNDS):
        chat = Conversation(scaleout.url)
        chat.text("hi")
        start = threading.Barrier(len(questions))

        def send(question: str, chat: Conversation = chat, start: threading.Barrier = start) -> Reply:
            start.wait(timeout=30)
            return post(scaleout.rest_url, {"sender": chat.sender, "message": question})

        with ThreadPoolExecutor(max_workers=len(questions)) as pool:
            replies = list(pool.map(send, questions))
        assert [reply.status for reply in replies] == [200] * len(questions)
        assert all(reply.text for reply in replies), [reply.body for reply in replies]
        servers |= {scaleout.rasa_index(reply.upstream) for reply in replies}
        events = tracker_events(scaleout.tracker_url, [chat.sender])[chat.sender]
        lost = Counter(["hi", *questions]) - Counter(user_texts(events))
        if lost or tracker_problems(events):
            broken[chat.sender] = f"lost {sorted(lost.elements())}; {tracker_problems(events)}"
    assert servers == {0, 1}
    # Rasa took and released a lock per message in Redis.
    assert int(client.info("stats")["total_commands_processed"]) - commands_before >= 2 * ROUNDS * len(questions)
    assert not broken, (
        f"{len(broken)} of {ROUNDS} conversations lost messages or interleaved turns: {broken}. Rasa 3.6's "
        "RedisLockStore issues tickets with GET + SET, not atomically: two servers can take the same ticket "
        "at once (see README.md, \"Findings, and what was done about them\").")


# ----------------------------------------------------------------------------- a Rasa server dies


def test_rasa_server_killed_mid_form_the_form_goes_on_elsewhere_and_after_restart(
    scaleout: ScaleOut, store: SqlIntakeStore
) -> None:
    first, second = Conversation(scaleout.url), Conversation(scaleout.url)
    fill(first, upto=5)
    fill(second, upto=3)
    try:
        scaleout.kill_rasa(0)
        assert not scaleout.rasa_running(0)
        # Through nginx: the dead server is skipped, the surviving one continues the form.
        for typed, expected in STEPS[5:]:
            assert expected in first.text(typed)
        assert all(scaleout.rasa_index(upstream) == 1 for upstream in first.upstreams[5:])
        reference = REFERENCE.search(first.replies[-1].text).group(0)
        assert [row.reference for row in stored_for(store, first.sender)] == [reference]
        # The second conversation goes one step further on the survivor while the other restarts...
        assert STEPS[3][1] in second.text(STEPS[3][0])
    finally:
        scaleout.restart_rasa(0)
    # ...and on the restarted server directly, it continues from where it was.
    direct = scaleout.rasa_urls[0]
    for typed, expected in STEPS[4:]:
        reply = second.say(typed, base_url=direct)
        assert reply.status == 200 and expected in reply.text, (typed, reply.body)
    assert REFERENCE.search(second.replies[-1].text)
    assert len(stored_for(store, second.sender)) == 1
    assert_consistent(scaleout, first, second)


# ----------------------------------------------------------------------------- action servers down


def test_action_servers_down_the_server_keeps_answering_and_recovers(scaleout: ScaleOut) -> None:
    knowledge, form = Conversation(scaleout.url), Conversation(scaleout.url)
    assert "South Sudan" in knowledge.text("is south sudan a member of interpol?")
    fill(form, upto=3)
    try:
        scaleout.stop_action_servers()
        during = [knowledge.say(question) for question in
                  ("is serbia a member of interpol?", "what is a yellow notice?")]
        # What the person gets is the lead's apology-with-contacts; here only that Rasa answers.
        assert [reply.status for reply in during] == [200, 200]
        FAULTS["action servers down, knowledge question"] = during[0].text or "(no reply)"
        FAULTS["action servers down, second question"] = during[1].text or "(no reply)"
    finally:
        scaleout.start_action_servers()
    # Back: knowledge questions are answered again, with the conversation's context...
    assert "North Korea" in knowledge.text("is north korea a member of interpol?")
    assert "Serbia" in knowledge.text("and Serbia?")
    # ...and the form that waited during the outage goes on from its question.
    for typed, expected in STEPS[3:]:
        assert expected in form.text(typed)
    assert REFERENCE.search(form.replies[-1].text)
    assert_consistent(scaleout, form)


# ----------------------------------------------------------------------------- intake DB down


def test_intake_database_down_at_submit_request_is_spooled_and_stored_once_later(
    scaleout: ScaleOut, store: SqlIntakeStore
) -> None:
    """Only DATABASE_URL's database goes away (the conversations' database stays): the person
    still gets a reference; the action server's outbox worker (every poll_seconds, 5 s) moves
    the spooled request into the database when it is back, under that same reference, once."""
    chat = Conversation(scaleout.url)
    fill(chat, upto=9)
    try:
        scaleout.stop_postgres("intake")
        with pytest.raises(Exception, match="not currently accepting connections"):
            open_store(scaleout.intake_url, spool_dir=scaleout.run_dir / "unused").list()
        answer = chat.text("/affirm")
        FAULTS["intake database down at submit"] = answer
        reference = REFERENCE.search(answer).group(0)
        spooled = list(scaleout.spool_dir.glob("*.json"))
        assert len(spooled) == 1 and [item.reference for item in Spool(scaleout.spool_dir).items()] == [reference]
        assert reference not in spooled[0].read_text()          # the spool on disk is encrypted
        time.sleep(6)  # a worker run while the database is still down must keep it spooled
        assert len(list(scaleout.spool_dir.glob("*.json"))) == 1
    finally:
        scaleout.start_postgres("intake")
    rows = wait_for(lambda: stored_for(store, chat.sender), timeout=45)
    assert [row.reference for row in rows] == [reference]
    assert rows[0].full_name == "Maria Ivanova"
    assert wait_for(lambda: not list(scaleout.spool_dir.glob("*.json")), timeout=15)
    time.sleep(6)  # both action servers' workers have run again: still exactly one request
    assert [row.reference for row in stored_for(store, chat.sender)] == [reference]
    assert store.get(reference) is not None
    # Submitting again answers with the same reference and stores nothing new.
    assert_consistent(scaleout, chat)


# ----------------------------------------------------------------------------- Redis down


def firm_contacts(scaleout: ScaleOut) -> List[str]:
    """The firm's phone, emergency line and email as the Rasa servers fill them into
    utter_action_unavailable (from the stack's copy of firm.yml)."""
    details = response_variables(load_settings(scaleout.run_dir / "firm.yml"))
    return [details["firm_phone"], details["emergency_phone"], details["firm_email"]]


def assert_apology(text: str, contacts: List[str]) -> None:
    assert "technical problem" in text and all(contact in text for contact in contacts), text


def rasa_logs_since(scaleout: ScaleOut, sizes: Dict[int, int]) -> str:
    return "".join(scaleout.rasa_log(index).read_bytes()[sizes[index]:].decode(errors="replace") for index in sizes)


def rasa_log_sizes(scaleout: ScaleOut) -> Dict[int, int]:
    return {index: scaleout.rasa_log(index).stat().st_size for index in range(len(scaleout.rasa))}


async def widget_ask(url: str, session: str, message: str, expected: str, forwarded_for: Optional[str] = None) -> str:
    """Says message over socket.io (websocket, through nginx) in the widget's session; returns the
    first bot message containing expected, or every bot message it got (a new session is greeted first)."""
    async with SocketIOWebsocket(url, forwarded_for) as client:
        await client.emit("session_request", {"session_id": session})
        assert await client.wait_for("session_confirm", 20) == session
        await client.emit("user_uttered", {"message": message, "session_id": session})
        seen = []
        for _ in range(10):
            try:
                answer = str((await client.wait_for("bot_uttered", 60 if not seen else 10)).get("text", ""))
            except (TimeoutError, asyncio.TimeoutError):
                break
            if expected in answer:
                return answer
            seen.append(answer)
        return f"(no message with {expected!r}; got {seen!r})"


def test_redis_down_the_person_gets_the_apology_and_no_conversation_is_corrupted(scaleout: ScaleOut) -> None:
    """While the lock store is down no message can be handled safely (the lock is what keeps two
    servers from handling one conversation at once), so none is: the person reads the apology
    with the firm's contacts, on REST and on the widget's socket.io, nothing is stored, and the
    log says why. When Redis is back, every conversation continues where it was."""
    contacts = firm_contacts(scaleout)
    chat, other = Conversation(scaleout.url), Conversation(scaleout.url)
    widget = uuid.uuid4().hex
    fill(chat, upto=3)
    assert "South Sudan" in other.text("is south sudan a member of interpol?")
    assert "South Sudan" in asyncio.run(asyncio.wait_for(
        widget_ask(scaleout.url, widget, "is south sudan a member of interpol?", "South Sudan"), 120))
    logs_before = rasa_log_sizes(scaleout)
    try:
        scaleout.stop_redis()
        during = [chat.say(STEPS[3][0]), other.say("and Serbia?")]
        assert [reply.status for reply in during] == [200, 200], [(r.status, r.body) for r in during]
        for reply in during:
            assert_apology(reply.text, contacts)
        FAULTS["redis down, REST"] = during[0].text
        on_widget = asyncio.run(asyncio.wait_for(
            widget_ask(scaleout.url, widget, "and Serbia?", "technical problem"), 120))
        assert_apology(on_widget, contacts)
        FAULTS["redis down, widget (socket.io)"] = on_widget
        logged = rasa_logs_since(scaleout, logs_before)
        assert "The lock store is unavailable" in logged
        assert "redis.exceptions.ConnectionError" in logged
        assert f"127.0.0.1:{scaleout.redis_port}" in logged
    finally:
        scaleout.start_redis()
    # Back: the messages sent during the outage were not half-handled: the form asks again
    # for what it asked before, the knowledge conversations keep their context.
    for typed, expected in STEPS[3:]:
        assert expected in chat.text(typed)
    assert REFERENCE.search(chat.replies[-1].text)
    assert "Serbia" in other.text("and Serbia?")
    assert "Serbia" in asyncio.run(asyncio.wait_for(widget_ask(scaleout.url, widget, "and Serbia?", "Serbia"), 120))
    events = tracker_events(scaleout.tracker_url, [chat.sender, other.sender, widget])
    for sender in (chat.sender, other.sender, widget):
        assert tracker_problems(events[sender]) == []
        # neither the outage message nor the apology was stored
        assert not [data for *_, data in events[sender] if "utter_action_unavailable" in data], sender
    assert user_texts(events[chat.sender]).count(STEPS[3][0]) == 1
    assert user_texts(events[other.sender]).count("and Serbia?") == 1
    assert user_texts(events[widget]) == ["is south sudan a member of interpol?", "and Serbia?"]


def test_redis_down_while_a_message_waits_for_its_turn_gets_the_apology(scaleout: ScaleOut) -> None:
    """A message waiting for its conversation's lock (another turn holds it) when Redis goes
    away is not handled either: it gets the apology instead of an empty reply."""
    contacts = firm_contacts(scaleout)
    chat = Conversation(scaleout.url)
    assert "South Sudan" in chat.text("is south sudan a member of interpol?")
    # Another server's turn holds this conversation's lock: ticket 0, written as Rasa's
    # TicketLock.dumps writes it (each ticket is itself a JSON string).
    client = redis.Redis(host="127.0.0.1", port=scaleout.redis_port, db=1)
    ticket = json.dumps({"number": 0, "expires": time.time() + 60})
    client.set(f"lock:{chat.sender}", json.dumps({"conversation_id": chat.sender, "tickets": [ticket]}))
    logs_before = rasa_log_sizes(scaleout)
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            waiting = pool.submit(chat.say, "and Serbia?")
            time.sleep(3)
            assert not waiting.done(), waiting.result().body  # it waits for the lock
            scaleout.stop_redis()
            reply = waiting.result(timeout=30)
        finally:
            scaleout.start_redis()
    assert reply.status == 200
    assert_apology(reply.text, contacts)
    logged = rasa_logs_since(scaleout, logs_before)
    assert "The lock store is unavailable" in logged and "Error while waiting for the lock" in logged
    # Redis came back empty (no persistence): the conversation goes on, the message left no trace.
    assert "Serbia" in chat.text("and Serbia?")
    events = tracker_events(scaleout.tracker_url, [chat.sender])[chat.sender]
    assert tracker_problems(events) == []
    assert user_texts(events).count("and Serbia?") == 1


# ----------------------------------------------------------------------------- socket.io


def polling(url: str, forwarded_for: str, sid: Optional[str] = None, data: Optional[str] = None,
            timeout: float = 40) -> Tuple[int, str, str]:
    """One engine.io long-polling request: (status, body, the Rasa server nginx chose)."""
    query = f"EIO=4&transport=polling&t={uuid.uuid4().hex[:6]}" + (f"&sid={sid}" if sid else "")
    request = urllib.request.Request(f"{url}/socket.io/?{query}", method="POST" if data is not None else "GET",
                                     data=data.encode() if data is not None else None,
                                     headers={"X-Forwarded-For": forwarded_for,
                                              "Content-Type": "text/plain;charset=UTF-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode(), response.headers.get("X-Upstream", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace"), error.headers.get("X-Upstream", "")


def handshake(url: str, forwarded_for: str) -> Tuple[str, str]:
    status, body, upstream = polling(url, forwarded_for)
    assert status == 200 and body.startswith("0"), (status, body)
    return json.loads(body[1:])["sid"], upstream


def client_address_per_server(scaleout: ScaleOut) -> Dict[int, str]:
    """An X-Forwarded-For value that nginx's hash sends to each Rasa server."""
    found: Dict[int, str] = {}
    for last in range(1, 60):
        address = f"203.0.113.{last}"
        _, upstream = handshake(scaleout.url, address)
        found.setdefault(scaleout.rasa_index(upstream), address)  # type: ignore[arg-type]
        if len(found) == len(scaleout.rasa):
            return found
    pytest.fail(f"nginx sent 59 client addresses to the same server: {found}")


def test_socketio_long_polling_is_sticky_through_nginx(scaleout: ScaleOut) -> None:
    """Every poll of a session reaches the server that created it (another server does not
    know the sid: that is why socket.io needs sticky sessions), and a whole conversation
    works over polling through nginx."""
    addresses = client_address_per_server(scaleout)
    for server, address in addresses.items():
        sid, upstream = handshake(scaleout.url, address)
        other = scaleout.rasa_urls[1 - server]
        status, body, _ = polling(other, address, sid=sid)
        assert status == 400, f"server {2 - server} accepted a session it never created: {body}"
        session = uuid.uuid4().hex
        packets = ["40", f'42["session_request",{{"session_id":"{session}"}}]',
                   f'42["user_uttered",{{"message":"is south sudan a member of interpol?","session_id":"{session}"}}]']
        received = ""
        for packet in packets:
            status, body, chosen = polling(scaleout.url, address, sid=sid, data=packet)
            assert status == 200 and chosen == upstream, (packet, status, body, chosen)
        deadline = time.monotonic() + 60
        while "South Sudan" not in received and time.monotonic() < deadline:  # greeting first
            status, body, chosen = polling(scaleout.url, address, sid=sid)
            assert status == 200 and chosen == upstream, (status, body, chosen)
            received += body
        assert "session_confirm" in received and "South Sudan" in received, received


def test_socketio_websocket_through_nginx_and_the_session_survives_a_change_of_server(
    scaleout: ScaleOut,
) -> None:
    """The widget's transport (websocket, upgraded through nginx). With session persistence the
    conversation is the session_id's, so a reconnect that lands on another server (e.g. after
    a crash) continues it."""
    addresses = client_address_per_server(scaleout)
    session = uuid.uuid4().hex

    async def ask(server: int, message: str, expected: str) -> str:
        """Says message on the given server; returns the first bot message containing expected
        (a new session is greeted first)."""
        async with SocketIOWebsocket(scaleout.url, addresses[server]) as client:
            assert scaleout.rasa_index(client.upstream) == server, client.upstream
            await client.emit("session_request", {"session_id": session})
            assert await client.wait_for("session_confirm", 20) == session
            await client.emit("user_uttered", {"message": message, "session_id": session})
            for _ in range(10):
                answer = str((await client.wait_for("bot_uttered", 60)).get("text", ""))
                if expected in answer:
                    return answer
            return f"(no message with {expected!r})"

    assert "South Sudan" in asyncio.run(asyncio.wait_for(
        ask(0, "is south sudan a member of interpol?", "South Sudan"), 120))
    assert "Serbia" in asyncio.run(asyncio.wait_for(ask(1, "and Serbia?", "Serbia"), 120))
    events = tracker_events(scaleout.tracker_url, [session])[session]
    assert tracker_problems(events) == []
    assert user_texts(events) == ["is south sudan a member of interpol?", "and Serbia?"]
