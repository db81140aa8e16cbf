"""The lawyers hear about every request exactly once, through a real SMTP server (aiosmtpd)
and a real HTTP receiver standing in for Slack — also when those are down for a while.
Here on SQLite; tests/e2e/test_intake_postgres.py runs the database tests on PostgreSQL."""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Optional

import pytest

from firm import Settings
from intake.notify import SlackWebhookNotifier, notifiers_from_settings
from intake.outbox import OutboxWorker
from intake.store import SqlIntakeStore, open_store
from tests.intake_support import SmtpInbox, WebhookReceiver, free_port, make_request, with_channels

DOWN_DATABASE = "postgresql://postgres@127.0.0.1:1/nothing_listens_here"


@pytest.fixture
def inbox() -> Iterator[SmtpInbox]:
    server = SmtpInbox().start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


def slack_settings(settings: Settings, **retry: float) -> Settings:
    settings = with_channels(settings, slack=True)
    if retry:
        settings = replace(settings, notifications=replace(
            settings.notifications, retry=replace(settings.notifications.retry, **retry)))
    return settings


def slack_worker(store: SqlIntakeStore, url: Optional[str]) -> OutboxWorker:
    environ = {"FIRM_SLACK_WEBHOOK_URL": url} if url else {}
    return OutboxWorker(store, notifiers_from_settings(store.settings, environ=environ), store.settings)


def state(store: SqlIntakeStore, reference: str, channel: str = "slack") -> Any:
    return next(n for n in store.get(reference).notifications if n.channel == channel)


# --------------------------------------------------------------------------- email


def test_an_urgent_request_reaches_the_lawyers_mailbox_once(intake_database_url: str, intake_settings: Settings,
                                                            inbox: SmtpInbox) -> None:
    settings = with_channels(intake_settings, email=True, smtp_host="127.0.0.1", smtp_port=inbox.port,
                             from_address="assistant@firm.test", to=("lawyers@firm.test",))
    store = open_store(intake_database_url, settings)
    reference = store.submit(make_request(problem_type="detained_now", full_name="Андрей Сидоров",
                                          description="<b>Held</b> at the airport since 6am")).reference
    worker = OutboxWorker(store, notifiers_from_settings(settings, environ={}), settings)

    assert worker.run_once() == 1
    assert worker.run_once() == 0
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["Subject"] == f"URGENT — New consultation request {reference}"
    assert message["To"] == "lawyers@firm.test" and message["Importance"] == "high"
    body = message.get_content()
    # By default a notification carries no personal data: the reference, URGENT, the problem
    # type and the link to the request in the desk.
    assert body.startswith("URGENT —") and reference in body
    assert f"{settings.desk.public_url}/requests/{reference}" in body
    assert "Detained now" in body
    raw = message.as_string()
    for personal in ("Андрей", "Сидоров", "Held", "maria@example.com", "+442079460958", "Spain"):
        assert personal not in raw and personal not in body
    assert state(store, reference, "email").status == "delivered"
    store.close()


def test_the_firm_may_opt_in_to_the_full_summary_with_a_warning(intake_database_url: str, intake_settings: Settings,
                                                                inbox: SmtpInbox) -> None:
    from firm import notification_warnings
    settings = with_channels(intake_settings, email=True, smtp_host="127.0.0.1", smtp_port=inbox.port,
                             from_address="assistant@firm.test", to=("lawyers@firm.test",))
    settings = replace(settings, notifications=replace(settings.notifications, include_summary=True))
    store = open_store(intake_database_url, settings)
    store.submit(make_request(problem_type="detained_now", full_name="Андрей Сидоров",
                              description="<b>Held</b> at the airport since 6am"))
    assert OutboxWorker(store, notifiers_from_settings(settings, environ={}), settings).run_once() == 1
    body = inbox.messages[0].get_content()
    assert "Name: Андрей Сидоров" in body and "<b>Held</b> at the airport since 6am" in body
    assert any("include_summary" in warning for warning in notification_warnings(settings, environ={}))
    store.close()


def test_a_mail_server_that_is_down_does_not_break_the_worker(intake_database_url: str, intake_settings: Settings) -> None:
    settings = with_channels(intake_settings, email=True, smtp_host="127.0.0.1", smtp_port=free_port())
    store = open_store(intake_database_url, settings)
    reference = store.submit(make_request()).reference
    worker = OutboxWorker(store, notifiers_from_settings(settings, environ={}), settings)
    assert worker.run_once() == 0
    email_state = state(store, reference, "email")
    assert (email_state.status, email_state.attempts) == ("pending", 1)
    assert "SMTP" in email_state.last_error
    store.close()


