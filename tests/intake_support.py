"""What the intake tests share: a valid request, settings with channels switched on, an open
store on whichever database ``intake_database_url`` gives (SQLite in tests/unit/conftest.py,
PostgreSQL in tests/e2e/conftest.py), and real receivers for the notifications.
"""
from __future__ import annotations

import email
import json
import socket
import threading
import time
import uuid
from dataclasses import replace
from datetime import datetime, timezone
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from firm import Settings, load_settings
from intake.records import ConsultationRequest
from intake.store import SqlIntakeStore, open_store

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def fresh_schema(base_url: str) -> Iterator[str]:
    """The URL of a new, empty schema on the PostgreSQL server at ``base_url``, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, future=True)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def intake_settings(tmp_path: Path) -> Settings:
    """The shipped firm.yml, ignoring this shell's environment, with a private spool folder."""
    settings = load_settings(PROJECT_ROOT / "firm.yml", environ={})
    return replace(settings, intake=replace(settings.intake, spool_dir=tmp_path / "spool"))


def with_channels(settings: Settings, *, email: bool = False, slack: bool = False, **email_fields: Any) -> Settings:
    """Settings with the given notification channels switched on."""
    notifications = settings.notifications
    return replace(settings, notifications=replace(
        notifications,
        email=replace(notifications.email, enabled=email, **email_fields),
        slack_webhook=replace(notifications.slack_webhook, enabled=slack)))


@pytest.fixture
def intake_store(intake_database_url: str, intake_settings: Settings) -> Iterator[SqlIntakeStore]:
    """An open store on a fresh database (``intake_database_url``), no notification channel."""
    store = open_store(intake_database_url, intake_settings)
    yield store
    store.close()


def make_request(**overrides: Any) -> ConsultationRequest:
    """A complete, valid request; override any field."""
    values: dict[str, Any] = dict(
        conversation_id=f"conv-{uuid.uuid4().hex[:10]}",
        channel="socketio",
        full_name="Maria Ivanova",
        email="maria@example.com",
        phone="+442079460958",
        current_country="Spain",
        issuing_country="Russia",
        problem_type="red_notice",
        language="Russian",
        description="A Red Notice was published last month.",
        consent_version="2026-01",
        consent_at=datetime(2026, 1, 5, 14, 3, tzinfo=timezone.utc),
    )
    values.update(overrides)
    return ConsultationRequest(**values)


# --------------------------------------------------------------------------- real receivers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpInbox:
    """A real SMTP server on loopback that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd hook
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def start(self) -> "SmtpInbox":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


class WebhookReceiver:
    """A real HTTP server on loopback, standing in for Slack's incoming webhook.

    It can be stopped and started again on the same port, answer with an error status,
    or answer slowly."""

    def __init__(self, port: Optional[int] = None, status: int = 200, delay: float = 0.0) -> None:
        self.port = port or free_port()
        self.status = status
        self.delay = delay
        self.bodies: list[dict[str, Any]] = []
        self.hits = 0
        self._server: Optional[ThreadingHTTPServer] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/T000/B000/XXXX"

    def start(self) -> "WebhookReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                receiver.hits += 1
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(receiver.delay)
                if receiver.status == 200:
                    receiver.bodies.append(json.loads(body))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status == 200 else b"error")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
