"""The generated NLU file: complete, consistent with the knowledge file,
free of pronouns, and byte-stable so Rasa does not retrain for nothing; and the
generated rules: one pair per routed intent, none of them also written by hand.

Checks are done on the parsed YAML (no `rasa data validate` needed).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from kb import Knowledge, load_knowledge, load_routes
from kb.loader import DEFAULT_PATH, PROJECT_ROOT
from kb.routes import DEFAULT_ROUTES_PATH
from kb.text import COMMON_WORDS, fold_accents

SCRIPT = PROJECT_ROOT / "scripts" / "generate_nlu.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_nlu", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate_nlu = _load_script()


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge(DEFAULT_PATH)


def generate(*args: str, output: Path) -> int:
    """Run the script with both outputs in ``output``'s folder (never the project's)."""
    rules = output.parent / "knowledge_rules.yml"
    return generate_nlu.main([*args, "--output", str(output), "--rules-output", str(rules)])


@pytest.fixture()
def output(tmp_path: Path) -> Path:
    path = tmp_path / "generated" / "knowledge_entities.yml"
    assert generate(output=path) == 0
    return path


@pytest.fixture()
def rules(output: Path) -> list[dict]:
    text = (output.parent / "knowledge_rules.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["rules"]


@pytest.fixture()
def parsed(output: Path) -> dict:
    return yaml.safe_load(output.read_text(encoding="utf-8"))


def _examples(block: str) -> list[str]:
    return [line[2:] for line in block.splitlines() if line.startswith("- ")]


def _lookups(parsed: dict) -> dict[str, list[str]]:
    return {item["lookup"]: _examples(item["examples"]) for item in parsed["nlu"] if "lookup" in item}


def _synonyms(parsed: dict) -> dict[str, str]:
    """surface form (lowercase) -> canonical value, as Rasa's synonym mapper uses it."""
    mapping: dict[str, str] = {}
    for item in parsed["nlu"]:
        if "synonym" in item:
            for example in _examples(item["examples"]):
                assert example.lower() not in mapping, f"{example} mapped twice"
                mapping[example.lower()] = item["synonym"]
    return mapping


def test_rasa_3_format(parsed: dict) -> None:
    assert parsed["version"] == "3.1"
    assert isinstance(parsed["nlu"], list)
    assert set(_lookups(parsed)) == {"country", "notice_type", "crime_area"}


def _country_regexes(parsed: dict) -> list:
    return [re.compile(pattern, re.IGNORECASE)
            for entry in parsed["nlu"] if entry.get("regex") == "country"
            for pattern in _examples(entry["examples"])]


def test_every_country_name_and_alias_is_in_the_lookup_or_regex(kb: Knowledge, parsed: dict) -> None:
    """Labels ending in a dot ("U.S.") cannot match Rasa's \\b-wrapped lookups: a regex
    with its own boundaries carries them, and must find them inside a sentence."""
    lookup = {entry.lower() for entry in _lookups(parsed)["country"]}
    regexes = _country_regexes(parsed)
    for country in [*kb.members, *kb.non_members, *kb.territories]:
        for label in (country.name, *country.aliases):
            for form in (label, fold_accents(label)):
                sentence = f"is {form} a member?"
                assert form.lower() in lookup or any(r.search(sentence) for r in regexes), form
    assert "congo" in lookup  # ambiguous names are entities too
    assert not any(r.search("we took the bus. then a taxi") for r in regexes)  # not inside words


def test_every_alias_maps_to_its_country(kb: Knowledge, parsed: dict) -> None:
    synonyms = _synonyms(parsed)
    for country in kb.countries:
        for label in (country.name, *country.aliases):
            for form in {label, fold_accents(label)}:
                if form.lower() != country.name.lower():
                    assert synonyms.get(form.lower()) == country.name, form


def test_notice_and_crime_aliases_map_to_canonical_ids(kb: Knowledge, parsed: dict) -> None:
    synonyms = _synonyms(parsed)
    lookups = _lookups(parsed)
    for items, lookup_name in ((kb.notice_types, "notice_type"), (kb.crime_areas, "crime_area")):
        lookup = {entry.lower() for entry in lookups[lookup_name]}
        for item in items:
            for label in (item.name, *item.aliases):
                assert label.lower() in lookup, label
                if label.lower() != item.id:
                    assert synonyms[label.lower()] == item.id, label
    assert synonyms["red notice"] == "red"
    assert synonyms["un special notice"] == "un_special"
    assert synonyms["mafia"] == "organised_crime"


def test_ambiguous_names_have_no_synonym(parsed: dict) -> None:
    assert "congo" not in _synonyms(parsed)


def test_lookups_are_sorted_longest_first(parsed: dict) -> None:
    for name, entries in _lookups(parsed).items():
        lengths = [len(entry) for entry in entries]
        assert lengths == sorted(lengths, reverse=True), name
        assert len({e.lower() for e in entries}) == len(entries), f"{name} has duplicates"


