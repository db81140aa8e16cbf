"""Channels that tell the lawyers about a new request: email (SMTP) and a Slack webhook.

Why: each notifier does one delivery attempt and raises NotifyError on any failure;
retrying, backoff and "never twice" are the outbox's job (intake.outbox), so the
notifiers stay small and easy to test against real servers. Secrets (SMTP login,
webhook URL) come from environment variables named in firm.yml, never from the file.
Error texts never contain the webhook URL or the person's data.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Mapping, Optional, Protocol, Sequence

from firm import Settings

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10.0


class NotifyError(Exception):
    """One delivery attempt failed; the outbox will retry later."""


@dataclass(frozen=True)
class OutgoingMessage:
    """What every channel sends: the stored summary, its first line as the title."""

    reference: str
    urgent: bool
    text: str

    @property
    def title(self) -> str:
        """First line of the summary, e.g. "URGENT — New consultation request IC-7KQ4-M2XD"."""
        return self.text.split("\n", 1)[0]


class Notifier(Protocol):
    """One notification channel."""

    channel: str

    def send(self, message: OutgoingMessage) -> None:
        """Deliver the message once, or raise NotifyError."""


class EmailNotifier:
    """Sends the summary as a plain-text email through an SMTP server."""

    channel = "email"

    def __init__(self, host: str, port: int, from_address: str, to: Sequence[str], *, starttls: bool = False,
                 username: Optional[str] = None, password: Optional[str] = None,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.host = host
        self.port = port
        self.from_address = from_address
        self.to = tuple(to)
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = timeout

    def build(self, message: OutgoingMessage) -> EmailMessage:
        """The email: subject = summary title (no personal data), body = full summary."""
        email = EmailMessage()
        email["Subject"] = message.title
        email["From"] = self.from_address
        email["To"] = ", ".join(self.to)
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(idstring=message.reference)
        email["X-Intake-Reference"] = message.reference
        if message.urgent:
            email["X-Priority"] = "1"
            email["Importance"] = "high"
        email.set_content(message.text, subtype="plain", charset="utf-8")
        return email

    def send(self, message: OutgoingMessage) -> None:
        """One SMTP delivery (STARTTLS and login when configured)."""
        if not self.to:
            raise NotifyError("No recipients configured (notifications.email.to).")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(self.build(message))
        except (OSError, smtplib.SMTPException) as error:
            raise NotifyError(f"SMTP {self.host}:{self.port}: {type(error).__name__}: {error}") from error
        if refused:
            raise NotifyError(f"SMTP server refused {len(refused)} recipient(s).")


def slack_escape(text: str) -> str:
    """Escape &, < and > so Slack shows the person's text literally.

    Why: in Slack, "<!channel>" pings everyone and "<https://x|label>" hides a link;
    nothing a person typed may do that.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackWebhookNotifier:
    """Posts the summary to a Slack incoming webhook as JSON {"text": ...}."""

    channel = "slack"

    def __init__(self, url: Optional[str], *, timeout: float = DEFAULT_TIMEOUT_SECONDS,
                 url_env: str = "FIRM_SLACK_WEBHOOK_URL") -> None:
        self.url = url
        self.timeout = timeout
        self.url_env = url_env

    def payload(self, message: OutgoingMessage) -> dict[str, object]:
        """The JSON body: escaped text, with Slack formatting switched off."""
        return {"text": slack_escape(message.text), "mrkdwn": False}

    def send(self, message: OutgoingMessage) -> None:
        """One POST; any non-2xx answer or network error is a failure."""
        if not self.url:
            raise NotifyError(f"The Slack webhook URL is not set (environment variable {self.url_env}).")
        body = json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
                response.read(1024)
        except urllib.error.HTTPError as error:
            raise NotifyError(f"Slack webhook answered HTTP {error.code}.") from error
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise NotifyError(f"Slack webhook unreachable: {reason}.") from error
        if not 200 <= status < 300:
            raise NotifyError(f"Slack webhook answered HTTP {status}.")


def notifiers_from_settings(settings: Settings, environ: Optional[Mapping[str, str]] = None) -> list[Notifier]:
    """The notifiers for every channel enabled in firm.yml.

    A channel whose secret is missing is still built: its sends fail with a clear
    error and the notifications wait in the outbox until the secret is provided.
    """
    environ = os.environ if environ is None else environ
    notifiers: list[Notifier] = []
    email = settings.notifications.email
    if email.enabled:
        notifiers.append(EmailNotifier(
            email.smtp_host, email.smtp_port, email.from_address, email.to, starttls=email.starttls,
            username=environ.get(email.username_env) if email.username_env else None,
            password=environ.get(email.password_env) if email.password_env else None))
    slack = settings.notifications.slack_webhook
    if slack.enabled:
        notifiers.append(SlackWebhookNotifier(environ.get(slack.url_env), url_env=slack.url_env))
    return notifiers
