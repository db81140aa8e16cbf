"""The conversation store keeps the latest trackers in memory, and is never staler than the
database: on SQLite and PostgreSQL, with a second server, the staff tool's erasure, a
message that fails half-way and a new session. Rasa's own store must read back the same.
Here on SQLite; tests/e2e/test_tracker_store_postgres.py runs the database tests on PostgreSQL."""
from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import List

import pytest
from sqlalchemy import create_engine, text

from rasa_server.stores.tracker_store import ErasableSQLTrackerStore
from intake.conversations import erase_conversation
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.get_event_loop().run_until_complete(coroutine)


def turn(text_: str, answer: str) -> List[Event]:
    return [
        UserUttered(text_, {"name": "ask_membership", "confidence": 0.9}),
        SlotSet("country", "Serbia"),
        ActionExecuted("action_answer"),
        BotUttered(answer),
        ActionExecuted("action_listen"),
    ]


def start() -> List[Event]:
    return [SessionStarted(), ActionExecuted("action_listen")]


def store(url: str) -> ErasableSQLTrackerStore:
    return ErasableSQLTrackerStore(domain=DOMAIN, url=url)


def stored_rows(url: str, sender: str) -> int:
    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}
        ).scalar_one()
    engine.dispose()
    return count


def texts(tracker: DialogueStateTracker) -> List[str]:
    return [event.text for event in tracker.events if isinstance(event, (UserUttered, BotUttered))]


def conversation(url: str, sender: str = "maria") -> ErasableSQLTrackerStore:
    """A conversation of one session and one turn, stored, then read back once."""
    first = store(url)
    tracker = DialogueStateTracker.from_events(sender, start() + turn("is Serbia a member?", "Yes."), DOMAIN.slots)
    run(first.save(tracker))
    return first


def test_the_next_message_gets_the_same_tracker_back_and_only_new_events_are_written(
    tracker_database_url: str,
) -> None:
    first = conversation(tracker_database_url)
    tracker = run(first.retrieve("maria"))
    again_from_memory = tracker
    for event in turn("and Kosovo?", "No, Kosovo is not a member."):
        tracker.update(event)
    run(first.save(tracker))
    assert run(first.retrieve("maria")) is again_from_memory
    assert stored_rows(tracker_database_url, "maria") == len(tracker.events) == 12
    rasa_reads = run(SQLTrackerStore.retrieve(store(tracker_database_url), "maria"))  # Rasa's own code
    assert texts(rasa_reads) == ["is Serbia a member?", "Yes.", "and Kosovo?", "No, Kosovo is not a member."]
    assert [e.as_dict() for e in rasa_reads.events] == [e.as_dict() for e in tracker.events]


def test_the_database_is_used_off_the_event_loop(
    tracker_database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every query of a message (memory check, read, save, erasure) runs in a worker thread."""
    first = conversation(tracker_database_url)
    threads = []
    for name in ("_latest_event_id", "_event_query", "session_scope"):
        original = getattr(ErasableSQLTrackerStore, name)
        monkeypatch.setattr(first, name, lambda *args, _original=original, **kwargs: (
            threads.append(threading.current_thread()) or _original(first, *args, **kwargs)))
    tracker = run(first.retrieve("maria"))  # from memory: the check only
    run(first.save(tracker))
    first.cache.forget("maria")
    tracker = run(first.retrieve("maria"))  # read and replayed
    tracker.update(SlotSet("erasure_requested", True))
    run(first.save(tracker))
    assert stored_rows(tracker_database_url, "maria") == 0
    assert len(threads) == 5 and threading.main_thread() not in threads


def test_what_another_server_wrote_is_never_hidden_by_memory(tracker_database_url: str) -> None:
    first = conversation(tracker_database_url)
    second = store(tracker_database_url)  # another Rasa server on the same database
    tracker = run(second.retrieve("maria"))
    for event in turn("and Kosovo?", "No."):
        tracker.update(event)
    run(second.save(tracker))
    assert texts(run(first.retrieve("maria")))[-2:] == ["and Kosovo?", "No."]


def test_an_erasure_by_the_staff_tool_is_seen_at_once(tracker_database_url: str) -> None:
    first = conversation(tracker_database_url)
    assert erase_conversation(tracker_database_url, "maria") == 7
    assert run(first.retrieve("maria")) is None


def test_a_message_that_failed_half_way_leaves_nothing_behind(tracker_database_url: str) -> None:
    first = conversation(tracker_database_url)
    tracker = run(first.retrieve("maria"))
    tracker.update(UserUttered("a message whose handling then failed"))  # never saved
    assert texts(run(first.retrieve("maria"))) == ["is Serbia a member?", "Yes."]


def test_a_new_session_is_read_back_as_rasa_reads_it(tracker_database_url: str) -> None:
    first = conversation(tracker_database_url)
    tracker = run(first.retrieve("maria"))
    for event in [ActionExecuted("action_session_start")] + start() + turn("hello again", "Hi."):
        tracker.update(event)
    run(first.save(tracker))
    latest = run(first.retrieve("maria"))
    assert latest is not tracker and texts(latest) == ["hello again", "Hi."]


def test_erasure_on_request_removes_the_conversation_from_memory_too(tracker_database_url: str) -> None:
    first = conversation(tracker_database_url)
    tracker = run(first.retrieve("maria"))
    tracker.update(SlotSet("erasure_requested", True))
    run(first.save(tracker))
    assert stored_rows(tracker_database_url, "maria") == 0
    assert run(first.retrieve("maria")) is None


def test_memory_holds_a_bounded_number_of_events(tmp_path: Path) -> None:
    """The least recently used conversation leaves memory first, and is then read again."""
    small = ErasableSQLTrackerStore(domain=DOMAIN, url=f"sqlite:///{tmp_path / 'tracker.db'}", cache_events=10)
    trackers = {}
    for sender in ("maria", "ivan"):  # 7 events each: only one fits in 10
        trackers[sender] = DialogueStateTracker.from_events(sender, start() + turn("hi", "Hello."), DOMAIN.slots)
        run(small.save(trackers[sender]))
    assert len(small.cache) == 1 and small.cache.events == 7
    assert run(small.retrieve("ivan")) is trackers["ivan"]
    maria = run(small.retrieve("maria"))
    assert maria is not trackers["maria"] and texts(maria) == ["hi", "Hello."]


def test_sqlite_writes_ahead(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    with store(url).engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@pytest.fixture(autouse=True)
def event_loop_for_sync_tests() -> None:
    asyncio.set_event_loop(asyncio.new_event_loop())
