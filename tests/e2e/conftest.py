"""End-to-end fixtures: the intake and tracker databases are new schemas on a real PostgreSQL server.

Why a real PostgreSQL: SQLite forgives things PostgreSQL does not (NUL bytes, string
lengths, transaction aborts after an error, concurrent inserts). The server comes from
the session fixture `intake_postgres_url` in tests/conftest.py (scripts/services/postgres.sh,
stopped at the end if this session started it).
"""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.intake_support import fresh_schema


@pytest.fixture
def intake_database_url(intake_postgres_url: str) -> Iterator[str]:
    """A fresh, empty intake database: a new PostgreSQL schema."""
    yield from fresh_schema(intake_postgres_url)


@pytest.fixture
def tracker_database_url(intake_postgres_url: str) -> Iterator[str]:
    """An empty PostgreSQL schema to play the part of Rasa's SQL tracker store."""
    yield from fresh_schema(intake_postgres_url)
