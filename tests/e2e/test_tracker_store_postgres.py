"""The conversation-store tests of tests/unit/test_tracker_store.py, again on a real PostgreSQL server.

tests/unit runs them on SQLite; here ``tracker_database_url`` (tests/e2e/conftest.py) is a new
schema on the throwaway server of scripts/services/postgres.sh. Every test of that module that
takes a database is listed here (with its autouse event-loop fixture).
"""
from __future__ import annotations

from tests.unit.test_tracker_store import (  # noqa: F401  (pytest collects them here, with this folder's fixtures)
    event_loop_for_sync_tests,
    test_the_next_message_gets_the_same_tracker_back_and_only_new_events_are_written,
    test_what_another_server_wrote_is_never_hidden_by_memory,
    test_an_erasure_by_the_staff_tool_is_seen_at_once,
    test_a_message_that_failed_half_way_leaves_nothing_behind,
    test_a_new_session_is_read_back_as_rasa_reads_it,
    test_erasure_on_request_removes_the_conversation_from_memory_too,
)
