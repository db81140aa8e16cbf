"""ops/supervise.py starts a dead server again, backing off while it keeps failing, and logs
only the server's name, exit code and log file."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List

import pytest

from ops import supervise
from ops.stack import Service


def test_the_delay_doubles_from_one_second_up_to_the_cap() -> None:
    assert [supervise.restart_delay(failures) for failures in range(7)] == [1, 2, 4, 8, 16, 30, 30]


@dataclass
class FakeStack:
    """Launches `sleep` processes; the first `failing` launches fail as a server that does not answer."""

    services: List[Service]
    failing: int = 0
    launched_at: List[float] = field(default_factory=list)

    def launch(self, service: Service) -> None:
        self.launched_at.append(time.monotonic())
        service.process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                                           start_new_session=True)
        if len(self.launched_at) <= self.failing:
            raise RuntimeError("did not answer")


def service(tmp_path: Path) -> Service:
    return Service("rasa server", [], "http://127.0.0.1:1/", tmp_path / "rasa.log")


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("failing", [0, 2], ids=["first-try", "after-two-failures"])
def test_a_killed_service_is_started_again_with_back_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, failing: int,
) -> None:
    monkeypatch.setattr(supervise, "FIRST_DELAY", 0.2)
    monkeypatch.setattr(supervise, "POLL_SECONDS", 0.05)
    item = service(tmp_path)
    stack = FakeStack([item])
    stack.launch(item)  # the stack's own start
    stack.launched_at.clear()
    stack.failing = failing
    supervisor = supervise.Supervisor(stack).start()  # type: ignore[arg-type]
    try:
        killed = item.process
        os.killpg(killed.pid, signal.SIGKILL)
        with caplog.at_level(logging.WARNING, logger="ops.supervise"):
            wait_for(lambda: len(stack.launched_at) == failing + 1 and item.process.poll() is None)
            wait_for(lambda: "is running again" in caplog.text)
    finally:
        supervisor.stop()
        supervise.kill(item)
    gaps = [later - earlier for earlier, later in zip(stack.launched_at, stack.launched_at[1:])]
    assert all(gap >= 0.2 * 2 ** (index + 1) * 0.9 for index, gap in enumerate(gaps)), gaps
    assert "rasa server exited (code -9)" in caplog.text and str(item.log) in caplog.text
