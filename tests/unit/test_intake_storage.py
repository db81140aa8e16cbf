"""Storing consultation requests, on SQLite and on a real PostgreSQL server.

Here ``intake_database_url`` is an SQLite file; tests/e2e/test_intake_postgres.py runs every
test again on PostgreSQL."""
from __future__ import annotations

import re
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.exc import IntegrityError

from firm import Settings
from intake.conversations import erase_conversation, purge_conversations
from intake.request_checks import InvalidRequest
from intake.request_store import reference_hash
from intake.schema import notifications_table, requests_table
from intake.store import SqlIntakeStore, open_store
from tests.intake_support import make_request, with_channels

REFERENCE = re.compile(r"^IC-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")
DOWN_DATABASE = "postgresql://postgres@127.0.0.1:1/nothing_listens_here"


def _count(store: SqlIntakeStore, table) -> int:  # type: ignore[no-untyped-def]
    with store.engine.connect() as connection:
        return len(connection.execute(select(table.c.id)).all())


def test_a_submitted_request_gets_a_readable_reference_and_is_stored_complete(intake_store: SqlIntakeStore) -> None:
    request = make_request()
    result = intake_store.submit(request)
    assert result.created and not result.spooled
    assert REFERENCE.match(result.reference)
    stored = intake_store.get(result.reference)
    assert stored is not None and stored.status == "new" and stored.urgent is False
    for field in ("conversation_id", "channel", "full_name", "email", "phone", "current_country",
                  "issuing_country", "problem_type", "language", "description", "consent_version", "consent_at"):
        assert getattr(stored, field) == getattr(request, field), field
    assert stored.consent_at.tzinfo is not None and stored.created_at.tzinfo is not None


def test_references_can_be_typed_loosely(intake_store: SqlIntakeStore) -> None:
    reference = intake_store.submit(make_request()).reference
    assert intake_store.get(reference.lower().replace("-", " ")).reference == reference
    assert intake_store.get("IC-2222-2222") is None
    assert intake_store.get("not a reference") is None


def test_a_second_submit_of_the_same_conversation_creates_nothing(intake_database_url: str,
                                                                  intake_settings: Settings) -> None:
    store = open_store(intake_database_url, with_channels(intake_settings, email=True, slack=True))
    request = make_request()
    first = store.submit(request)
    again = store.submit(replace(request, full_name="Maria I."))
    assert (again.reference, again.created) == (first.reference, False)
    assert len(store.list()) == 1
    assert _count(store, notifications_table) == 2   # one per channel, not one per submit
    store.close()


