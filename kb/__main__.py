"""Check a knowledge file, and the routes file against it: ``python -m kb [PATH [ROUTES]]``.

Why: lawyers edit the file; this gives them (and CI) a one-line check with
the same messages the assistant would fail with.
"""

from __future__ import annotations

import sys

from kb.loader import DEFAULT_PATH, KnowledgeError, display_path, load_knowledge
from kb.routes import DEFAULT_ROUTES_PATH, load_routes


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = args[0] if args else DEFAULT_PATH
    routes_path = args[1] if len(args) > 1 else DEFAULT_ROUTES_PATH
    try:
        kb = load_knowledge(path)
        routes = load_routes(routes_path, kb)
    except KnowledgeError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 1
    print(f"OK {display_path(path)}: {len(kb.topics)} topics, {len(kb.sources)} sources, "
          f"{len(kb.members)} members, {len(kb.non_members)} non-members, "
          f"{len(kb.territories)} territories")
    print(f"OK {display_path(routes_path)}: {len(routes)} intents")
    return check_languages()


def check_languages() -> int:
    """Every enabled language (firm.yml) has a current translation of every text; names what is missing."""
    from firm import get_settings
    from i18n import get_catalog

    failed = 0
    for language in get_settings().conversation.languages:
        if language == "en":
            continue
        status = get_catalog().status(language)
        for key in status.missing:
            print(f"ERROR locales/{language}.yml: no translation of {key}", file=sys.stderr)
        for key in status.stale:
            print(f"ERROR locales/{language}.yml: {key} translates an older English text", file=sys.stderr)
        failed += len(status.missing) + len(status.stale)
        if status.complete:
            print(f"OK locales/{language}.yml: every text translated ({len(status.unreviewed)} not yet reviewed)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
