"""Held-out NLU evaluation, per language: intent macro-F1 and country F1.

The held-out files are tests/nlu/test_nlu.yml (English) and tests/nlu/test_nlu_<code>.yml for
every other language firm.yml enables; they are never used for training
(scripts/check_nlu_overlap.py checks that no test example copies a training one). The trained
model is loaded once and parses every example, as the server does. Intent: macro-F1 over the
intents of the file. Country: token-level F1 on the country's value, over whatever component
found it (the English lookup tables or the other languages' names), tokens split on white
space as Rasa's tokenizer does. Prints a table per language, each figure against its goal,
writes results/nlu/report.json, and fails below the floors of tests/nlu/targets.yml.
"""
from __future__ import annotations

import asyncio
import json
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "results" / "nlu"
ANNOTATION = re.compile(r"\[([^\]]+)\](\{[^}]*\}|\(([^)]*)\))")


def held_out_files(languages: list[str]) -> dict[str, Path]:
    files = {"en": ROOT / "tests" / "nlu" / "test_nlu.yml"}
    files.update({code: ROOT / "tests" / "nlu" / f"test_nlu_{code}.yml" for code in languages if code != "en"})
    return {code: path for code, path in files.items() if code in languages}


def parse_example(line: str) -> tuple[str, list[tuple[int, int, str, str]]]:
    """The plain text of an annotated example and its entities (start, end, type, value)."""
    text, entities, position = "", [], 0
    for match in ANNOTATION.finditer(line):
        text += line[position:match.start()]
        surface = match.group(1)
        if match.group(3) is not None:
            kind, value = match.group(3), surface
        else:
            data = json.loads(match.group(2))
            kind, value = data["entity"], str(data.get("value", surface))
        entities.append((len(text), len(text) + len(surface), kind, value))
        text += surface
        position = match.end()
    return text + line[position:], entities


def read_examples(path: Path) -> list[tuple[str, str, list]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    examples = []
    for block in data.get("nlu") or []:
        for line in (block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                text, entities = parse_example(line[2:])
                examples.append((block["intent"], text, entities))
    return examples


def token_labels(text: str, entities, kind: str = "country") -> list[str]:
    """Each white-space token's country ('' for none), by the knowledge file's name ("japan" and
    "Japan" are one country): a token is labelled when an entity of that kind overlaps it."""
    from kb import get_knowledge

    labels = []
    for token in re.finditer(r"\S+", text):
        value = ""
        for start, end, entity_kind, entity_value in entities:
            if entity_kind == kind and start < token.end() and token.start() < end:
                country = get_knowledge().country(entity_value)
                value = country.name if country is not None else entity_value
        labels.append(value)
    return labels


def f1(counts: Counter) -> float:
    precision = counts["tp"] / (counts["tp"] + counts["fp"]) if counts["tp"] + counts["fp"] else 1.0
    recall = counts["tp"] / (counts["tp"] + counts["fn"]) if counts["tp"] + counts["fn"] else 1.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def macro_f1(gold: list[str], predicted: list[str]) -> tuple[float, dict[str, float]]:
    per = {}
    for intent in sorted(set(gold)):
        counts = Counter()
        for g, p in zip(gold, predicted):
            counts["tp"] += g == intent and p == intent
            counts["fp"] += g != intent and p == intent
            counts["fn"] += g == intent and p != intent
        per[intent] = f1(counts)
    return sum(per.values()) / len(per), per


async def parse_all(model: Path, texts: list[str]) -> list[dict]:
    import logging

    import structlog
    from rasa.core.agent import Agent

    # Rasa logs every parsed message at debug level: this report prints only its figures.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger().setLevel(logging.WARNING)
    agent = Agent.load(str(model))
    return [await agent.parse_message(text) for text in texts]


def evaluate(model: Path, languages: list[str]) -> dict[str, dict]:
    files = held_out_files(languages)
    examples = {code: read_examples(path) for code, path in files.items()}
    texts = [text for rows in examples.values() for _, text, _ in rows]
    parsed = iter(asyncio.run(parse_all(model, texts)))
    results = {}
    for code, rows in examples.items():
        gold, predicted, country = [], [], Counter()
        for intent, text, entities in rows:
            result = next(parsed)
            gold.append(intent)
            predicted.append((result.get("intent") or {}).get("name") or "")
            found = [(e["start"], e["end"], e["entity"], str(e["value"])) for e in result.get("entities") or []
                     if "start" in e and e.get("end", 0) > e.get("start", 0)]
            for want, got in zip(token_labels(text, entities), token_labels(text, found)):
                country["tp"] += bool(want) and want == got
                country["fp"] += bool(got) and want != got
                country["fn"] += bool(want) and want != got
        macro, per_intent = macro_f1(gold, predicted)
        results[code] = {"examples": len(rows), "intent_macro_f1": macro, "country_f1": f1(country),
                         "country_tokens": country["tp"] + country["fn"], "per_intent": per_intent}
    return results


def report(results: dict[str, dict]) -> int:
    targets = yaml.safe_load((ROOT / "tests" / "nlu" / "targets.yml").read_text())
    failed = False
    print(f"{'language':9} {'examples':>8} {'intent F1':>10} {'country F1':>11}")
    for code, row in results.items():
        print(f"{code:9} {row['examples']:8} {row['intent_macro_f1']:10.3f} {row['country_f1']:11.3f}")
    for code, row in results.items():
        weakest = sorted(row["per_intent"].items(), key=lambda item: item[1])[:3]
        print(f"  {code} weakest intents: " + ", ".join(f"{name} {score:.2f}" for name, score in weakest))
    for code, row in results.items():
        for figure in ("intent_macro_f1", "country_f1"):
            target = (targets.get(code) or targets["default"])[figure]
            value = row[figure]
            verdict = "goal met" if value >= target["goal"] else "goal NOT met"
            if value < target["floor"]:
                verdict, failed = f"BELOW FLOOR {target['floor']}", True
            print(f"{code} {figure}: {value:.3f} (goal {target['goal']}) {verdict}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    from firm import get_settings

    model_file = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "models" / "assistant.tar.gz"
    sys.exit(report(evaluate(model_file, list(get_settings().conversation.languages))))
