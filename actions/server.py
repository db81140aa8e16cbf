"""Entry point of the action server: `python -m actions.server [rasa-sdk options]`.

Rasa SDK logs and skips an actions package that fails to import, which would leave a server
answering with no facts. The start-up shared with the in-process mode (actions/startup.py)
runs first, so a broken file stops the server with a message naming the file, entry and field.
"""
from __future__ import annotations

import logging

from rasa_sdk.__main__ import main_from_args
from rasa_sdk.endpoint import create_argument_parser

from actions.startup import start_actions


def main() -> None:
    args = create_argument_parser().parse_args()
    logging.basicConfig(level=logging.INFO)
    start_actions("action server")
    args.actions = "actions"
    main_from_args(args)


if __name__ == "__main__":
    main()