def test_no_pronouns_or_common_words(parsed: dict) -> None:
    for entries in _lookups(parsed).values():
        for entry in entries:
            assert entry.lower() not in COMMON_WORDS, entry
    assert not COMMON_WORDS & set(_synonyms(parsed))
    assert "us" not in {e.lower() for e in _lookups(parsed)["country"]}


def test_rewriting_unchanged_input_keeps_the_bytes(output: Path) -> None:
    before = output.read_bytes()
    mtime = output.stat().st_mtime_ns
    assert generate(output=output) == 0
    assert output.read_bytes() == before
    assert output.stat().st_mtime_ns == mtime, "file must not be rewritten"
    assert generate_nlu.render(load_knowledge(DEFAULT_PATH)).encode("utf-8") == before


def test_check_passes_when_fresh_and_fails_when_stale(output: Path, tmp_path: Path) -> None:
    assert generate("--check", output=output) == 0
    output.write_text(output.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert generate("--check", output=output) == 1
    assert generate("--check", output=tmp_path / "missing.yml") == 1


def test_check_detects_a_knowledge_change(output: Path, tmp_path: Path) -> None:
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    changed = text.replace("{name: Brazil, status: member, aliases: [Brasil]}",
                           "{name: Brazil, status: member, aliases: [Brasil, Federative Republic of Brazil]}")
    assert changed != text
    knowledge = tmp_path / "interpol.yml"
    knowledge.write_text(changed, encoding="utf-8")
    assert generate("--check", "--knowledge", str(knowledge), output=output) == 1
    assert generate("--knowledge", str(knowledge), output=output) == 0
    assert "Federative Republic of Brazil" in output.read_text(encoding="utf-8")


def test_broken_knowledge_file_is_reported(tmp_path: Path, capsys) -> None:
    knowledge = tmp_path / "interpol.yml"
    knowledge.write_text("sources: [\n", encoding="utf-8")
    assert generate("--knowledge", str(knowledge), output=tmp_path / "o.yml") == 2
    assert "not valid YAML" in capsys.readouterr().err
    assert not (tmp_path / "o.yml").exists()


def test_command_line(tmp_path: Path) -> None:
    outputs = ["--output", str(tmp_path / "cli.yml"), "--rules-output", str(tmp_path / "rules.yml")]
    first = subprocess.run([sys.executable, str(SCRIPT), *outputs],
                           capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    check = subprocess.run([sys.executable, str(SCRIPT), "--check", *outputs],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr


# ---- the generated rules ----------------------------------------------------------------

def _steps(intent: str, *actions: str) -> list[dict]:
    return [{"intent": intent}, *({"action": action} for action in actions)]


def test_every_routed_intent_has_its_generated_rules(kb: Knowledge, rules: list[dict]) -> None:
    """Answered at any time, and during the form unless its route says not (then only with
    no form active): the rules data/rules/*.yml used to repeat by hand."""
    routes = load_routes(DEFAULT_ROUTES_PATH, kb)
    found = [(rule.get("condition"), rule["steps"]) for rule in rules]
    for route in routes.values():
        if route.during_form:
            assert (None, _steps(route.intent, "action_answer")) in found, route.intent
            digression = _steps(route.intent, "action_answer", "consultation_form")
            digression.append({"active_loop": "consultation_form"})
            assert ([{"active_loop": "consultation_form"}], digression) in found, route.intent
        else:
            assert ([{"active_loop": None}], _steps(route.intent, "action_answer")) in found
    assert len(found) == len(routes) + sum(route.during_form for route in routes.values())
    assert {"ask_membership", "choose_topic", "inform"} <= set(routes)


def test_no_hand_written_rule_repeats_a_routed_intent(kb: Knowledge) -> None:
    routes = load_routes(DEFAULT_ROUTES_PATH, kb)
    for path in (PROJECT_ROOT / "data" / "rules").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            intent = rule["steps"][0].get("intent")
            assert intent not in routes, f"{path.name}: '{rule['rule']}' is generated"


def test_routed_intents_are_in_the_domain(kb: Knowledge) -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(load_routes(DEFAULT_ROUTES_PATH, kb)) <= set(domain["intents"])


def test_check_detects_stale_rules(output: Path) -> None:
    rules = output.parent / "knowledge_rules.yml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("- intent: ask_cost\n", ""),
                     encoding="utf-8")
    assert generate("--check", output=output) == 1
    assert generate(output=output) == 0
    assert "- intent: ask_cost\n" in rules.read_text(encoding="utf-8")


def test_broken_routes_file_is_reported(tmp_path: Path, capsys) -> None:
    routes = tmp_path / "routes.yml"
    routes.write_text("ask_cost: {topic: fees}\n", encoding="utf-8")
    assert generate("--routes", str(routes), output=tmp_path / "o.yml") == 2
    assert f"{routes}: intent 'ask_cost': field 'topic': topic 'fees' does not exist" in capsys.readouterr().err
    assert not (tmp_path / "o.yml").exists()
