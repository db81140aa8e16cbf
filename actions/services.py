"""The action server's one handle on an external service: the intake store (requests,
outbox, audit) that firm.yml's `intake.database_url` names."""
from __future__ import annotations

from functools import lru_cache

from firm import get_settings
from intake.store import open_store
from intake.store_interface import IntakeStore


@lru_cache(maxsize=1)
def get_store() -> IntakeStore:
    """One store (and connection pool) per action-server process."""
    return open_store(get_settings().intake.database_url)
