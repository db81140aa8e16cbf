"""The container image (deploy/Containerfile) and the compose stack (deploy/compose.yml), built
and started by scripts/image.sh exactly as docs/deployment.md tells a firm to.

1. The image, started in its default mode (`all`), answers the greeting through the REST
   webhook on its published port, and its HEALTHCHECK passes.
2. The compose stack (PostgreSQL, Redis, 2 action servers, 2 Rasa servers, nginx) takes a
   whole consultation request through nginx, the request is in the compose PostgreSQL, and
   `compose down -v` leaves no container, pod, network or volume of it behind.

Needs podman (scripts/image.sh installs it, and everything else, as root). Without root and
without podman the tests are skipped with the reason; IMAGE_TESTS_SKIP=1 skips them too.
The first build takes several minutes; later ones reuse podman's layer and pip caches.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from intake.crypto import generate_key

from ops.scaleout import http_ok, wait_until
from ops.stack import PROJECT_ROOT, free_port
from tests.chat import Chat

IMAGE_SCRIPT = PROJECT_ROOT / "scripts" / "image.sh"
IMAGE = os.environ.get("IMAGE", "localhost/interpol-intake:latest")
START_TIMEOUT = 300  # a Rasa server loads its model in ~20-60 s; two at once on 2 cores take longer
LOGS = PROJECT_ROOT / ".run" / "logs"


def podman(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout, check=check)


def image_script(*args: str, env: Dict[str, str] | None = None, log: str, timeout: float = 1500) -> None:
    """Runs scripts/image.sh; on failure the test fails with the end of its output."""
    LOGS.mkdir(parents=True, exist_ok=True)
    path = LOGS / log
    with path.open("w") as out:
        result = subprocess.run(["bash", str(IMAGE_SCRIPT), *args], cwd=PROJECT_ROOT, stdout=out,
                                stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, timeout=timeout)
    if result.returncode != 0:
        tail = "\n".join(path.read_text(errors="replace").splitlines()[-40:])
        pytest.fail(f"scripts/image.sh {' '.join(args)} failed (full log {path}):\n{tail}")


@pytest.fixture(scope="module")
def image() -> str:
    if os.environ.get("IMAGE_TESTS_SKIP") == "1":
        pytest.skip("IMAGE_TESTS_SKIP=1: container image tests skipped")
    if os.geteuid() != 0 and not shutil.which("podman"):
        pytest.skip("podman is not installed and installing it needs root: apt-get install podman")
    started = time.monotonic()
    image_script("build", log="image-build.log")
    print(f"\nimage built in {time.monotonic() - started:.0f}s")
    return IMAGE


def test_image_greets_through_the_rest_webhook_on_its_published_port(image: str) -> None:
    name = f"intake-test-{uuid.uuid4().hex[:8]}"
    port = free_port()
    podman("run", "-d", "--rm", "--name", name, "-p", f"127.0.0.1:{port}:5005", image, "all")
    try:
        try:
            wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/"), "the container's Rasa server", START_TIMEOUT, 1)
        except RuntimeError as error:
            logs = podman("logs", "--tail", "40", name, check=False)
            raise AssertionError(f"{error}:\n{logs.stdout}{logs.stderr}") from None
        replies = Chat(f"http://127.0.0.1:{port}", sender="x").say("hi")
        text = "\n".join(reply.get("text", "") for reply in replies)
        assert "automated assistant" in text and "consultation" in text, replies
        # The image's HEALTHCHECK: every server of the mode answers (rasa, actions, widget).
        health = podman("healthcheck", "run", name, check=False)
        assert health.returncode == 0, health.stdout + health.stderr
        assert podman("exec", name, "id", "-u").stdout.strip() != "0", "the servers must not run as root"
    finally:
        podman("rm", "-f", "-t", "10", name, check=False)


@pytest.fixture
def compose_stack(image: str) -> Iterator[Dict[str, str]]:
    project = f"intake-test-{uuid.uuid4().hex[:8]}"
    env = {
        "COMPOSE_PROJECT": project,
        "POSTGRES_PASSWORD": secrets.token_urlsafe(18),  # the secrets: only in the environment
        "INTAKE_DATA_KEY": generate_key(),
        "HTTP_PORT": str(free_port()),  # nginx, for clients
        "PG_PORT": str(free_port()),  # the compose PostgreSQL, for reading the request
    }
    try:
        image_script("compose", "up", "-d", env=env, log="compose-up.log")
        yield env
    finally:
        image_script("compose", "down", "-v", "-t", "10", env=env, log="compose-down.log", timeout=300)
        leftovers = left_behind(project)
        assert not leftovers, f"compose down left behind: {leftovers}"


def left_behind(project: str) -> List[str]:
    """Containers, pods, networks and volumes of the compose project that still exist."""
    found = []
    for kind, listing in (("container", ["ps", "-a"]), ("pod", ["pod", "ps"]),
                          ("network", ["network", "ls"]), ("volume", ["volume", "ls"])):
        names = podman(*listing, "--format", "{{.Name}}" if kind != "container" else "{{.Names}}",
                       check=False).stdout.split()
        found += [f"{kind} {name}" for name in names if project in name]
    return found


def compose_containers(project: str) -> Dict[str, str]:
    """Container name -> status, of the compose project."""
    listing = podman("ps", "-a", "--filter", f"label=io.podman.compose.project={project}",
                     "--format", "{{.Names}}\t{{.Status}}", check=False).stdout
    return dict(line.split("\t", 1) for line in listing.splitlines() if "\t" in line)


def wait_healthy(project: str, services: List[str], timeout: float) -> None:
    """Until each service's container passes its HEALTHCHECK (podman runs it on demand here:
    without systemd it has no timer)."""
    deadline = time.monotonic() + timeout
    waiting = list(services)
    while waiting and time.monotonic() < deadline:
        waiting = [service for service in waiting
                   if podman("healthcheck", "run", f"{project}_{service}_1", check=False).returncode != 0]
        if waiting:
            time.sleep(3)
    if waiting:
        logs = "".join(podman("logs", "--tail", "25", f"{project}_{service}_1", check=False).stdout
                       for service in waiting)
        raise AssertionError(f"not healthy within {timeout:.0f}s: {waiting}\n"
                             f"{compose_containers(project)}\n{logs}")


def test_compose_stack_takes_a_consultation_request_through_nginx_into_postgres(
        compose_stack: Dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from intake.store import open_store
    from tests.e2e.test_consultation import REFERENCE, fill
    from tests.scaleout.conftest import Conversation

    env = compose_stack
    url = f"http://127.0.0.1:{env['HTTP_PORT']}"
    wait_healthy(env["COMPOSE_PROJECT"], ["actions-1", "actions-2", "rasa-1", "rasa-2"], START_TIMEOUT)
    wait_until(lambda: http_ok(f"{url}/"), "nginx in front of the Rasa servers", 30, 1)

    chat = Conversation(url)
    reply = fill(chat)
    reference = REFERENCE.search(reply).group(0)
    database = f"postgresql://intake:{env['POSTGRES_PASSWORD']}@127.0.0.1:{env['PG_PORT']}/intake"
    monkeypatch.setenv("INTAKE_DATA_KEY", env["INTAKE_DATA_KEY"])  # the personal fields are encrypted
    store = open_store(database, spool_dir=tmp_path / "reader-spool")
    try:
        row = store.get(reference)
    finally:
        store.close()
    assert row is not None, f"{reference} is not in the compose PostgreSQL"
    assert (row.full_name, row.email, row.issuing_country) == ("Maria Ivanova", "maria.ivanova@example.com", "Russia")
    assert row.conversation_id == chat.sender
    print("\n" + json.dumps({"reference": reference, "rasa servers that answered": sorted(set(chat.upstreams))}))
