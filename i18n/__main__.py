"""python -m i18n export LANG [--out FILE] | import LANG FILE | check [LANG ...]"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from i18n.catalog import Catalog, TranslationError
from i18n.worksheet import export, import_sheet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m i18n", description="Translations of the assistant's texts.")
    commands = parser.add_subparsers(dest="command", required=True)
    out = commands.add_parser("export", help="write a worksheet: every English text and its translation so far")
    out.add_argument("language")
    out.add_argument("--out", type=Path, help="file to write (default: standard output)")
    into = commands.add_parser("import", help="check a filled worksheet and write locales/LANG.yml")
    into.add_argument("language")
    into.add_argument("sheet", type=Path)
    check = commands.add_parser("check", help="what each language lacks (missing, outdated, unreviewed)")
    check.add_argument("languages", nargs="*")
    args = parser.parse_args(argv)
    try:
        catalog = Catalog()
    except TranslationError as error:
        print(error, file=sys.stderr)
        return 2
    if args.command == "export":
        text = export(catalog, args.language)
        if args.out:
            args.out.write_text(text, encoding="utf-8")
            print(f"wrote {args.out}: {len(catalog.english)} texts")
        else:
            sys.stdout.write(text)
        return 0
    if args.command == "import":
        path, problems = import_sheet(catalog, args.language, args.sheet)
        for problem in problems:
            print(problem)
        print(f"wrote {path}: {len(catalog.english) - len([p for p in problems if 'left out' not in p])} "
              f"of {len(catalog.english)} texts usable; {len(problems)} problem(s)")
        return 1 if problems else 0
    failed = False
    for language in args.languages or [code for code in catalog.languages() if code != "en"]:
        status = catalog.status(language)
        print(f"{language}: {len(status.missing)} missing, {len(status.stale)} outdated, "
              f"{len(status.unreviewed)} not yet reviewed by a lawyer")
        failed = failed or not status.complete
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
