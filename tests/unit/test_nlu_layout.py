"""The NLU training data is split by topic: each intent's examples live in one block of one
file under data/nlu/ (not spread over files by who wrote them), and each file says what it
holds. Checks the parsed YAML only (no Rasa import)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from kb.loader import PROJECT_ROOT

NLU = PROJECT_ROOT / "data" / "nlu"
BUTTON_ONLY = {"choose_topic", "choose_language"}  # sent by buttons, never typed: no examples


def hand_written() -> list[Path]:
    return sorted(NLU.glob("*.yml"))  # not data/nlu/generated/ (written by a script)


def intent_blocks() -> list[tuple[str, str, list[str]]]:
    """(file name, intent, examples) of every `- intent:` block."""
    blocks = []
    for path in hand_written():
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" in item:
                examples = [line[2:] for line in item["examples"].splitlines()]
                blocks.append((path.name, item["intent"], examples))
    return blocks


def test_each_intent_has_one_block_in_one_file() -> None:
    where: dict[str, list[str]] = {}
    for name, intent, _ in intent_blocks():
        where.setdefault(intent, []).append(name)
    assert {intent: names for intent, names in where.items() if len(names) > 1} == {}


def test_the_intents_with_examples_are_the_domains() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    trained = {intent for _, intent, _ in intent_blocks()}
    assert trained == set(domain["intents"]) - BUTTON_ONLY


def test_no_example_is_given_twice() -> None:
    counts = Counter(example for _, _, examples in intent_blocks() for example in examples)
    assert [example for example, n in counts.items() if n > 1] == []


def test_each_file_opens_with_what_it_holds() -> None:
    for path in hand_written():
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0] == 'version: "3.1"' and lines[1].startswith("# "), path.name
