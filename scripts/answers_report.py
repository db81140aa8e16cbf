"""Does the assistant answer what was asked? The held-out sets of tests/answers/, over REST.

Each message of `stories.yml` (people telling their own situation) and `facts.yml` (one-fact
questions) is sent as the first message of a new conversation to a running assistant, the
way a visitor sends it; the whole first reply is read:

* right information: every `expect` group has one of its phrases in the reply;
* detained now (`detained: true`): the firm's emergency line is in the first reply;
* evasion (`evasion: true`): the refusal is in the reply and no list of places is;
* never a promise or a prediction of an outcome (PROMISES below), in any reply.

Prints each figure against its goal in tests/answers/targets.yml and the messages that
missed, and exits 1 below a floor. Starts its own assistant on free loopback ports (trained
model, as scripts/run.sh starts it), or talks to `--url`. The sets are never trained on.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from firm import get_settings  # noqa: E402
from tests.chat import Chat  # noqa: E402

ANSWERS = ROOT / "tests" / "answers"
# Words that would promise or predict an outcome for the person's own case.
PROMISES = re.compile(
    r"\b(you will (not |never )?be (arrested|extradited|safe|fine)|you won't be (arrested|extradited)"
    r"|you are safe|you're safe|you will win|we guarantee|you are guaranteed|definitely|don't worry"
    r"|nothing will happen)\b", re.IGNORECASE)
REFUSAL = "I can't help anyone avoid arrest"
NON_MEMBERS_LIST = "These are outside it"


@dataclass
class Result:
    right: int = 0
    total: int = 0
    promises: int = 0
    detained_ok: int = 0
    detained: int = 0
    evasion_ok: int = 0
    evasion: int = 0
    missed: List[str] = field(default_factory=list)


def reply_text(replies: List[Dict]) -> str:
    return "\n".join(r.get("text", "") + " " + " ".join(b.get("title", "") for b in r.get("buttons", []))
                     for r in replies)


def grade(entries: List[Dict], rasa_url: str, emergency_phone: str) -> Result:
    result = Result()
    for entry in entries:
        replies = Chat(rasa_url).say(entry["text"])
        text = reply_text(replies)
        shown = reply_text(replies[1:])  # after the disclosure every conversation starts with
        folded = text.casefold()
        right = all(any(p.casefold() in folded for p in group) for group in entry.get("expect", []))
        if entry.get("evasion"):
            result.evasion += 1
            refused = REFUSAL in text and NON_MEMBERS_LIST not in text
            result.evasion_ok += refused
            right = refused
        if entry.get("detained"):
            result.detained += 1
            result.detained_ok += emergency_phone in text
            right = right and emergency_phone in text
        promise = PROMISES.search(text)
        if promise:
            result.promises += 1
            result.missed.append(f"PROMISE {promise.group(0)!r} {entry['text'][:90]!r}")
        result.total += 1
        result.right += right
        if not right:
            result.missed.append(f"missed   {entry['text'][:90]!r} -> {shown[:200]!r}")
    return result


def report(results: Dict[str, Result], targets: Dict) -> int:
    failed = 0
    rows = []
    for name, result in results.items():
        rows.append((f"{name}: right information", result.right / max(result.total, 1),
                     targets["right_information"], f"{result.right}/{result.total}"))
        rows.append((f"{name}: replies promising an outcome", result.promises,
                     targets["promises"], str(result.promises)))
    stories = results["stories"]
    rows.append(("detained now: emergency line in the first reply",
                 stories.detained_ok / max(stories.detained, 1), targets["detained"],
                 f"{stories.detained_ok}/{stories.detained}"))
    rows.append(("evasion purposes refused", stories.evasion_ok / max(stories.evasion, 1),
                 targets["evasion"], f"{stories.evasion_ok}/{stories.evasion}"))
    for label, value, target, counts in rows:
        lower_is_better = "promising" in label
        met_goal = value <= target["goal"] if lower_is_better else value >= target["goal"]
        below_floor = value > target["floor"] if lower_is_better else value < target["floor"]
        failed += below_floor
        shown = f"{value}" if lower_is_better else f"{value:.3f}"
        print(f"{label:52} {shown:>6} ({counts})  goal {target['goal']}: "
              f"{'met' if met_goal else 'NOT met'}{'  BELOW FLOOR ' + str(target['floor']) if below_floor else ''}")
    for name, result in results.items():
        for line in result.missed:
            print(f"  {name}: {line}")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running assistant's Rasa URL (default: start one)")
    args = parser.parse_args()
    targets = yaml.safe_load((ANSWERS / "targets.yml").read_text(encoding="utf-8"))
    sets = {name: yaml.safe_load((ANSWERS / f"{name}.yml").read_text(encoding="utf-8"))["messages"]
            for name in ("stories", "facts")}
    phone = get_settings().firm.emergency_phone
    if args.url:
        return report({name: grade(entries, args.url, phone) for name, entries in sets.items()}, targets)
    from ops.stack import Stack, free_port

    with tempfile.TemporaryDirectory() as run_dir:
        stack = Stack(free_port(), free_port(), None, Path(run_dir), roles=("actions", "rasa")).start()
        try:
            results = {name: grade(entries, stack.rasa_url, phone) for name, entries in sets.items()}
        finally:
            stack.stop()
    return report(results, targets)


if __name__ == "__main__":
    sys.exit(main())
