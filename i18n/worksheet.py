"""Worksheets for translators: export every English text with its translation so far, import it back.

Import checks each text (not empty, the same {placeholders}, every number of the English kept)
and writes locales/<code>.yml with the fingerprint of the English and `review: draft`; a text
a lawyer already signed off keeps its review as long as neither side changed.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from i18n.catalog import DRAFT, ENGLISH, Catalog, Entry, placeholders, read_locale
from i18n.sources import LOCALES_DIR, PROJECT_ROOT, fingerprint

NUMBER = re.compile(r"\d+")

NOTES = """\
# Translation worksheet for {language}. Fill in every `text:` with the {language} text of `en:`.
# - Translate the meaning faithfully: never add, drop or soften a fact, number, date or condition.
# - Keep every {{placeholder}} exactly as written, and the numbers as Western digits.
# - Keep line breaks, blank lines and "- " bullets; button titles stay short.
# - `knowledge.*` are the facts (a lawyer reviews them), `responses.*` the replies, `messages.*`
#   sentence parts and labels, `firm.*` words people type (lists: keep the ", " between items).
# Then: python -m i18n import {language} THIS_FILE
"""


class _Dumper(yaml.SafeDumper):
    pass


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def _dump(data: object) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def locale_path(language: str, root: Path = PROJECT_ROOT) -> Path:
    return root / LOCALES_DIR.relative_to(PROJECT_ROOT) / f"{language}.yml"


def export(catalog: Catalog, language: str) -> str:
    """The worksheet text: every English text with the current translation (or "")."""
    entries = catalog.entries(language)
    sheet = {}
    for key, english in catalog.english.items():
        entry = entries.get(key)
        current = entry is not None and entry.of == fingerprint(english)
        sheet[key] = {"en": english, "text": entry.text if current else ""}
    return NOTES.format(language=language) + _dump({"language": language, "entries": sheet})


def check_text(english: str, text: str) -> list[str]:
    """What is wrong with one translation (empty when it can be used)."""
    problems = []
    if not text.strip():
        return ["no text"]
    if placeholders(english) != placeholders(text):
        problems.append(f"placeholders differ: English has {sorted(placeholders(english))}, "
                        f"this has {sorted(placeholders(text))}")
    missing = [n for n in NUMBER.findall(english) if NUMBER.findall(text).count(n) < NUMBER.findall(english).count(n)]
    if missing:
        problems.append(f"numbers of the English missing: {sorted(set(missing))}")
    return problems


def import_sheet(catalog: Catalog, language: str, sheet_path: Path) -> tuple[Path, list[str]]:
    """Write locales/<language>.yml from a worksheet; returns the file and the problems found.

    Entries with a problem are left out of the file (the English is shown meanwhile), so the
    file only ever holds usable translations."""
    if language == ENGLISH:
        raise ValueError("English is the source: edit the English files themselves")
    with sheet_path.open(encoding="utf-8") as handle:
        sheet = (yaml.safe_load(handle) or {}).get("entries") or {}
    path = locale_path(language, catalog.root)
    previous = read_locale(path) if path.exists() else {}
    problems: list[str] = []
    written: dict[str, dict[str, str]] = {}
    for key, english in catalog.english.items():
        text = str((sheet.get(key) or {}).get("text") or "").strip()
        found = check_text(english, text)
        if found:
            problems += [f"{key}: {problem}" for problem in found]
            continue
        old = previous.get(key)
        review = old.review if old and old.text == text and old.of == fingerprint(english) else DRAFT
        written[key] = {"text": text, "of": fingerprint(english), "review": review}
    unknown = sorted(set(sheet) - set(catalog.english))
    problems += [f"{key}: no English text has this key (left out)" for key in unknown]
    header = (f"# {language}: translations of the English texts (keys: i18n/sources.py).\n"
              f"# Every `review: draft` is a DRAFT that no lawyer of the firm has checked yet; a lawyer who\n"
              f"# signs one off writes their name and the date there. `of` is the fingerprint of the English\n"
              f"# it translates. Edit with: python -m i18n export {language} / import {language} FILE.\n")
    path.write_text(header + _dump({"language": language, "entries": written}), encoding="utf-8")
    return path, problems


__all__ = ["Entry", "export", "import_sheet", "check_text", "locale_path"]
