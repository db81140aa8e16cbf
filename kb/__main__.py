"""Check a knowledge file from the command line: ``python -m kb [PATH]``.

Why: lawyers edit the file; this gives them (and CI) a one-line check with
the same messages the assistant would fail with.
"""

from __future__ import annotations

import sys

from kb.loader import DEFAULT_PATH, KnowledgeError, display_path, load_knowledge


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = args[0] if args else DEFAULT_PATH
    try:
        kb = load_knowledge(path)
    except KnowledgeError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 1
    print(f"OK {display_path(path)}: {len(kb.topics)} topics, {len(kb.sources)} sources, "
          f"{len(kb.members)} members, {len(kb.non_members)} non-members, "
          f"{len(kb.territories)} territories")
    return 0


if __name__ == "__main__":
    sys.exit(main())
