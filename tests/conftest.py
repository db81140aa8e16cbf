"""Session fixtures shared by the tests: the assistant trained once and started on free
loopback ports with its own databases, exactly as scripts/run.sh starts it, and a throwaway
PostgreSQL server; and the intake fixtures of tests/intake_support.py, on the database that
tests/unit (SQLite) or tests/e2e (PostgreSQL) gives as ``intake_database_url``."""
from __future__ import annotations

import os
import subprocess
from typing import Iterator

import pytest

# Personal data is encrypted at rest under INTAKE_DATA_KEY (intake/crypto.py): the tests use a
# fixed key of their own unless the shell gives one. The stack fixture's servers inherit it.
os.environ.setdefault("INTAKE_DATA_KEY", "dGVzdC1vbmx5LWRhdGEta2V5LTMyLWJ5dGVzLWxvbmc=")

from ops.stack import PROJECT_ROOT, Stack, free_port
from tests.chat import Chat
from tests.intake_support import intake_settings, intake_store  # noqa: F401  (pytest finds fixtures by name)

POSTGRES_SCRIPT = PROJECT_ROOT / "scripts" / "services" / "postgres.sh"


def train_once() -> None:
    """Regenerates NLU data and trains only if something changed (Rasa's fingerprint)."""
    subprocess.run(
        ["bash", "-c", "source scripts/lib.sh && prepare_project && train_if_needed"],
        cwd=PROJECT_ROOT, check=True,
    )


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    train_once()
    run_dir = tmp_path_factory.mktemp("stack")
    running = Stack(free_port(), free_port(), free_port(), run_dir).start()
    yield running
    running.stop()


@pytest.fixture
def chat(stack: Stack) -> Chat:
    """A new conversation with its own sender id."""
    return Chat(stack.rasa_url)


def _script(command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(POSTGRES_SCRIPT), command], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def intake_postgres_url() -> Iterator[str]:
    """URL of the throwaway PostgreSQL database ``intake_test`` (started for this session)."""
    if os.environ.get("INTAKE_SKIP_POSTGRES") == "1":
        pytest.skip("INTAKE_SKIP_POSTGRES=1: PostgreSQL variants skipped")
    was_running = _script("status").returncode == 0
    started = _script("start")
    if started.returncode != 0:
        pytest.fail(f"scripts/services/postgres.sh start failed:\n{started.stderr}")
    yield started.stdout.strip().splitlines()[-1]
    if not was_running:
        _script("stop")
