"""The Rasa server's entry point refuses releases its patches were not written for, and the
firm's details reach every reply through one response generator (rasa_server/nlg.py)."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from firm import get_settings
from rasa_server import patches
from rasa_server.nlg import FirmDetailsNLG

ROOT = Path(__file__).resolve().parents[2]


def lock_with(tmp_path: Path, rasa: str) -> Path:
    lock = tmp_path / "lock.txt"
    lock.write_text(f"numpy==1.23.5\nrasa=={rasa}\nrasa-sdk==3.6.2\n", encoding="utf-8")
    return lock


def test_the_installed_releases_are_the_pinned_ones():
    pins = patches.pinned_versions(patches.LOCK_FILE)
    assert set(pins) == {"rasa", "rasa-sdk"}
    assert patches.version_problems(pins) == []


def test_another_release_is_named_with_the_one_expected(tmp_path):
    with pytest.raises(patches.UnsupportedVersion) as raised:
        patches.check_versions(lock_with(tmp_path, "3.7.0"))
    message = str(raised.value)
    assert "rasa 3.6.21 is installed" in message and "rasa 3.7.0" in message
    assert "rasa-sdk 3.6.2 is installed" not in message


def test_a_lock_file_without_the_pin_is_refused(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text("numpy==1.23.5\n", encoding="utf-8")
    with pytest.raises(patches.UnsupportedVersion, match="pins no version of rasa, rasa-sdk"):
        patches.check_versions(lock)


def test_the_server_does_not_start_on_another_release(tmp_path):
    lock = lock_with(tmp_path, "3.6.20")
    code = ("import sys; from rasa_server import patches, __main__; "
            f"patches.LOCK_FILE = __import__('pathlib').Path({str(lock)!r}); "
            "sys.argv = ['rasa_server', '--version']; __main__.main()")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Cannot start the Rasa server: rasa 3.6.21 is installed" in result.stderr


def test_in_process_actions_with_a_broken_knowledge_file_stop_the_server_at_start(tmp_path):
    """The same start-up checks as the action server's (actions/startup.py), before any model
    is loaded: the message names the file."""
    broken = tmp_path / "knowledge.yml"
    broken.write_text("topics: [unclosed\n", encoding="utf-8")
    env = {**os.environ, "KNOWLEDGE_FILE": str(broken), "PYTHONPATH": str(ROOT),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'intake.db'}",
           "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'tracker.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "rasa_server", "run", "--endpoints", str(ROOT / "endpoints.yml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Cannot start the Rasa server" in result.stderr and "knowledge.yml" in result.stderr


def test_the_story_tests_start_no_actions(monkeypatch):
    """`rasa test core` only predicts: it reads no endpoints file and starts no outbox."""
    from rasa.core.utils import AvailableEndpoints

    from rasa_server import __main__ as entry

    def refuse(*_args):
        raise AssertionError("the endpoints file was read")

    monkeypatch.setattr(AvailableEndpoints, "read_endpoints", refuse)
    monkeypatch.setattr(sys, "argv", ["rasa_server", "test", "core", "--stories", "tests/stories"])
    entry.start_actions_in_process()


def generate(nlg: FirmDetailsNLG, response: str, tracker: DialogueStateTracker, **kwargs):
    return asyncio.run(nlg.generate(response, tracker, "rest", **kwargs))


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def test_every_reply_gets_the_firm_details_from_firm_yml(domain):
    nlg = FirmDetailsNLG(domain=domain)
    firm = get_settings().firm
    tracker = DialogueStateTracker("someone", domain.slots)
    apology = generate(nlg, "utter_action_unavailable", tracker)["text"]
    assert firm.phone in apology and firm.emergency_phone in apology and firm.email in apology
    assert "{" not in apology
    for name, variations in domain.responses.items():
        for variation in variations:
            text = generate(nlg, name, tracker)["text"] if variation.get("text") else ""
            for placeholder in nlg.firm_details:
                assert "{" + placeholder + "}" not in text, (name, placeholder)


def test_the_caller_values_win_over_the_firm_details(domain):
    nlg = FirmDetailsNLG(domain=domain)
    tracker = DialogueStateTracker("someone", domain.slots)
    reply = generate(nlg, "utter_action_unavailable", tracker, firm_phone="+1 555 0100")["text"]
    assert "+1 555 0100" in reply and get_settings().firm.phone not in reply.split("(")[0]
