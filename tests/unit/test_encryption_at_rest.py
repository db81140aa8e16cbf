"""Personal data encrypted at rest: a request's name, email and story, and the conversation,
never appear in clear in the database files or the spool (read as raw bytes); the key rotation
re-encrypts every row so that the old key opens nothing; a wrong key stops everything with a
clear message and changes nothing. Here on SQLite files; tests/e2e/test_intake_postgres.py runs
the database tests again on PostgreSQL (there the "raw bytes" are every row of every table as text).
"""
from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from pathlib import Path
from typing import Iterable

import pyotp
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from desk import accounts, cases
from firm import Settings
from intake import admin
from intake.conversations import conversation_events
from intake.crypto import DataCipher, DataKeyError, generate_key
from intake.spool import Spool
from intake.database import create_store_engine
from intake.store import SqlIntakeStore, open_store
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_server.stores.tracker_store import ErasableSQLTrackerStore
from tests.intake_support import make_request
from tests.unit.test_tracker_store import DOMAIN

NAME = "Zarina Kholmatova"
EMAIL = "zarina.kholmatova@example.org"
STORY = "Interpol diffusion requested by Tashkent after the protest"
SECRETS = (NAME, "Kholmatova", EMAIL, "zarina.kholmatova", STORY, "diffusion requested by Tashkent")
DOWN_DATABASE = "postgresql://postgres@127.0.0.1:1/nothing_listens_here"


