"""Session fixtures shared by the end-to-end tests: the assistant trained once and started
on free loopback ports with its own databases, exactly as scripts/run.sh starts it."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from ops.stack import PROJECT_ROOT, Stack, free_port
from tests.chat import Chat


def train_once() -> None:
    """Regenerates NLU data and trains only if something changed (Rasa's fingerprint)."""
    subprocess.run(
        ["bash", "-c", "source scripts/lib.sh && generate_nlu && train_if_needed"],
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


@pytest.fixture(scope="session")
def run_dir(stack: Stack) -> Path:
    return stack.run_dir
