"""The credentials file a Rasa server is started with: the project's credentials.yml plus
the Slack channel when its secrets are in the environment.

Rasa substitutes `${VAR}` in credentials.yml and refuses to start when one is unset, so the
Slack section cannot live in the project's file for installations without Slack. The Slack
channel reads its secrets from the environment itself (rasa_server/channels/slack.py): the file
written here holds no secret.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROJECT_CREDENTIALS = PROJECT_ROOT / "credentials.yml"

SLACK_CHANNEL = "rasa_server.channels.slack.EnvSlackInput"
SLACK_REQUIRED_ENV = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
# Non-secret Slack options; each can be overridden by the environment variable beside it.
SLACK_OPTIONS = {
    "use_threads": ("SLACK_USE_THREADS", False),
    "conversation_granularity": ("SLACK_CONVERSATION_GRANULARITY", "sender"),
}


def slack_configured(env: Mapping[str, str]) -> bool:
    return all((env.get(name) or "").strip() for name in SLACK_REQUIRED_ENV)


def slack_section(env: Mapping[str, str]) -> Dict[str, Any]:
    section: Dict[str, Any] = {}
    for option, (variable, default) in SLACK_OPTIONS.items():
        value: Any = env.get(variable, "").strip() or default
        if isinstance(default, bool) and isinstance(value, str):
            value = value.lower() in {"1", "true", "yes", "on"}
        section[option] = value
    return section


def credentials(env: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """The channels the server starts with, as Rasa reads them from the file."""
    env = os.environ if env is None else env
    channels = yaml.safe_load(PROJECT_CREDENTIALS.read_text()) or {}
    if slack_configured(env):
        channels[SLACK_CHANNEL] = slack_section(env)
    return channels


def credentials_file(run_dir: Path, env: Optional[Mapping[str, str]] = None) -> Path:
    """Writes <run_dir>/credentials.yml for this environment (default: os.environ)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "credentials.yml"
    header = (
        "# Written by ops/credentials.py at start-up from the project's credentials.yml;\n"
        "# edit that file, not this one. Secrets stay in the environment.\n"
    )
    path.write_text(header + yaml.safe_dump(credentials(env), sort_keys=False))
    return path
