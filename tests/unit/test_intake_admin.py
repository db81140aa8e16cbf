"""The staff command line, run as staff would run it: `python -m intake.admin ...` in a
subprocess, against a temporary SQLite intake database and tracker store."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
import yaml
from sqlalchemy import create_engine, text

from firm import Settings, load_settings
from intake.store import SqlIntakeStore, open_store
from tests.intake_support import PROJECT_ROOT, WebhookReceiver, make_request, with_channels


@dataclass
class Cli:
    """Where the CLI under test keeps its data, and how to run it."""

    env: dict[str, str]
    settings: Settings
    database_url: str
    tracker_url: str

    def run(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "intake.admin", *args], cwd=PROJECT_ROOT,
                              env={**self.env, **extra_env}, capture_output=True, text=True, timeout=120)

    def store(self, settings: Settings | None = None) -> SqlIntakeStore:
        return open_store(self.database_url, settings or self.settings)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    data = yaml.safe_load((PROJECT_ROOT / "firm.yml").read_text(encoding="utf-8"))
    data["intake"]["spool_dir"] = str(tmp_path / "spool")
    settings_file = tmp_path / "firm.yml"
    settings_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    database_url = f"sqlite:///{tmp_path / 'intake.db'}"
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("NOTIFY_", "FIRM_", "SMTP_")) and key not in ("DATABASE_URL", "TRACKER_DATABASE_URL")}
    env.update(FIRM_SETTINGS=str(settings_file), DATABASE_URL=database_url, TRACKER_DATABASE_URL=tracker_url,
               PYTHONPATH=str(PROJECT_ROOT))
    settings = load_settings(settings_file, environ={"DATABASE_URL": database_url, "TRACKER_DATABASE_URL": tracker_url})
    return Cli(env, settings, database_url, tracker_url)


def add_conversation(cli: Cli, sender: str, days_ago: float = 0, events: int = 3) -> None:
    """Events as Rasa's SQLTrackerStore stores them (table events, sender_id, float timestamp)."""
    engine = create_engine(cli.tracker_url, future=True)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) "
                                "NOT NULL, type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name "
                                "VARCHAR(255), action_name VARCHAR(255), data TEXT)"))
        stamp = time.time() - days_ago * 86400
        for _ in range(events):
            connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                                    "VALUES (:s, 'user', :t, '{}')"), {"s": sender, "t": stamp})
    engine.dispose()


def conversation_senders(cli: Cli) -> list[str]:
    engine = create_engine(cli.tracker_url, future=True)
    with engine.connect() as connection:
        senders = sorted({row[0] for row in connection.execute(text("SELECT sender_id FROM events"))})
    engine.dispose()
    return senders


@pytest.fixture
def seeded(cli: Cli) -> Iterator[dict[str, str]]:
    """Three requests: a normal one, an urgent one, one with spreadsheet-formula text."""
    store = cli.store()
    references = {
        "normal": store.submit(make_request(conversation_id="c-normal")).reference,
        "urgent": store.submit(make_request(conversation_id="c-urgent", problem_type="detained_now",
                                            full_name="محمد عبد الله", email="m.abdallah@example.com")).reference,
        "formula": store.submit(make_request(conversation_id="c-formula", full_name="@Bobby Tables",
                                             description='=HYPERLINK("http://evil.test","click")',
                                             email="-x@example.com")).reference,
    }
    store.close()
    yield references


def test_list_shows_urgent_requests_first(cli: Cli, seeded: dict[str, str]) -> None:
    result = cli.run("list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("REFERENCE")
    assert lines[1].startswith(seeded["urgent"]) and "URGENT" in lines[1] and "محمد عبد الله" in lines[1]
    assert "3 request(s)." in result.stdout

    urgent_only = cli.run("list", "--urgent")
    assert seeded["urgent"] in urgent_only.stdout and seeded["normal"] not in urgent_only.stdout
    assert cli.run("list", "--status", "handled").stdout.strip() == "No handled requests."


def test_show_prints_the_full_summary(cli: Cli, seeded: dict[str, str]) -> None:
    result = cli.run("show", seeded["urgent"].lower())
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"URGENT — New consultation request {seeded['urgent']}")
    assert "Email: m.abdallah@example.com" in result.stdout and "Status: new" in result.stdout


@pytest.mark.parametrize("reference", ["IC-2222-2222", "hello"])
def test_unknown_references_are_reported_plainly(cli: Cli, seeded: dict[str, str], reference: str) -> None:
    for command in (["show", reference], ["handled", reference], ["erase", "--reference", reference]):
        result = cli.run(*command)
        assert result.returncode == 1
        assert result.stderr.strip() == f"No request with reference {reference}."


