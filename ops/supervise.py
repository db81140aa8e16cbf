"""Keeps the one-machine mode's servers running: a server that died is started again.

One watcher thread per server (a restart waits until the server answers, up to minutes for
the Rasa server's model, and must not hold up the others). Restarts back off, 1, 2, 4 ... s
capped at MAX_DELAY, so a server that cannot start does not spin; a server that stayed up
for STEADY_SECONDS before dying starts again from the first delay. The log names the
server, its exit code and its log file, never what it was doing: its last lines may quote
a person's messages.

While a server is down, a person's message gets the apology with the firm's contacts when
the action server is the one down (rasa_server/action_calls/resilient.py), or a connection
error when it is the Rasa server; nothing already stored is lost, since the conversations
and the consultation requests live in the databases, not in a process.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
from ops.stack import Service, Stack

logger = logging.getLogger("ops.supervise")

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
STEADY_SECONDS = 60.0
POLL_SECONDS = 0.5


def restart_delay(failures: int) -> float:
    """Seconds before the next start after `failures` quick deaths in a row (1, 2, 4 ... capped)."""
    return min(FIRST_DELAY * 2 ** failures, MAX_DELAY)


class Supervisor:
    """Watches every service of a started Stack until `stop()`."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.stopping = threading.Event()

    def start(self) -> "Supervisor":
        for service in self.stack.services:
            threading.Thread(target=self._watch, args=(service,), daemon=True,
                             name=f"supervise-{service.name}").start()
        return self

    def stop(self) -> None:
        """Stops restarting; call it before stopping the stack. A start under way when the
        stack stops fails (its process is stopped with the others) and is not retried."""
        self.stopping.set()

    def _watch(self, service: Service) -> None:
        failures = 0
        started = time.monotonic()
        while not self.stopping.wait(POLL_SECONDS):
            code = service.process.poll()
            if code is None:
                continue
            failures = 0 if time.monotonic() - started >= STEADY_SECONDS else failures
            while not self.stopping.is_set():
                delay = restart_delay(failures)
                logger.warning("%s exited (code %s); starting it again in %.0f s (log: %s)",
                               service.name, code, delay, service.log)
                if self.stopping.wait(delay):
                    return
                started = time.monotonic()
                if self._relaunch(service):
                    logger.warning("%s is running again", service.name)
                    break
                failures += 1
                code = service.process.poll()

    def _relaunch(self, service: Service) -> bool:
        """Starts the service and waits until it answers; False (and nothing left running) if not."""
        try:
            self.stack.launch(service)
        except RuntimeError:
            kill(service)
            return False
        if self.stopping.is_set():  # stop() came while it was starting
            kill(service)
        return True


def kill(service: Service) -> None:
    if service.process and service.process.poll() is None:
        os.killpg(service.process.pid, signal.SIGKILL)
        service.process.wait()
