"""scripts/services/postgres.sh when its usual port cannot be bound.

A port that refuses connections can still be taken (the local end of an outgoing connection, a
socket bound but not listening); the script must then move to another port instead of retrying
the same one, as it once did, which failed every PostgreSQL test of a CI run.
"""
from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import POSTGRES_SCRIPT


@pytest.fixture
def cluster_dir() -> Iterator[Path]:
    """A second throwaway cluster, reachable by the postgres OS user, removed afterwards."""
    folder = Path(f"/var/tmp/intake-postgres-test-{os.getpid()}")
    yield folder
    run(folder, "stop")
    subprocess.run(["rm", "-rf", str(folder)], check=True)


def run(folder: Path, command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(POSTGRES_SCRIPT), command], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "INTAKE_POSTGRES_DIR": str(folder)})


def test_start_moves_to_another_port_when_the_recorded_one_cannot_be_bound(cluster_dir: Path) -> None:
    first = run(cluster_dir, "start")
    assert first.returncode == 0, first.stderr
    recorded = int((cluster_dir / "port").read_text())
    assert run(cluster_dir, "stop").returncode == 0

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", recorded))  # bound, not listening: connections are refused
        second = run(cluster_dir, "start")

    assert second.returncode == 0, second.stderr
    url = second.stdout.strip().splitlines()[-1]
    assert url.startswith("postgresql://postgres@127.0.0.1:")
    assert int(url.rsplit(":", 1)[1].split("/")[0]) != recorded
    assert run(cluster_dir, "status").returncode == 0
