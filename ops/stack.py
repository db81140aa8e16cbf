"""Starts the assistant's servers on one machine, waits until each answers, stops them all.

One implementation for `scripts/run.sh` (foreground, Ctrl-C stops everything) and for the
test suite (a session fixture on free loopback ports), so both run exactly the same commands.
The endpoints file decides whether the custom actions run inside the Rasa server
(``action_endpoint: {actions_module: actions}``, the default in endpoints.yml) or in an action
server of their own (``url:``; `endpoints_with_action_server` writes that variant), and so
whether an action server is started. In the foreground, ops/supervise.py restarts a server
that died.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from intake.crypto import KEY_ENV, ensure_key_file
from ops.credentials import credentials_file

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    """Polls url until it answers 200; fails early with the log's tail if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} process exited ({process.returncode}):\n{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s:\n{tail(log)}")


def actions_in_process(endpoints: Path) -> bool:
    """Whether the endpoints file runs the custom actions inside the Rasa server."""
    settings = yaml.safe_load(endpoints.read_text(encoding="utf-8")) or {}
    return "actions_module" in (settings.get("action_endpoint") or {})


def endpoints_with_action_server(run_dir: Path) -> Path:
    """endpoints.yml with the custom actions in an action server (over HTTP) instead."""
    settings = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    settings["action_endpoint"] = {"url": "${ACTION_ENDPOINT_URL}", "enable_selective_domain": True}
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "endpoints-action-server.yml"
    path.write_text("# Written by ops/stack.py: endpoints.yml with an action server.\n"
                    + yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return path


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Service:
    name: str
    command: List[str]
    health_url: str
    log: Path
    process: Optional[subprocess.Popen] = None


@dataclass
class Stack:
    """The action server, the Rasa server and (when built) the widget page."""

    rasa_port: int
    action_port: int
    widget_port: Optional[int]
    run_dir: Path
    model: Path = PROJECT_ROOT / "models" / "assistant.tar.gz"
    credentials: Optional[Path] = None  # None: ops.credentials writes one into run_dir
    extra_env: Dict[str, str] = field(default_factory=dict)
    services: List[Service] = field(default_factory=list)
    # The scale-out mode (ops/scaleout.py) runs several Stacks that each start one server
    # ("rasa" or "actions") with its own endpoints file; by default a Stack starts them all
    # (the action server only when the endpoints file does not run the actions in-process).
    endpoints: Path = PROJECT_ROOT / "endpoints.yml"
    roles: Tuple[str, ...] = ("actions", "rasa", "widget", "desk")
    # The firm's desk (desk/); None: not started.
    desk_port: Optional[int] = None

    @property
    def desk_url(self) -> str:
        return f"http://127.0.0.1:{self.desk_port}"

    def data_key(self) -> str:
        """INTAKE_DATA_KEY from the environment, else the embedded default: a key kept in
        run_dir/data.key (0600), created on first start, and said so."""
        if os.environ.get(KEY_ENV):
            return os.environ[KEY_ENV]
        path = self.run_dir / "data.key"
        key, created = ensure_key_file(path)
        if created:
            print(f"Created a new data key in {path} (mode 0600): it encrypts the personal data in "
                  f"{self.run_dir}. Keep it; without it the requests and conversations cannot be read. "
                  f"Set {KEY_ENV} to use another one.", flush=True)
        return key

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def widget_url(self) -> str:
        return f"http://127.0.0.1:{self.widget_port}/"

    def env(self) -> Dict[str, str]:
        run = self.run_dir
        env = dict(os.environ)
        env.update(
            {
                "PYTHONPATH": str(PROJECT_ROOT),
                "RASA_TELEMETRY_ENABLED": "false",
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                "TF_CPP_MIN_LOG_LEVEL": "3",
                "SANIC_HOST": "127.0.0.1",
                "ACTION_ENDPOINT_URL": f"{self.action_url}/webhook",
                "TRACKER_DATABASE_URL": env.get("TRACKER_DATABASE_URL")
                or f"sqlite:///{run / 'tracker.db'}",
                "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{run / 'intake.db'}",
                "RASA_URL": self.rasa_url,
                KEY_ENV: self.data_key(),
                "DESK_SECRET_KEY_FILE": env.get("DESK_SECRET_KEY_FILE") or str(run / "desk_secret.key"),
            }
        )
        if self.desk_port:
            env.setdefault("DESK_PUBLIC_URL", self.desk_url)
        env.update(self.extra_env)
        return env

    def planned(self) -> List[Service]:
        logs = self.run_dir / "logs"
        planned: List[Service] = []
        if "actions" in self.roles and not actions_in_process(self.endpoints):
            planned.append(Service(
                "action server",
                [str(VENV_BIN / "python"), "-m", "actions.server", "--port", str(self.action_port)],
                f"{self.action_url}/health",
                logs / "actions.log",
            ))
        if "rasa" in self.roles:
            planned.append(Service(
                "rasa server",
                [
                    str(VENV_BIN / "python"), "-m", "rasa_server", "run",
                    "--model", str(self.model),
                    "--endpoints", str(self.endpoints),
                    "--credentials",
                    str(self.credentials or credentials_file(self.run_dir, self.env())),
                    "--interface", "127.0.0.1",
                    "--port", str(self.rasa_port),
                    "--cors", os.environ.get("CORS_ORIGINS", f"http://127.0.0.1:{self.widget_port}"),
                ],
                f"{self.rasa_url}/",
                logs / "rasa.log",
            ))
        widget_server = PROJECT_ROOT / "widget" / "serve.py"
        if "widget" in self.roles and self.widget_port and widget_server.exists():
            planned.append(
                Service(
                    "widget page",
                    [str(VENV_BIN / "python"), str(widget_server), "--port", str(self.widget_port)],
                    self.widget_url,
                    logs / "widget.log",
                )
            )
        if "desk" in self.roles and self.desk_port:
            planned.append(Service(
                "desk",
                [str(VENV_BIN / "python"), "-m", "desk", "--port", str(self.desk_port)],
                f"{self.desk_url}/health",
                logs / "desk.log",
            ))
        return planned

    def start(self, timeout: float = 180) -> "Stack":
        (self.run_dir / "logs").mkdir(parents=True, exist_ok=True)
        try:
            for service in self.planned():
                self.services.append(service)
                self.launch(service, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def launch(self, service: Service, timeout: float = 180) -> None:
        """Starts one service (also again, after a crash) and waits until it answers."""
        with service.log.open("ab") as log:
            service.process = subprocess.Popen(
                service.command, cwd=PROJECT_ROOT, env=self.env(), stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        wait_for_http(service.health_url, service.process, service.log, timeout)

    def stop(self) -> None:
        """SIGTERM each process group, then SIGKILL whatever is still there after 15 s."""
        for service in reversed(self.services):
            if service.process and service.process.poll() is None:
                os.killpg(service.process.pid, signal.SIGTERM)
        for service in reversed(self.services):
            if not service.process:
                continue
            try:
                service.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait()
        self.services.clear()