# --------------------------------------------------------------------------- slack webhook


def test_slack_gets_the_reference_and_link_and_nothing_personal(intake_database_url: str, intake_settings: Settings,
                                                               receiver: WebhookReceiver) -> None:
    store = open_store(intake_database_url, slack_settings(intake_settings))
    reference = store.submit(make_request(description="<!channel> see <https://evil.test|here> & more")).reference
    assert slack_worker(store, receiver.url).run_once() == 1
    assert len(receiver.bodies) == 1
    payload = receiver.bodies[0]
    assert payload["mrkdwn"] is False
    assert reference in payload["text"] and f"/requests/{reference}" in payload["text"]
    for personal in ("Maria", "Ivanova", "maria@example.com", "+442079460958", "Spain", "Russia", "channel",
                     "evil.test"):
        assert personal not in payload["text"]
    store.close()


def test_slack_shows_the_persons_text_literally_when_the_summary_is_opted_in(
        intake_database_url: str, intake_settings: Settings, receiver: WebhookReceiver) -> None:
    settings = slack_settings(intake_settings)
    settings = replace(settings, notifications=replace(settings.notifications, include_summary=True))
    store = open_store(intake_database_url, settings)
    store.submit(make_request(description="<!channel> see <https://evil.test|here> & more"))
    assert slack_worker(store, receiver.url).run_once() == 1
    text = receiver.bodies[0]["text"]
    assert "Name: Maria Ivanova" in text
    assert "&lt;!channel&gt; see &lt;https://evil.test|here&gt; &amp; more" in text
    store.close()


def test_receiver_down_request_kept_retried_and_delivered_exactly_once(intake_database_url: str,
                                                                      intake_settings: Settings) -> None:
    store = open_store(intake_database_url, slack_settings(intake_settings))
    receiver = WebhookReceiver()                     # not started: connection refused
    start = datetime.now(timezone.utc)
    reference = store.submit(make_request(), now=start).reference
    worker = slack_worker(store, receiver.url)

    assert worker.run_once(now=start) == 0
    waiting = state(store, reference)
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.next_attempt_at == start + timedelta(seconds=30)
    assert "unreachable" in waiting.last_error

    assert worker.run_once(now=start + timedelta(seconds=10)) == 0      # not due yet: not even tried
    assert state(store, reference).attempts == 1

    receiver.start()
    try:
        assert worker.run_once(now=start + timedelta(seconds=31)) == 1
        assert worker.run_once(now=start + timedelta(hours=2)) == 0
        assert [reference in body["text"] for body in receiver.bodies] == [True]
        assert receiver.hits == 1
        delivered = state(store, reference)
        assert (delivered.status, delivered.attempts, delivered.last_error) == ("delivered", 2, None)
        assert store.get(reference) is not None                      # the request itself was kept all along
    finally:
        receiver.stop()
        store.close()


def test_failures_back_off_exponentially_up_to_the_cap_then_give_up_visibly(intake_database_url: str, intake_settings: Settings) -> None:
    store = open_store(intake_database_url,
                       slack_settings(intake_settings, max_attempts=4, base_delay_seconds=30,
                                      max_delay_seconds=60))
    failing = WebhookReceiver(status=500).start()
    try:
        start = datetime.now(timezone.utc)
        reference = store.submit(make_request(), now=start).reference
        worker = slack_worker(store, failing.url)
        moment, delays = start, []
        for _ in range(3):
            assert worker.run_once(now=moment) == 0
            following = state(store, reference).next_attempt_at
            delays.append((following - moment).total_seconds())
            moment = following
        assert delays == [30, 60, 60]
        assert "HTTP 500" in state(store, reference).last_error
        worker.run_once(now=moment)
        gave_up = state(store, reference)
        assert (gave_up.status, gave_up.attempts) == ("failed", 4)
        assert worker.run_once(now=moment + timedelta(days=1)) == 0
        assert failing.hits == 4

        failing.status = 200
        assert store.retry_failed_notifications() == 1
        assert worker.run_once() == 1
        assert state(store, reference).status == "delivered" and len(failing.bodies) == 1
    finally:
        failing.stop()
        store.close()


def test_a_missing_webhook_secret_keeps_the_notification_waiting(intake_database_url: str, intake_settings: Settings) -> None:
    store = open_store(intake_database_url, slack_settings(intake_settings))
    reference = store.submit(make_request()).reference
    assert slack_worker(store, None).run_once() == 0
    waiting = state(store, reference)
    assert waiting.status == "pending" and "FIRM_SLACK_WEBHOOK_URL" in waiting.last_error
    store.close()


