"""Runs the one-machine mode in the foreground (`python -m ops.supervise`, scripts/run.sh) and
keeps its servers running: a server that died is started again.

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

import argparse
import logging
import os
import signal
import sys
import threading
import time

from ops.stack import PROJECT_ROOT, Service, Stack

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


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the assistant until Ctrl-C.")
    parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    parser.add_argument("--action-port", type=int, default=int(os.environ.get("ACTION_PORT", 5055)))
    parser.add_argument("--widget-port", type=int, default=int(os.environ.get("WIDGET_PORT", 8080)))
    parser.add_argument("--desk-port", type=int, default=int(os.environ.get("DESK_PORT", 8090)))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    # The desk on plain http://127.0.0.1 (development): its cookies cannot be Secure-only. Behind
    # the firm's TLS proxy, start it with DESK_SECURE_COOKIES unset (firm.yml: secure_cookies: true).
    stack = Stack(args.rasa_port, args.action_port, args.widget_port, PROJECT_ROOT / ".run",
                  desk_port=args.desk_port,
                  extra_env={"DESK_SECURE_COOKIES": os.environ.get("DESK_SECURE_COOKIES", "false")})
    supervisor = Supervisor(stack)
    stopping = False

    def shutdown(*_: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            print("\nStopping…", flush=True)
            supervisor.stop()
            stack.stop()
            sys.exit(0)

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    try:
        stack.start()
    except RuntimeError as error:
        sys.exit(f"Could not start the assistant: {error}")
    supervisor.start()
    names = {service.name for service in stack.services}
    print(f"\nThe assistant is running (logs in {stack.run_dir / 'logs'}):")
    print(f"  REST webhook   {stack.rasa_url}/webhooks/rest/webhook")
    print(f"  socket.io      {stack.rasa_url}/socket.io")
    if "widget page" in names:
        print(f"  chat widget    {stack.widget_url}")
    if "action server" in names:
        print(f"  action server  {stack.action_url}/health")
    else:
        print("  custom actions inside the Rasa server (endpoints.yml: actions_module)")
    if "desk" in names:
        print(f"  firm's desk    {stack.desk_url}/  (accounts: python -m intake.admin user add NAME)")
    print("A server that stops is started again. Press Ctrl-C to stop.", flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
