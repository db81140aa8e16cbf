"""The Rasa server's entry point: ``python -m rasa_server <rasa command> [options]``.

The same arguments as the ``rasa`` command (``run``, ``test``, ...), after two steps that
must come first: the installed Rasa and rasa-sdk must be the pinned releases, and Rasa's
internals are patched (rasa_server/patches.py). A version mismatch stops with a message
naming it and exit code 2. When endpoints.yml runs the custom actions in this process
(``action_endpoint: {actions_module: actions}``), their start-up comes next: the same checks
and outbox worker as the action server's (actions/startup.py), and the package imported, so
that a broken file stops the server here rather than at the first message.
"""
from __future__ import annotations

import sys

from rasa_server import patches


def main() -> None:
    try:
        patches.install()
    except patches.UnsupportedVersion as error:
        sys.stderr.write(f"Cannot start the Rasa server: {error}\n")
        raise SystemExit(2) from error
    start_actions_in_process()
    from rasa.__main__ import main as rasa_main

    rasa_main()


# The commands that hold conversations (`rasa run`, `rasa shell`): the only ones that run
# custom actions, so the only ones that start them (`rasa test core` only predicts).
SERVING_COMMANDS = {("rasa.cli.run", "run"), ("rasa.cli.shell", "shell")}


def start_actions_in_process() -> None:
    """The in-process actions' start-up, for a serving command whose endpoints file selects them."""
    from rasa.__main__ import create_argument_parser
    from rasa.core.utils import AvailableEndpoints

    from rasa_server.action_calls import in_process

    args = create_argument_parser().parse_known_args()[0]
    command = getattr(args, "func", None)
    if (getattr(command, "__module__", None), getattr(command, "__name__", None)) not in SERVING_COMMANDS:
        return
    module = in_process.actions_module(AvailableEndpoints.read_endpoints(args.endpoints).action)
    if module:
        from actions.startup import start_actions

        start_actions("Rasa server")
        in_process.executor_for(module)


if __name__ == "__main__":
    main()