def test_concurrent_submits_of_one_conversation_store_it_once(intake_store: SqlIntakeStore) -> None:
    request = make_request()
    results, errors = [], []
    barrier = threading.Barrier(6)

    def submit() -> None:
        barrier.wait()
        try:
            results.append(intake_store.submit(request))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({r.reference for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert len(intake_store.list()) == 1


def test_the_database_itself_refuses_a_second_row_for_a_conversation(intake_store: SqlIntakeStore) -> None:
    reference = intake_store.submit(make_request(conversation_id="same")).reference
    row = {c.name: getattr(intake_store.get(reference), c.name, None) for c in requests_table.columns
           if c.name != "id"}
    row["reference"] = "IC-2345-6789"
    with pytest.raises(IntegrityError):
        with intake_store.engine.begin() as connection:
            connection.execute(insert(requests_table).values(**row))


def test_request_summary_and_outbox_rows_are_written_together(intake_database_url: str,
                                                             intake_settings: Settings) -> None:
    store = open_store(intake_database_url, with_channels(intake_settings, email=True, slack=True))
    reference = store.submit(make_request(full_name="Ivan Petrov")).reference
    stored = store.get(reference)
    assert f"New consultation request {reference}" in stored.summary
    assert "Name: Ivan Petrov" in stored.summary
    assert sorted((n.channel, n.status, n.attempts) for n in stored.notifications) == [
        ("email", "pending", 0), ("slack", "pending", 0)]
    store.close()


def test_no_channel_enabled_means_no_outbox_rows(intake_store: SqlIntakeStore) -> None:
    stored = intake_store.get(intake_store.submit(make_request()).reference)
    assert stored.notifications == ()


def test_detained_now_is_urgent_and_the_summary_says_so_first(intake_store: SqlIntakeStore) -> None:
    urgent = intake_store.get(intake_store.submit(make_request(problem_type="detained_now")).reference)
    flagged = intake_store.get(intake_store.submit(make_request(urgent=True)).reference)
    normal = intake_store.get(intake_store.submit(make_request()).reference)
    assert urgent.urgent and flagged.urgent and not normal.urgent
    assert urgent.summary.startswith("URGENT — New consultation request")
    assert "Priority: URGENT — Detained now" in urgent.summary
    assert flagged.summary.startswith("URGENT —")
    assert normal.summary.startswith("New consultation request") and "Priority: normal" in normal.summary
    assert {r.reference for r in intake_store.list()[:2]} == {urgent.reference, flagged.reference}
    assert {r.reference for r in intake_store.list(urgent=True)} == {urgent.reference, flagged.reference}


def test_the_summary_contains_everything_the_lawyers_need(intake_store: SqlIntakeStore) -> None:
    request = make_request(description="Line one\nLine two", language="French", channel="slack")
    summary = intake_store.get(intake_store.submit(request).reference).summary
    for expected in ("Name: Maria Ivanova", "Email: maria@example.com", "Phone: +442079460958",
                     "Currently in: Spain", "Issuing country: Russia", "Problem: Red Notice", "Language: French",
                     "  Line one\n  Line two", "Channel: slack",
                     "Consent: privacy notice version 2026-01, given 2026-01-05 14:03 UTC"):
        assert expected in summary
    no_description = intake_store.get(intake_store.submit(make_request(description="", phone=None)).reference)
    assert "(none given)" in no_description.summary and "Phone: (not given)" in no_description.summary


ODD_INPUT = {
    "full_name": "Robert'); DROP TABLE intake_requests;-- 😀 " + "Ж" * 78,
    "description": ("<script>alert('x')</script> &amp; مرحبا بالعالم " + "💥" * 20).ljust(1000, "x"),
    "current_country": "Côte d'Ivoire",
    "issuing_country": "دولة فلسطين",
    "language": "עברית",
}


def test_odd_and_long_input_is_stored_verbatim(intake_store: SqlIntakeStore) -> None:
    request = make_request(**ODD_INPUT)
    assert len(request.full_name) <= 120 and len(request.description) == 1000
    stored = intake_store.get(intake_store.submit(request).reference)
    for field, value in ODD_INPUT.items():
        assert getattr(stored, field) == value
    assert len(intake_store.list()) == 1   # the table is still there


def test_nul_characters_are_removed_instead_of_failing(intake_store: SqlIntakeStore) -> None:
    stored = intake_store.get(intake_store.submit(make_request(full_name="Ma\x00ria")).reference)
    assert stored.full_name == "Maria"


@pytest.mark.parametrize("change, complaint", [
    ({"email": None, "phone": None}, "email or a phone"),
    ({"consent_at": datetime(2026, 1, 5, 14, 3)}, "timezone-aware"),
    ({"consent_version": ""}, "consent_version is required"),
    ({"full_name": "x" * 201}, "full_name is longer than 200"),
])
def test_requests_the_program_should_not_send_are_refused_clearly(intake_store: SqlIntakeStore, change: dict,
                                                                 complaint: str) -> None:
    with pytest.raises(InvalidRequest, match=complaint):
        intake_store.submit(make_request(**change))
    assert intake_store.list() == []


def test_handled_requests_leave_the_new_list(intake_store: SqlIntakeStore) -> None:
    first = intake_store.submit(make_request()).reference
    second = intake_store.submit(make_request()).reference
    assert intake_store.mark_handled(first) is True
    assert intake_store.mark_handled(first) is True       # twice is fine
    assert intake_store.mark_handled("IC-2222-2222") is False
    assert [r.reference for r in intake_store.list(status="new")] == [second]
    handled = intake_store.list(status="handled")
    assert [r.reference for r in handled] == [first] and handled[0].handled_at is not None


def test_erasure_removes_the_request_everywhere_and_audits_without_personal_data(
        intake_database_url: str, intake_settings: Settings) -> None:
    store = open_store(intake_database_url, with_channels(intake_settings, email=True))
    mine = store.submit(make_request(conversation_id="c-mine", email="Maria@Example.com")).reference
    second = store.submit(make_request(conversation_id="c-mine-2", email="maria@example.com")).reference
    other = store.submit(make_request(conversation_id="c-other", email="other@example.com")).reference

    assert store.erase(email="MARIA@example.COM") == 2
    assert store.get(mine) is None and store.get(second) is None and store.get(other) is not None
    assert _count(store, notifications_table) == 1
    audit = store.audit_log()[0]
    assert (audit["action"], audit["source"], audit["count"]) == ("erasure", "admin", 2)
    assert reference_hash(mine) in audit["detail"]
    assert "maria" not in str(audit).lower() and mine not in str(audit) and "c-mine" not in str(audit)

    assert store.erase(conversation_id="c-other", source="chat") == 1
    assert store.audit_log()[0]["source"] == "chat"
    assert store.erase(reference="IC-2222-2222") == 0
    assert store.list() == []
    with pytest.raises(ValueError):
        store.erase()
    store.close()


def test_purge_deletes_only_requests_older_than_the_retention(intake_store: SqlIntakeStore) -> None:
    now = datetime.now(timezone.utc)
    old = intake_store.submit(make_request(), now=now - timedelta(days=400)).reference
    recent = intake_store.submit(make_request(), now=now - timedelta(days=10)).reference
    assert intake_store.purge_older_than(365) == 1
    assert intake_store.get(old) is None and intake_store.get(recent) is not None
    assert intake_store.audit_log()[0]["action"] == "purge"


# --------------------------------------------------------------------------- database down -> spool


def test_while_the_database_is_down_the_request_is_spooled_and_moved_in_later(
        intake_database_url: str, intake_settings: Settings, tmp_path: Path) -> None:
    settings = with_channels(intake_settings, slack=True)
    down = open_store(DOWN_DATABASE, settings)
    request = make_request(problem_type="detained_now")
    started = time.monotonic()
    spooled = down.submit(request)
    assert time.monotonic() - started < 15
    assert spooled.created and spooled.spooled and REFERENCE.match(spooled.reference)
    again = down.submit(request)
    assert (again.reference, again.created) == (spooled.reference, False)
    assert down.spooled_count() == 1
    files = list(settings.intake.spool_dir.glob("*.json"))
    assert len(files) == 1 and "Maria" not in files[0].name
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"

    up = open_store(intake_database_url, settings)
    assert up.ingest_spool() == 1
    stored = up.get(spooled.reference)
    assert stored is not None and stored.urgent and stored.full_name == request.full_name
    assert [n.channel for n in stored.notifications] == ["slack"]
    assert up.spooled_count() == 0
    assert up.submit(request).created is False
    assert len(up.list()) == 1
    down.close()
    up.close()


def test_a_repeat_submit_after_the_database_is_back_keeps_the_spooled_reference(
        intake_database_url: str, intake_settings: Settings) -> None:
    request = make_request()
    reference = open_store(DOWN_DATABASE, intake_settings).submit(request).reference
    up = open_store(intake_database_url, intake_settings)
    result = up.submit(request)
    assert (result.reference, result.created) == (reference, False)
    assert up.get(reference) is not None and up.spooled_count() == 0
    up.close()


def test_erasure_also_reaches_the_spool(intake_database_url: str, intake_settings: Settings) -> None:
    open_store(DOWN_DATABASE, intake_settings).submit(make_request(conversation_id="c-spooled"))
    store = open_store(intake_database_url, intake_settings)
    assert store.erase(conversation_id="c-spooled") == 1
    assert store.spooled_count() == 0 and store.ingest_spool() == 0
    store.close()


# --------------------------------------------------------------------------- Rasa tracker store


def _tracker_with_events(url: str, events: list[tuple[str, float]]) -> None:
    """The table layout of rasa.core.tracker_store.SQLTrackerStore.SQLEvent."""
    engine = create_engine(url, future=True)
    with engine.begin() as connection:
        connection.execute(text(
            "CREATE TABLE events (id SERIAL PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
            "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"
            if engine.dialect.name == "postgresql" else
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
            "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"))
        for sender, timestamp in events:
            connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                                    "VALUES (:s, 'user', :t, '{\"text\": \"my name is Maria\"}')"),
                               {"s": sender, "t": timestamp})
    engine.dispose()


