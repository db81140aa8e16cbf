"""Tune the knowledge file's `keywords` and `asks` on the development set, never the held-out.

tests/answers/dev/stories_dev.yml is labelled with topic and fact ids; this checks, without a
server, what kb's retrieval makes of each message: the story's topic among the two it
answers, the one fact asked for, a stated purpose of evasion. It prints the rates and every
miss with what was found instead, so that a phrase a person would use can be added to the
right topic or fact. The held-out sets (scripts/answers_report.py) are for measuring only.
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import get_boundaries, get_knowledge  # noqa: E402
from kb.model import MEMBER, NON_MEMBER, TERRITORY  # noqa: E402
from kb.retrieve import best_fact  # noqa: E402
from kb.route import story_topics  # noqa: E402

DEV = ROOT / "tests" / "answers" / "dev" / "stories_dev.yml"
STATUS_TOPICS = {MEMBER: "membership", NON_MEMBER: "non_members", TERRITORY: "territories"}


def main() -> int:
    kb, boundaries = get_knowledge(), get_boundaries()
    counts = {"topic": [0, 0], "fact": [0, 0], "evasion": [0, 0]}
    for entry in yaml.safe_load(DEV.read_text(encoding="utf-8"))["messages"]:
        text = entry["text"]
        if entry.get("evasion"):
            found = boundaries.states_evasion(text)
            kind, ok, got = "evasion", found, "refused" if found else "not refused"
        elif entry.get("fact"):
            fact = best_fact(kb, text, kb.topics)
            kind, ok, got = "fact", fact is not None and fact.id == entry["fact"], fact.id if fact else None
        elif entry.get("topics"):
            hits = [hit.topic.id for hit in story_topics(kb, text)[:2]]
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
