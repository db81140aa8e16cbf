"""The Rasa server's entry point: ``python -m rasa_server <rasa command> [options]``.

The same arguments as the ``rasa`` command (``run``, ``test``, ...), after two steps that
must come first: the installed Rasa and rasa-sdk must be the pinned releases, and Rasa's
internals are patched (rasa_server/patches.py). A version mismatch stops with a message
naming it and exit code 2.
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
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
