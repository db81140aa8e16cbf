"""Every English text a person can read, under a stable key, from the files that hold it.

The keys name the file and the entry: `knowledge.topics.<id>.short`, `knowledge.facts.<id>`,
`responses.utter_greet.0.text`, `firm.problem_types.<id>.label`, `messages.<key>` (locales/en.yml).
A translation is stored under the same key with a fingerprint of the English it was made from,
so an English edit shows as a translation to redo (`python -m i18n check`).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Iterator

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_FILE = PROJECT_ROOT / "knowledge" / "interpol.yml"
DOMAIN_FILE = PROJECT_ROOT / "domain.yml"
FIRM_FILE = PROJECT_ROOT / "firm.yml"
LOCALES_DIR = PROJECT_ROOT / "locales"
ENGLISH_MESSAGES = LOCALES_DIR / "en.yml"

# Lists of words (firm.yml) are translated as one text, items separated by this.
LIST_SEPARATOR = ", "


def fingerprint(english: str) -> str:
    """A short fingerprint of an English text: a translation made from another text is stale."""
    return hashlib.sha256(english.encode("utf-8")).hexdigest()[:10]


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def _knowledge(data: dict) -> Iterator[tuple[str, str]]:
    for topic in data.get("topics") or []:
        for field in ("title", "short", "details"):
            if topic.get(field):
                yield f"knowledge.topics.{topic['id']}.{field}", str(topic[field]).strip()
        for fact in topic.get("facts") or []:
            yield f"knowledge.facts.{fact['id']}", str(fact["text"]).strip()
    membership = data.get("membership") or {}
    if membership.get("no_safe_haven"):
        yield "knowledge.membership.no_safe_haven", str(membership["no_safe_haven"]).strip()
    for entry in (data.get("countries") or {}).get("entries") or []:
        for field in ("reason", "joined_event"):
            if entry.get(field):
                yield f"knowledge.countries.{entry['name']}.{field}", str(entry[field]).strip()
    for section in ("notice_types", "crime_areas"):
        for entry in data.get(section) or []:
            yield f"knowledge.{section}.{entry['id']}.name", str(entry["name"]).strip()


def button_key(title: str) -> str:
    """Buttons are keyed by their English title: the menu shared by several replies is one text."""
    return "responses.button." + "_".join(re.findall(r"[a-z0-9]+", title.casefold()))[:60]


def _responses(data: dict) -> Iterator[tuple[str, str]]:
    for name, variations in (data.get("responses") or {}).items():
        for index, variation in enumerate(variations or []):
            if variation.get("text"):
                yield f"responses.{name}.{index}.text", str(variation["text"]).strip()
            for button in variation.get("buttons") or []:
                yield button_key(str(button["title"])), str(button["title"])


def _firm(data: dict) -> Iterator[tuple[str, str]]:
    intake = data.get("intake") or {}
    for problem in intake.get("problem_types") or []:
        yield f"firm.problem_types.{problem['id']}.label", str(problem["label"])
        yield f"firm.problem_types.{problem['id']}.aliases", LIST_SEPARATOR.join(problem.get("aliases") or [])
    if intake.get("skip_words"):
        yield "firm.skip_words", LIST_SEPARATOR.join(intake["skip_words"])


def english_texts(root: Path = PROJECT_ROOT) -> dict[str, str]:
    """Key -> English text, in the order the files hold them."""
    texts: dict[str, str] = {}
    texts.update(_knowledge(_load(root / KNOWLEDGE_FILE.relative_to(PROJECT_ROOT))))
    texts.update(_responses(_load(root / DOMAIN_FILE.relative_to(PROJECT_ROOT))))
    texts.update(_firm(_load(root / FIRM_FILE.relative_to(PROJECT_ROOT))))
    messages = _load(root / ENGLISH_MESSAGES.relative_to(PROJECT_ROOT)).get("messages") or {}
    texts.update((f"messages.{key}", str(text)) for key, text in messages.items())
    return texts