def test_one_channel_failing_does_not_resend_the_other(intake_database_url: str, intake_settings: Settings, inbox: SmtpInbox) -> None:
    settings = with_channels(intake_settings, email=True, slack=True, smtp_host="127.0.0.1",
                             smtp_port=inbox.port)
    store = open_store(intake_database_url, settings)
    reference = store.submit(make_request()).reference
    slack = WebhookReceiver()
    worker = OutboxWorker(store, notifiers_from_settings(
        settings, environ={"FIRM_SLACK_WEBHOOK_URL": slack.url}), settings)
    start = datetime.now(timezone.utc)
    assert worker.run_once(now=start) == 1                            # email only
    slack.start()
    try:
        assert worker.run_once(now=start + timedelta(minutes=5)) == 1  # slack only
        assert len(inbox.messages) == 1 and len(slack.bodies) == 1
        assert {n.status for n in store.get(reference).notifications} == {"delivered"}
    finally:
        slack.stop()
        store.close()


def test_two_workers_at_once_never_send_a_notification_twice(intake_database_url: str, intake_settings: Settings,
                                                             receiver: WebhookReceiver) -> None:
    store = open_store(intake_database_url, slack_settings(intake_settings))
    references = {store.submit(make_request()).reference for _ in range(6)}
    receiver.delay = 0.05
    workers = [slack_worker(store, receiver.url) for _ in range(3)]
    barrier = threading.Barrier(len(workers))
    delivered: list[int] = []

    def run(worker: OutboxWorker) -> None:
        barrier.wait()
        delivered.append(worker.run_once())

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = [next(ref for ref in references if ref in body["text"]) for body in receiver.bodies]
    assert sorted(sent) == sorted(references)                         # each one, once
    assert sum(delivered) == 6
    store.close()


# --------------------------------------------------------------------------- background thread


def test_the_background_worker_delivers_without_being_asked(intake_database_url: str, intake_settings: Settings,
                                                            receiver: WebhookReceiver) -> None:
    settings = slack_settings(intake_settings)
    settings = replace(settings, notifications=replace(settings.notifications, poll_seconds=0.05))
    store = open_store(intake_database_url, settings)
    worker = slack_worker(store, receiver.url)
    worker.start()
    try:
        reference = store.submit(make_request()).reference
        deadline = time.monotonic() + 10
        while not receiver.bodies and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(receiver.bodies) == 1 and reference in receiver.bodies[0]["text"]
    finally:
        worker.stop()
    assert not worker.running
    store.close()


def test_a_slow_channel_never_slows_down_submitting(intake_database_url: str, intake_settings: Settings) -> None:
    slow = WebhookReceiver(delay=2.0).start()
    settings = slack_settings(intake_settings)
    settings = replace(settings, notifications=replace(settings.notifications, poll_seconds=0.05))
    store = open_store(intake_database_url, settings)
    worker = slack_worker(store, slow.url)
    try:
        store.submit(make_request())
        worker.start()
        deadline = time.monotonic() + 5
        while slow.hits == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert slow.hits == 1                                         # the worker is now waiting on Slack
        started = time.monotonic()
        second = store.submit(make_request())
        assert time.monotonic() - started < 1.0
        assert second.created
    finally:
        worker.stop()
        slow.stop()
        store.close()


def test_a_request_spooled_during_an_outage_is_moved_in_and_notified(intake_database_url: str,
                                                                    intake_settings: Settings,
                                                                    receiver: WebhookReceiver) -> None:
    settings = slack_settings(intake_settings)
    reference = open_store(DOWN_DATABASE, settings).submit(make_request()).reference
    store = open_store(intake_database_url, settings)
    assert slack_worker(store, receiver.url).run_once() == 1
    assert store.get(reference) is not None and store.spooled_count() == 0
    assert len(receiver.bodies) == 1 and reference in receiver.bodies[0]["text"]
    store.close()


def test_the_slack_notifier_reports_http_errors_without_the_secret_url() -> None:
    failing = WebhookReceiver(status=404).start()
    try:
        from intake.notify import NotifyError, OutgoingMessage
        with pytest.raises(NotifyError) as raised:
            SlackWebhookNotifier(failing.url).send(OutgoingMessage("IC-2222-2222", False, "text"))
        assert "HTTP 404" in str(raised.value) and "XXXX" not in str(raised.value)
    finally:
        failing.stop()