def raw_database(url: str) -> bytes:
    """What someone with a copy of the database sees: the SQLite files' bytes (with the WAL), or
    every row of every table of the PostgreSQL schema as text."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists())
    engine = create_engine(url, future=True)
    try:
        dump = []
        with engine.connect() as connection:
            for table in inspect(connection).get_table_names():
                dump += [str(row[0]) for row in connection.execute(text(f'SELECT t::text FROM "{table}" t'))]
        return "\n".join(dump).encode("utf-8")
    finally:
        engine.dispose()


def raw_files(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file())


def assert_no_clear_text(data: bytes, secrets: Iterable[str] = SECRETS) -> None:
    for secret in secrets:
        for form in (secret.encode("utf-8"), secret.encode("utf-16-le")):
            assert form not in data, f"{secret!r} is stored in clear"


def consultation_conversation(tracker_url: str, sender: str) -> None:
    store = ErasableSQLTrackerStore(domain=DOMAIN, url=tracker_url)
    events = [SessionStarted(), ActionExecuted("action_listen"),
              UserUttered(f"My name is {NAME}", {"name": "inform", "confidence": 0.9}),
              SlotSet("full_name", NAME), BotUttered("Thank you. Your email?"),
              UserUttered(EMAIL, {"name": "inform", "confidence": 0.9}), SlotSet("email", EMAIL),
              UserUttered(STORY, {"name": "inform", "confidence": 0.9}), SlotSet("description", STORY),
              BotUttered("Your request is sent."), ActionExecuted("action_listen")]
    loop = asyncio.new_event_loop()  # its own loop: whatever loop another test left is not touched
    try:
        loop.run_until_complete(store.save(DialogueStateTracker.from_events(sender, events, DOMAIN.slots)))
    finally:
        loop.close()
    store.engine.dispose()


def test_requests_notes_and_conversations_are_not_stored_in_clear(
        intake_database_url: str, tracker_database_url: str, intake_settings: Settings) -> None:
    store = open_store(intake_database_url, intake_settings)
    request = make_request(full_name=NAME, email=EMAIL, description=STORY)
    reference = store.submit(request).reference
    cases.add_note(store, reference, f"Spoke to {NAME}", "lena")
    accounts.add_user(store, "lena", "lawyer", "correct horse battery staple")
    consultation_conversation(tracker_database_url, request.conversation_id)

    assert_no_clear_text(raw_database(intake_database_url))
    assert_no_clear_text(raw_database(tracker_database_url))
    # ...and everything reads back in clear with the key.
    stored = store.get(reference)
    assert (stored.full_name, stored.email, stored.description) == (NAME, EMAIL, STORY)
    assert NAME in stored.summary and cases.notes(store, reference)[0].text == f"Spoke to {NAME}"
    events = conversation_events(tracker_database_url, request.conversation_id, store.cipher)
    assert f"My name is {NAME}" in [event.get("text") for event in events]
    # Erasure by email finds it through the keyed hash.
    assert store.erase(email=EMAIL.upper()) == 1
    store.close()


def test_the_spool_on_disk_is_encrypted_and_still_moved_in(intake_database_url: str, intake_settings: Settings) -> None:
    request = make_request(full_name=NAME, email=EMAIL, description=STORY)
    reference = open_store(DOWN_DATABASE, intake_settings).submit(request).reference
    spool_dir = intake_settings.intake.spool_dir
    assert list(spool_dir.glob("*.json"))
    assert_no_clear_text(raw_files(spool_dir))
    up = open_store(intake_database_url, intake_settings)
    assert up.ingest_spool() == 1
    assert up.get(reference).full_name == NAME
    up.close()


def test_a_wrong_key_stops_the_store_and_changes_nothing(intake_database_url: str, intake_settings: Settings,
                                                         tracker_database_url: str) -> None:
    store = open_store(intake_database_url, intake_settings)
    reference = store.submit(make_request(full_name=NAME)).reference
    store.close()
    request = make_request()
    consultation_conversation(tracker_database_url, request.conversation_id)
    before = raw_database(intake_database_url)
    wrong = DataCipher(generate_key())
    with pytest.raises(DataKeyError, match="not the key this intake database"):
        SqlIntakeStore(create_store_engine(intake_database_url), intake_settings,
                       Spool(intake_settings.intake.spool_dir, wrong), wrong).ensure_schema()
    assert raw_database(intake_database_url) == before
    assert open_store(intake_database_url, intake_settings).get(reference).full_name == NAME


def test_the_servers_refuse_to_start_with_a_wrong_or_missing_key(tracker_database_url: str, tmp_path: Path) -> None:
    consultation_conversation(tracker_database_url, "someone")
    script = ("from rasa_server.stores.tracker_store import ErasableSQLTrackerStore;"
              f"ErasableSQLTrackerStore(url={tracker_database_url!r})")
    for key in (generate_key(), ""):
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
               "INTAKE_DATA_KEY": key, "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode != 0
        assert "INTAKE_DATA_KEY" in done.stdout + done.stderr
    # The desk too: a wrong key, a clear message.
    intake_url = f"sqlite:///{tmp_path / 'intake.db'}"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
           "INTAKE_DATA_KEY": generate_key(), "DATABASE_URL": intake_url,
           "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "DESK_SECRET_KEY": "x"}
    first = subprocess.run([sys.executable, "-c", "from intake.store import open_store; open_store()"],
                           env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    env["INTAKE_DATA_KEY"] = generate_key()
    desk = subprocess.run([sys.executable, "-m", "desk", "--port", "1"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert desk.returncode == 2 and "not the key this intake database was encrypted with" in desk.stderr
    actions = subprocess.run([sys.executable, "-m", "actions.server", "--port", "1"], env=env, capture_output=True,
                             text=True, timeout=300)
    assert actions.returncode == 2 and "not the key this intake database was encrypted with" in actions.stderr


def test_key_rotation_re_encrypts_every_row_and_the_old_key_opens_nothing(
        intake_database_url: str, tracker_database_url: str, intake_settings: Settings, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    old_key = generate_key()
    new_key = generate_key()
    old, new = DataCipher(old_key), DataCipher(new_key)
    monkeypatch.setenv("INTAKE_DATA_KEY", old_key)
    monkeypatch.setenv("DATABASE_URL", intake_database_url)
    monkeypatch.setenv("TRACKER_DATABASE_URL", tracker_database_url)
    store = open_store(intake_database_url, intake_settings, spool_dir=intake_settings.intake.spool_dir)
    request = make_request(full_name=NAME, email=EMAIL, description=STORY)
    reference = store.submit(request).reference
    cases.add_note(store, reference, "a note", "lena")
    enrolment = accounts.add_user(store, "lena", "lawyer", "correct horse battery staple")
    store.close()
    consultation_conversation(tracker_database_url, request.conversation_id)
    spooled = open_store(DOWN_DATABASE, intake_settings).submit(make_request(full_name=NAME)).reference

    monkeypatch.setattr("intake.admin.get_settings", lambda: intake_settings)
    new_key_file = tmp_path / "new.key"
    new_key_file.write_text(new_key)
    key_file = tmp_path / "data.key"
    out, err = io.StringIO(), io.StringIO()
    code = admin.main(["--database-url", intake_database_url, "--tracker-database-url", tracker_database_url,
                       "rotate-key", "--new-key-file", str(new_key_file), "--key-file", str(key_file)], out, err)
    assert code == 0, err.getvalue()
    assert "Re-encrypted 1 request(s), 1 note(s), 1 desk account(s)" in out.getvalue()
    assert "1 spool file(s)" in out.getvalue()
    assert key_file.read_text().strip() == new_key and (key_file.stat().st_mode & 0o777) == 0o600

    # Every encrypted value in every table opens with the new key, none with the old one.
    engine = create_engine(intake_database_url, future=True)
    with engine.connect() as connection:
        values = [value for row in connection.execute(text(
            "SELECT full_name, email, phone, current_country, issuing_country, description, summary "
            "FROM intake_requests")) for value in row if value is not None]
        values += [row[0] for row in connection.execute(text("SELECT text FROM intake_notes"))]
        values += [row[0] for row in connection.execute(text("SELECT totp_secret FROM desk_users"))]
        values += [row[0] for row in connection.execute(text("SELECT token FROM intake_key_check"))]
    engine.dispose()
    tracker = create_engine(tracker_database_url, future=True)
    with tracker.connect() as connection:
        events = [row[0] for row in connection.execute(text("SELECT data FROM events"))]
    tracker.dispose()
    assert len(values) >= 9 and len(events) == 11
    for value in values + events:
        assert new.opens(value) and not old.opens(value)
    for path in intake_settings.intake.spool_dir.glob("*.json"):
        new.decrypt_bytes(path.read_bytes())
        with pytest.raises(DataKeyError):
            old.decrypt_bytes(path.read_bytes())

    # The old key no longer opens the store; the new one opens everything.
    with pytest.raises(DataKeyError):
        open_store(intake_database_url, intake_settings)
    monkeypatch.setenv("INTAKE_DATA_KEY", new_key)
    reopened = open_store(intake_database_url, intake_settings)
    assert reopened.get(reference).email == EMAIL
    assert reopened.erase(email=EMAIL) == 1                      # the email hash was recomputed
    assert reopened.ingest_spool() == 1 and reopened.get(spooled).full_name == NAME
    assert accounts.check_second_factor(reopened, accounts.find_user(reopened, "lena"),
                                        pyotp.parse_uri(enrolment.uri).now())
    assert conversation_events(tracker_database_url, request.conversation_id, new)
    reopened.close()


LEGACY_TABLES = (
    """CREATE TABLE intake_requests (id INTEGER PRIMARY KEY AUTOINCREMENT, reference VARCHAR(24) NOT NULL UNIQUE,
    conversation_id VARCHAR(255) NOT NULL UNIQUE, channel VARCHAR(64) NOT NULL, full_name VARCHAR(200) NOT NULL,
    email VARCHAR(254), phone VARCHAR(32), current_country VARCHAR(100), issuing_country VARCHAR(100),
    problem_type VARCHAR(40) NOT NULL, language VARCHAR(60), description TEXT NOT NULL,
    consent_version VARCHAR(40) NOT NULL, consent_at DATETIME NOT NULL, urgent BOOLEAN NOT NULL,
    status VARCHAR(16) NOT NULL, created_at DATETIME NOT NULL, handled_at DATETIME, summary TEXT NOT NULL)""",
    """CREATE TABLE intake_audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at DATETIME NOT NULL,
    action VARCHAR(32) NOT NULL, source VARCHAR(16) NOT NULL, count INTEGER NOT NULL, detail VARCHAR(1000))""",
)


def test_a_database_from_before_encryption_is_upgraded_read_and_encrypted_by_rotate_key(
        tmp_path: Path, intake_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url, future=True)
    with engine.begin() as connection:
        for statement in LEGACY_TABLES:
            connection.execute(text(statement))
        connection.execute(text(
            "INSERT INTO intake_requests (reference, conversation_id, channel, full_name, email, problem_type, "
            "description, consent_version, consent_at, urgent, status, created_at, summary) VALUES "
            "('IC-AAAA-BBBB', 'c-old', 'rest', :name, :email, 'red_notice', :story, '2026-01', "
            "'2026-01-05 10:00:00', 0, 'new', '2026-01-05 10:00:00', :summary)"),
            {"name": NAME, "email": EMAIL, "story": STORY, "summary": f"Name: {NAME}"})
    engine.dispose()
    store = open_store(url, intake_settings)                   # adds the new columns
    assert store.get("IC-AAAA-BBBB").full_name == NAME        # clear rows are still read
    store.close()

    monkeypatch.setattr("intake.admin.get_settings", lambda: intake_settings)
    new_key = generate_key()
    (tmp_path / "new.key").write_text(new_key)
    out, err = io.StringIO(), io.StringIO()
    assert admin.main(["--database-url", url, "--tracker-database-url", f"sqlite:///{tmp_path / 'none.db'}",
                       "rotate-key", "--new-key-file", str(tmp_path / "new.key")], out, err) == 0, err.getvalue()
    assert_no_clear_text(raw_database(url))                    # replaced, and VACUUM left no copy behind
    monkeypatch.setenv("INTAKE_DATA_KEY", new_key)
    reopened = open_store(url, intake_settings)
    assert reopened.get("IC-AAAA-BBBB").description == STORY
    assert reopened.erase(email=EMAIL) == 1                   # rotate-key gave it its email hash
    reopened.close()
