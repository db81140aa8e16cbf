"""The firm's desk end to end: the whole assistant (Rasa, action server, desk) on free loopback
ports with real SMTP and Slack-webhook stand-ins; a consultation through the REST webhook; an
account made with the staff CLI; then Chromium (playwright-core, tests/browser/desk.spec.mjs) logs
in with password and TOTP, finds the urgent request at the top, assigns it, adds a note, marks it
handled and logs out, with screenshots in tests/artifacts/.

Also checked here on the running assistant's files: the known name, email and story appear in
clear nowhere in the SQLite files (requests and conversations) nor in the spool, and the
notifications that reached the stand-ins carry the reference and the desk link and nothing personal.
"""
from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path
from typing import Dict, Iterator, Tuple

import pyotp
import pytest

from intake.crypto import KEY_ENV
from intake.store import open_store
from ops.stack import PROJECT_ROOT, VENV_BIN, Stack, free_port
from tests.chat import Chat
from tests.conftest import train_once
from tests.e2e.test_consultation import REFERENCE, STEPS
from tests.e2e.test_widget_browser import PNG_SIGNATURE, browser_tools  # noqa: F401  (fixture)
from tests.intake_support import SmtpInbox, WebhookReceiver, make_request
from tests.unit.test_encryption_at_rest import assert_no_clear_text, raw_files

SPEC = PROJECT_ROOT / "tests" / "browser" / "desk.spec.mjs"
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
NAME = "Dilnoza Yusupova"
EMAIL = "dilnoza.yusupova@example.org"
STORY = "Arrested at Istanbul airport on a diffusion from Tashkent"
PASSWORD = "a long desk password 4 tests"


@pytest.fixture(scope="module")
def receivers() -> Iterator[Tuple[SmtpInbox, WebhookReceiver]]:
    inbox, webhook = SmtpInbox().start(), WebhookReceiver().start()
    yield inbox, webhook
    inbox.stop()
    webhook.stop()


@pytest.fixture(scope="module")
def desk_stack(receivers: Tuple[SmtpInbox, WebhookReceiver],
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    inbox, webhook = receivers
    train_once()
    env = {"NOTIFY_EMAIL_ENABLED": "true", "NOTIFY_SMTP_HOST": "127.0.0.1", "NOTIFY_SMTP_PORT": str(inbox.port),
           "NOTIFY_SLACK_ENABLED": "true", "FIRM_SLACK_WEBHOOK_URL": webhook.url, "DESK_SECURE_COOKIES": "false"}
    running = Stack(free_port(), free_port(), None, tmp_path_factory.mktemp("desk"), extra_env=env,
                    desk_port=free_port())
    yield running.start()
    running.stop()


def admin_cli(stack: Stack, *args: str, stdin: str = "") -> str:
    done = subprocess.run([str(VENV_BIN / "python"), "-m", "intake.admin", *args], cwd=PROJECT_ROOT,
                          env=stack.env(), input=stdin, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def urgent_consultation(stack: Stack) -> str:
    chat = Chat(stack.rasa_url)
    chat.text("my brother is detained at the border right now")
    assert "Do you agree" in chat.text("yes")
    answers = {2: NAME, 3: EMAIL, 8: STORY}
    reply = ""
    for index, (typed, _) in enumerate(STEPS[1:], start=1):
        reply = chat.text(answers.get(index, typed))
    return REFERENCE.search(reply).group(0)


def test_the_desk_in_a_browser_and_personal_data_at_rest(browser_tools: Dict[str, str],  # noqa: F811
                                                         desk_stack: Stack,
                                                         receivers: Tuple[SmtpInbox, WebhookReceiver],
                                                         tmp_path: Path) -> None:
    inbox, webhook = receivers
    run_dir = Path(desk_stack.run_dir)
    # The embedded default made a data key, private to this user, unless the environment gave one.
    if not os.environ.get(KEY_ENV):
        assert (run_dir / "data.key").stat().st_mode & 0o777 == 0o600

    qr = tmp_path / "lena.svg"
    created = admin_cli(desk_stack, "user", "add", "lena", "--role", "lawyer", "--password-stdin", "--qr", str(qr),
                        stdin=PASSWORD + "\n")
    uri = re.search(r"otpauth://\S+", created).group(0)
    assert qr.read_bytes().lstrip().startswith(b"<?xml") and b"<svg" in qr.read_bytes()

    store = open_store(f"sqlite:///{run_dir / 'intake.db'}")
    xss = store.submit(make_request(full_name="<script>alert(1)</script>")).reference
    store.close()
    urgent = urgent_consultation(desk_stack)

    # Notifications: the reference and the link, nothing personal.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
            any(urgent in m.get_content() for m in inbox.messages)
            and any(urgent in body["text"] for body in webhook.bodies)):
        time.sleep(0.5)
    mail = next(m for m in inbox.messages if urgent in m.get_content())
    slack = next(body["text"] for body in webhook.bodies if urgent in body["text"])
    link = f"{desk_stack.desk_url}/requests/{urgent}"
    for text in (f"{mail['Subject']}\n{mail.get_content()}", slack):
        assert urgent in text and link in text and "URGENT" in text
    for text in (str(mail["Subject"]), mail.get_content(), mail.as_string(), slack):
        for personal in (NAME, "Yusupova", EMAIL, "dilnoza", STORY, "Istanbul", "Germany"):
            assert personal not in text

    # At rest: neither the databases (with their write-ahead logs) nor the spool hold them in clear.
    for name in ("intake.db", "tracker.db"):
        files = [p for p in run_dir.iterdir() if p.name.startswith(name)]
        assert files
        assert_no_clear_text(b"".join(p.read_bytes() for p in files), (NAME, "Yusupova", EMAIL, STORY, "Istanbul"))
    spool = run_dir / "spool"
    if spool.exists():
        assert_no_clear_text(raw_files(spool), (NAME, EMAIL, STORY))

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name in ("desk-inbox.png", "desk-request.png", "desk-failure.png"):
        (ARTIFACTS / name).unlink(missing_ok=True)
    env = dict(os.environ, DESK_URL=desk_stack.desk_url, DESK_USER="lena", DESK_PASSWORD=PASSWORD,
               DESK_TOTP_SECRET=pyotp.parse_uri(uri).secret, URGENT_REFERENCE=urgent, XSS_REFERENCE=xss,
               SCREENSHOT_DIR=str(ARTIFACTS), CHROMIUM_PATH=browser_tools["chromium"])
    result = subprocess.run([browser_tools["node"], str(SPEC)], cwd=PROJECT_ROOT, env=env, capture_output=True,
                            text=True, timeout=600)
    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == 0, "the desk browser test failed:\n" + "\n".join(output.splitlines()[-30:]) \
        + f"\nscreenshot: {ARTIFACTS / 'desk-failure.png'}; logs: {run_dir / 'logs'}"
    for name in ("desk-inbox.png", "desk-request.png"):
        assert (ARTIFACTS / name).read_bytes().startswith(PNG_SIGNATURE)

    store = open_store(f"sqlite:///{run_dir / 'intake.db'}")
    handled = store.get(urgent)
    assert (handled.status, handled.assigned_to, handled.full_name) == ("handled", "lena", NAME)
    actions = [line["action"] for line in store.audit_log(limit=200)]
    for action in ("login", "view-inbox", "view", "assign", "note", "handled", "refused", "logout"):
        assert action in actions
    audit_text = " ".join(str(line) for line in store.audit_log(limit=200))
    for personal in (NAME, EMAIL, urgent, "lena@"):
        assert personal not in audit_text
    store.close()
