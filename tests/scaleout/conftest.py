"""The scale-out stack (ops/scaleout.py), started once for tests/scaleout and stopped at the end.

Why one stack for the whole folder: two Rasa servers take ~20-30 s and ~600 MB each to start;
the fault tests put every part back the way they found it, so the fuzz, load and fault tests
can share it and the folder stays well under its time budget.

`-m "not scaleout"` leaves these tests out (they need nginx and redis-server:
`apt-get install -y nginx redis-server`). SCALEOUT_SKIP=1 skips them with a reason.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from intake.crypto import cipher_from_environment, is_token
from ops.scaleout import ScaleOut
from ops.stack import PROJECT_ROOT
from tests.conftest import train_once

ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
# Figures the tests measured, printed at the end of the run (terminal summary).
FIGURES: List[Dict[str, Any]] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scaleout: needs nginx, redis-server and PostgreSQL; ~10 minutes")


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.scaleout)


def report(title: str, figures: Dict[str, Any], artifact: str = "") -> None:
    """Keeps figures for the terminal summary and writes them to tests/artifacts/<artifact>."""
    FIGURES.append({"title": title, "figures": figures})
    if artifact:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / artifact).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for entry in FIGURES:
        terminalreporter.write_sep("-", entry["title"])
        for name, value in entry["figures"].items():
            terminalreporter.write_line(f"{name:>34}: {value}")


@pytest.fixture(scope="session")
def scaleout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaleOut]:
    """2 Rasa servers and 2 action servers behind nginx, PostgreSQL and Redis, on free ports."""
    if os.environ.get("SCALEOUT_SKIP") == "1":
        pytest.skip("SCALEOUT_SKIP=1: scale-out tests skipped")
    missing = [name for name in ("nginx", "redis-server")
               if not (shutil.which(name) or Path(f"/usr/sbin/{name}").exists())]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: apt-get update && apt-get install -y nginx redis-server "
                    "(or SCALEOUT_SKIP=1 to skip the scale-out tests)")
    train_once()
    running = ScaleOut(tmp_path_factory.mktemp("scaleout"), rasa_servers=2, action_servers=2).start()
    yield running
    running.stop()


# ----------------------------------------------------------------------------- helpers
# Shared by the test modules of this folder (import them from tests.scaleout.conftest).

import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Optional, Sequence, Tuple  # noqa: E402

from sqlalchemy import create_engine, text  # noqa: E402


@dataclass
class Reply:
    """One HTTP answer: status, the Rasa server nginx chose (X-Upstream) and the JSON body."""

    status: int
    upstream: str
    body: Any

    @property
    def text(self) -> str:
        if not isinstance(self.body, list):
            return ""
        return "\n".join(str(item.get("text", "")) for item in self.body if isinstance(item, dict))


def post(url: str, payload: Any, timeout: float = 120, headers: Optional[Dict[str, str]] = None) -> Reply:
    """POSTs JSON (or raw bytes) and returns the reply whatever its status (never raises on 4xx/5xx)."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, upstream, raw = response.status, response.headers.get("X-Upstream", ""), response.read()
    except urllib.error.HTTPError as error:
        status, upstream, raw = error.code, error.headers.get("X-Upstream", ""), error.read()
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        body = raw
    return Reply(status, upstream, body)


@dataclass
class Conversation:
    """One conversation over REST through nginx (or one Rasa server directly), recording which
    Rasa server answered each message. `text` has tests.chat.Chat's signature, so the e2e
    tests' `fill` walks the consultation form with it."""

    base_url: str
    sender: str = field(default_factory=lambda: f"scaleout-{uuid.uuid4().hex[:12]}")
    replies: List[Reply] = field(default_factory=list)

    def say(self, message: str, base_url: Optional[str] = None) -> Reply:
        reply = post(f"{base_url or self.base_url}/webhooks/rest/webhook", {"sender": self.sender, "message": message})
        self.replies.append(reply)
        return reply

    def text(self, message: str) -> str:
        reply = self.say(message)
        assert reply.status == 200, f"{message!r}: HTTP {reply.status} {reply.body!r}"
        return reply.text

    @property
    def upstreams(self) -> List[str]:
        return [reply.upstream for reply in self.replies]


