"""Unit-test fixtures: the intake and tracker databases are SQLite files in the test's folder.

The same tests run on PostgreSQL in tests/e2e (test_intake_postgres.py, test_tracker_store_postgres.py),
which start a throwaway server.
"""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def intake_database_url(tmp_path: Path) -> str:
    """A fresh, empty intake database: an SQLite file."""
    return f"sqlite:///{tmp_path / 'intake.db'}"


@pytest.fixture
def tracker_database_url(tmp_path: Path) -> str:
    """An empty SQLite database to play the part of Rasa's SQL tracker store."""
    return f"sqlite:///{tmp_path / 'tracker.db'}"