def test_handled_requests_leave_the_list_of_new_ones(cli: Cli, seeded: dict[str, str]) -> None:
    first = cli.run("handled", seeded["normal"])
    assert (first.returncode, first.stdout.strip()) == (0, f"{seeded['normal']} is now marked as handled.")
    again = cli.run("handled", seeded["normal"])
    assert again.stdout.strip() == f"{seeded['normal']} was already marked as handled."
    new = cli.run("list", "--status", "new").stdout
    assert seeded["normal"] not in new and seeded["urgent"] in new
    assert "Status: handled (since" in cli.run("show", seeded["normal"]).stdout


def test_csv_export_is_safe_to_open_in_a_spreadsheet(cli: Cli, seeded: dict[str, str]) -> None:
    result = cli.run("export", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = {row["reference"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert set(rows) == set(seeded.values())
    formula = rows[seeded["formula"]]
    assert formula["description"] == "'=HYPERLINK(\"http://evil.test\",\"click\")"
    assert formula["full_name"] == "'@Bobby Tables"
    assert formula["email"] == "'-x@example.com"
    assert formula["phone"] == "'+442079460958"
    assert rows[seeded["urgent"]]["full_name"] == "محمد عبد الله"
    assert rows[seeded["urgent"]]["urgent"] == "yes" and rows[seeded["normal"]]["urgent"] == "no"
    for cell in (value for row in rows.values() for value in row.values()):
        assert not cell.startswith(("=", "+", "-", "@"))


def test_json_export_to_a_private_file(cli: Cli, seeded: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "export.json"
    result = cli.run("export", "--format", "json", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Exported 3 request(s) to {target}."
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    records = json.loads(target.read_text(encoding="utf-8"))
    by_reference = {record["reference"]: record for record in records}
    assert by_reference[seeded["formula"]]["description"] == '=HYPERLINK("http://evil.test","click")'
    assert by_reference[seeded["urgent"]]["urgent"] is True
    assert by_reference[seeded["urgent"]]["consent_at"] == "2026-01-05T14:03:00+00:00"


def test_erasure_by_email_removes_requests_and_conversations(cli: Cli) -> None:
    store = cli.store()
    store.submit(make_request(conversation_id="c-maria-1", email="maria@example.com"))
    store.submit(make_request(conversation_id="c-maria-2", email="Maria@Example.com"))
    kept = store.submit(make_request(conversation_id="c-ivan", email="ivan@example.com")).reference
    for sender in ("c-maria-1", "c-maria-2", "c-ivan"):
        add_conversation(cli, sender, events=3)

    result = cli.run("erase", "--email", "MARIA@example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Erased 2 request(s) and 6 conversation event(s) from the tracker store."
    assert conversation_senders(cli) == ["c-ivan"]
    assert [r.reference for r in store.list()] == [kept]
    audit = store.audit_log()[0]
    assert (audit["action"], audit["source"], audit["count"]) == ("erasure", "admin", 2)
    assert "maria" not in json.dumps(audit, default=str).lower()

    missing = cli.run("erase", "--email", "maria@example.com")
    assert (missing.returncode, missing.stderr.strip()) == (1, "No request with that email address.")
    store.close()


def test_erasure_of_a_conversation_without_a_request(cli: Cli) -> None:
    add_conversation(cli, "c-chat-only", events=4)
    result = cli.run("erase", "--conversation", "c-chat-only")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Erased 0 request(s) and 4 conversation event(s) from the tracker store."
    assert conversation_senders(cli) == []


def test_purge_uses_the_retention_period_from_the_settings(cli: Cli) -> None:
    store = cli.store()
    now = datetime.now(timezone.utc)
    old = store.submit(make_request(conversation_id="c-old"), now=now - timedelta(days=400)).reference
    recent = store.submit(make_request(conversation_id="c-recent"), now=now - timedelta(days=100)).reference
    add_conversation(cli, "c-old", days_ago=400, events=5)
    add_conversation(cli, "c-recent", days_ago=100, events=2)

    result = cli.run("purge")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Purged 1 request(s) and 5 conversation event(s) older than 365 day(s)."
    assert store.get(old) is None and store.get(recent) is not None
    assert conversation_senders(cli) == ["c-recent"]

    shorter = cli.run("purge", "--days", "30")
    assert shorter.stdout.strip() == "Purged 1 request(s) and 2 conversation event(s) older than 30 day(s)."
    assert store.list() == []
    store.close()


def test_deliver_sends_waiting_notifications_once(cli: Cli) -> None:
    receiver = WebhookReceiver().start()
    try:
        store = cli.store(with_channels(cli.settings, slack=True))
        reference = store.submit(make_request()).reference
        store.close()
        env = {"NOTIFY_SLACK_ENABLED": "true", "FIRM_SLACK_WEBHOOK_URL": receiver.url}
        first = cli.run("deliver", **env)
        assert first.returncode == 0, first.stderr
        assert "Delivered 1 notification(s). Outbox: 0 pending, 1 delivered, 0 failed." in first.stdout
        second = cli.run("deliver", **env)
        assert "Delivered 0 notification(s)." in second.stdout
        assert len(receiver.bodies) == 1 and reference in receiver.bodies[0]["text"]
        assert "slack: delivered" in cli.run("list").stdout
    finally:
        receiver.stop()


def test_check_lists_what_to_fix_before_going_live(cli: Cli) -> None:
    result = cli.run("check")
    assert result.returncode == 0
    assert "WARNING: firm.phone is still an example value" in result.stdout


def test_no_command_shows_usage(cli: Cli) -> None:
    result = cli.run()
    assert result.returncode == 1 and "usage:" in result.stderr


def test_broken_settings_and_unreachable_databases_fail_with_a_clear_message(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("firm: [not, a, mapping]\n", encoding="utf-8")
    result = cli.run("list", FIRM_SETTINGS=str(broken))
    assert result.returncode == 1 and "The settings file has problems" in result.stderr

    down = cli.run("--database-url", "postgresql://postgres@127.0.0.1:1/none", "list")
    assert down.returncode == 1 and down.stderr.strip().startswith("Could not use the intake database:")


# --------------------------------------------------------------------------- desk accounts, data key


def test_user_add_takes_the_password_from_stdin_and_prints_the_otpauth_uri_and_qr(cli: Cli, tmp_path: Path) -> None:
    import pyotp

    from desk import accounts
    qr = tmp_path / "lena.svg"
    done = subprocess.run([sys.executable, "-m", "intake.admin", "user", "add", "lena", "--role", "admin",
                           "--password-stdin", "--qr", str(qr)], cwd=PROJECT_ROOT, env=cli.env,
                          input="a long enough password\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    uri = next(line for line in done.stdout.splitlines() if line.startswith("otpauth://totp/"))
    assert b"<svg" in qr.read_bytes() and (qr.stat().st_mode & 0o777) == 0o600
    store = cli.store()
    user = accounts.find_user(store, "lena")
    assert user.role == "admin" and not user.disabled
    assert accounts.check_second_factor(store, user, pyotp.parse_uri(uri).now())
    short = cli.run("user", "add", "omar", "--password-stdin")
    assert short.returncode == 1 and "at least 12 characters" in short.stderr
    assert "already a user lena" in subprocess.run(
        [sys.executable, "-m", "intake.admin", "user", "add", "lena", "--password-stdin"], cwd=PROJECT_ROOT,
        env=cli.env, input="another long password\n", capture_output=True, text=True, timeout=120).stderr
    assert cli.run("user", "disable", "lena").returncode == 0
    assert accounts.find_user(store, "lena").disabled
    reset = cli.run("user", "reset-2fa", "lena")
    assert reset.returncode == 0 and "otpauth://totp/" in reset.stdout
    assert "lena" in cli.run("user", "list").stdout
    assert cli.run("user", "disable", "nobody").returncode == 1
    store.close()


def test_check_warns_when_notifications_carry_the_full_summary(cli: Cli, tmp_path: Path) -> None:
    data = yaml.safe_load(Path(cli.env["FIRM_SETTINGS"]).read_text(encoding="utf-8"))
    data["notifications"]["include_summary"] = True
    data["notifications"]["email"]["enabled"] = True
    Path(cli.env["FIRM_SETTINGS"]).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert "include_summary is true" in cli.run("check").stdout


def test_without_the_data_key_the_cli_says_so(cli: Cli) -> None:
    env = {key: value for key, value in cli.env.items() if key != "INTAKE_DATA_KEY"}
    done = subprocess.run([sys.executable, "-m", "intake.admin", "list"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "INTAKE_DATA_KEY is not set" in done.stderr
    assert len(cli.run("generate-key").stdout.strip()) == 44
