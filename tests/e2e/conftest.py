"""End-to-end fixtures: the intake and tracker databases are new schemas on a real PostgreSQL server.

Why a real PostgreSQL: SQLite forgives things PostgreSQL does not (NUL bytes, string
lengths, transaction aborts after an error, concurrent inserts). The server comes from
the session fixture `intake_postgres_url` in tests/conftest.py (scripts/services/postgres.sh,
stopped at the end if this session started it).
"""
from __future__ import annotations

from typing import Iterator

import pytest

from ops.stack import Stack, endpoints_with_action_server, free_port
from tests.intake_support import fresh_schema


@pytest.fixture(scope="module")
def action_server_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of the module's own with the custom actions in an action server (``url:``),
    as the scale-out mode runs them; the module's tests may stop and start its servers."""
    run_dir = tmp_path_factory.mktemp("action-server-mode")
    running = Stack(free_port(), free_port(), None, run_dir,
                    endpoints=endpoints_with_action_server(run_dir)).start()
    yield running
    running.stop()


@pytest.fixture
def intake_database_url(intake_postgres_url: str) -> Iterator[str]:
    """A fresh, empty intake database: a new PostgreSQL schema."""
    yield from fresh_schema(intake_postgres_url)


@pytest.fixture
def tracker_database_url(intake_postgres_url: str) -> Iterator[str]:
    """An empty PostgreSQL schema to play the part of Rasa's SQL tracker store."""
    yield from fresh_schema(intake_postgres_url)