def tracker_events(tracker_url: str, senders: Sequence[str]) -> Dict[str, List[Tuple[int, str, Optional[str], float, str]]]:
    """Each conversation's stored events in order: (id, type, action name, timestamp, data)."""
    engine = create_engine(tracker_url, future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, sender_id, type_name, action_name, timestamp, data FROM events "
                     "WHERE sender_id = ANY(:senders) ORDER BY id"), {"senders": list(senders)}).all()
    finally:
        engine.dispose()
    found: Dict[str, List[Tuple[int, str, Optional[str], float, str]]] = {sender: [] for sender in senders}
    cipher = cipher_from_environment()  # the events' JSON is encrypted at rest (intake/crypto.py)
    for row in rows:
        data = cipher.decrypt(row.data) if is_token(row.data) else row.data
        found[row.sender_id].append((row.id, row.type_name, row.action_name, row.timestamp, data))
    return found


def tracker_problems(events: List[Tuple[int, str, Optional[str], float, str]]) -> List[str]:
    """What would show a corrupted conversation: an event stored twice, or a user message that
    arrives before the previous turn ended with action_listen (two turns interleaved)."""
    problems = []
    seen = set()
    in_turn = False  # a user message was stored and its turn has not ended yet
    last_action: Optional[str] = None
    for event_id, type_name, action_name, timestamp, data in events:
        key = (type_name, timestamp, data)
        if key in seen:
            problems.append(f"event {event_id} ({type_name} {action_name or ''}) stored twice")
        seen.add(key)
        if type_name == "action":
            last_action = action_name
        elif type_name == "user":
            if in_turn and last_action != "action_listen":
                problems.append(f"user event {event_id} arrived while the previous turn was still open "
                                f"(last action: {last_action})")
            in_turn, last_action = True, None
    return problems


def user_texts(events: List[Tuple[int, str, Optional[str], float, str]]) -> List[str]:
    return [json.loads(data).get("text") or "" for _, type_name, _, _, data in events if type_name == "user"]


class SocketIOWebsocket:
    """A minimal socket.io (engine.io 4) client over a raw websocket, with aiohttp.

    Why not python-socketio's AsyncClient: its engine.io (4.15) needs aiohttp >= 3.10 for
    websockets and the project pins 3.9.5 (Rasa 3.6's). Raw frames also let the fuzz test
    send what no well-behaved client would.
    """

    def __init__(self, base_url: str, forwarded_for: Optional[str] = None) -> None:
        self.url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        self.upstream = ""

    async def __aenter__(self) -> "SocketIOWebsocket":
        import aiohttp

        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, connect=10))
        try:
            self.ws = await self.session.ws_connect(self.url, headers=self.headers, autoping=True, timeout=10)
            response = getattr(self.ws, "_response", None)
            self.upstream = response.headers.get("X-Upstream", "") if response is not None else ""
            opening = await self.receive(10)
            assert opening.startswith("0"), opening
            await self.ws.send_str("40")
            connected = await self.receive(10)
            assert connected.startswith("40"), connected
        except BaseException:
            await self.session.close()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        try:
            await self.ws.close()
        finally:
            await self.session.close()

    async def receive(self, timeout: float) -> str:
        """The next engine.io packet that is not a ping (pings are answered, as clients must)."""
        import asyncio

        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError("no socket.io packet in time")
            message = await asyncio.wait_for(self.ws.receive(), left)
            if not isinstance(message.data, str):
                raise ConnectionError(f"websocket closed: {message.type} {message.data!r}")
            if message.data == "2":
                await self.ws.send_str("3")
                continue
            return message.data

    async def emit(self, event: str, data: Any) -> None:
        await self.ws.send_str("42" + json.dumps([event, data]))

    async def wait_for(self, event: str, timeout: float) -> Any:
        """The data of the next `event` (other events are skipped)."""
        import asyncio

        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            packet = await self.receive(max(0.1, deadline - asyncio.get_running_loop().time()))
            if packet.startswith("42"):
                name, *payload = json.loads(packet[2:])
                if name == event:
                    return payload[0] if payload else None
