"""Unit-test fixtures. The intake fixtures (SQLite and a throwaway PostgreSQL server, started
by scripts/services/postgres.sh and stopped at the end) live in conftest_intake.py."""
from conftest_intake import (  # noqa: F401  (pytest finds fixtures by name)
    intake_database_url,
    intake_settings,
    intake_store,
    tracker_database_url,
)
