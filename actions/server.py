"""Entry point of the action server: `python -m actions.server [rasa-sdk options]`.

Rasa SDK logs and skips an actions package that fails to import, which would leave a server
answering with no facts. Loading the knowledge and routes files and the firm's settings here
first means a broken file stops the server with a message naming the file, entry and field.
"""
from __future__ import annotations

import logging
import sys

from rasa_sdk.__main__ import main_from_args
from rasa_sdk.endpoint import create_argument_parser

from firm import get_settings, startup_warnings
from intake.crypto import DataKeyError
from intake.outbox import OutboxWorker
from intake.notify import notifiers_from_settings
from kb import KnowledgeError, get_routes

logger = logging.getLogger("actions.server")


def check_configuration() -> None:
    """Fail fast on a broken knowledge or routes file; warn while the firm's example values
    are in use or no notification channel is enabled."""
    try:
        get_routes()  # loads the knowledge file it is checked against
    except KnowledgeError as error:
        sys.stderr.write(f"Cannot start the action server: {error}\n")
        raise SystemExit(2) from error
    startup_warnings(get_settings())  # logs example contact details, disabled notifications


def start_outbox() -> OutboxWorker:
    """Notifications to the firm are delivered in the background, never in a reply's path."""
    from actions.common import get_store

    settings = get_settings()
    worker = OutboxWorker(get_store(), notifiers_from_settings(settings), settings)
    worker.start()
    return worker


def main() -> None:
    args = create_argument_parser().parse_args()
    logging.basicConfig(level=logging.INFO)
    check_configuration()
    try:
        start_outbox()
    except DataKeyError as error:
        # A wrong or missing data key: stop before anything is written with it.
        sys.stderr.write(f"Cannot start the action server: {error}\n")
        raise SystemExit(2) from error
    args.actions = "actions"
    main_from_args(args)


if __name__ == "__main__":
    main()
