"""Every country of the knowledge file, by name and by each alias, is recognised by the
trained NLU and maps to the knowledge file's entry for it (the NLU's synonyms may leave a
canonical name in another case, e.g. "canada"; the actions resolve values through kb)."""
from __future__ import annotations

import asyncio
from typing import Iterator

import pytest

from kb import get_knowledge
from ops.stack import PROJECT_ROOT
from tests.conftest import train_once


@pytest.fixture(scope="module")
def parse() -> Iterator:
    from rasa.core.agent import Agent

    train_once()
    agent = Agent.load(str(PROJECT_ROOT / "models" / "assistant.tar.gz"))
    loop = asyncio.new_event_loop()
    yield lambda text: loop.run_until_complete(agent.parse_message(text))
    loop.close()


def countries_found(parsed: dict) -> set:
    """The knowledge file's names for the country entities found in one parse."""
    kb = get_knowledge()
    values = [entity["value"] for entity in parsed["entities"] if entity["entity"] == "country"]
    return {getattr(kb.country(str(value)), "name", f"unresolved:{value}") for value in values}


def test_every_country_and_alias_maps_to_its_country(parse) -> None:
    kb = get_knowledge()
    missed = []
    for country in kb.members + kb.non_members + kb.territories:
        for spelling in [country.name, *country.aliases]:
            found = countries_found(parse(f"is {spelling} a member of interpol?"))
            if country.name not in found:
                missed.append(f"{spelling!r} -> {sorted(found)} (expected {country.name!r})")
    assert not missed, "\n".join(missed)


def test_a_sentence_without_a_country_has_none(parse) -> None:
    assert countries_found(parse("can you help us with a red notice please")) == set()
