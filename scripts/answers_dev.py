"""Tune the knowledge file's `keywords` and `asks` on the development sets, never the held-out.

tests/answers/dev/stories_dev*.yml are labelled with topic and fact ids; this checks, without a
server, what kb's retrieval makes of each message: the story's topic among the two it
answers, the one fact asked for, a stated purpose of evasion. Each message's meaning is
computed as the NLU computes it (the encoder and config.yml's KnowledgeClosenessAnnotator
settings); `--words-only` leaves it out. It prints the rates and every miss with what was
found instead, so that a phrase a person would use can be added to the right topic or fact.
The held-out sets (scripts/answers_report.py) are for measuring only.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import get_boundaries, get_knowledge  # noqa: E402
from kb.model import MEMBER, NON_MEMBER, TERRITORY  # noqa: E402
from kb.retrieve import NO_CLOSENESS, Closeness, best_fact  # noqa: E402
from kb.route import Message, fact_meant, story_topics  # noqa: E402

DEV = sorted((ROOT / "tests" / "answers" / "dev").glob("stories_dev*.yml"))
STATUS_TOPICS = {MEMBER: "membership", NON_MEMBER: "non_members", TERRITORY: "territories"}
ANNOTATOR = "rasa_server.nlu.knowledge_closeness.KnowledgeClosenessAnnotator"


def meaning_of(texts: list[str]) -> list[Closeness]:
    """Each text's closeness to the knowledge file, as the served NLU computes it."""
    from rasa_server.nlu.knowledge_closeness import KnowledgeClosenessAnnotator
    from rasa_server.nlu.muse import shared_encoder

    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    step = next(step for step in pipeline if step["name"] == ANNOTATOR)
    meanings = KnowledgeClosenessAnnotator({**KnowledgeClosenessAnnotator.get_default_config(), **step}).meanings
    return [meanings.closeness(vector) for vector in shared_encoder(1).encode(texts, batch_size=1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEV, help="development sets (default: all)")
    parser.add_argument("--words-only", action="store_true", help="without the meaning (the phrases alone)")
    args = parser.parse_args()
    for path in args.files:
        print(f"== {path.relative_to(ROOT) if path.is_absolute() else path}")
        report(yaml.safe_load(path.read_text(encoding="utf-8"))["messages"], args.words_only)
    return 0


def report(entries: list[dict], words_only: bool) -> None:
    kb, boundaries = get_knowledge(), get_boundaries()
    counts = {"topic": [0, 0], "fact": [0, 0], "evasion": [0, 0]}
    texts = [entry["text"] for entry in entries]
    meanings = [NO_CLOSENESS] * len(texts) if words_only else meaning_of(texts)
    for entry, closeness in zip(entries, meanings):
        text = entry["text"]
        if entry.get("evasion"):
            found = boundaries.states_evasion(text)
            kind, ok, got = "evasion", found, "refused" if found else "not refused"
        elif entry.get("fact"):
            fact = best_fact(kb, text, kb.topics) or fact_meant(kb, Message("", {}, text, closeness=closeness))
            kind, ok, got = "fact", fact is not None and fact.id == entry["fact"], fact.id if fact else None
        elif entry.get("topics"):
            hits = [hit.topic.id for hit in story_topics(kb, text, closeness)[:2]]
            hits += [STATUS_TOPICS[c.status] for c in kb.countries_in_text(text)]  # their statuses are answered too
            kind, ok, got = "topic", bool(set(hits) & set(entry["topics"])), hits
        else:
            continue
        counts[kind][0] += ok
        counts[kind][1] += 1
        if not ok:
            print(f"{kind:8} want {entry.get('fact') or entry.get('topics')} got {got}: {text[:110]!r}")
    for kind, (right, total) in counts.items():
        print(f"{kind:8} {right}/{total} = {right / max(total, 1):.3f}")


if __name__ == "__main__":
    sys.exit(main())
