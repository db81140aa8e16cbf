"""Look up a text in a language: the translation when there is a current one, else English.

A translation counts only while the English it was made from is unchanged (its `of:`
fingerprint); a missing or stale one falls back to English, and the caller adds the one
line that says so (`messages.answers.in_english`), so a person never gets silence.
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from i18n.sources import LOCALES_DIR, PROJECT_ROOT, english_texts, fingerprint

ENGLISH = "en"
DRAFT = "draft"
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class TranslationError(ValueError):
    """A locale file that cannot be read: names the file, the entry and the field."""


@dataclass(frozen=True)
class Entry:
    """One translated text, the fingerprint of its English, and who reviewed it."""

    text: str
    of: str
    review: str = DRAFT


@dataclass
class Status:
    """What a language still lacks: keys with no text, with outdated text, not yet reviewed."""

    language: str
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    unreviewed: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.stale


class _KeepUnknown(dict):
    """format_map mapping that leaves {firm_name} & co. for the NLG to fill in later."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, **params: Any) -> str:
    """The template with the given {placeholders} filled and any other left as written."""
    return string.Formatter().vformat(template, (), _KeepUnknown(params))


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def read_locale(path: Path) -> dict[str, Entry]:
    """The entries of one locale file, checked field by field."""
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError) as error:
        raise TranslationError(f"{path}: cannot be read: {error}") from error
    entries = data.get("entries") or {}
    if not isinstance(entries, dict):
        raise TranslationError(f"{path}: `entries` must be a mapping of key -> {{text, of, review}}")
    result: dict[str, Entry] = {}
    for key, value in entries.items():
        if not isinstance(value, dict) or not isinstance(value.get("text"), str) or not value.get("of"):
            raise TranslationError(f"{path}: entry {key!r}: needs `text` (a string) and `of` (the fingerprint)")
        result[str(key)] = Entry(text=value["text"].strip(), of=str(value["of"]),
                                 review=str(value.get("review") or DRAFT))
    return result


class Catalog:
    """English texts and the translations of every language with a locale file."""

    def __init__(self, root: Path = PROJECT_ROOT) -> None:
        self.root = root
        self.english = english_texts(root)
        self._locales: dict[str, dict[str, Entry]] = {}
        locales = root / LOCALES_DIR.relative_to(PROJECT_ROOT)
        for path in sorted(locales.glob("*.yml")):
            if path.stem != ENGLISH:
                self._locales[path.stem] = read_locale(path)

    def english_responses(self) -> list[str]:
        """The names of the domain responses (their first text variation has a key here)."""
        return [key.split(".")[1] for key in self.english if key.startswith("responses.") and key.endswith(".0.text")]

    def languages(self) -> list[str]:
        """English and every language with a locale file."""
        return [ENGLISH, *self._locales]

    def entries(self, language: str) -> dict[str, Entry]:
        return self._locales.get(language, {})

    def translation(self, language: str, key: str) -> Optional[str]:
        """The current translation of a key, or None (English, missing, stale or empty)."""
        english = self.english.get(key)
        if language == ENGLISH or english is None:
            return None
        entry = self._locales.get(language, {}).get(key)
        if entry is None or not entry.text or entry.of != fingerprint(english):
            return None
        return entry.text

    def lookup(self, language: str, key: str) -> tuple[str, bool]:
        """(text, True) in the language, or (English text, False) when it has no current translation."""
        if key not in self.english:
            raise KeyError(f"no English text has the key {key!r}")
        translated = self.translation(language, key)
        if translated is not None:
            return translated, True
        return self.english[key], language == ENGLISH

    def text(self, language: str, key: str) -> str:
        """The text in the language, else in English."""
        return self.lookup(language, key)[0]

    def say(self, code: str, key: str, /, **params: Any) -> str:
        """A message of locales/en.yml (`messages.` is implied) in the language ``code``, filled in
        (a template may itself name a {language})."""
        return fill(self.text(code, f"messages.{key}"), **params)

    def status(self, language: str) -> Status:
        status = Status(language)
        entries = self._locales.get(language, {})
        for key, english in self.english.items():
            entry = entries.get(key)
            if entry is None or not entry.text:
                status.missing.append(key)
            elif entry.of != fingerprint(english):
                status.stale.append(key)
            elif entry.review == DRAFT:
                status.unreviewed.append(key)
        return status


@functools.lru_cache(maxsize=1)
def get_catalog() -> Catalog:
    """The project's catalog, read once per process."""
    return Catalog()


def translation_warnings(languages: list[str] | tuple[str, ...], catalog: Optional[Catalog] = None) -> list[str]:
    """One line per enabled language that lacks something: texts missing or outdated (the
    person reads them in English), and drafts no lawyer of the firm has reviewed yet."""
    catalog = catalog or get_catalog()
    warnings = []
    for language in languages:
        if language == ENGLISH:
            continue
        status = catalog.status(language)
        if status.missing or status.stale:
            warnings.append(f"{language}: {len(status.missing)} texts missing and {len(status.stale)} outdated "
                            f"(shown in English; python -m i18n export {language}), e.g. "
                            + ", ".join((status.missing + status.stale)[:3]))
        if status.unreviewed:
            warnings.append(f"{language}: {len(status.unreviewed)} translated texts are drafts that no lawyer of the "
                            f"firm has reviewed yet (locales/{language}.yml, `review: draft`)")
    return warnings
