"""What must happen once before the actions serve anyone, wherever they run.

Two entry points run the actions: the action server (`python -m actions.server`) and the Rasa
server itself when endpoints.yml says `action_endpoint: {actions_module: actions}`
(rasa_server/action_calls/in_process.py). Both call `start_actions()`, so a broken knowledge
file stops either one with a message naming the file, entry and field, and notifications to
the firm are delivered in the background in both.
"""
from __future__ import annotations

import sys

from firm import get_settings, startup_warnings
from intake.crypto import DataKeyError
from intake.notify import notifiers_from_settings
from intake.outbox import OutboxWorker
from kb import KnowledgeError, get_routes


def check_configuration(server: str) -> None:
    """Fail fast on a broken knowledge or routes file; warn while the firm's example values
    are in use or no notification channel is enabled."""
    try:
        get_routes()  # loads the knowledge file it is checked against
    except KnowledgeError as error:
        sys.stderr.write(f"Cannot start the {server}: {error}\n")
        raise SystemExit(2) from error
    startup_warnings(get_settings())  # logs example contact details, disabled notifications


def start_outbox() -> OutboxWorker:
    """Notifications to the firm are delivered in the background, never in a reply's path."""
    from actions.services import get_store

    settings = get_settings()
    worker = OutboxWorker(get_store(), notifiers_from_settings(settings), settings)
    worker.start()
    return worker


def start_actions(server: str) -> OutboxWorker:
    """The start-up checks, then the outbox worker (``server`` names who is starting). A wrong
    or missing data key stops the server before anything is written with it."""
    check_configuration(server)
    try:
        return start_outbox()
    except DataKeyError as error:
        sys.stderr.write(f"Cannot start the {server}: {error}\n")
        raise SystemExit(2) from error