def _senders(url: str) -> list[str]:
    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        senders = sorted(r[0] for r in connection.execute(text("SELECT sender_id FROM events")))
    engine.dispose()
    return senders


def test_a_conversation_is_erased_from_the_tracker_store(tracker_database_url: str) -> None:
    now = time.time()
    _tracker_with_events(tracker_database_url, [("maria", now), ("maria", now), ("ivan", now)])
    assert erase_conversation(tracker_database_url, "maria") == 2
    assert _senders(tracker_database_url) == ["ivan"]
    assert erase_conversation(tracker_database_url, "maria") == 0


def test_old_conversations_are_purged_whole(tracker_database_url: str) -> None:
    now = datetime.now(timezone.utc)
    old, recent = (now - timedelta(days=400)).timestamp(), (now - timedelta(days=2)).timestamp()
    _tracker_with_events(tracker_database_url, [("stale", old), ("stale", old), ("ongoing", old),
                                                ("ongoing", recent), ("fresh", recent)])
    assert purge_conversations(tracker_database_url, 365) == 2
    assert _senders(tracker_database_url) == ["fresh", "ongoing", "ongoing"]


def test_a_missing_tracker_store_means_nothing_to_erase(tracker_database_url: str, tmp_path: Path) -> None:
    assert erase_conversation(tracker_database_url, "maria") == 0        # no events table
    missing = tmp_path / "never-created.db"
    assert erase_conversation(f"sqlite:///{missing}", "maria") == 0
    assert purge_conversations(f"sqlite:///{missing}", 30) == 0
    assert not missing.exists()
