"""A local stand-in for the slice of Slack's Web API the Slack channel uses.

A real HTTP server on 127.0.0.1 (a thread): point SLACK_API_URL at `standin.api_url` and
every Web API call the assistant makes lands here, is recorded, and is answered the way
Slack answers (`{"ok": true, ...}`, or `{"ok": false, "error": "invalid_auth"}` for a
wrong bot token, `unknown_method` for anything not spoken here).
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import parse_qs


@dataclass
class Call:
    """One Web API call as the stand-in received it."""

    method: str  # Slack's method name, e.g. "chat.postMessage"
    args: Dict[str, Any]
    headers: Dict[str, str]
    ok: bool
    at: float = field(default_factory=time.time)

    @property
    def channel(self) -> Optional[str]:
        return self.args.get("channel")

    @property
    def text(self) -> str:
        """What a person reads: the text plus any section and button texts of the blocks."""
        parts = [str(self.args.get("text") or "")]
        for block in self.args.get("blocks") or []:
            if isinstance(block.get("text"), dict):
                parts.append(str(block["text"].get("text", "")))
            for element in block.get("elements") or []:
                if isinstance(element.get("text"), dict):
                    parts.append(str(element["text"].get("text", "")))
        return "\n".join(part for part in parts if part)

    @property
    def buttons(self) -> List[Dict[str, Any]]:
        return [
            element
            for block in self.args.get("blocks") or []
            if block.get("type") == "actions"
            for element in block.get("elements") or []
            if element.get("type") == "button"
        ]


def _decode_args(content_type: str, body: bytes, query: str) -> Dict[str, Any]:
    args: Dict[str, Any] = {key: values[-1] for key, values in parse_qs(query).items()}
    if not body:
        return args
    if content_type.startswith("application/json"):
        decoded = json.loads(body)
        if isinstance(decoded, dict):
            args.update(decoded)
        return args
    for key, values in parse_qs(body.decode()).items():
        value: Any = values[-1]
        if key in {"blocks", "attachments"}:  # slack_sdk sends these as JSON strings in forms
            try:
                value = json.loads(value)
            except ValueError:
                pass
        args[key] = value
    return args


class SlackStandIn:
    """Start with `start()` (or as a context manager); `calls`, `posts()`, `wait_for_posts()`."""

    def __init__(self, token: str = "xoxb-test-token", bot_user_id: str = "UBOTSTANDIN") -> None:
        self.token = token
        self.bot_user_id = bot_user_id
        self.calls: List[Call] = []
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._ts = 1_700_000_000.0

    # ------------------------------------------------------------------ server

    @property
    def api_url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def start(self) -> "SlackStandIn":
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, answer = standin._answer(
                    path, dict(self.headers.items()), body, query
                )
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *_: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="slack-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "SlackStandIn":
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()

    # ----------------------------------------------------------------- answers

    def _next_ts(self) -> str:
        self._ts += 1
        return f"{self._ts:.6f}"

    def _answer(
        self, path: str, headers: Dict[str, str], body: bytes, query: str
    ) -> "tuple[int, Dict[str, Any]]":
        method = path.rstrip("/").rsplit("/", 1)[-1]
        lowered = {key.lower(): value for key, value in headers.items()}
        try:
            args = _decode_args(lowered.get("content-type", ""), body, query)
        except ValueError:
            return 200, {"ok": False, "error": "invalid_json"}
        authorization = lowered.get("authorization", "")
        token = args.get("token") or authorization.removeprefix("Bearer ").strip()
        with self._lock:
            if token != self.token:
                answer: Dict[str, Any] = {"ok": False, "error": "invalid_auth"}
            elif method == "chat.postMessage":
                answer = self._post_message(args)
            elif method == "auth.test":
                answer = {
                    "ok": True, "url": "https://standin.slack.com/", "team": "Stand-in",
                    "user": "intake-bot", "team_id": "TSTANDIN", "user_id": self.bot_user_id,
                    "bot_id": "BSTANDIN",
                }
            elif method == "chat.update":
                answer = {"ok": True, "channel": args.get("channel"), "ts": args.get("ts"),
                          "text": args.get("text", "")}
            else:
                answer = {"ok": False, "error": "unknown_method"}
            self.calls.append(Call(method, args, lowered, bool(answer.get("ok"))))
        return 200, answer

    def _post_message(self, args: Dict[str, Any]) -> Dict[str, Any]:
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        message = {
            "type": "message", "subtype": "bot_message", "bot_id": "BSTANDIN",
            "user": self.bot_user_id, "text": args.get("text", ""), "ts": ts,
        }
        if args.get("blocks"):
            message["blocks"] = args["blocks"]
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    # ----------------------------------------------------------------- queries

    def posts(self, channel: Optional[str] = None) -> List[Call]:
        """Successful chat.postMessage calls, optionally to one channel, oldest first."""
        with self._lock:
            return [
                call for call in self.calls
                if call.method == "chat.postMessage" and call.ok
                and (channel is None or call.channel == channel)
            ]

    def wait_for_posts(
        self,
        channel: Optional[str] = None,
        count: int = 1,
        timeout: float = 30,
        settle: float = 0.0,
        until: Optional[Callable[[List[Call]], bool]] = None,
    ) -> List[Call]:
        """Polls until `count` posts (and `until`, if given) hold, then waits `settle` seconds
        more so that late extra posts show; returns the posts (possibly fewer on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            posts = self.posts(channel)
            if len(posts) >= count and (until is None or until(posts)):
                break
            time.sleep(0.1)
        if settle:
            time.sleep(settle)
        return self.posts(channel)
